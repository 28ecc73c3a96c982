// Front end of the AI Threat Workbench canvas (anywidget + vis-network).
//
// Python holds the ThreatModel; this view shows a JSON payload derived from it (nodes,
// edges, boundaries, findings overlay) and sends every edit back as a small message
// ({op: "add_element", ...}). Nothing is changed locally before Python answers: the
// answer is a "patch" (what changed, by ID) or a "refused" message with a reason.
//
// This file wires the parts together; the parts that do not draw are pure modules with
// unit tests under ../test (node --test):
//   payload.js    payload items -> vis-network items (looks, tooltips as text)
//   sync.js       "reset" and "patch" messages applied to the drawn items
//   edits.js      edit messages sent to Python
//   selection.js  selection bookkeeping between vis-network and the `selection` trait
//   regions.js    boundary regions, hit tests, what a drag changes, the container rules
//   keys.js       which keys the canvas takes, and what they do
//   options.js    vis-network options
//   dom.js        toolbar, palette, stage elements and the notice line
//   draw.js       regions and badges drawn on the network's canvas (not unit-tested)
//   hooks.js      root.atw, for browser tests and benchmarks
//
// Bundle: npm run build (esbuild) -> ../static/canvas.js and ../static/canvas.css.

import { DataSet, Network } from "vis-network/standalone";
import "./canvas.css";
import { buildView, fillPalette, keepEventsIn, noticeLine, openEditor, pressKind } from "./dom.js";
import { drawBadges, drawRegions } from "./draw.js";
import * as edits from "./edits.js";
import { testHooks } from "./hooks.js";
import { canvasAction, editorAction, historyKey, staysInCanvas } from "./keys.js";
import { networkOptions } from "./options.js";
import { badgeColour, lookOf, visEdge, visNode } from "./payload.js";
import {
  boundaryAt, boundaryDragChanges, boundaryMembers, computeRegions, dragChanges, extentOf, labelAt,
  midpoint, resolveOverlaps,
} from "./regions.js";
import { findElement, sameIds, selectedIds, splitSelection } from "./selection.js";
import { applyPatch, applyReset, isStale, statusText } from "./sync.js";

const NOTICE_MS = 10000;

