// Labels on the canvas: which ones are drawn at a zoom level, where a flow's label goes,
// and which label the hovered item shows while labels are hidden. Pure: points and
// rectangles come in as plain objects ({x, y}; {x, y, w, h}), so Node's test runner can
// import it (widgets/js/test/labels.test.js).
//
// Flow labels are drawn by the canvas itself (draw.js drawEdgeLabels), not by
// vis-network, which always puts a label at the middle of its line: there two labels
// collide wherever two lines cross, and a short flow's label sits on its elements.
// placeLabels moves each label along its line to the first spot clear of elements,
// boundary titles and labels placed before it.

// Size of a flow's label on screen at 100 % zoom (canvas units: it scales with the view).
export const EDGE_FONT_SIZE = 12;
// Below this zoom level flow labels are not drawn (12 px would be 7 px on screen).
export const EDGE_LABEL_MIN_SCALE = 0.6;
// Below this zoom level element names are not drawn either (14 px would be 5 px).
export const NODE_LABEL_MIN_SCALE = 0.35;
// Size on screen of the label drawn for a hovered item while labels are hidden.
export const HOVER_FONT_PX = 13;
// Longest flow label drawn, in characters (the tooltip has the whole name).
export const MAX_LABEL_CHARS = 40;
// vis-network's per-item label drawThreshold that keeps an element's name undrawn (its
// box keeps the size the name gives it), and the one that draws it at any size.
export const HIDDEN_LABEL_THRESHOLD = 1e6;
export const SHOWN_LABEL_THRESHOLD = 0;

// Which labels are drawn at a zoom level: {edges, nodes}.
export function labelLevel(scale) {
  return { edges: scale >= EDGE_LABEL_MIN_SCALE, nodes: scale >= NODE_LABEL_MIN_SCALE };
}

// Whether two levels differ in what they draw for elements (then every element is
// updated once), and for flows (then the canvas only redraws: flow labels are its own).
export function levelChange(before, after) {
  return {
    nodes: !before || before.nodes !== after.nodes,
    edges: !before || before.edges !== after.edges,
  };
}

// A name for the level, for the root's data-labels attribute: "all", "nodes" or "none".
export function levelName(level) {
  return level.edges ? "all" : level.nodes ? "nodes" : "none";
}

// vis-network's scaling.label.drawThreshold for every element at a level.
export function nodeLabelThreshold(level) {
  return level.nodes ? SHOWN_LABEL_THRESHOLD : HIDDEN_LABEL_THRESHOLD;
}

// The hovered item whose label the canvas draws itself, or null: a flow while flow
// labels are hidden, an element while element names are. hovered: {kind: "edge" |
// "node", id} or null; text: its label ("" or missing: nothing to show).
export function hoverLabel(level, hovered, text) {
  if (!hovered || !text) return null;
  if (hovered.kind === "edge" && !level.edges) return { ...hovered, text };
  if (hovered.kind === "node" && !level.nodes) return { ...hovered, text };
  return null;
}

