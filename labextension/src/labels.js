/**
 * Which export items get which readable label, and relabelling a menu (no imports: unit
 * tested with Node's own runner, `make jstest`).
 *
 * JupyterLab's notebook extension (@jupyterlab/notebook-extension:tracker) lists every
 * nbconvert exporter under File > Save and Export Notebook As (the submenu
 * `jp-mainmenu-file-notebookexport`) and in the command palette, as items of the command
 * `notebook:export-to-format` with args `{format, label, isPalette}`; the command's label
 * is `args.label`. Formats it does not know are labelled by their name with the first
 * letter capitalised ("Risk_html"), and Jupyter Server only routes `\w+` format names, so
 * the exporters cannot be renamed instead.
 */

/** The command that exports a notebook with an nbconvert exporter. */
export const EXPORT_COMMAND = 'notebook:export-to-format';

/** The File menu's "Save and Export Notebook As…" submenu. */
export const EXPORT_SUBMENU = 'jp-mainmenu-file-notebookexport';

/** What users see for each exporter (the entry points in pyproject.toml). */
export const LABELS = Object.freeze({
  risk_html: 'Risk assessment (HTML)',
  risk_pdf: 'Risk assessment (PDF)'
});

/** The readable label for an item of `command` with `args`, or null to leave it alone. */
export function readableLabel(command, args) {
  if (command !== EXPORT_COMMAND || !args || !Object.hasOwn(LABELS, args.format)) {
    return null;
  }
  const label = LABELS[args.format];
  return args.label === label ? null : label;
}

/** `options` of a palette or menu item, with the readable label when it needs one. */
export function relabelOptions(options) {
  const label = options ? readableLabel(options.command, options.args) : null;
  return label === null ? options : { ...options, args: { ...options.args, label } };
}

/**
 * Relabel the export items of a Lumino `menu`: items cannot be edited, so each is
 * replaced, at the same place, by one with the same command and args but the readable
 * label. Returns how many were replaced.
 */
export function relabelMenu(menu) {
  let replaced = 0;
  [...menu.items].forEach((item, index) => {
    if (item.type !== 'command' || readableLabel(item.command, item.args) === null) {
      return;
    }
    menu.removeItemAt(index);
    menu.insertItem(index, relabelOptions({ command: item.command, args: item.args }));
    replaced += 1;
  });
  return replaced;
}

/** The submenu with `id` among the items of `menu`, or null. */
export function findSubmenu(menu, id) {
  const item = menu.items.find(i => i.type === 'submenu' && i.submenu && i.submenu.id === id);
  return item ? item.submenu : null;
}