function render({ model, el }) {
  const started = performance.now();
  const nodes = new DataSet();
  const edges = new DataSet();
  let boundaries = [];
  let rev = -1;
  let placing = null; // kind chosen in the palette, waiting for a click on the canvas
  let flowMode = false;
  let fitted = false;
  let userViewed = false; // the user zoomed or panned: resizing no longer fits the view
  let painted = false;
  let regions = []; // drawn boundary regions, innermost last
  let dragRegions = null; // the regions as they were drawn when a drag started
  let boundaryDrag = null; // a boundary dragged by its label: {id, from, origin, frame}
  let selectedBoundary = null; // boundary whose label was clicked (not an element or flow)
  let emphasis = new Set(model.get("highlight") || []); // highlighted IDs (an attack path); empty: draw normally

  const toNode = (n) => visNode(n, lookOf(emphasis, n.id));
  const toEdge = (e) => visEdge(e, lookOf(emphasis, e.id));
  const items = { nodes, edges, toNode, toEdge };
  const send = edits.sender(model);

  // ------------------------------------------------------------------ DOM
  const view = buildView({
    undo: () => send({ op: "undo" }),
    redo: () => send({ op: "redo" }),
    flow: () => setFlowMode(!flowMode),
    boundary: () => addBoundary(),
    rename: () => startRename(),
    delete: () => deleteSelection(),
    fit: () => fit(),
    layout: () => send({ op: "layout" }),
    find: (query) => findAndCentre(query),
  }, model.get("height"));
  const { root, status, hint, flowBtn, undoBtn, redoBtn, palette, graph, notice, editor } = view;
  el.append(root);
  fillPalette(palette, model.get("palette"), (item) => startPlacing(item));
  const { show: showNotice, hide: hideNotice, dispose: disposeNotice } =
    noticeLine(notice, root, NOTICE_MS);
  // a builder's answer: send its message, or show its notice
  const act = (result) => {
    if (result.notice) showNotice(result.notice);
    else send(result.msg);
  };

  // ------------------------------------------------------------------ network
  const network = new Network(graph, { nodes, edges }, networkOptions((data, callback) => {
    callback(null); // Python adds it (or refuses) and answers with a patch
    act(edits.addFlow(data.from, data.to));
    if (flowMode) setTimeout(() => flowMode && network.addEdgeMode(), 0);
  }));

  // ------------------------------------------------------------------ state from Python
  function reset(msg) {
    boundaries = applyReset(items, msg);
    rev = msg.rev;
    afterChange();
  }

  function patch(msg) {
    if (isStale(msg, rev)) {
      model.send(edits.hello(rev)); // missed an update: ask for the whole payload
      return;
    }
    boundaries = applyPatch(items, boundaries, msg);
    rev = msg.rev;
    afterChange();
  }

  function afterChange() {
    root.dataset.nodeCount = String(nodes.length);
    root.dataset.edgeCount = String(edges.length);
    root.dataset.boundaryCount = String(boundaries.length);
    if (selectedBoundary && !boundaries.some((b) => b.id === selectedBoundary)) selectBoundary(null);
    root.dataset.rev = String(rev);
    status.textContent = statusText(nodes.length, edges.length);
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
    if (sameIds(selectedIds(network.getSelection()), wanted)) return;
    network.setSelection(
      splitSelection(wanted, (id) => nodes.get(id), (id) => edges.get(id)),
      { unselectAll: true, highlightEdges: false },
    );
  }
  model.on("change:selection", applySelection);

  function selectionChanged() {
    // While placing an element or drawing a flow, Python selects the result itself:
    // sending the intermediate selection would only make it refresh its panels twice.
    if (placing || flowMode) return;
    const ids = selectedIds(network.getSelection());
    if (ids.length) selectBoundary(null);
    if (!sameIds(ids, model.get("selection") || [])) {
      model.set("selection", ids);
      model.save_changes();
    }
  }
  for (const ev of ["selectNode", "selectEdge", "deselectNode", "deselectEdge"]) {
    network.on(ev, selectionChanged);
  }

  // The search box: select the element found and centre it at full size.
  function findAndCentre(query) {
    const id = findElement(query, nodes.get());
    if (!id) {
      showNotice(`No element matches "${String(query).trim().slice(0, 60)}".`);
      return;
    }
    hideNotice();
    network.setSelection({ nodes: [id], edges: [] }, { unselectAll: true, highlightEdges: false });
    network.focus(id, { scale: 1, animation: { duration: 250, easingFunction: "easeInOutQuad" } });
    selectionChanged();
  }

  function selectBoundary(id) {
    if (selectedBoundary === id) return;
    selectedBoundary = id;
    if (id) root.dataset.selectedBoundary = id;
    else delete root.dataset.selectedBoundary;
    network.redraw();
  }

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

  // ------------------------------------------------------------------ editing
  function setHint(text) {
    hint.textContent = text || "";
    hint.hidden = !text;
  }

  function startPlacing(item) {
    setFlowMode(false);
    placing = item;
    pressKind(palette, item.kind);
    root.classList.add("atw-placing");
    setHint(edits.placingHint(item.label));
  }

  function stopPlacing() {
    placing = null;
    pressKind(palette, null);
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
      setHint(edits.FLOW_HINT);
    } else {
      network.disableEditMode();
      setHint("");
    }
  }

  network.on("click", (params) => {
    root.focus({ preventScroll: true });
    const at = params.pointer.canvas;
    if (placing && !params.nodes.length) {
      send(edits.addElement(placing, at, boundaryAt(at, regions)));
      stopPlacing();
      return;
    }
    if (params.nodes.length || flowMode) return;
    const label = labelAt(at, regions);
    if (label && params.edges.length) {
      network.unselectAll(); // the label is drawn on top of the flow
      selectionChanged();
    }
    selectBoundary(label);
  });

  network.on("dragStart", (params) => {
    dragRegions = params.nodes.length ? [...regions] : null;
    const shift = params.event && params.event.srcEvent && params.event.srcEvent.shiftKey;
    if (params.nodes.length || flowMode || placing || shift) return;
    const label = labelAt(params.pointer.canvas, regions);
    if (label) startBoundaryDrag(label, params.pointer.canvas);
  });

  network.on("dragEnd", (params) => {
    if (boundaryDrag) {
      endBoundaryDrag(params.pointer.canvas);
      return;
    }
    const among = dragRegions || regions;
    dragRegions = null;
    if (!params.nodes.length) userViewed = true; // the view was panned: stop fitting it
    if (flowMode || !params.nodes.length) return;
    const { moved, into } = dragChanges(
      params.nodes, (id) => nodes.get(id), network.getPositions(params.nodes), among);
    settle(moved, into, params.nodes);
  });

  // The elements and the boundary each is drawn in (`into`: boundaries of elements just
  // dropped into another one).
  function memberPairs(into = {}) {
    const boundaryOf = (id) => (Object.hasOwn(into, id) ? into[id] : nodes.get(id).raw.boundary || null);
    return nodes.getIds().map((id) => [id, boundaryOf(id)]);
  }

  // Send what a drag moved as ONE move message (one undo step), with the moves that put
  // the container rules right again (regions.js resolveOverlaps): siblings pushed apart,
  // elements pushed out of regions they do not belong to. anchored: what the user dragged.
  function settle(moved, into, anchored) {
    if (!Object.keys(moved).length) return;
    network.redraw(); // element boxes where the elements are now
    const ids = nodes.getIds();
    const drawn = network.getPositions(ids);
    const extents = {};
    for (const id of ids) {
      const box = network.getBoundingBox(id);
      if (box && drawn[id]) extents[id] = extentOf(box, drawn[id]);
    }
    const positions = { ...drawn, ...moved }; // moved: in whole pixels, as they will be drawn
    const pushed = resolveOverlaps(boundaries, memberPairs(into), positions, extents, anchored);
    const msg = edits.move({ ...moved, ...pushed }, into);
    if (msg) send(msg);
  }

  // Dragging a boundary by its label moves every element it holds (nested boundaries'
  // too) with the pointer; the view does not pan meanwhile. vis-network has no node for a
  // boundary, so the members are moved here, on the window's pointer moves.
  function startBoundaryDrag(id, from) {
    const ids = boundaryMembers(boundaries, memberPairs()).get(id) || [];
    boundaryDrag = { id, from, origin: network.getPositions(ids), frame: 0 };
    network.setOptions({ interaction: { dragView: false } });
    root.classList.add("atw-dragging-boundary");
    selectBoundary(id);
    window.addEventListener("pointermove", onBoundaryDrag);
  }

  function canvasPoint(ev) {
    const rect = graph.getBoundingClientRect();
    return network.DOMtoCanvas({ x: ev.clientX - rect.left, y: ev.clientY - rect.top });
  }

  // Members follow the pointer, redrawn once per frame.
  function onBoundaryDrag(ev) {
    const drag = boundaryDrag;
    if (!drag) return;
    drag.to = canvasPoint(ev);
    if (drag.frame) return;
    drag.frame = requestAnimationFrame(() => {
      drag.frame = 0;
      if (boundaryDrag !== drag) return;
      moveDrawn(boundaryDragChanges(drag.origin, drag.from, drag.to));
      network.redraw();
    });
  }

  // Move drawn elements without touching the DataSet (its positions stay Python's until
  // the answer comes), as vis-network's own element drag does.
  function moveDrawn(positions) {
    const body = network.body && network.body.nodes;
    for (const [id, p] of Object.entries(positions)) {
      if (body && body[id]) {
        body[id].x = p.x;
        body[id].y = p.y;
      } else network.moveNode(id, p.x, p.y);
    }
  }

  function stopBoundaryDrag() {
    const drag = boundaryDrag;
    boundaryDrag = null;
    if (drag && drag.frame) cancelAnimationFrame(drag.frame);
    window.removeEventListener("pointermove", onBoundaryDrag);
    root.classList.remove("atw-dragging-boundary");
    network.setOptions({ interaction: { dragView: true } });
    return drag;
  }

  function endBoundaryDrag(to) {
    const drag = stopBoundaryDrag();
    const moved = boundaryDragChanges(drag.origin, drag.from, to);
    moveDrawn(Object.keys(moved).length ? moved : drag.origin); // back where it started: none moved
    settle(moved, {}, Object.keys(drag.origin));
  }

  // A boundary's label can be dragged: the pointer says so over it.
  function onHover(ev) {
    if (boundaryDrag || placing || flowMode) return;
    root.classList.toggle("atw-over-label", Boolean(labelAt(canvasPoint(ev), regions)));
  }
  graph.addEventListener("pointermove", onHover);

  network.on("doubleClick", (params) => {
    const label = params.nodes.length ? null : labelAt(params.pointer.canvas, regions);
    if (label) {
      selectBoundary(label);
      startRename(label, "boundary");
      return;
    }
    const id = params.nodes[0] || params.edges[0];
    if (id) startRename(id);
  });

  function addBoundary() {
    act(edits.addBoundary(network.getSelection().nodes));
  }

  function startRename(id, what = "item") {
    const target = edits.renameTarget(id, what, selectedBoundary,
      selectedIds(network.getSelection()));
    if (target.notice) {
      showNotice(target.notice);
      return;
    }
    ({ id, what } = target);
    if (what === "boundary") {
      const region = regions.find((r) => r.id === id);
      const b = boundaries.find((x) => x.id === id);
      if (!b) return;
      const at = region ? network.canvasToDOM({ x: region.labelBox.x, y: region.labelBox.y })
        : { x: 100, y: 20 };
      openEditor(editor, { id, what: "boundary", value: b.label, at: { x: at.x + 90, y: at.y + 8 } });
      return;
    }
    const item = nodes.get(id) || edges.get(id);
    if (!item) return;
    let at;
    if (nodes.get(id)) {
      at = network.canvasToDOM(network.getPositions([id])[id]);
    } else {
      const pos = network.getPositions([item.from, item.to]);
      at = network.canvasToDOM(midpoint(pos[item.from], pos[item.to]));
    }
    openEditor(editor, { id, what: "item", value: item.raw.label || "", at });
  }

  function finishRename(commit) {
    if (editor.hidden) return;
    editor.hidden = true;
    root.focus({ preventScroll: true });
    const target = { id: editor.dataset.target, what: editor.dataset.what, before: editor.dataset.before };
    const msg = edits.rename(target, editor.value, commit, (id) => nodes.get(id) || edges.get(id));
    if (msg) send(msg);
  }
  editor.addEventListener("keydown", (ev) => {
    ev.stopPropagation();
    const action = editorAction(ev);
    if (action) finishRename(action === "commit");
  });
  editor.addEventListener("blur", () => finishRename(true));

  function deleteSelection() {
    const result = edits.deleteSelection(network.getSelection(), selectedBoundary);
    act(result);
    if (result.clearBoundary) selectBoundary(null);
  }

  // ------------------------------------------------------------------ keys
  keepEventsIn(root, staysInCanvas);

  // Ctrl/Cmd+Z undoes, Ctrl/Cmd+Shift+Z and Ctrl/Cmd+Y redo while the canvas has focus.
  // JupyterLab's shortcut handler takes these keys on the way down to the canvas, so they
  // are caught first, on the window, and only when the canvas itself is the target (other
  // shortcuts such as Ctrl+S keep working while the canvas has focus).
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
    const action = canvasAction(ev);
    if (action === "cancel") {
      stopPlacing();
      setFlowMode(false);
      hideNotice();
      selectBoundary(null);
    } else if (action === "delete") {
      ev.preventDefault();
      deleteSelection();
    } else if (action === "rename") {
      ev.preventDefault();
      startRename();
    } else if (action === "flow") {
      setFlowMode(!flowMode);
    } else return;
    ev.stopPropagation(); // keep JupyterLab's notebook shortcuts out of it
  });

  // ------------------------------------------------------------------ drawing
  function fit() {
    if (graph.clientWidth === 0 || graph.clientHeight === 0 || nodes.length === 0) return;
    network.fit({ animation: false, maxZoomLevel: 1.2 });
    fitted = true;
  }

  network.on("beforeDrawing", (ctx) => {
    regions = computeRegions(boundaries, memberPairs(), (id) => network.getBoundingBox(id));
    drawRegions(ctx, regions, selectedBoundary, emphasis.size > 0);
  });

  network.on("afterDrawing", (ctx) => {
    drawBadges(ctx, network, nodes, edges, (raw) => badgeColour(model.get("styles"), raw.risk),
      (id) => lookOf(emphasis, id) === "dim");
    if (!painted && nodes.length) {
      painted = true;
      root.dataset.painted = "true";
      root.dataset.paintMs = String(Math.round(performance.now() - started));
    }
  });

  // Fit whenever the view is resized until the user zooms or pans: the widget is drawn
  // before JupyterLab attaches and sizes it.
  network.on("zoom", () => { userViewed = true; });
  const observer = new ResizeObserver(() => {
    if (graph.clientWidth && graph.clientHeight) {
      network.redraw();
      if (!fitted || !userViewed) fit();
    }
  });
  observer.observe(graph);

  // For tests and benchmarks: where things are drawn, relative to the page, and how.
  root.atw = testHooks({
    network, graph, nodes, edges, regions: () => regions, selectedBoundary: () => selectedBoundary,
  });

  // ------------------------------------------------------------------ start
  const snapshot = model.get("snapshot");
  if (snapshot && Array.isArray(snapshot.nodes)) reset(snapshot);
  if (emphasis.size) applyHighlight();
  else root.dataset.highlight = "0";
  model.send(edits.hello(rev));
  const onHeight = () => root.style.setProperty("--atw-height", model.get("height"));
  model.on("change:height", onHeight);

  return () => {
    if (boundaryDrag) stopBoundaryDrag();
    graph.removeEventListener("pointermove", onHover);
    disposeNotice();
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
