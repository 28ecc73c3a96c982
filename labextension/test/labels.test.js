import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  EXPORT_COMMAND,
  EXPORT_SUBMENU,
  findSubmenu,
  readableLabel,
  relabelMenu,
  relabelOptions
} from '../src/labels.js';

/** A stand-in for a Lumino Menu: the items, and the two calls relabelMenu makes. */
function fakeMenu(items) {
  return {
    items: items.map(i => ({ type: 'command', ...i })),
    removeItemAt(index) {
      this.items.splice(index, 1);
    },
    insertItem(index, options) {
      this.items.splice(index, 0, { type: 'command', ...options });
    }
  };
}

const exportItem = (format, label) => ({
  command: EXPORT_COMMAND,
  args: { format, label, isPalette: false }
});

test('the risk exporters get readable labels, other formats keep theirs', () => {
  assert.equal(readableLabel(EXPORT_COMMAND, { format: 'risk_html', label: 'Risk_html' }),
    'Risk assessment (HTML)');
  assert.equal(readableLabel(EXPORT_COMMAND, { format: 'risk_pdf', label: 'Risk_pdf' }),
    'Risk assessment (PDF)');
  assert.equal(readableLabel(EXPORT_COMMAND, { format: 'html', label: 'HTML' }), null);
  assert.equal(readableLabel(EXPORT_COMMAND, { format: 'toString' }), null);
  assert.equal(readableLabel('notebook:run-cell', { format: 'risk_html' }), null);
  assert.equal(readableLabel(EXPORT_COMMAND, undefined), null);
  // already readable: nothing to do
  assert.equal(readableLabel(EXPORT_COMMAND, { format: 'risk_html',
    label: 'Risk assessment (HTML)' }), null);
});

test('palette options keep their command, category and other args', () => {
  const options = {
    command: EXPORT_COMMAND,
    category: 'Notebook Operations',
    args: { format: 'risk_pdf', label: 'Risk_pdf', isPalette: true }
  };
  assert.deepEqual(relabelOptions(options), {
    command: EXPORT_COMMAND,
    category: 'Notebook Operations',
    args: { format: 'risk_pdf', label: 'Risk assessment (PDF)', isPalette: true }
  });
  assert.equal(options.args.label, 'Risk_pdf'); // the caller's object is not changed
  const other = { command: 'notebook:run-all-cells', category: 'Notebook Operations' };
  assert.equal(relabelOptions(other), other);
});

test('relabelMenu replaces the risk items in place, once', () => {
  const menu = fakeMenu([
    exportItem('html', 'HTML'),
    exportItem('risk_html', 'Risk_html'),
    exportItem('pdf', 'PDF'),
    exportItem('risk_pdf', 'Risk_pdf')
  ]);
  assert.equal(relabelMenu(menu), 2);
  assert.deepEqual(menu.items.map(i => [i.args.format, i.args.label, i.args.isPalette]), [
    ['html', 'HTML', false],
    ['risk_html', 'Risk assessment (HTML)', false],
    ['pdf', 'PDF', false],
    ['risk_pdf', 'Risk assessment (PDF)', false]
  ]);
  assert.equal(relabelMenu(menu), 0);
  assert.equal(relabelMenu(fakeMenu([])), 0); // not filled yet: no notebook opened
});

test('findSubmenu finds the export submenu by id', () => {
  const submenu = { id: EXPORT_SUBMENU, items: [] };
  const fileMenu = {
    items: [{ type: 'command', command: 'x' }, { type: 'submenu', submenu }]
  };
  assert.equal(findSubmenu(fileMenu, EXPORT_SUBMENU), submenu);
  assert.equal(findSubmenu(fileMenu, 'jp-mainmenu-file-new'), null);
});
