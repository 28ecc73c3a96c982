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
//   labels.js     which labels a zoom level draws, where flow labels go, hover labels
//   collapse.js   collapsed boundaries: what is hidden, the nodes and bundles shown
//   keys.js       which keys the canvas takes, and what they do
//   options.js    vis-network options
//   dom.js        toolbar, palette, stage elements and the notice line
//   draw.js       regions and badges drawn on the network's canvas (not unit-tested)
//   hooks.js      root.atw, for browser tests and benchmarks
//
// Bundle: npm run build (esbuild) -> ../static/canvas.js and ../static/canvas.css.

// vis-network's "esnext" build: native JavaScript, no polyfills (its "standalone" build
// carries core-js, which took a tenth of a second to evaluate in every view), with its
// dependencies bundled by esbuild; of its stylesheet only the tooltip's rule (vis.css).
import { DataSet } from "vis-data/esnext";
import { Network } from "vis-network/esnext";
import "./vis.css";
import "./canvas.css";
import {
  collapseTarget, collapseView, expandProxyMoves, isVirtual, proxyBoundary, proxyId, virtualLook,
  visBundle, visProxy,
} from "./collapse.js";
import { buildView, fillPalette, keepEventsIn, noticeLine, openEditor, pressKind } from "./dom.js";
import { drawBadges, drawEdgeLabels, drawHoverLabel, drawRegions } from "./draw.js";
import * as edits from "./edits.js";
import { testHooks } from "./hooks.js";
import { canvasAction, editorAction, historyKey, staysInCanvas } from "./keys.js";
import {
  BADGE_ROOM, EDGE_FONT_SIZE, HOVER_FONT_PX, along, collisions, hoverLabel, labelHit, labelLevel, levelChange,
  levelName, nodeLabelThreshold, placeLabels, shortLabel,
} from "./labels.js";
import { networkOptions } from "./options.js";
import { FONT, badgeColour, lookOf, nameWidth, needsWrapping, visEdge, visNode } from "./payload.js";
import {
  boundaryAt, boundaryDragChanges, boundaryMembers, computeRegions, dragChanges, extentOf, labelAt,
  midpoint, newBoundaryChanges, placementChanges, resolveOverlaps, toggleAt,
} from "./regions.js";
import { findElement, sameIds, selectedIds, splitSelection } from "./selection.js";
import { applyPatch, applyReset, isStale, statusText } from "./sync.js";

performance.mark("atw-module"); // the bundle evaluated (benchmarks read the atw-* marks)
// Time a step as a performance measure "atw-NAME": the steps up to a view's first frame,
// which benchmarks/bench_canvas.py --steps prints.
function timed(name, step) {
  const start = performance.now();
  try {
    return step();
  } finally {
    performance.measure(`atw-${name}`, { start, end: performance.now() });
  }
}

const NOTICE_MS = 10000;
const HOLD_MS = 2000; // longest wait for Python's answer with drawing held
const NO_COLLAPSE = collapseView([], [], [], new Set());
// Expected box of a new element while its real one is unknown (vis-network measures it
// once drawn): a wide two-line box, so that nothing is pushed too little.
const FALLBACK_EXTENT = { left: -90, top: -30, right: 90, bottom: 30 };

