// hooks.js: root.atw, which browser tests and benchmarks read.
import assert from "node:assert/strict";
import { test } from "node:test";

import { testHooks } from "../src/hooks.js";
import { visEdge, visNode } from "../src/payload.js";

function store(items) {
  const byId = new Map(items.map((i) => [i.id, i]));
  return { get: (id) => byId.get(id), getIds: () => [...byId.keys()] };
}

function hooks({ regions = [], selected = null, extraNodes = [], extraEdges = [] } = {}) {
  const nodes = store([visNode({ id: "a", label: "A", kind: "agent", open: 2, risk: "high" }, "on"), ...extraNodes]);
  const edges = store([visEdge({ id: "f", from: "a", to: "a", label: "", open: 0, risk: null }, "dim"), ...extraEdges]);
  // canvas x2 then shifted by 5 in the graph; graph at (100, 200) on the page
  const network = {
    redraws: 0,
    redraw() { this.redraws += 1; },
    canvasToDOM: (p) => ({ x: p.x * 2 + 5, y: p.y * 2 + 5 }),
    getPositions: (ids) => Object.fromEntries(ids.filter((id) => id === "a").map((id) => [id, { x: 10, y: 20 }])),
    getBoundingBox: (id) => (id === "a" ? { left: 0, top: 15, right: 20, bottom: 25, extra: 1 } : undefined),
    scale: 1,
    getScale() { return this.scale; },
    moveTo(opts) { this.moved = opts; this.scale = opts.scale; },
  };
  const graph = { getBoundingClientRect: () => ({ left: 100, top: 200 }) };
  const labels = { level: "all", drawn: [] };
  const atw = testHooks({
    network, graph, nodes, edges, regions: () => regions, selectedBoundary: () => selected,
    collapsed: () => ["b"], labels: () => labels,
  });
  atw.network = network; // for the tests below
  return atw;
}

test("page positions of elements", () => {
  const atw = hooks();
  assert.deepEqual(atw.pagePosition("a"), { x: 125, y: 245 });
  assert.equal(atw.pagePosition("missing"), null);
  assert.deepEqual(atw.pageOf({ x: 10, y: 20 }), { x: 125, y: 245 });
});

test("boundary regions and labels in page coordinates, null when not drawn", () => {
  const regions = [{ id: "b", x: 0, y: 0, w: 50, h: 30, labelBox: { x: 6, y: 2, w: 40, h: 20 } }, { id: "c", x: 0, y: 0, w: 1, h: 1 }];
  const atw = hooks({ regions, selected: "b" });
  assert.deepEqual(atw.boundaryRegion("b"), { x: 105, y: 205, w: 100, h: 60 });
  assert.deepEqual(atw.boundaryLabelPosition("b"), { x: 105 + 52, y: 205 + 24 });
  assert.equal(atw.boundaryLabelPosition("c"), null);
  assert.equal(atw.boundaryRegion("x"), null);
  assert.equal(atw.selectedBoundary(), "b");
});

test("what is drawn and how", () => {
  const atw = hooks();
  assert.deepEqual(atw.ids(), { nodes: ["a"], edges: ["f"] });
  assert.equal(atw.style("a").look, "on");
  assert.equal(atw.style("f").look, "dim");
  assert.equal(atw.style("x"), null);
  assert.deepEqual(atw.node("a"), { label: "A", kind: "agent", open: 2, risk: "high" });
  assert.deepEqual(atw.node("f"), { label: "", kind: null, open: 0, risk: null });
  assert.equal(atw.node("x"), null);
});

test("the drawing in canvas coordinates, redrawn first: regions and elements", () => {
  const regions = [
    { id: "b", label: "B", parent: null, x: 0, y: 0, w: 50, h: 30, labelBox: {} },
    { id: "c", parent: "b", x: 1, y: 2, w: 3, h: 4 },
  ];
  const atw = hooks({ regions });
  const drawing = atw.drawing();
  assert.equal(atw.network.redraws, 1);
  assert.deepEqual(drawing.regions, [
    { id: "b", x: 0, y: 0, w: 50, h: 30, parent: null }, { id: "c", x: 1, y: 2, w: 3, h: 4, parent: "b" },
  ]);
  // the node was built without a boundary: null
  assert.deepEqual(drawing.elements, [
    { id: "a", x: 10, y: 20, boundary: null, box: { left: 0, top: 15, right: 20, bottom: 25 } },
  ]);
});

