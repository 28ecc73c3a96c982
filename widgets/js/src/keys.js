// Which keys the canvas takes, and what they do. Pure: the functions read a keyboard
// event's fields (key, ctrlKey, metaKey, shiftKey, altKey) and return a decision, so
// Node's test runner can import them (widgets/js/test/keys.test.js).

// A modifier pressed on its own stays in the canvas: JupyterLab would take the focus back
// to the active cell, and the key pressed with it (Ctrl+Z) would go to the notebook.
const MODIFIERS = new Set(["Control", "Meta", "Shift", "Alt", "AltGraph"]);

// Whether a key pressed in the canvas stays there (plain keys and lone modifiers), so
// notebook shortcuts do not run; shortcuts with Ctrl, Cmd or Alt go on (Ctrl+S saves).
export function staysInCanvas(ev) {
  return MODIFIERS.has(ev.key) || (!ev.ctrlKey && !ev.metaKey && !ev.altKey);
}

// Ctrl/Cmd+Z undoes, Ctrl/Cmd+Shift+Z and Ctrl/Cmd+Y redo: "undo", "redo" or null.
export function historyKey(ev) {
  if (!(ev.ctrlKey || ev.metaKey) || ev.altKey) return null;
  const key = ev.key.toLowerCase();
  if (key === "z") return ev.shiftKey ? "redo" : "undo";
  if (key === "y" && !ev.shiftKey) return "redo";
  return null;
}

// The canvas's own keys: Esc cancels ("cancel"), Delete or Backspace deletes ("delete"),
// F2 renames ("rename"), F toggles flow drawing ("flow"), C collapses or expands a
// boundary ("collapse"); null for any other key.
export function canvasAction(ev) {
  if (ev.key === "Escape") return "cancel";
  if (ev.key === "Delete" || ev.key === "Backspace") return "delete";
  if (ev.key === "F2") return "rename";
  if (ev.key === "f" || ev.key === "F") return "flow";
  if (ev.key === "c" || ev.key === "C") return "collapse";
  return null;
}

// Keys of the inline rename editor: Enter commits ("commit"), Escape cancels ("cancel").
export function editorAction(ev) {
  if (ev.key === "Enter") return "commit";
  if (ev.key === "Escape") return "cancel";
  return null;
}