// A label's text as drawn: one line, at most MAX_LABEL_CHARS characters.
export function shortLabel(text, max = MAX_LABEL_CHARS) {
  const one = String(text ?? "").replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max - 1).trimEnd()}…` : one;
}

// Font size in canvas units that shows as `px` pixels on screen at a zoom level.
export function screenFont(px, scale) {
  return px / Math.max(scale, 1e-6);
}

// ------------------------------------------------------------------ placement

// Where along its line (0: start, 1: end) a label may go, best first: on the line, then
// beside it (side 1 or -1: shifted off the line, just clear of it, to one side).
export const LABEL_SPOTS = [
  ...[0.5, 0.42, 0.58, 0.34, 0.66, 0.27, 0.73, 0.2, 0.8, 0.14, 0.86].map((t) => ({ t, side: 0 })),
  ...[0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8].flatMap((t) => [{ t, side: 1 }, { t, side: -1 }]),
];
// Room kept between a label and an element's box or another label.
export const LABEL_PAD = 5;
// Room at the right end of a flow label for its findings badge.
export const BADGE_ROOM = 20;
const CELL = 160; // grid cell of the spatial index, in canvas units

// The centre of a label of size w x h at a spot of a line (at(t) -> point): on the line,
// or beside it, shifted along the line's normal to clear it by LABEL_PAD + 1.
export function spotCentre(at, spot, w, h) {
  const p = at(spot.t);
  if (!p || !spot.side) return p;
  const a = at(Math.max(0, spot.t - 0.01)), b = at(Math.min(1, spot.t + 0.01));
  const dx = b.x - a.x, dy = b.y - a.y;
  const len = Math.hypot(dx, dy);
  if (!len) return null;
  const nx = -dy / len, ny = dx / len;
  const d = (Math.abs(nx) * w + Math.abs(ny) * h) / 2 + LABEL_PAD + 1; // clear of the line, a gap between
  return { x: p.x + spot.side * nx * d, y: p.y + spot.side * ny * d };
}

// The rectangle of a label of size w x h centred on a point.
export function labelRect(p, w, h) {
  return { x: p.x - w / 2, y: p.y - h / 2, w, h };
}

// Area two rectangles share (0: apart or touching).
export function overlapArea(a, b) {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

// A rectangle grown by `pad` on every side.
export function grown(r, pad) {
  return { x: r.x - pad, y: r.y - pad, w: r.w + 2 * pad, h: r.h + 2 * pad };
}

// Rectangles indexed by grid cell, so that a query looks only at its neighbours.
class Grid {
  constructor() {
    this.cells = new Map();
  }

  *keys(r) {
    const x0 = Math.floor(r.x / CELL), x1 = Math.floor((r.x + r.w) / CELL);
    const y0 = Math.floor(r.y / CELL), y1 = Math.floor((r.y + r.h) / CELL);
    for (let i = x0; i <= x1; i += 1) for (let j = y0; j <= y1; j += 1) yield `${i},${j}`;
  }

  add(r) {
    for (const k of this.keys(r)) {
      if (!this.cells.has(k)) this.cells.set(k, []);
      this.cells.get(k).push(r);
    }
  }

  // total area `r` shares with the rectangles indexed (each counted once)
  overlap(r) {
    let area = 0;
    const seen = new Set();
    for (const k of this.keys(r)) {
      for (const o of this.cells.get(k) || []) {
        if (seen.has(o)) continue;
        seen.add(o);
        area += overlapArea(r, o);
      }
    }
    return area;
  }
}

// Where each flow label goes. items: [{id, w, h, length, at(t) -> {x, y} | null}], the
// label's size and its line's length (shorter lines choose first: they have fewer
// spots); obstacles: rectangles labels keep clear of (element boxes, boundary titles).
// Each label takes the first spot of its line (LABEL_SPOTS) that overlaps neither an
// obstacle nor a label placed before it (LABEL_PAD apart), else the spot that overlaps
// least. Returns a Map id -> {x, y, w, h, t, side, clear} (clear: it keeps its distance
// from everything); deterministic for one input.
export function placeLabels(items, obstacles, spots = LABEL_SPOTS) {
  const grid = new Grid();
  for (const o of obstacles) grid.add(o);
  const order = [...items].sort((a, b) => a.length - b.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const out = new Map();
  for (const item of order) {
    let best = null;
    for (const spot of spots) {
      const p = spotCentre(item.at, spot, item.w, item.h);
      if (!p) continue;
      const rect = labelRect(p, item.w, item.h);
      const area = grid.overlap(grown(rect, LABEL_PAD));
      if (!best || area < best.area) best = { rect, spot, area };
      if (area === 0) break;
    }
    if (!best) continue;
    grid.add(best.rect);
    out.set(item.id, { ...best.rect, t: best.spot.t, side: best.spot.side, clear: best.area === 0 });
  }
  return out;
}

// The point a fraction t along a straight line from a to b.
export function along(a, b, t) {
  return { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t };
}

// The flow whose label is drawn at a point (labels placed by placeLabels), or null.
export function labelHit(point, placed) {
  let hit = null;
  for (const [id, r] of placed) {
    if (point.x >= r.x && point.x <= r.x + r.w && point.y >= r.y && point.y <= r.y + r.h) hit = id;
  }
  return hit;
}

// How many pairs of placed labels overlap, and how many labels overlap an obstacle:
// what the browser test reads to tell a legible drawing.
export function collisions(placed, obstacles) {
  const rects = [...placed.values()];
  let labels = 0;
  let onObstacles = 0;
  rects.forEach((a, i) => {
    for (const b of rects.slice(i + 1)) if (overlapArea(a, b) > 0) labels += 1;
    if (obstacles.some((o) => overlapArea(a, o) > 0)) onObstacles += 1;
  });
  return { labels, obstacles: onObstacles };
}