function render({ model, el }) {
  const started = performance.now();
  performance.mark("atw-render"); // benchmarks read these marks (atw-*)
  const nodes = new DataSet();
  const edges = new DataSet();
  let boundaries = [];
  let rev = -1;
  let placing = null; // kind chosen in the palette, waiting for a click on the canvas
  let flowMode = false;
  let fitted = false;
  let userViewed = false; // the user zoomed or panned: resizing no longer fits the view
  let refitNext = false; // Auto-layout was pressed: fit the view when its answer arrives
  let painted = false;
  const early = (name, step) => (painted ? step() : timed(name, step)); // timed until the first frame
  let lastDrawn = { elements: 0, at: 0 }; // when the number of elements drawn last changed (benchmarks)
  let regions = []; // drawn boundary regions, innermost last
  let dragRegions = null; // the regions as they were drawn when a drag started
  let boundaryDrag = null; // a boundary dragged by its label: {id, from, origin, frame}
  let selectedBoundary = null; // boundary whose label was clicked (not an element or flow)
  let emphasis = new Set(model.get("highlight") || []); // highlighted IDs (an attack path); empty: draw normally
  let level = labelLevel(1); // which labels the zoom level draws (labels.js)
  let hovered = null; // {kind: "node" | "edge", id} under the pointer
  let placed = new Map(); // flow labels as drawn: id -> {x, y, w, h}
  let obstacles = []; // what they were kept clear of
  let labelsDirty = true; // something moved or changed: place the flow labels again
  const widths = new Map(); // measured label widths by text
  let folded = NO_COLLAPSE; // collapsed boundaries: what is hidden (collapse.js collapseView)
  let proxies = new Map(); // drawn nodes standing for collapsed boundaries, by ID
  let bundles = new Map(); // drawn edges standing for bundled flows, by ID

  // Whether an element's name may need wrapping (payload.js needsWrapping, nameWidth),
  // from its width in vis-network's font: names that fit are not given the width
  // constraint, whose wrapping measures every word (a tenth of the first draw).
  const nameCtx = document.createElement("canvas").getContext("2d");
  if (nameCtx) nameCtx.font = `14px ${FONT}`;
  const measureName = (text) => nameCtx.measureText(text).width;
  const charWidths = new Map();
  const wrapping = new Map();
  function wraps(label) {
    if (!nameCtx || typeof label !== "string") return true;
    let wrap = wrapping.get(label);
    if (wrap === undefined) {
      if (wrapping.size > 5000) wrapping.clear();
      wrap = needsWrapping(nameWidth(label, measureName, charWidths));
      wrapping.set(label, wrap);
    }
    return wrap;
  }

  // Element names are shown or hidden by one network-wide option (checkLevel), which
  // every element inherits: no element carries a threshold of its own.
  const toNode = (n) => (n.proxy
    ? { ...visProxy(n, virtualLook(emphasis, n)), hidden: false }
    : { ...visNode(n, lookOf(emphasis, n.id), wraps(n.label)), hidden: folded.hiddenNodes.has(n.id) });
  const toEdge = (e) => (e.bundle
    ? { ...visBundle(e, virtualLook(emphasis, e)), hidden: false }
    : { ...visEdge(e, lookOf(emphasis, e.id)), hidden: folded.hiddenEdges.has(e.id) });
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
    layout: () => { refitNext = true; send({ op: "layout" }); },
    find: (query) => findAndCentre(query),
    collapse: () => toggleCollapse(),
  }, model.get("height"));
  const { root, status, hint, flowBtn, undoBtn, redoBtn, collapseBtn, palette, graph, notice, editor } = view;
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
  const network = timed("network", () => new Network(graph, { nodes, edges }, networkOptions((data, callback) => {
    callback(null); // Python adds it (or refuses) and answers with a patch
    if (isVirtual(data.from) || isVirtual(data.to)) showNotice(edits.NOTICES.collapsedEnd);
    else act(edits.addFlow(data.from, data.to));
    if (flowMode) setTimeout(() => flowMode && network.addEdgeMode(), 0);
  })));
  // Nothing is drawn before the canvas has a size (a view is rendered before JupyterLab
  // attaches it; vis-network would draw the whole network into nothing): drawing is held
  // until the ResizeObserver sees a size (sized).
  let sized = false;
  network.body.emitter.emit("_blockRedraw");
  const dirty = () => { labelsDirty = true; };
  for (const ds of [nodes, edges]) ds.on("*", dirty);

  // Drawing: vis-network draws the whole network again, synchronously, after every
  // change of its data (each add, update or remove). At 500 elements and 1,500 flows a
  // draw costs tens of milliseconds, and one update from Python changes the data several
  // times. So changes are made with vis-network's redraws held (quietly), and the canvas
  // draws once, on the next animation frame (drawSoon). drawNow draws at once (what
  // needs the element boxes as drawn, such as the container rules after a drag).
  let drawFrame = 0;
  function drawNow() {
    if (drawFrame) cancelAnimationFrame(drawFrame);
    drawFrame = 0;
    if (sized) early("draw", () => network.redraw());
  }
  function drawSoon() {
    if (!drawFrame) drawFrame = requestAnimationFrame(drawNow);
  }
  // draw what is waiting now (the test hooks read what was drawn)
  const flushDraw = () => { if (drawFrame) drawNow(); };
  function quietly(change) {
    network.body.emitter.emit("_blockRedraw");
    try {
      change();
    } finally {
      allowDrawing();
    }
  }
  // Between placing an element and Python's answer nothing on the canvas changes, but
  // vis-network would draw the whole network again for the click: drawing is held until
  // the answer comes (or HOLD_MS, should none come), then done once.
  let hold = 0;
  function holdDrawing() {
    network.body.emitter.emit("_blockRedraw");
    clearTimeout(hold);
    hold = setTimeout(allowDrawing, HOLD_MS);
  }
  function allowDrawing() {
    clearTimeout(hold);
    hold = 0;
    if (!sized) return; // held until the canvas has a size
    network.body.emitter.emit("_allowRedraw");
    drawSoon();
  }
  // After each change of its data vis-network also goes over every element and flow
  // (their connections, which are visible, value ranges): at 2,000 elements and 6,000
  // flows each pass costs tens of milliseconds, and a patch changes the data up to five
  // times. Inside inOnePass(change) these passes are put off and made once at the end
  // (vis-network's "_dataChanged", or "_dataUpdated" when only looks changed).
  function inOnePass(change) {
    const emitter = network.body.emitter;
    const emit = emitter.emit;
    let pass = null;
    emitter.emit = (event, ...args) => {
      if (event === "_dataChanged") pass = event;
      else if (event === "_dataUpdated") pass = pass || event;
      else emit(event, ...args);
    };
    try {
      early("data", change);
    } finally {
      emitter.emit = emit;
      if (pass) early("pass", () => emit(pass));
    }
  }

  // ------------------------------------------------------------------ state from Python
  function reset(msg) {
    quietly(() => {
      inOnePass(() => { boundaries = applyReset(items, msg); });
      rev = msg.rev;
      afterChange();
    });
  }

  function patch(msg) {
    if (isStale(msg, rev)) {
      model.send(edits.hello(rev)); // missed an update: ask for the whole payload
      return;
    }
    quietly(() => {
      inOnePass(() => { boundaries = applyPatch(items, boundaries, msg); });
      rev = msg.rev;
      afterChange();
    });
  }

  function afterChange() {
    refreshCollapsed();
    const elementCount = nodes.length - proxies.size;
    const flowCount = edges.length - bundles.size;
    root.dataset.nodeCount = String(elementCount);
    root.dataset.edgeCount = String(flowCount);
    root.dataset.boundaryCount = String(boundaries.length);
    if (selectedBoundary && !boundaries.some((b) => b.id === selectedBoundary)) selectBoundary(null);
    root.dataset.rev = String(rev);
    status.textContent = statusText(elementCount, flowCount);
    labelsDirty = true;
    applySelection();
    if (flowMode) network.addEdgeMode();
    if (!fitted) fit();
    drawSoon();
  }

  function onMessage(msg) {
    if (!msg || typeof msg !== "object") return;
    performance.mark(`atw-${msg.op}`);
    if (msg.op === "reset" || msg.op === "patch") {
      // a new drawing (a model replaced from Python) or the answer to Auto-layout: show
      // all of it, as on the first draw
      if (msg.op === "reset" || refitNext) { fitted = false; userViewed = false; }
      refitNext = false;
      if (msg.op === "reset") reset(msg);
      else patch(msg);
    } else if (msg.op === "refused") {
      refitNext = false;
      quietly(() => {
        if (msg.restore && msg.restore.length) nodes.update(msg.restore.map(toNode));
        for (const p of proxies.values()) nodes.update(toNode(p)); // a dragged proxy goes back
      });
      showNotice(msg.reason);
    } else if (msg.op === "done") {
      hideNotice();
      if (hold) allowDrawing();
    }
  }
  model.on("msg:custom", onMessage);

  // ------------------------------------------------------------------ selection
  // vis-network's selection without the canvas's own items (proxies and bundles): what
  // the `selection` trait and the edits are about.
  function modelSelection() {
    const sel = network.getSelection();
    return { nodes: sel.nodes.filter((id) => !isVirtual(id)), edges: sel.edges.filter((id) => !isVirtual(id)) };
  }

  function applySelection() {
    const wanted = model.get("selection") || [];
    if (sameIds(selectedIds(modelSelection()), wanted)) return;
    const drawn = (ds) => (id) => { const item = ds.get(id); return item && !item.hidden; };
    network.setSelection(
      splitSelection(wanted, drawn(nodes), drawn(edges)),
      { unselectAll: true, highlightEdges: false },
    );
    updateCollapseButton();
  }
  model.on("change:selection", applySelection);

  function selectionChanged() {
    // While placing an element or drawing a flow, Python selects the result itself:
    // sending the intermediate selection would only make it refresh its panels twice.
    if (placing || flowMode) return;
    updateCollapseButton();
    const ids = selectedIds(modelSelection());
    if (network.getSelection().nodes.length || ids.length) selectBoundary(null);
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
    const id = findElement(query, nodes.get({ filter: (n) => !isVirtual(n.id) }));
    if (!id) {
      showNotice(`No element matches "${String(query).trim().slice(0, 60)}".`);
      return;
    }
    hideNotice();
    if (folded.hiddenNodes.has(id)) expandAround(id); // found inside a collapsed boundary
    network.setSelection({ nodes: [id], edges: [] }, { unselectAll: true, highlightEdges: false });
    network.focus(id, { scale: 1, animation: { duration: 250, easingFunction: "easeInOutQuad" } });
    selectionChanged();
  }

  function selectBoundary(id) {
    if (selectedBoundary === id) return;
    selectedBoundary = id;
    if (id) root.dataset.selectedBoundary = id;
    else delete root.dataset.selectedBoundary;
    updateCollapseButton();
    drawSoon();
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
    quietly(() => inOnePass(() => {
      nodes.update(nodes.get().map((n) => toNode(n.raw)));
      edges.update(edges.get().map((e) => toEdge(e.raw)));
    }));
  }
  model.on("change:highlight", applyHighlight);

  // ------------------------------------------------------------------ collapsed boundaries
  // The `collapsed` trait (boundary IDs) is view state: Python never records it as an
  // edit. Each collapsed boundary is drawn as one node (a proxy) in place of what it
  // holds; its flows to the outside as one bundled edge per drawn source and target.
  const collapsedIds = () => (model.get("collapsed") || []).filter((id) => boundaries.some((b) => b.id === id));

  // Hide and show model items, and add, update or remove proxies and bundles, to match
  // the trait. Costs nothing while nothing is (or was) collapsed.
  function refreshCollapsed() {
    const wanted = new Set(collapsedIds());
    root.dataset.collapsed = [...wanted].sort().join(" ");
    if (!wanted.size && !proxies.size && !bundles.size && !folded.hiddenNodes.size && !folded.hiddenEdges.size) return;
    const raws = (ds) => ds.get({ filter: (item) => !isVirtual(item.id) }).map((item) => item.raw);
    const before = folded;
    folded = collapseView(boundaries, raws(nodes), raws(edges), wanted);
    const nextProxies = new Map(folded.proxies.map((p) => [p.id, p]));
    const nextBundles = new Map(folded.bundles.map((b) => [b.id, b]));
    const gone = (now, next) => [...now.keys()].filter((id) => !next.has(id));
    // flags of model items whose hiding changed (and that are still drawn)
    const flags = (ds, was, is) => [...new Set([...was, ...is])]
      .filter((id) => was.has(id) !== is.has(id) && ds.get(id))
      .map((id) => ({ id, hidden: is.has(id) }));
    inOnePass(() => {
      edges.remove(gone(bundles, nextBundles));
      nodes.remove(gone(proxies, nextProxies));
      nodes.update([...flags(nodes, before.hiddenNodes, folded.hiddenNodes), ...folded.proxies.map(toNode)]);
      edges.update([...flags(edges, before.hiddenEdges, folded.hiddenEdges), ...folded.bundles.map(toEdge)]);
    });
    proxies = nextProxies;
    bundles = nextBundles;
    // nothing hidden stays selected
    const sel = network.getSelection();
    const keep = (ids, hidden, drawn) => ids.filter((id) => !hidden.has(id) && (!isVirtual(id) || drawn.has(id)));
    const nodesKept = keep(sel.nodes, folded.hiddenNodes, proxies);
    const edgesKept = keep(sel.edges, folded.hiddenEdges, bundles);
    if (nodesKept.length !== sel.nodes.length || edgesKept.length !== sel.edges.length) {
      network.setSelection({ nodes: nodesKept, edges: edgesKept }, { unselectAll: true, highlightEdges: false });
    }
    labelsDirty = true;
  }

  function setCollapsed(ids) {
    model.set("collapsed", [...new Set(ids)]);
    model.save_changes();
    applyCollapsed();
  }

  function applyCollapsed() {
    quietly(refreshCollapsed);
    updateCollapseButton();
  }
  model.on("change:collapsed", applyCollapsed);

  function collapse(id) {
    if (selectedBoundary === id) selectBoundary(null);
    setCollapsed([...collapsedIds(), id]);
    if (proxies.has(proxyId(id))) {
      network.setSelection({ nodes: [proxyId(id)], edges: [] }, { unselectAll: true, highlightEdges: false });
      selectionChanged();
    }
  }

  function expand(ids) {
    setCollapsed(collapsedIds().filter((id) => !ids.includes(id)));
    network.unselectAll();
    selectionChanged();
    if (ids.length === 1) selectBoundary(ids[0]);
  }

  // Expand every collapsed boundary that hides an element.
  function expandAround(id) {
    const parent = new Map(boundaries.map((b) => [b.id, b.parent]));
    const chain = [];
    for (let b = nodes.get(id).raw.boundary; b && chain.length < 64; b = parent.get(b)) chain.push(b);
    setCollapsed(collapsedIds().filter((b) => !chain.includes(b)));
  }

  // The toolbar's Collapse button and the C key.
  function toggleCollapse() {
    const target = collapseTarget(network.getSelection(), selectedBoundary,
      (id) => (nodes.get(id) ? nodes.get(id).raw.boundary || null : null),
      (b) => (boundaries.find((x) => x.id === b) || {}).parent || null);
    if (target.notice) showNotice(target.notice);
    else if (target.expand) expand(target.expand);
    else collapse(target.collapse);
  }

  function updateCollapseButton() {
    const proxy = network.getSelection().nodes.some((id) => proxyBoundary(id));
    collapseBtn.textContent = proxy ? "Expand" : "Collapse";
  }

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
      place(placing, at);
      stopPlacing();
      return;
    }
    if (params.nodes.length || flowMode) return;
    const toggle = toggleAt(at, regions);
    if (toggle) {
      collapse(toggle);
      return;
    }
    if (!params.edges.length) {
      const flow = level.edges ? labelHit(at, placed) : null; // a flow's label was clicked
      if (flow) {
        network.setSelection({ nodes: [], edges: [flow] }, { unselectAll: true, highlightEdges: false });
        selectionChanged();
        return;
      }
    }
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
    if (toggleAt(params.pointer.canvas, regions)) return;
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
    for (const id of Object.keys(into)) if (isVirtual(id)) delete into[id]; // a proxy keeps its place in the tree
    settle(moved, into, params.nodes);
  });
  network.on("dragging", (params) => { if (params.nodes.length) dirty(); });

  // The items drawn and the boundary each is drawn in (`into`: boundaries of elements just
  // dropped into another one): elements hidden in a collapsed boundary are left out, the
  // proxy standing for it is drawn in the boundary's parent.
  function memberPairs(into = {}) {
    const out = [];
    for (const id of nodes.getIds()) {
      if (folded.hiddenNodes.has(id)) continue;
      out.push([id, Object.hasOwn(into, id) ? into[id] : nodes.get(id).raw.boundary || null]);
    }
    return out;
  }

  // Positions and extents (box around the position) of the items drawn.
  function drawnGeometry() {
    const ids = memberPairs().map(([id]) => id);
    const positions = network.getPositions(ids);
    const extents = {};
    for (const id of ids) {
      const box = network.getBoundingBox(id);
      if (box && positions[id]) extents[id] = extentOf(box, positions[id]);
    }
    return { positions, extents };
  }

  // Moves of drawn items as moves of model elements (a proxy's moves its members).
  const modelMoves = (moves) => expandProxyMoves(moves, folded.proxies,
    (id) => network.getPositions([id])[id] || null);

  // Send what a drag moved as ONE move message (one undo step), with the moves that put
  // the container rules right again (regions.js resolveOverlaps): siblings pushed apart,
  // elements pushed out of regions they do not belong to. anchored: what the user dragged.
  function settle(moved, into, anchored) {
    if (!Object.keys(moved).length) return;
    drawNow(); // element boxes where the elements are now
    const { positions: drawn, extents } = drawnGeometry();
    const positions = { ...drawn, ...moved }; // moved: in whole pixels, as they will be drawn
    const pushed = resolveOverlaps(boundaries, memberPairs(into), positions, extents, anchored);
    const msg = edits.move(modelMoves({ ...moved, ...pushed }), into);
    if (msg) send(msg);
    else for (const id of Object.keys(moved)) if (proxies.has(id)) nodes.update(toNode(proxies.get(id)));
  }

  // Place an element from the palette where the user clicked, with the moves that keep
  // the container rules (regions.js placementChanges), in one message: one undo step.
  function place(item, at) {
    const boundary = boundaryAt(at, regions);
    const { positions, extents } = drawnGeometry();
    const ids = new Set([...nodes.getIds(), ...edges.getIds(), ...boundaries.map((b) => b.id)]);
    const label = edits.newElementName(item, ids);
    const extent = measureNew({ ...item, id: "atw:new", label, x: 0, y: 0, boundary, open: 0 });
    const { at: where, moved } = placementChanges(boundaries, memberPairs(), positions, extents,
      { id: "atw:new", at, boundary, extent });
    send(edits.addElement(item, where, boundary, modelMoves(moved)));
    holdDrawing(); // until the answer (patch, refused or done)
  }

  // The box a new element will have around its position, measured as vis-network will
  // draw it (its shape and name), without adding it; a generous guess if that fails.
  function measureNew(raw) {
    try {
      const probe = network.nodesHandler.create({ ...visNode(raw), id: raw.id });
      const ctx = graph.querySelector("canvas").getContext("2d");
      probe.x = 0;
      probe.y = 0;
      probe.resize(ctx);
      probe.updateBoundingBox(ctx);
      const b = probe.shape.boundingBox;
      if ([b.left, b.top, b.right, b.bottom].every(Number.isFinite) && b.right > b.left) {
        return { left: b.left, top: b.top, right: b.right, bottom: b.bottom };
      }
    } catch (err) {
      // an internal of vis-network changed: fall back to the guess
    }
    return FALLBACK_EXTENT;
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
    labelsDirty = true;
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
    const at = canvasPoint(ev);
    const toggle = Boolean(toggleAt(at, regions));
    root.classList.toggle("atw-over-toggle", toggle);
    root.classList.toggle("atw-over-label", !toggle && Boolean(labelAt(at, regions)));
  }
  graph.addEventListener("pointermove", onHover);

  // The item under the pointer: its label is drawn while labels are hidden at this zoom.
  const hover = (kind, id) => {
    hovered = id === null ? null : { kind, id };
    root.dataset.hovered = id === null ? "" : String(id);
    if (!level.edges || !level.nodes) drawSoon();
  };
  network.on("hoverNode", (p) => hover("node", p.node));
  network.on("hoverEdge", (p) => hover("edge", p.edge));
  network.on("blurNode", () => hover("node", null));
  network.on("blurEdge", () => hover("edge", null));

  network.on("doubleClick", (params) => {
    const at = params.pointer.canvas;
    if (!params.nodes.length && toggleAt(at, regions)) return; // the first click collapsed it
    const label = params.nodes.length ? null : labelAt(at, regions);
    if (label) {
      selectBoundary(label);
      startRename(label, "boundary");
      return;
    }
    const proxy = params.nodes.length ? proxyBoundary(params.nodes[0]) : null;
    if (proxy) {
      expand([proxy]);
      return;
    }
    const flow = !params.nodes.length && !params.edges.length && level.edges ? labelHit(at, placed) : null;
    const id = params.nodes[0] || params.edges[0] || flow;
    if (id && !isVirtual(id)) startRename(id);
  });

  // A new boundary around the selected elements, with the moves that keep the container
  // rules (its region may reach over what lies between them), in one message.
  function addBoundary() {
    const members = modelSelection().nodes;
    const result = edits.addBoundary(members);
    if (result.msg) {
      const { positions, extents } = drawnGeometry();
      const moved = newBoundaryChanges(boundaries, memberPairs(), positions, extents, members);
      if (Object.keys(moved).length) result.msg.positions = modelMoves(moved);
    }
    act(result);
  }

  function startRename(id, what = "item") {
    const target = edits.renameTarget(id, what, selectedBoundary,
      selectedIds(network.getSelection()));
    if (target.notice) {
      showNotice(target.notice);
      return;
    }
    ({ id, what } = target);
    if (proxyBoundary(id)) ({ id, what } = { id: proxyBoundary(id), what: "boundary" }); // rename what it stands for
    else if (isVirtual(id)) return; // a bundle has no name of its own
    if (what === "boundary") {
      const region = regions.find((r) => r.id === id);
      const b = boundaries.find((x) => x.id === id);
      if (!b) return;
      const proxy = network.getPositions([proxyId(id)])[proxyId(id)];
      const at = region ? network.canvasToDOM({ x: region.labelBox.x, y: region.labelBox.y })
        : proxy ? network.canvasToDOM(proxy) : { x: 100, y: 20 };
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
    const result = edits.deleteSelection(modelSelection(), selectedBoundary);
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
    } else if (action === "collapse") {
      toggleCollapse();
    } else return;
    ev.stopPropagation(); // keep JupyterLab's notebook shortcuts out of it
  });

  // ------------------------------------------------------------------ drawing
  function fit() {
    if (graph.clientWidth === 0 || graph.clientHeight === 0 || nodes.length === 0) return;
    network.fit({ animation: false, maxZoomLevel: 1.2 });
    fitted = true;
    checkLevel();
  }

  // Labels by zoom level (labels.js): element names are vis-network's, shown or hidden
  // through each element's label drawThreshold, set again only when the level changes;
  // flow labels are the canvas's own, so a change only redraws.
  function checkLevel() {
    const next = labelLevel(network.getScale());
    const change = levelChange(level, next);
    level = next;
    root.dataset.labels = levelName(next);
    if (change.nodes) {
      quietly(() => network.setOptions({ nodes: { scaling: { label: { drawThreshold: nodeLabelThreshold(next) } } } }));
      root.dataset.labelUpdates = String(Number(root.dataset.labelUpdates || 0) + 1); // for tests
    }
    if (change.nodes || change.edges) drawSoon();
  }

  network.on("beforeDrawing", (ctx) => {
    early("regions", () => {
      regions = computeRegions(boundaries, memberPairs(), (id) => network.getBoundingBox(id));
      drawRegions(ctx, regions, selectedBoundary, emphasis.size > 0);
    });
  });

  const measure = (ctx, text) => {
    if (!widths.has(text)) {
      if (widths.size > 5000) widths.clear();
      widths.set(text, ctx.measureText(text).width);
    }
    return widths.get(text);
  };

  // Where a drawn edge runs: its point a fraction t along (curved ones as vis-network
  // draws them), and its length.
  function edgePath(e, pos) {
    const a = pos[e.from], b = pos[e.to];
    if (!a || !b) return null;
    const body = network.body && network.body.edges[e.id];
    const curved = body && body.edgeType && body.options && body.options.smooth && body.options.smooth.enabled;
    const at = (t) => (curved ? body.edgeType.getPoint(t) : along(a, b, t));
    return { at, length: Math.hypot(b.x - a.x, b.y - a.y) };
  }

  // Place the flow labels again when something moved (labels.js placeLabels): clear of
  // element boxes, boundary titles and their collapse buttons, and of each other.
  function placeFlowLabels(ctx) {
    if (!labelsDirty) return;
    labelsDirty = false;
    ctx.save();
    ctx.font = `${EDGE_FONT_SIZE}px ${FONT}`;
    const shown = edges.get({ filter: (e) => !e.hidden && e.raw.label });
    const pos = network.getPositions();
    const items = [];
    for (const e of shown) {
      const text = shortLabel(e.raw.label);
      const path = text ? edgePath(e, pos) : null;
      const badge = e.raw.open > 0 ? BADGE_ROOM : 0;
      if (path) items.push({ id: e.id, text, badge, w: measure(ctx, text) + 8 + badge, h: EDGE_FONT_SIZE + 5, ...path });
    }
    ctx.restore();
    obstacles = [];
    for (const [id] of memberPairs()) {
      const b = network.getBoundingBox(id);
      if (!b) continue;
      obstacles.push({ x: b.left, y: b.top, w: b.right - b.left, h: b.bottom - b.top });
      const n = nodes.get(id);
      if (n && n.raw.open > 0) obstacles.push({ x: b.right - 13, y: b.top - 9, w: 24, h: 22 }); // its badge
    }
    for (const r of regions) {
      if (r.labelBox) obstacles.push(r.labelBox);
      if (r.toggleBox) obstacles.push(r.toggleBox);
    }
    placed = placeLabels(items, obstacles);
    for (const item of items) {
      if (placed.has(item.id)) Object.assign(placed.get(item.id), { text: item.text, badge: item.badge });
    }
  }

  network.on("afterDrawing", (ctx) => early("after", () => {
    const scale = network.getScale();
    if (levelName(labelLevel(scale)) !== levelName(level)) setTimeout(checkLevel, 0); // zoomed by code
    let drawn = new Map();
    if (level.edges) {
      early("labels", () => placeFlowLabels(ctx));
      drawn = placed;
      const selected = new Set(network.getSelection().edges);
      const looks = new Map();
      for (const [id, r] of placed) {
        const e = edges.get(id);
        if (e) looks.set(id, { text: r.text, dim: e.look === "dim", selected: selected.has(id), bundle: Boolean(e.raw.bundle) });
      }
      drawEdgeLabels(ctx, placed, looks);
    }
    early("badges", () => drawBadges(ctx, network, nodes, edges, (raw) => badgeColour(model.get("styles"), raw.risk),
      (item) => item.look === "dim", drawn));
    drawHovered(ctx, scale);
    const elementCount = nodes.length - proxies.size;
    if (elementCount !== lastDrawn.elements) lastDrawn = { elements: elementCount, at: performance.now() };
    if (!painted && nodes.length) {
      painted = true;
      root.dataset.painted = "true";
      root.dataset.paintMs = String(Math.round(performance.now() - started));
      performance.mark("atw-painted");
      model.send(edits.painted()); // Python builds what the first frame did not need
    }
  }));

  // The hovered item's label while labels are hidden at this zoom level.
  let hoverShown = null;
  function drawHovered(ctx, scale) {
    hoverShown = null;
    if (!hovered) return;
    const item = hovered.kind === "node" ? nodes.get(hovered.id) : edges.get(hovered.id);
    if (!item || item.hidden) return;
    const raw = item.raw;
    const text = shortLabel(raw.proxy ? `${raw.label} (${raw.count})` : raw.label);
    const show = hoverLabel(level, hovered, text);
    if (!show) return;
    let p = null;
    if (show.kind === "node") {
      p = network.getPositions([show.id])[show.id];
    } else {
      const path = edgePath(item, network.getPositions([item.from, item.to]));
      p = path && path.at(0.5);
    }
    if (!p) return;
    drawHoverLabel(ctx, p, text, scale, HOVER_FONT_PX);
    hoverShown = { id: show.id, kind: show.kind, text };
  }

  // Fit whenever the view is resized until the user zooms or pans: the widget is drawn
  // before JupyterLab attaches and sizes it. A zoom past a threshold shows or hides labels.
  network.on("zoom", () => {
    userViewed = true;
    checkLevel();
  });
  network.on("animationFinished", checkLevel);
  // The canvas takes its new size first; the view is fitted to it with vis-network's own
  // redraw held, and drawn once, at once (a resized canvas is blank until drawn).
  const observer = new ResizeObserver(() => {
    if (graph.clientWidth && graph.clientHeight) {
      sized = true;
      early("fit", () => quietly(() => {
        network.body.emitter.emit("setSize");
        if (!fitted || !userViewed) fit();
      }));
      drawNow();
    }
  });
  observer.observe(graph);

  // For tests and benchmarks: where things are drawn, relative to the page, and how.
  root.atw = testHooks({
    network, graph, nodes, edges, flush: flushDraw, regions: () => regions, selectedBoundary: () => selectedBoundary,
    collapsed: () => collapsedIds(), drawn: () => ({ ...lastDrawn }),
    labels: () => ({
      level: levelName(level),
      scale: network.getScale(),
      fontPx: EDGE_FONT_SIZE * network.getScale(),
      drawn: level.edges ? [...placed].map(([id, r]) => ({ id, text: r.text, x: r.x, y: r.y, w: r.w, h: r.h, clear: r.clear })) : [],
      collisions: level.edges ? collisions(placed, obstacles) : { labels: 0, obstacles: 0 },
      hover: hoverShown,
    }),
  });

  // ------------------------------------------------------------------ start
  const snapshot = model.get("snapshot");
  if (snapshot && Array.isArray(snapshot.nodes)) timed("snapshot", () => reset(snapshot));
  if (emphasis.size) applyHighlight();
  else root.dataset.highlight = "0";
  model.send(edits.hello(rev));
  const onHeight = () => root.style.setProperty("--atw-height", model.get("height"));
  model.on("change:height", onHeight);

  return () => {
    clearTimeout(hold);
    if (drawFrame) cancelAnimationFrame(drawFrame);
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
    model.off("change:collapsed", applyCollapsed);
    model.off("change:height", onHeight);
    network.destroy();
  };
}

export default { render };
