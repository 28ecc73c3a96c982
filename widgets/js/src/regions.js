// Where things are on the canvas: trust-boundary regions around their members, hit tests
// for clicks and drops, what a drag of elements or of a boundary changes, and the
// container rules that every drag ends by restoring. Pure: positions and boxes come in as
// plain objects ({x, y} points; {left, top, right, bottom} boxes; {x, y, w, h}
// rectangles), so Node's test runner can import it (widgets/js/test/regions.test.js).
//
// The container rules (docs/widgets.md, "Trust boundaries as containers"): sibling
// regions do not overlap, and every element is drawn inside the regions of its own
// boundaries and outside every other region. A region is computed from its members, so it
// always holds them; resolveOverlaps puts the rest right after a drag.

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

// The collapse button drawn just right of a region's label box.
export function toggleBox(label) {
  return { x: label.x + label.w + 2, y: label.y + 2, w: 16, h: 16 };
}

// The boundary whose collapse button is drawn at a point (regions get their toggleBox
// when drawn), or null.
export function toggleAt(point, regions) {
  for (let i = regions.length - 1; i >= 0; i -= 1) {
    if (regions[i].toggleBox && inside(point, regions[i].toggleBox)) return regions[i].id;
  }
  return null;
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

// A position in whole pixels. vis-network keeps positions as integers (it parses them
// with parseInt), so what is sent to Python in whole pixels is what stays drawn.
export function wholePixels(p) {
  return { x: Math.round(p.x), y: Math.round(p.y) };
}

// What a drag changed: new positions of the elements that moved (`moved`, by ID, in
// whole pixels) and the boundary of those dropped into another one (`into`, by ID; null
// for none). before(id) gives the drawn item ({x, y, raw: {boundary}}) or null; now maps
// IDs to their positions after the drag; among: the regions when the drag started.
export function dragChanges(ids, before, now, among) {
  const moved = {};
  const into = {};
  for (const id of ids) {
    const item = before(id);
    const p = Object.hasOwn(now, id) ? wholePixels(now[id]) : null;
    if (!item || !p || (item.x === p.x && item.y === p.y)) continue;
    moved[id] = { x: p.x, y: p.y };
    const current = item.raw.boundary || null;
    const target = droppedInto(current, p, among);
    if (target !== current) into[id] = target;
  }
  return { moved, into };
}

// What a drag of a boundary by its label changes: every member (origin: their positions
// when the drag started) moved by the pointer's offset from `from` to `to`, in whole
// pixels; {} when the pointer came back to where it started.
export function boundaryDragChanges(origin, from, to) {
  const dx = Math.round(to.x - from.x);
  const dy = Math.round(to.y - from.y);
  if (!dx && !dy) return {};
  const moved = {};
  for (const [id, p] of Object.entries(origin)) moved[id] = { x: p.x + dx, y: p.y + dy };
  return moved;
}

// ------------------------------------------------------------------ container rules

// Room kept between two sibling regions, or between a region and an element pushed out
// of it, when resolveOverlaps moves one of them.
export const GAP = 16;

// Whether two rectangles overlap (touching edges do not).
export function overlaps(a, b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

// Whether rectangle `inner` lies within `outer` (edges included).
export function within(inner, outer) {
  return inner.x >= outer.x && inner.y >= outer.y &&
    inner.x + inner.w <= outer.x + outer.w && inner.y + inner.h <= outer.y + outer.h;
}

// A box {left, top, right, bottom} as a rectangle {x, y, w, h}.
export function rectOf(box) {
  return { x: box.left, y: box.top, w: box.right - box.left, h: box.bottom - box.top };
}

// An element's box relative to its position (its extent), and the box at a position.
export function extentOf(box, p) {
  return { left: box.left - p.x, top: box.top - p.y, right: box.right - p.x, bottom: box.bottom - p.y };
}
export function boxAt(p, extent) {
  return { left: p.x + extent.left, top: p.y + extent.top, right: p.x + extent.right, bottom: p.y + extent.bottom };
}

// The shortest horizontal or vertical shift {dx, dy} that moves rectangle `r` clear of
// every rectangle in `placed`, `gap` beyond the one it is pushed past; {dx: 0, dy: 0}
// when it overlaps none. There always is one: past the right edge of the rightmost.
export function clearShift(r, placed, gap = GAP) {
  if (!placed.some((p) => overlaps(r, p))) return { dx: 0, dy: 0 };
  const shifts = [];
  for (const p of placed) {
    shifts.push(
      { dx: p.x - gap - (r.x + r.w), dy: 0 }, { dx: p.x + p.w + gap - r.x, dy: 0 },
      { dx: 0, dy: p.y - gap - (r.y + r.h) }, { dx: 0, dy: p.y + p.h + gap - r.y },
    );
  }
  const length = (s) => Math.abs(s.dx) + Math.abs(s.dy);
  shifts.sort((a, b) => length(a) - length(b)); // stable: ties keep their order
  for (const s of shifts) {
    const moved = { x: r.x + s.dx, y: r.y + s.dy, w: r.w, h: r.h };
    if (!placed.some((p) => overlaps(moved, p))) return s;
  }
  return { dx: Math.max(...placed.map((p) => p.x + p.w)) + gap - r.x, dy: 0 };
}

// A shift in whole pixels, rounded away from zero: the room it leaves is never less.
export function wholeShift(s) {
  const away = (v) => (v < 0 ? -Math.ceil(-v) : Math.ceil(v));
  return { dx: away(s.dx), dy: away(s.dy) };
}

// What each container (a boundary ID, or null for the top level) holds directly: its
// child boundaries (`kids`) and its elements (`loose`, only those with a position).
function containers(boundaries, drawn) {
  const known = new Set(boundaries.map((b) => b.id));
  const kids = new Map([[null, []], ...boundaries.map((b) => [b.id, []])]);
  const loose = new Map([[null, []], ...boundaries.map((b) => [b.id, []])]);
  for (const b of boundaries) {
    const parent = b.parent && known.has(b.parent) && b.parent !== b.id ? b.parent : null;
    kids.get(parent).push(b.id);
  }
  for (const [id, boundary] of drawn) loose.get(known.has(boundary) ? boundary : null).push(id);
  return { kids, loose };
}

// Where elements must go so that the container rules hold again after a drag. Returns the
// new positions of the elements it moves, by ID ({} when the rules already hold); they
// move by whole pixels.
//
// boundaries: as the payload has them ({id, parent, depth}); members: [elementId,
// boundaryId or null] after the drop (an element dropped into a region already belongs to
// it); positions: element ID -> {x, y} as drawn now; extents: element ID -> its box
// relative to its position (extentOf); anchored: the IDs the user moved.
//
// Containers are settled deepest first, so each moves as one piece further out. In a
// container, the child regions holding an anchored element stay, the others are placed
// after them, in order, and one that overlaps a region placed before it moves with all
// its members by the shortest horizontal or vertical shift that clears them (those the
// drag did not touch are placed before those it pushes, so they keep their place). Then
// each element of the container itself that overlaps a child region is pushed out of it
// the same way: an element never belongs to a boundary because a region moved onto it.
export function resolveOverlaps(boundaries, members, positions, extents, anchored = []) {
  const pos = new Map();
  const has = (o, id) => Object.hasOwn(o, id) && o[id]; // IDs such as "constructor" are fine
  for (const [id] of members) if (has(positions, id) && has(extents, id)) pos.set(id, { ...positions[id] });
  const drawn = members.filter(([id]) => pos.has(id));
  const held = boundaryMembers(boundaries, drawn);
  const fixed = new Set(anchored);
  const boxOf = (id) => (pos.has(id) ? boxAt(pos.get(id), extents[id]) : null);
  const shift = (ids, s) => {
    for (const id of ids) {
      const p = pos.get(id);
      p.x += s.dx;
      p.y += s.dy;
    }
  };
  const { kids, loose } = containers(boundaries, drawn);
  const depths = [...new Set(boundaries.map((b) => b.depth || 0))].sort((a, b) => b - a);
  const levels = [...depths.map((d) => boundaries.filter((b) => (b.depth || 0) === d).map((b) => b.id)), [null]];
  for (const level of levels) {
    // containers of one level hold disjoint sets of elements: one computation serves all
    const regionOf = new Map(computeRegions(boundaries, drawn, boxOf).map((r) => [r.id, r]));
    for (const container of level) {
      const placed = settleRegions(kids.get(container), regionOf, held, fixed, shift);
      for (const id of loose.get(container)) {
        const s = wholeShift(clearShift(rectOf(boxOf(id)), placed));
        if (s.dx || s.dy) shift([id], s);
      }
    }
  }
  const out = {};
  for (const [id, p] of pos) {
    if (p.x !== positions[id].x || p.y !== positions[id].y) out[id] = { x: p.x, y: p.y };
  }
  return out;
}

// Sibling regions placed apart (see resolveOverlaps); returns their rectangles as placed.
function settleRegions(ids, regionOf, held, fixed, shift) {
  const items = ids.filter((id) => regionOf.has(id)).map((id) => {
    const r = regionOf.get(id);
    return { id, rect: { x: r.x, y: r.y, w: r.w, h: r.h }, anchored: held.get(id).some((e) => fixed.has(e)) };
  });
  const pinned = items.filter((i) => i.anchored);
  const hit = (i) => pinned.some((p) => overlaps(i.rect, p.rect));
  const others = items.filter((i) => !i.anchored);
  const placed = [];
  for (const item of [...pinned, ...others.filter((i) => !hit(i)), ...others.filter(hit)]) {
    const s = wholeShift(clearShift(item.rect, placed));
    if (s.dx || s.dy) {
      shift(held.get(item.id), s);
      item.rect = { ...item.rect, x: item.rect.x + s.dx, y: item.rect.y + s.dy };
    }
    placed.push(item.rect);
  }
  return placed;
}

// Where the drawing breaks the container rules, as sentences (none: it keeps them).
// regions: as computeRegions returns them; boxOf(id): an element's box or null.
export function containerProblems(boundaries, members, regions, boxOf) {
  const parent = new Map(boundaries.map((b) => [b.id, b.parent]));
  const chain = (id) => {
    const out = [];
    for (let b = id; b && parent.has(b) && out.length < MAX_DEPTH; b = parent.get(b)) out.push(b);
    return out;
  };
  const problems = [];
  regions.forEach((a, i) => {
    for (const b of regions.slice(i + 1)) {
      if (chain(a.id).includes(b.id)) {
        if (!within(a, b)) problems.push(`${a.id} is not drawn inside ${b.id}`);
      } else if (chain(b.id).includes(a.id)) {
        if (!within(b, a)) problems.push(`${b.id} is not drawn inside ${a.id}`);
      } else if (overlaps(a, b)) problems.push(`${a.id} and ${b.id} overlap`);
    }
  });
  for (const [id, boundary] of members) {
    const box = boxOf(id);
    if (!box) continue;
    const r = rectOf(box);
    const own = new Set(chain(boundary));
    for (const g of regions) {
      if (own.has(g.id) && !within(r, g)) problems.push(`${id} is drawn outside its boundary ${g.id}`);
      if (!own.has(g.id) && overlaps(r, g)) problems.push(`${id} is drawn inside ${g.id}, not its boundary`);
    }
  }
  return problems;
}

// ------------------------------------------------------------------ other edits

// The innermost boundary that holds every one of `held` (boundary IDs or null), as
// Python's add_boundary nests a new boundary; null when there is none.
export function enclosingBoundary(boundaries, held) {
  const parent = new Map(boundaries.map((b) => [b.id, b.parent || null]));
  const chain = (b) => {
    const out = [];
    for (let c = b; c && parent.has(c) && out.length < MAX_DEPTH; c = parent.get(c)) out.push(c);
    return out;
  };
  const chains = [...held].map(chain);
  if (!chains.length) return null;
  return chains[0].find((b) => chains.every((c) => c.includes(b))) || null;
}

// Where an element placed from the palette goes, and what moves to keep the container
// rules: resolveOverlaps with the new element anchored where it was clicked (in whole
// pixels), so sibling regions its boundary now reaches are pushed aside, and the new
// element itself is pushed out of a region it does not belong to. placed: {id, at,
// boundary, extent} (extent: its expected box around its position, see extentOf).
// Returns {at: where to put it, moved: other elements' new positions by ID}.
export function placementChanges(boundaries, members, positions, extents, placed) {
  const at = wholePixels(placed.at);
  const pushed = resolveOverlaps(boundaries, [...members, [placed.id, placed.boundary || null]],
    { ...positions, [placed.id]: at }, { ...extents, [placed.id]: placed.extent }, [placed.id]);
  const where = pushed[placed.id] || at;
  delete pushed[placed.id];
  return { at: where, moved: pushed };
}

// What moves to keep the container rules when the selected elements become a new
// boundary (nested as Python nests it: in the innermost boundary holding them all): its
// region is their box, and what lies in it or under it is pushed aside. Returns the
// moved elements' new positions by ID ({} when nothing has to move).
export function newBoundaryChanges(boundaries, members, positions, extents, selected) {
  const chosen = new Set(selected);
  const boundaryOf = new Map(members);
  const parent = enclosingBoundary(boundaries, selected.map((id) => boundaryOf.get(id) ?? null));
  const depth = parent ? (boundaries.find((b) => b.id === parent).depth || 0) + 1 : 0;
  const id = "atw:new-boundary"; // never a model ID (no colon in those)
  const after = [...boundaries, { id, parent, depth }];
  const pairs = members.map(([e, b]) => [e, chosen.has(e) ? id : b]);
  return resolveOverlaps(after, pairs, positions, extents, selected);
}
