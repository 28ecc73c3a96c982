// For tests and benchmarks: root.atw, which tells where things are drawn, relative to the
// page, and how. Reads the view through the getters it is handed; touches nothing on
// import.

import { centre } from "./regions.js";
import { drawnStyle, shownItem } from "./payload.js";

// view: { network, graph, nodes, edges, regions(), selectedBoundary() }
export function testHooks(view) {
  const { network, graph, nodes, edges } = view;
  const toPage = (p) => {
    const dom = network.canvasToDOM(p);
    const rect = graph.getBoundingClientRect();
    return { x: rect.left + dom.x, y: rect.top + dom.y };
  };
  const region = (id) => view.regions().find((x) => x.id === id);
  return {
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
    // first, and the elements {id, x, y, boundary, box: {left, top, right, bottom}}. Browser
    // tests check the container rules on it.
    drawing() {
      network.redraw();
      const regions = view.regions().map((r) => ({
        id: r.id, x: r.x, y: r.y, w: r.w, h: r.h, parent: r.parent ?? null,
      }));
      const ids = nodes.getIds();
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
    // IDs drawn, and what an element or flow shows (name, kind, open findings, risk)
    ids: () => ({ nodes: nodes.getIds(), edges: edges.getIds() }),
    node: (id) => shownItem(nodes.get(id) || edges.get(id)),
  };
}
