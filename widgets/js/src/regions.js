// Where things are on the canvas: trust-boundary regions around their members, hit tests
// for clicks and drops, and what a drag of elements changes. Pure: positions and boxes
// come in as plain objects ({x, y} points; {left, top, right, bottom} boxes), so Node's
// test runner can import it (widgets/js/test/regions.test.js).

// Nesting deeper than this is treated as a cycle (the model forbids cycles; this only
// keeps a broken payload from hanging the view).
const MAX_DEPTH = 64;

// Whether a point lies in a rectangle {x, y, w, h} (edges included).
export function inside(p, r) {
  return p.x >= r.x && p.x <= r.x + r.w && p.y >= r.y && p.y <= r.y + r.h;
}

// The innermost boundary region (of those given, innermost last) that holds a point.
export function boundaryAt(point, among) {
  for (let i = among.length - 1; i >= 0; i -= 1) if (inside(point, among[i])) return among[i].id;
  return null;
}

// The boundary whose label is drawn at a point (regions get their labelBox when drawn).
export function labelAt(point, regions) {
  for (let i = regions.length - 1; i >= 0; i -= 1) {
    if (regions[i].labelBox && inside(point, regions[i].labelBox)) return regions[i].id;
  }
  return null;
}

// The element IDs each boundary holds, directly or through nested boundaries.
// members: iterable of [elementId, boundaryId or null].
export function boundaryMembers(boundaries, members) {
  const parent = new Map(boundaries.map((b) => [b.id, b.parent]));
  const out = new Map(boundaries.map((b) => [b.id, []]));
  for (const [id, boundary] of members) {
    let b = boundary;
    let guard = 0;
    while (b && out.has(b) && guard < MAX_DEPTH) {
      out.get(b).push(id);
      b = parent.get(b);
      guard += 1;
    }
  }
  return out;
}

// The rectangles drawn for the boundaries, outermost first: each encloses the boxes of
// its members (boxOf(id) gives {left, top, right, bottom} or null), with more padding
// the more non-empty boundaries are nested inside, and room for the label on top.
// Boundaries without a drawn member get no region.
export function computeRegions(boundaries, members, boxOf) {
  const held = boundaryMembers(boundaries, members);
  // height: how many nested, non-empty boundaries sit inside; outer regions pad more
  const children = new Map(boundaries.map((b) => [b.id, []]));
  for (const b of boundaries) if (b.parent && children.has(b.parent)) children.get(b.parent).push(b.id);
  const heightOf = (id, seen = 0) => {
    const kids = children.get(id).filter((k) => held.get(k).length);
    return kids.length && seen < MAX_DEPTH ? 1 + Math.max(...kids.map((k) => heightOf(k, seen + 1))) : 0;
  };
  const out = [];
  for (const b of [...boundaries].sort((a, c) => a.depth - c.depth)) {
    const ids = held.get(b.id);
    if (!ids.length) continue;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const id of ids) {
      const box = boxOf(id);
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

// The clickable box of a region's label, given the drawn width of its title.
export function labelBox(region, textWidth) {
  return { x: region.x + 6, y: region.y + 2, w: textWidth + 8, h: 20 };
}

// Centre of a rectangle {x, y, w, h}.
export function centre(r) {
  return { x: r.x + r.w / 2, y: r.y + r.h / 2 };
}

// Half-way between two points.
export function midpoint(a, b) {
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
}

// Dropping an element into another boundary's region puts it into that boundary (the
// regions as they were drawn when the drag started: a region follows its members while
// they move). Dropping it on empty canvas or inside its own region keeps its boundary,
// so members can be spread out; the inspector takes an element out of every boundary.
export function droppedInto(current, point, among) {
  const own = among.find((r) => r.id === current);
  if (own && inside(point, own)) return current;
  return boundaryAt(point, among) || current;
}

// What a drag changed: new positions of the elements that moved (`moved`, by ID) and
// the boundary of those dropped into another one (`into`, by ID; null for none).
// before(id) gives the drawn item ({x, y, raw: {boundary}}) or null; now maps IDs to
// their positions after the drag; among: the regions when the drag started.
export function dragChanges(ids, before, now, among) {
  const moved = {};
  const into = {};
  for (const id of ids) {
    const item = before(id);
    const p = now[id];
    if (!item || !p || (item.x === p.x && item.y === p.y)) continue;
    moved[id] = { x: p.x, y: p.y };
    const current = item.raw.boundary || null;
    const target = droppedInto(current, p, among);
    if (target !== current) into[id] = target;
  }
  return { moved, into };
}