test("collapsed boundaries: what is drawn, and the model's IDs apart from the canvas's own", () => {
  const proxy = { id: "atw:boundary:b", hidden: false, raw: { label: "B", proxy: true, count: 1, open: 0 } };
  const hidden = { id: "h", hidden: true, raw: { label: "H", boundary: "b" } };
  const bundle = { id: "atw:bundle:a|atw:boundary:b", hidden: false, raw: { label: "2 flows", bundle: true, count: 2, open: 0 } };
  const inner = { id: "g", hidden: true, raw: { label: "" } };
  const atw = hooks({ extraNodes: [proxy, hidden], extraEdges: [bundle, inner] });
  assert.deepEqual(atw.ids(), { nodes: ["a", "h"], edges: ["f", "g"] });
  assert.deepEqual(atw.visible(), { nodes: ["a", "atw:boundary:b"], edges: ["f", "atw:bundle:a|atw:boundary:b"] });
  assert.equal(atw.node(bundle.id).label, "2 flows");
  assert.deepEqual(atw.node(proxy.id), { label: "B", kind: null, open: 0, risk: null, count: 1 });
  assert.equal(atw.node(bundle.id).count, 2);
  assert.deepEqual(atw.collapsed(), ["b"]);
  // the drawing leaves out what is hidden
  assert.deepEqual(atw.drawing().elements.map((e) => e.id), ["a"]);
});

test("the collapse button of a boundary, in page coordinates", () => {
  const regions = [{ id: "b", x: 0, y: 0, w: 50, h: 30, labelBox: {}, toggleBox: { x: 10, y: 2, w: 16, h: 16 } }];
  const atw = hooks({ regions });
  assert.deepEqual(atw.boundaryTogglePosition("b"), { x: 105 + 36, y: 205 + 20 });
  assert.equal(atw.boundaryTogglePosition("x"), null);
});

test("labels and zoom", () => {
  const atw = hooks();
  assert.deepEqual(atw.labels(), { level: "all", drawn: [] });
  assert.equal(atw.scale(), 1);
  assert.equal(atw.zoomTo(0.5, { x: 3, y: 4 }), 0.5);
  assert.deepEqual(atw.network.moved, { position: { x: 3, y: 4 }, scale: 0.5, animation: false });
  atw.zoomTo(1); // centred on the drawn elements: "a" at (10, 20)
  assert.deepEqual(atw.network.moved.position, { x: 10, y: 20 });
});

test("regions and labels are read after a draw the canvas put off is drawn", () => {
  let pending = 1;
  const regions = [{ id: "b", x: 0, y: 0, w: 50, h: 30, labelBox: { x: 6, y: 2, w: 40, h: 20 } }];
  const atw = testHooks({
    network: { canvasToDOM: (p) => p }, graph: { getBoundingClientRect: () => ({ left: 0, top: 0 }) },
    nodes: { get: () => null, getIds: () => [] }, edges: { get: () => null, getIds: () => [] },
    regions: () => (pending ? [] : regions), labels: () => ({ drawn: pending ? [] : ["x"] }),
    selectedBoundary: () => null, collapsed: () => [], flush: () => { pending = 0; },
  });
  assert.deepEqual(atw.boundaryRegion("b"), { x: 0, y: 0, w: 50, h: 30 });
  pending = 1;
  assert.deepEqual(atw.labels().drawn, ["x"]);
});

test("when the number of elements drawn last changed, if the canvas says", () => {
  const base = {
    network: {}, graph: {}, nodes: { get: () => null, getIds: () => [] }, edges: { get: () => null, getIds: () => [] },
    regions: () => [], labels: () => ({}), selectedBoundary: () => null, collapsed: () => [],
  };
  assert.equal(testHooks(base).drawn(), null);
  assert.deepEqual(testHooks({ ...base, drawn: () => ({ elements: 3, at: 12.5 }) }).drawn(), { elements: 3, at: 12.5 });
});
