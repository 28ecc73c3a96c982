// The edit messages the canvas sends to Python ({op: "add_element", ...}; Python's
// widgets/_edits.py applies them and answers with a patch or a refusal). Nothing here
// changes what is drawn: the view waits for Python's answer. Pure apart from `sender`,
// which is handed the widget model, so Node's test runner can import it
// (widgets/js/test/edits.test.js).
//
// Builders that can refuse return {notice: text} instead of {msg}: the view shows the
// notice and sends nothing.

export const NOTICES = {
  sameEnds: "A flow needs two different elements: drag onto another one.",
  nothingToDelete: "Select elements, flows or a boundary's label to delete them.",
  noMembers: "Select the elements the new trust boundary should contain.",
  renameOne: "Select one element or flow to rename it.",
  collapsedEnd: "Expand the collapsed boundary to draw a flow to or from one of its elements.",
};

// A function that sends a message with a request number (1, 2, ...), and marks the
// moment for benchmarks (performance mark "atw-send").
export function sender(model, mark = (name) => performance.mark(name)) {
  let req = 0;
  return (msg) => {
    req += 1;
    mark("atw-send");
    model.send({ ...msg, req });
  };
}

// Ask for the whole payload, telling which revision is drawn (-1: none yet).
export function hello(rev) {
  return { op: "hello", rev };
}

// The view has drawn its first frame (once per view): Python builds what the first
// frame did not need, such as the workbench's panels under the canvas.
export function painted() {
  return { op: "painted" };
}

// Place an element of the palette item's kind at a canvas point, in a boundary or none;
// `moved`: other elements pushed aside to keep the container rules (same undo step).
export function addElement(item, at, boundary, moved = {}) {
  const msg = { op: "add_element", kind: item.kind, x: at.x, y: at.y, boundary };
  return Object.keys(moved).length ? { ...msg, positions: moved } : msg;
}

// The name Python gives a new element of a palette item's kind ("Agent 2": the first
// number N with the ID "agent-N" free), to measure it before it exists. ids: every ID
// drawn (elements, flows, boundaries).
export function newElementName(item, ids) {
  const base = item.kind.replace(/_/g, "-");
  let n = 1;
  while (ids.has(`${base}-${n}`)) n += 1;
  return `${item.label} ${n}`;
}

// A flow from one element to another, drawn by a drag.
export function addFlow(source, target) {
  if (source === target) return { notice: NOTICES.sameEnds };
  return { msg: { op: "add_flow", source, target } };
}

// Move elements (and put those dropped into another boundary there): one message, so
// one undo step, for the whole drag. null when nothing moved.
export function move(moved, into) {
  if (!Object.keys(moved).length) return null;
  return Object.keys(into).length ? { op: "move", positions: moved, boundaries: into }
    : { op: "move", positions: moved };
}

// Delete the selected elements and flows, or else the selected boundary (not its
// elements). `clearBoundary`: the boundary selection goes with it.
export function deleteSelection(selection, selectedBoundary) {
  const empty = !selection.nodes.length && !selection.edges.length;
  if (empty && selectedBoundary) {
    return { msg: { op: "delete_boundary", id: selectedBoundary }, clearBoundary: true };
  }
  if (empty) return { notice: NOTICES.nothingToDelete };
  return { msg: { op: "delete", nodes: selection.nodes, edges: selection.edges } };
}

// A new trust boundary around the selected elements.
export function addBoundary(members) {
  if (!members.length) return { notice: NOTICES.noMembers };
  return { msg: { op: "add_boundary", members } };
}

// The message that finishes a rename in the inline editor, or null: nothing to send when
// the edit was cancelled, the name is unchanged, or the element or flow is gone.
// editor: {what: "boundary" | "item", id, before}; exists(id): still drawn.
export function rename(editor, value, commit, exists) {
  if (!commit || value === editor.before) return null;
  if (editor.what === "boundary") return { op: "rename_boundary", id: editor.id, name: value };
  if (exists(editor.id)) return { op: "rename", id: editor.id, name: value };
  return null;
}

// What a rename applies to: the ID given, else the selected boundary, else the one
// selected element or flow ({notice} when not exactly one is selected).
export function renameTarget(id, what, selectedBoundary, selectedIds) {
  if (!id && selectedBoundary) return { id: selectedBoundary, what: "boundary" };
  if (id || what === "boundary") return { id, what };
  if (selectedIds.length !== 1) return { notice: NOTICES.renameOne };
  return { id: selectedIds[0], what };
}

// The hint shown while a palette kind waits to be placed.
export function placingHint(label) {
  const article = /^[aeiou]/i.test(label) ? "an" : "a";
  return `Click on the canvas to place ${article} ${label} (Esc cancels)`;
}

export const FLOW_HINT = "Drag from one element to another to add a flow (Esc ends)";
