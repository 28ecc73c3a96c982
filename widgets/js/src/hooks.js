// For tests and benchmarks: root.atw, which tells where things are drawn, relative to the
// page, and how. Reads the view through the getters it is handed; touches nothing on
// import.

import { isVirtual } from "./collapse.js";
import { centre } from "./regions.js";
import { drawnStyle, shownItem } from "./payload.js";

// view: { network, graph, nodes, edges, regions(), selectedBoundary(), collapsed(),
// labels(), flush(), drawn() }. flush (optional) draws a draw the canvas put off to the next
// frame: what the hooks report about regions and labels is what was last drawn.
export function testHooks(view) {
  const { network, graph, nodes, edges } = view;
  const flush = view.flush || (() => {});
  const toPage = (p) => {
    const dom = network.canvasToDOM(p);
    const rect = graph.getBoundingClientRect();
    return { x: rect.left + dom.x, y: rect.top + dom.y };
  };
  const region = (id) => {
    flush();
    return view.regions().find((x) => x.id === id);
  };
  return {
    // a canvas point in page coordinates
    pageOf: (p) => toPage(p),
    pagePosition(id) {
      const p = network.getPositions([id])[id];
      return p ? toPage(p) : null;
    },
    // centre of a boundary's label (null when the boundary is not drawn)
    boundaryLabelPosition(id) {
      const r = region(id);
      if (!r || !r.labelBox) return null;
      return toPage(centre(r.labelBox));
    },
    // centre of a boundary's collapse button (null when the boundary is not drawn)
    boundaryTogglePosition(id) {
      const r = region(id);
      if (!r || !r.toggleBox) return null;
      return toPage(centre(r.toggleBox));
    },
    // a drawn region, in page coordinates
    boundaryRegion(id) {
      const r = region(id);
      if (!r) return null;
      const a = toPage({ x: r.x, y: r.y });
      const b = toPage({ x: r.x + r.w, y: r.y + r.h });
      return { x: a.x, y: a.y, w: b.x - a.x, h: b.y - a.y };
    },
    // What is drawn, in canvas coordinates, after a fresh redraw (so the regions follow the
    // elements' current boxes): the boundary regions {id, x, y, w, h, parent}, outermost
    // first, and the elements {id, x, y, boundary, box: {left, top, right, bottom}} (a
    // collapsed boundary's node among them, in the boundary's parent; what it hides left
    // out). Browser tests check the container rules on it.
    drawing() {
      network.redraw();
      const regions = view.regions().map((r) => ({
        id: r.id, x: r.x, y: r.y, w: r.w, h: r.h, parent: r.parent ?? null,
      }));
      const ids = nodes.getIds().filter((id) => !nodes.get(id).hidden);
      const at = network.getPositions(ids);
      const elements = ids.filter((id) => at[id]).map((id) => {
        const b = network.getBoundingBox(id);
        const box = b ? { left: b.left, top: b.top, right: b.right, bottom: b.bottom } : null;
        return { id, x: at[id].x, y: at[id].y, boundary: nodes.get(id).raw.boundary ?? null, box };
      });
      return { regions, elements };
    },
    // how an element or flow is drawn: look ("normal", "on", "dim") and the vis style
    style: (id) => drawnStyle(nodes.get(id), edges.get(id)),
    selectedBoundary: () => view.selectedBoundary(),
    // IDs of the model's elements and flows (drawn or hidden in a collapsed boundary), and
    // what an element or flow shows (name, kind, open findings, risk; for a bundle of
    // flows its label, "3 flows")
    ids: () => ({ nodes: nodes.getIds().filter((id) => !isVirtual(id)), edges: edges.getIds().filter((id) => !isVirtual(id)) }),
    // IDs drawn now: elements and flows not hidden, and the nodes and bundled edges that
    // stand for collapsed boundaries and their flows
    visible: () => ({
      nodes: nodes.getIds().filter((id) => !nodes.get(id).hidden),
      edges: edges.getIds().filter((id) => !edges.get(id).hidden),
    }),
    // boundaries drawn collapsed
    collapsed: () => view.collapsed(),
    // how many elements the last drawn frame showed, and when (performance.now()) that
    // number last changed: a benchmark's "drawn" for an edit that adds an element
    drawn: () => (view.drawn ? view.drawn() : null),
    // the flow labels: zoom level ("all", "nodes" or "none"), scale, their size on screen,
    // each label drawn {id, text, x, y, w, h} (canvas coordinates), how many overlap one
    // another or an element or boundary title, and the label drawn for a hovered item
    labels: () => {
      flush();
      return view.labels();
    },
    node: (id) => shownItem(nodes.get(id) || edges.get(id)),
    // the zoom level (1: 100 %), and a view at `scale` centred on a canvas point (default:
    // the middle of the drawn elements), as a user's zoom would leave it
    scale: () => network.getScale(),
    zoomTo(scale, at) {
      let position = at;
      if (!position) {
        const ps = Object.values(network.getPositions(nodes.getIds()));
        const xs = ps.map((p) => p.x), ys = ps.map((p) => p.y);
        position = ps.length ? { x: (Math.min(...xs) + Math.max(...xs)) / 2, y: (Math.min(...ys) + Math.max(...ys)) / 2 }
          : { x: 0, y: 0 };
      }
      network.moveTo({ position, scale, animation: false });
      network.redraw();
      return network.getScale();
    },
  };
}
