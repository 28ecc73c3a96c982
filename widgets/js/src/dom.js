// The widget's DOM: toolbar, palette, stage (graph, hint, rename editor, notice). Uses the
// page's `document` only when called, never on import, so Node's test runner can import
// it and run it against a small fake document (widgets/js/test/dom.test.js).
//
// Text goes in as text: `h(tag, {text})` sets textContent and attributes are set with
// setAttribute; nothing is ever parsed as HTML.

// An element with attributes, listeners (on*) and children. `class` sets the class name,
// `text` the text content; false, null and undefined leave an attribute out.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (value !== false && value !== null && value !== undefined) el.setAttribute(key, value);
  }
  for (const child of children) if (child) el.append(child);
  return el;
}

function button(label, title, onclick, extra = {}) {
  return h("button", { type: "button", class: "atw-btn", title, onclick, ...extra }, label);
}

// The widget's elements, put together but not attached. actions: functions the toolbar
// calls, without arguments: undo, redo, flow, boundary, rename, delete, collapse, fit,
// layout (and find, with the search box's text).
export function buildView(actions, height) {
  const root = h("div", { class: "atw-canvas", tabindex: "0", "data-node-count": "0" });
  root.style.setProperty("--atw-height", height || "600px");
  const status = h("span", { class: "atw-status" });
  const search = h("input", {
    class: "atw-search", type: "search", placeholder: "Find element", maxlength: "200",
    "aria-label": "Find an element by name or ID (Enter centres it)",
    onkeydown: (ev) => {
      if (ev.key === "Enter") actions.find(search.value);
      else if (ev.key === "Escape") search.value = "";
    },
  });
  const hint = h("div", { class: "atw-hint", role: "status", hidden: true });
  const flowBtn = button("Draw flow", "Drag from one element to another to add a data flow (F)",
    () => actions.flow(), { "data-action": "flow", "aria-pressed": "false" });
  const undoBtn = button("Undo", "Undo the last change (Ctrl+Z)", () => actions.undo(),
    { "data-action": "undo" });
  const redoBtn = button("Redo", "Redo what was undone (Ctrl+Shift+Z or Ctrl+Y)",
    () => actions.redo(), { "data-action": "redo" });
  const collapseBtn = button("Collapse",
    "Draw the selected boundary (or the one holding the selected elements) as one node, its " +
    "flows bundled; with a collapsed boundary selected, expand it (C). Only the view changes.",
    () => actions.collapse(), { "data-action": "collapse" });
  const toolbar = h(
    "div",
    { class: "atw-toolbar", role: "toolbar" },
    undoBtn,
    redoBtn,
    h("span", { class: "atw-sep" }),
    flowBtn,
    button("Boundary", "Put the selected elements into a new trust boundary",
      () => actions.boundary(), { "data-action": "boundary" }),
    button("Rename", "Rename the selected element, flow or boundary (F2 or double-click)",
      () => actions.rename(), { "data-action": "rename" }),
    button("Delete", "Delete the selection, or the selected boundary but not its elements (Del)",
      () => actions.delete(), { "data-action": "delete" }),
    collapseBtn,
    h("span", { class: "atw-sep" }),
    button("Fit", "Fit the drawing into view", () => actions.fit(), { "data-action": "fit" }),
    button("Auto-layout", "Lay out left to right: data, model, deployment",
      () => actions.layout(), { "data-action": "layout" }),
    search,
    status,
  );
  const palette = h("div", { class: "atw-palette", role: "listbox", "aria-label": "Element kinds" });
  const graph = h("div", { class: "atw-graph" });
  const notice = h("div", { class: "atw-notice", role: "alert", hidden: true });
  const editor = h("input", { class: "atw-rename", type: "text", hidden: true, maxlength: "200" });
  const stage = h("div", { class: "atw-stage" }, graph, hint, editor, notice);
  root.append(toolbar, palette, stage);
  return { root, status, hint, flowBtn, undoBtn, redoBtn, collapseBtn, palette, graph, notice, editor, search };
}

// Fill the palette with one button per kind, in groups by layer (items come grouped, in
// order). onPick(item) is called when a kind is chosen.
export function fillPalette(palette, items, onPick) {
  let group = null;
  for (const item of items) {
    if (!group || group.dataset.layer !== item.layer) {
      group = h("div", { class: "atw-group", "data-layer": item.layer },
        h("div", { class: "atw-group-title", text: item.layerLabel }));
      palette.append(group);
    }
    const swatch = h("span", { class: `atw-swatch atw-${item.shape}` });
    swatch.style.background = item.color;
    swatch.style.borderColor = item.border;
    if (item.dashed) swatch.style.borderStyle = "dashed";
    group.append(h("button", {
      type: "button",
      class: "atw-kind",
      "data-kind": item.kind,
      title: `${item.label}: ${item.description}\nClick, then click on the canvas to place it.`,
      onclick: () => onPick(item),
    }, swatch, h("span", { text: item.label })));
  }
}

// Mark the palette button of `kind` pressed (none for null).
export function pressKind(palette, kind) {
  for (const b of palette.querySelectorAll(".atw-kind")) {
    b.setAttribute("aria-pressed", String(kind !== null && b.dataset.kind === kind));
  }
}

// Keep the notebook's own handlers out of the canvas: a click here must not select or
// re-render the cell (that costs a full notebook layout), and plain keys typed here must
// not run notebook shortcuts (staysInCanvas decides). Pointer events are left alone:
// vis-network follows drags on the window.
export function keepEventsIn(root, staysInCanvas) {
  for (const type of ["mousedown", "mouseup", "click", "dblclick", "focusin", "contextmenu"]) {
    root.addEventListener(type, (ev) => ev.stopPropagation());
  }
  root.addEventListener("keydown", (ev) => {
    if (staysInCanvas(ev)) ev.stopPropagation();
  });
}

// Show the inline rename editor at a point of the stage, holding `value`.
export function openEditor(editor, { id, what, value, at }) {
  editor.hidden = false;
  editor.value = value;
  editor.dataset.target = id;
  editor.dataset.what = what;
  editor.dataset.before = value;
  editor.style.left = `${Math.max(0, at.x - 90)}px`;
  editor.style.top = `${Math.max(0, at.y - 14)}px`;
  editor.focus();
  editor.select();
}

// The notice line: show(text) for `ms` milliseconds (a click hides it sooner), hide().
// The text is also the root's data-notice, for tests.
export function noticeLine(notice, root, ms) {
  let timer = null;
  const hide = () => {
    notice.hidden = true;
    delete root.dataset.notice;
  };
  const show = (text) => {
    notice.textContent = text;
    notice.hidden = false;
    root.dataset.notice = text;
    clearTimeout(timer);
    timer = setTimeout(hide, ms);
  };
  notice.addEventListener("click", hide);
  return { show, hide, dispose: () => clearTimeout(timer) };
}
