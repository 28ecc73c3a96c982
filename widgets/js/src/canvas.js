// Front end of the AI Threat Workbench canvas (anywidget + vis-network).
//
// Python holds the ThreatModel; this view shows a JSON payload derived from it (nodes,
// edges, boundaries, findings overlay) and sends every edit back as a small message
// ({op: "add_element", ...}). Nothing is changed locally before Python answers: the
// answer is a "patch" (what changed, by ID) or a "refused" message with a reason.
//
// Bundle: npm run build (esbuild) -> ../static/canvas.js and ../static/canvas.css.

import { DataSet, Network } from "vis-network/standalone";
import "./canvas.css";

const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
const NOTICE_MS = 10000;
// How a highlighted item (an attack path) and the dimmed rest are drawn.
const EMPHASIS = "#e11d48";
const DIM_OPACITY = 0.2;
const DIM_EDGE_OPACITY = 0.12;

function h(tag, attrs = {}, ...children) {
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

// look: "normal", "on" (highlighted) or "dim" (something else is highlighted). Every
// style key is always set: DataSet.update merges, so a key left out would keep its old value.
function visNode(n, look = "normal") {
  const on = look === "on";
  return {
    id: n.id,
    label: n.label,
    x: n.x,
    y: n.y,
    shape: n.shape,
    title: `${n.label}\n${n.kindLabel} (${n.layer} layer)\nID: ${n.id}` +
      (n.open ? `\n${n.open} open finding(s), highest ${n.risk}` : ""),
    color: {
      background: n.color,
      border: on ? EMPHASIS : n.border,
      highlight: { background: n.color, border: on ? EMPHASIS : "#0f172a" },
      hover: { background: n.color, border: on ? EMPHASIS : "#0f172a" },
    },
    opacity: look === "dim" ? DIM_OPACITY : 1,
    shadow: { enabled: on, color: "rgba(225, 29, 72, 0.45)", size: 14, x: 0, y: 0 },
    borderWidth: on ? 4 : 1.5,
    borderWidthSelected: on ? 5 : 3,
    shapeProperties: { borderDashes: n.dashed ? [6, 4] : false },
    font: { face: FONT, size: 14, color: "#0f172a" },
    margin: 10,
    widthConstraint: { maximum: 170 },
    raw: n,
    look,
  };
}

function visEdge(e, look = "normal") {
  const on = look === "on";
  const colour = on ? EMPHASIS : e.crossing ? "#b91c1c" : "#475569";
  return {
    id: e.id,
    from: e.from,
    to: e.to,
    label: e.label || undefined,
    title: `${e.label || e.id}\n${e.from} → ${e.to}` +
      (e.crossing ? "\ncrosses a trust boundary" : "") +
      (e.open ? `\n${e.open} open finding(s), highest ${e.risk}` : ""),
    arrows: { to: { enabled: true, scaleFactor: 0.7 } },
    color: {
      color: colour,
      highlight: on ? EMPHASIS : "#0f172a",
      hover: on ? EMPHASIS : "#0f172a",
      opacity: look === "dim" ? DIM_EDGE_OPACITY : 1,
    },
    // Dashed and curved edges cost several times more to draw: keep edges straight and
    // solid, curving only flows that share their two ends with another flow.
    width: on ? 4 : e.crossing ? 2 : 1.25,
    selectionWidth: 2,
    smooth: e.parallel ? { enabled: true, type: "curvedCW", roundness: 0.15 } : false,
    font: {
      face: FONT,
      size: 11,
      color: look === "dim" ? "rgba(51, 65, 85, 0.25)" : "#334155",
      strokeWidth: 3,
      strokeColor: "#ffffff",
    },
    raw: e,
    look,
  };
}

function applySection(ds, changes, convert) {
  if (!changes) return;
  if (changes.remove.length) ds.remove(changes.remove);
  if (changes.add.length) ds.add(changes.add.map(convert));
  if (changes.update.length) ds.update(changes.update.map(convert));
}

function sameIds(a, b) {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((x) => set.has(x));
}

function roundRect(ctx, x, y, w, hgt, r) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + hgt, r);
  ctx.arcTo(x + w, y + hgt, x, y + hgt, r);
  ctx.arcTo(x, y + hgt, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}

