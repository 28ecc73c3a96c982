/**
 * Readable names for the workbench's nbconvert exporters in JupyterLab 4 and Notebook 7:
 * "Risk assessment (HTML)" and "Risk assessment (PDF)" instead of "Risk_html" and
 * "Risk_pdf", in File > Save and Export Notebook As and in the command palette.
 * It asks the server for nothing and loads nothing.
 */
import { ICommandPalette } from '@jupyterlab/apputils';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { MessageLoop } from '@lumino/messaging';

import { EXPORT_SUBMENU, findSubmenu, relabelMenu, relabelOptions } from './labels.js';

const plugin = {
  id: 'ai-threat-workbench:export-labels',
  description: 'Readable names for the risk assessment exporters in the Save and Export menu.',
  autoStart: true,
  // Optional: a page without a main menu or a palette (Notebook 7's tree) just skips it.
  optional: [IMainMenu, ICommandPalette],
  activate: (app, mainMenu, palette) => {
    const submenu = mainMenu ? findSubmenu(mainMenu.fileMenu, EXPORT_SUBMENU) : null;
    if (submenu) {
      // The notebook extension fills the submenu once the first notebook opens (after
      // asking the server for its exporters): relabel what it holds whenever it opens.
      MessageLoop.installMessageHook(submenu, (handler, msg) => {
        if (msg.type === 'before-attach') {
          relabelMenu(submenu);
        }
        return true;
      });
    }
    if (palette) {
      // ICommandPalette can neither list nor edit its items, and the notebook extension
      // adds its export items after every plugin has started: relabel them as they come.
      // Every other item passes through unchanged.
      const addItem = palette.addItem.bind(palette);
      palette.addItem = options => addItem(relabelOptions(options));
    }
  }
};

export default plugin;