function render({ model, el }) {
  const started = performance.now();
  const nodes = new DataSet();
  const edges = new DataSet();
  let boundaries = [];
  let rev = -1;
  let placing = null; // kind chosen in the palette, waiting for a click on the canvas
  let flowMode = false;
  let fitted = false;
  let painted = false;
  let req = 0;
  let noticeTimer = null;
  let regions = []; // drawn boundary rectangles, innermost last
  let dragRegions = null; // the regions as they were drawn when a drag started
  let selectedBoundary = null; // boundary whose label was clicked (not an element or flow)
  let emphasis = new Set(model.get("highlight") || []); // highlighted IDs (an attack path); empty: draw normally

  const lookOf = (id) => (emphasis.size === 0 ? "normal" : emphasis.has(id) ? "on" : "dim");
  const toNode = (n) => visNode(n, lookOf(n.id));
  const toEdge = (e) => visEdge(e, lookOf(e.id));

  // ------------------------------------------------------------------ DOM
  const root = h("div", { class: "atw-canvas", tabindex: "0", "data-node-count": "0" });
  root.style.setProperty("--atw-height", model.get("height") || "600px");
  const status = h("span", { class: "atw-status" });
  const hint = h("div", { class: "atw-hint", role: "status", hidden: true });
  const btn = (label, title, onclick, extra = {}) =>
    h("button", { type: "button", class: "atw-btn", title, onclick, ...extra }, label);
  const flowBtn = btn("Draw flow", "Drag from one element to another to add a data flow (F)",
    () => setFlowMode(!flowMode), { "data-action": "flow", "aria-pressed": "false" });
  const undoBtn = btn("Undo", "Undo the last change (Ctrl+Z)", () => send({ op: "undo" }),
    { "data-action": "undo" });
  const redoBtn = btn("Redo", "Redo what was undone (Ctrl+Shift+Z or Ctrl+Y)",
    () => send({ op: "redo" }), { "data-action": "redo" });
  const toolbar = h(
    "div",
    { class: "atw-toolbar", role: "toolbar" },
    undoBtn,
    redoBtn,
    h("span", { class: "atw-sep" }),
    flowBtn,
    btn("Boundary", "Put the selected elements into a new trust boundary",
      () => addBoundary(), { "data-action": "boundary" }),
    btn("Rename", "Rename the selected element, flow or boundary (F2 or double-click)",
      () => startRename(), { "data-action": "rename" }),
    btn("Delete", "Delete the selection, or the selected boundary but not its elements (Del)",
      () => deleteSelection(), { "data-action": "delete" }),
    h("span", { class: "atw-sep" }),
    btn("Fit", "Fit the drawing into view", () => fit(), { "data-action": "fit" }),
    btn("Auto-layout", "Lay out left to right: data, model, deployment",
      () => send({ op: "layout" }), { "data-action": "layout" }),
    status,
  );
  const palette = h("div", { class: "atw-palette", role: "listbox", "aria-label": "Element kinds" });
  const graph = h("div", { class: "atw-graph" });
  const notice = h("div", { class: "atw-notice", role: "alert", hidden: true });
  const editor = h("input", { class: "atw-rename", type: "text", hidden: true, maxlength: "200" });
  const stage = h("div", { class: "atw-stage" }, graph, hint, editor, notice);
  root.append(toolbar, palette, stage);
  el.append(root);

  // ------------------------------------------------------------------ palette
  let group = null;
  for (const item of model.get("palette")) {
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
      onclick: () => startPlacing(item),
    }, swatch, h("span", { text: item.label })));
  }

  // ------------------------------------------------------------------ network
  const network = new Network(graph, { nodes, edges }, {
    autoResize: true,
    physics: { enabled: false },
    layout: { randomSeed: 1, improvedLayout: false },
    interaction: {
      hover: true,
      multiselect: true,
      selectConnectedEdges: false,
      keyboard: false,
      tooltipDelay: 400,
    },
    manipulation: {
      enabled: false,
      addEdge: (data, callback) => {
        callback(null); // Python adds it (or refuses) and answers with a patch
        if (data.from !== data.to) send({ op: "add_flow", source: data.from, target: data.to });
        else showNotice("A flow needs two different elements: drag onto another one.");
        if (flowMode) setTimeout(() => flowMode && network.addEdgeMode(), 0);
      },
    },
    nodes: { scaling: { label: { drawThreshold: 3 } } },
    edges: { selfReference: { size: 0 }, scaling: { label: { drawThreshold: 4 } } },
  });

  function send(msg) {
    req += 1;
    performance.mark("atw-send");
    model.send({ ...msg, req });
  }

  // ------------------------------------------------------------------ state from Python
  function reset(msg) {
    nodes.clear();
    edges.clear();
    nodes.add(msg.nodes.map(toNode));
    edges.add(msg.edges.map(toEdge));
    boundaries = msg.boundaries;
    rev = msg.rev;
    afterChange();
  }

  function patch(msg) {
    if (msg.base !== rev) {
      model.send({ op: "hello", rev }); // missed an update: ask for the whole payload
      return;
    }
    if (msg.edges) applySection(edges, { add: [], update: [], remove: msg.edges.remove }, toEdge);
    applySection(nodes, msg.nodes, toNode);
    if (msg.edges) applySection(edges, { ...msg.edges, remove: [] }, toEdge);
    if (msg.boundaries) {
      const gone = new Set(msg.boundaries.remove);
      const byId = new Map(boundaries.filter((b) => !gone.has(b.id)).map((b) => [b.id, b]));
      for (const b of [...msg.boundaries.add, ...msg.boundaries.update]) byId.set(b.id, b);
      boundaries = [...byId.values()];
    }
    rev = msg.rev;
    afterChange();
  }

  function afterChange() {
    root.dataset.nodeCount = String(nodes.length);
    root.dataset.edgeCount = String(edges.length);
    root.dataset.boundaryCount = String(boundaries.length);
    if (selectedBoundary && !boundaries.some((b) => b.id === selectedBoundary)) selectBoundary(null);
    root.dataset.rev = String(rev);
    status.textContent = `${nodes.length} elements · ${edges.length} flows`;
    applySelection();
    if (flowMode) network.addEdgeMode();
    if (!fitted) fit();
    network.redraw();
  }

  function onMessage(msg) {
    if (!msg || typeof msg !== "object") return;
    performance.mark(`atw-${msg.op}`);
    if (msg.op === "reset") reset(msg);
    else if (msg.op === "patch") patch(msg);
    else if (msg.op === "refused") {
      if (msg.restore && msg.restore.length) nodes.update(msg.restore.map(toNode));
      showNotice(msg.reason);
    } else if (msg.op === "done") hideNotice();
  }
  model.on("msg:custom", onMessage);

  // ------------------------------------------------------------------ selection
  function applySelection() {
    const wanted = model.get("selection") || [];
    const sel = network.getSelection();
    if (sameIds([...sel.nodes, ...sel.edges], wanted)) return;
    network.setSelection(
      { nodes: wanted.filter((id) => nodes.get(id)), edges: wanted.filter((id) => edges.get(id)) },
      { unselectAll: true, highlightEdges: false },
    );
  }
  model.on("change:selection", applySelection);

  // ------------------------------------------------------------------ history, highlight
  function applyHistory() {
    undoBtn.disabled = !model.get("can_undo");
    redoBtn.disabled = !model.get("can_redo");
  }
  model.on("change:can_undo", applyHistory);
  model.on("change:can_redo", applyHistory);
  applyHistory();

  function applyHighlight() {
    emphasis = new Set(model.get("highlight") || []);
    root.dataset.highlight = String(emphasis.size);
    root.classList.toggle("atw-highlighting", emphasis.size > 0);
    nodes.update(nodes.get().map((n) => toNode(n.raw)));
    edges.update(edges.get().map((e) => toEdge(e.raw)));
    network.redraw();
  }
  model.on("change:highlight", applyHighlight);

  function selectionChanged() {
    // While placing an element or drawing a flow, Python selects the result itself:
    // sending the intermediate selection would only make it refresh its panels twice.
    if (placing || flowMode) return;
    const sel = network.getSelection();
    const ids = [...sel.nodes, ...sel.edges];
    if (ids.length) selectBoundary(null);
    if (!sameIds(ids, model.get("selection") || [])) {
      model.set("selection", ids);
      model.save_changes();
    }
  }
  for (const ev of ["selectNode", "selectEdge", "deselectNode", "deselectEdge"]) {
    network.on(ev, selectionChanged);
  }

  // ------------------------------------------------------------------ editing
  function setHint(text) {
    hint.textContent = text || "";
    hint.hidden = !text;
  }

  function startPlacing(item) {
    setFlowMode(false);
    placing = item;
    for (const b of palette.querySelectorAll(".atw-kind")) {
      b.setAttribute("aria-pressed", String(b.dataset.kind === item.kind));
    }
    root.classList.add("atw-placing");
    const article = /^[aeiou]/i.test(item.label) ? "an" : "a";
    setHint(`Click on the canvas to place ${article} ${item.label} (Esc cancels)`);
  }

  function stopPlacing() {
    placing = null;
    for (const b of palette.querySelectorAll(".atw-kind")) b.setAttribute("aria-pressed", "false");
    root.classList.remove("atw-placing");
    setHint("");
  }

  function setFlowMode(on) {
    if (on) stopPlacing();
    flowMode = on;
    flowBtn.setAttribute("aria-pressed", String(on));
    root.classList.toggle("atw-flow-mode", on);
    if (on) {
      network.addEdgeMode();
      setHint("Drag from one element to another to add a flow (Esc ends)");
    } else {
      network.disableEditMode();
      setHint("");
    }
  }

  const inside = (p, r) => p.x >= r.x && p.x <= r.x + r.w && p.y >= r.y && p.y <= r.y + r.h;

  // The innermost boundary region (of those given) that holds a canvas point.
  function boundaryAt(point, among = regions) {
    for (let i = among.length - 1; i >= 0; i -= 1) if (inside(point, among[i])) return among[i].id;
    return null;
  }

  // The boundary whose label is drawn at a canvas point.
  function labelAt(point) {
    for (let i = regions.length - 1; i >= 0; i -= 1) if (inside(point, regions[i].labelBox)) return regions[i].id;
    return null;
  }

  function selectBoundary(id) {
    if (selectedBoundary === id) return;
    selectedBoundary = id;
    if (id) root.dataset.selectedBoundary = id;
    else delete root.dataset.selectedBoundary;
    network.redraw();
  }

  network.on("click", (params) => {
    root.focus({ preventScroll: true });
    const at = params.pointer.canvas;
    if (placing && !params.nodes.length) {
      send({ op: "add_element", kind: placing.kind, x: at.x, y: at.y, boundary: boundaryAt(at) });
      stopPlacing();
      return;
    }
    if (params.nodes.length || flowMode) return;
    const label = labelAt(at);
    if (label && params.edges.length) {
      network.unselectAll(); // the label is drawn on top of the flow
      selectionChanged();
    }
    selectBoundary(label);
  });

  // Dropping an element into another boundary's region puts it into that boundary (the
  // regions as they were drawn when the drag started: a region follows its members while
  // they move). Dropping it on empty canvas or inside its own region keeps its boundary,
  // so members can be spread out; the inspector takes an element out of every boundary.
  function droppedInto(id, point, among) {
    const current = nodes.get(id).raw.boundary || null;
    const own = among.find((r) => r.id === current);
    if (own && inside(point, own)) return current;
    return boundaryAt(point, among) || current;
  }

  network.on("dragStart", (params) => {
    dragRegions = params.nodes.length ? [...regions] : null;
  });

  network.on("dragEnd", (params) => {
    const among = dragRegions || regions;
    dragRegions = null;
    if (flowMode || !params.nodes.length) return;
    const now = network.getPositions(params.nodes);
    const moved = {};
    const into = {};
    for (const id of params.nodes) {
      const before = nodes.get(id);
      const p = now[id];
      if (!before || !p || (before.x === p.x && before.y === p.y)) continue;
      moved[id] = { x: p.x, y: p.y };
      const target = droppedInto(id, p, among);
      if (target !== (before.raw.boundary || null)) into[id] = target;
    }
    if (!Object.keys(moved).length) return;
    // one message, so one undo step, for the whole drag
    send(Object.keys(into).length ? { op: "move", positions: moved, boundaries: into }
      : { op: "move", positions: moved });
  });

  network.on("doubleClick", (params) => {
    const label = params.nodes.length ? null : labelAt(params.pointer.canvas);
    if (label) {
      selectBoundary(label);
      startRename(label, "boundary");
      return;
    }
    const id = params.nodes[0] || params.edges[0];
    if (id) startRename(id);
  });

  function addBoundary() {
    const members = network.getSelection().nodes;
    if (!members.length) {
      showNotice("Select the elements the new trust boundary should contain.");
      return;
    }
    send({ op: "add_boundary", members });
  }

  function startRename(id, what = "item") {
    if (!id && selectedBoundary) {
      id = selectedBoundary;
      what = "boundary";
    }
    if (what === "boundary") {
      const region = regions.find((r) => r.id === id);
      const b = boundaries.find((x) => x.id === id);
      if (!b) return;
      const at = region ? network.canvasToDOM({ x: region.labelBox.x, y: region.labelBox.y })
        : { x: 100, y: 20 };
      openEditor(id, "boundary", b.label, { x: at.x + 90, y: at.y + 8 });
      return;
    }
    if (!id) {
      const sel = network.getSelection();
      const ids = [...sel.nodes, ...sel.edges];
      if (ids.length !== 1) {
        showNotice("Select one element or flow to rename it.");
        return;
      }
      id = ids[0];
    }
    const item = nodes.get(id) || edges.get(id);
    if (!item) return;
    let at;
    if (nodes.get(id)) {
      at = network.canvasToDOM(network.getPositions([id])[id]);
    } else {
      const pos = network.getPositions([item.from, item.to]);
      const a = pos[item.from];
      const b = pos[item.to];
      at = network.canvasToDOM({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });
    }
    openEditor(id, "item", item.raw.label || "", at);
  }

  function openEditor(id, what, value, at) {
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

  function finishRename(commit) {
    if (editor.hidden) return;
    const id = editor.dataset.target;
    editor.hidden = true;
    root.focus({ preventScroll: true });
    if (!commit || editor.value === editor.dataset.before) return;
    if (editor.dataset.what === "boundary") send({ op: "rename_boundary", id, name: editor.value });
    else if (nodes.get(id) || edges.get(id)) send({ op: "rename", id, name: editor.value });
  }
  editor.addEventListener("keydown", (ev) => {
    ev.stopPropagation();
    if (ev.key === "Enter") finishRename(true);
    else if (ev.key === "Escape") finishRename(false);
  });
  editor.addEventListener("blur", () => finishRename(true));

  function deleteSelection() {
    const sel = network.getSelection();
    if (!sel.nodes.length && !sel.edges.length && selectedBoundary) {
      send({ op: "delete_boundary", id: selectedBoundary });
      selectBoundary(null);
      return;
    }
    if (!sel.nodes.length && !sel.edges.length) {
      showNotice("Select elements, flows or a boundary's label to delete them.");
      return;
    }
    send({ op: "delete", nodes: sel.nodes, edges: sel.edges });
  }

  // Keep the notebook's own handlers out of the canvas: a click here must not select or
  // re-render the cell (that costs a full notebook layout), and plain keys typed here must
  // not run notebook shortcuts. Pointer events are left alone: vis-network follows drags
  // on the window.
  for (const type of ["mousedown", "mouseup", "click", "dblclick", "focusin", "contextmenu"]) {
    root.addEventListener(type, (ev) => ev.stopPropagation());
  }
  // A modifier pressed on its own stays here too: JupyterLab would take the focus back to
  // the active cell, and the key pressed with it (Ctrl+Z) would go to the notebook.
  const MODIFIERS = new Set(["Control", "Meta", "Shift", "Alt", "AltGraph"]);
  root.addEventListener("keydown", (ev) => {
    if (MODIFIERS.has(ev.key) || (!ev.ctrlKey && !ev.metaKey && !ev.altKey)) ev.stopPropagation();
  });

  // Ctrl/Cmd+Z undoes, Ctrl/Cmd+Shift+Z and Ctrl/Cmd+Y redo while the canvas has focus.
  // JupyterLab's shortcut handler takes these keys on the way down to the canvas, so they
  // are caught first, on the window, and only when the canvas itself is the target (other
  // shortcuts such as Ctrl+S keep working while the canvas has focus).
  function historyKey(ev) {
    if (!(ev.ctrlKey || ev.metaKey) || ev.altKey) return null;
    const key = ev.key.toLowerCase();
    if (key === "z") return ev.shiftKey ? "redo" : "undo";
    if (key === "y" && !ev.shiftKey) return "redo";
    return null;
  }
  function onHistoryKey(ev) {
    const history = ev.target === root ? historyKey(ev) : null;
    if (!history) return;
    ev.preventDefault();
    ev.stopPropagation();
    send({ op: history });
  }
  window.addEventListener("keydown", onHistoryKey, true);

  root.addEventListener("keydown", (ev) => {
    if (ev.target !== root) return;
    if (ev.key === "Escape") {
      stopPlacing();
      setFlowMode(false);
      hideNotice();
      selectBoundary(null);
    } else if (ev.key === "Delete" || ev.key === "Backspace") {
      ev.preventDefault();
      deleteSelection();
    } else if (ev.key === "F2") {
      ev.preventDefault();
      startRename();
    } else if (ev.key === "f" || ev.key === "F") {
      setFlowMode(!flowMode);
    } else return;
    ev.stopPropagation(); // keep JupyterLab's notebook shortcuts out of it
  });

  // ------------------------------------------------------------------ notices
  function showNotice(text) {
    notice.textContent = text;
    notice.hidden = false;
    root.dataset.notice = text;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(hideNotice, NOTICE_MS);
  }
  function hideNotice() {
    notice.hidden = true;
    delete root.dataset.notice;
  }
  notice.addEventListener("click", hideNotice);

  // ------------------------------------------------------------------ drawing
  function fit() {
    if (graph.clientWidth === 0 || graph.clientHeight === 0 || nodes.length === 0) return;
    network.fit({ animation: false, maxZoomLevel: 1.2 });
    fitted = true;
  }

  function computeRegions() {
    const parent = new Map(boundaries.map((b) => [b.id, b.parent]));
    const members = new Map(boundaries.map((b) => [b.id, []]));
    for (const id of nodes.getIds()) {
      let b = nodes.get(id).raw.boundary;
      let guard = 0;
      while (b && members.has(b) && guard < 64) {
        members.get(b).push(id);
        b = parent.get(b);
        guard += 1;
      }
    }
    // height: how many nested, non-empty boundaries sit inside; outer regions pad more
    const children = new Map(boundaries.map((b) => [b.id, []]));
    for (const b of boundaries) if (b.parent && children.has(b.parent)) children.get(b.parent).push(b.id);
    const heightOf = (id, seen = 0) => {
      const kids = children.get(id).filter((k) => members.get(k).length);
      return kids.length && seen < 64 ? 1 + Math.max(...kids.map((k) => heightOf(k, seen + 1))) : 0;
    };
    const out = [];
    for (const b of [...boundaries].sort((a, c) => a.depth - c.depth)) {
      const ids = members.get(b.id);
      if (!ids.length) continue;
      let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      for (const id of ids) {
        const box = network.getBoundingBox(id);
        if (!box) continue;
        x0 = Math.min(x0, box.left); y0 = Math.min(y0, box.top);
        x1 = Math.max(x1, box.right); y1 = Math.max(y1, box.bottom);
      }
      if (!Number.isFinite(x0)) continue;
      const pad = 18 + 16 * heightOf(b.id);
      out.push({ ...b, x: x0 - pad, y: y0 - pad - 16, w: x1 - x0 + 2 * pad, h: y1 - y0 + 2 * pad + 16 });
    }
    return out;
  }

  const regionTitle = (r) => `${r.label}${r.trust === "trusted" ? "" : ` (${r.trust})`}`;

  network.on("beforeDrawing", (ctx) => {
    regions = computeRegions();
    const faded = emphasis.size > 0;
    for (const r of regions) {
      const chosen = r.id === selectedBoundary;
      ctx.save();
      roundRect(ctx, r.x, r.y, r.w, r.h, 10);
      ctx.globalAlpha = (r.trust === "untrusted" ? 0.07 : 0.04) * (faded ? 0.5 : 1);
      ctx.fillStyle = r.color;
      ctx.fill();
      ctx.globalAlpha = faded ? 0.35 : 0.9;
      ctx.setLineDash(chosen ? [] : [8, 5]);
      ctx.lineWidth = chosen ? 3 : r.trust === "untrusted" ? 2 : 1.5;
      ctx.strokeStyle = r.color;
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.font = `600 12px ${FONT}`;
      ctx.textBaseline = "top";
      const title = regionTitle(r);
      // the label is what a click selects and a double-click renames
      r.labelBox = { x: r.x + 6, y: r.y + 2, w: ctx.measureText(title).width + 8, h: 20 };
      if (chosen) {
        ctx.fillStyle = r.color;
        roundRect(ctx, r.labelBox.x, r.labelBox.y, r.labelBox.w, r.labelBox.h, 4);
        ctx.fill();
      }
      ctx.fillStyle = chosen ? "#ffffff" : r.color;
      ctx.fillText(title, r.x + 10, r.y + 6);
      ctx.restore();
    }
  });

  function badge(ctx, x, y, count, risk, id) {
    const colours = (model.get("styles") || {}).risk || {};
    const text = String(count);
    ctx.save();
    if (lookOf(id) === "dim") ctx.globalAlpha = DIM_OPACITY;
    ctx.font = `700 11px ${FONT}`;
    const w = Math.max(18, ctx.measureText(text).width + 10);
    roundRect(ctx, x - w / 2, y - 9, w, 18, 9);
    ctx.fillStyle = colours[risk] || "#64748b";
    ctx.fill();
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "#ffffff";
    ctx.stroke();
    ctx.fillStyle = "#ffffff";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillText(text, x, y + 0.5);
    ctx.restore();
  }

  network.on("afterDrawing", (ctx) => {
    for (const n of nodes.get({ filter: (item) => item.raw.open > 0 })) {
      const box = network.getBoundingBox(n.id);
      if (box) badge(ctx, box.right - 2, box.top + 2, n.raw.open, n.raw.risk, n.id);
    }
    const bodyEdges = network.body ? network.body.edges : {};
    // flow badges only once they can be read (they cost a lot on big drawings)
    const flowBadges = network.getScale() >= 0.5 ? edges.get({ filter: (item) => item.raw.open > 0 }) : [];
    for (const e of flowBadges) {
      let p = null;
      const internal = bodyEdges[e.id];
      if (internal && internal.edgeType && internal.edgeType.getPoint) {
        p = internal.edgeType.getPoint(0.5);
      }
      if (!p) {
        const pos = network.getPositions([e.from, e.to]);
        if (!pos[e.from] || !pos[e.to]) continue;
        p = { x: (pos[e.from].x + pos[e.to].x) / 2, y: (pos[e.from].y + pos[e.to].y) / 2 };
      }
      badge(ctx, p.x, p.y - (e.label ? 14 : 0), e.raw.open, e.raw.risk, e.id);
    }
    if (!painted && nodes.length) {
      painted = true;
      root.dataset.painted = "true";
      root.dataset.paintMs = String(Math.round(performance.now() - started));
    }
  });

  // Fit whenever the view is resized until the user zooms or pans: the widget is drawn
  // before JupyterLab attaches and sizes it.
  let userViewed = false;
  network.on("zoom", () => { userViewed = true; });
  network.on("dragEnd", (params) => { if (!params.nodes.length) userViewed = true; });
  const observer = new ResizeObserver(() => {
    if (graph.clientWidth && graph.clientHeight) {
      network.redraw();
      if (!fitted || !userViewed) fit();
    }
  });
  observer.observe(graph);

  // For tests and benchmarks: where things are drawn, relative to the page, and how.
  const toPage = (p) => {
    const dom = network.canvasToDOM(p);
    const rect = graph.getBoundingClientRect();
    return { x: rect.left + dom.x, y: rect.top + dom.y };
  };
  root.atw = {
    pagePosition(id) {
      const p = network.getPositions([id])[id];
      return p ? toPage(p) : null;
    },
    // centre of a boundary's label (null when the boundary is not drawn)
    boundaryLabelPosition(id) {
      const r = regions.find((x) => x.id === id);
      if (!r || !r.labelBox) return null;
      return toPage({ x: r.labelBox.x + r.labelBox.w / 2, y: r.labelBox.y + r.labelBox.h / 2 });
    },
    // a drawn region, in page coordinates
    boundaryRegion(id) {
      const r = regions.find((x) => x.id === id);
      if (!r) return null;
      const a = toPage({ x: r.x, y: r.y });
      const b = toPage({ x: r.x + r.w, y: r.y + r.h });
      return { x: a.x, y: a.y, w: b.x - a.x, h: b.y - a.y };
    },
    // how an element or flow is drawn: look ("normal", "on", "dim") and the vis style
    style(id) {
      const n = nodes.get(id);
      if (n) return { look: n.look, opacity: n.opacity, border: n.color.border, width: n.borderWidth };
      const e = edges.get(id);
      if (e) return { look: e.look, opacity: e.color.opacity, border: e.color.color, width: e.width };
      return null;
    },
    selectedBoundary: () => selectedBoundary,
    // IDs drawn, and what an element or flow shows (name, kind, open findings, risk)
    ids: () => ({ nodes: nodes.getIds(), edges: edges.getIds() }),
    node(id) {
      const n = nodes.get(id) || edges.get(id);
      if (!n) return null;
      return { label: n.raw.label, kind: n.raw.kind ?? null, open: n.raw.open, risk: n.raw.risk ?? null };
    },
  };

  // ------------------------------------------------------------------ start
  const snapshot = model.get("snapshot");
  if (snapshot && Array.isArray(snapshot.nodes)) reset(snapshot);
  if (emphasis.size) applyHighlight();
  else root.dataset.highlight = "0";
  model.send({ op: "hello", rev });
  const onHeight = () => root.style.setProperty("--atw-height", model.get("height"));
  model.on("change:height", onHeight);

  return () => {
    clearTimeout(noticeTimer);
    window.removeEventListener("keydown", onHistoryKey, true);
    observer.disconnect();
    model.off("msg:custom", onMessage);
    model.off("change:selection", applySelection);
    model.off("change:can_undo", applyHistory);
    model.off("change:can_redo", applyHistory);
    model.off("change:highlight", applyHighlight);
    model.off("change:height", onHeight);
    network.destroy();
  };
}

export default { render };
