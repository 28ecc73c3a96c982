// regions.js: boundary regions, hit tests, and what a drag of elements changes.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  GAP, boundaryAt, boundaryDragChanges, boundaryMembers, boxAt, centre, clearShift, computeRegions,
  containerProblems, dragChanges, droppedInto, enclosingBoundary, extentOf, inside, labelAt, labelBox,
  midpoint, newBoundaryChanges, overlaps, placementChanges, rectOf, resolveOverlaps, toggleAt, toggleBox,
  wholePixels, wholeShift, within,
} from "../src/regions.js";

// Boundaries as widgets/_payload.build() makes them: internet > (nothing);
// cloud > prod > secrets (nested), and an empty one.
const BOUNDARIES = [
  { id: "cloud", label: "Cloud", trust: "trusted", parent: null, depth: 0, color: "#475569" },
  { id: "empty", label: "Empty", trust: "partner", parent: null, depth: 0, color: "#d97706" },
  { id: "internet", label: "Internet", trust: "untrusted", parent: null, depth: 0, color: "#dc2626" },
  { id: "prod", label: "Prod", trust: "trusted", parent: "cloud", depth: 1, color: "#475569" },
  { id: "secrets", label: "Secrets", trust: "trusted", parent: "prod", depth: 2, color: "#475569" },
];
// element -> boundary
const MEMBERS = [["user", "internet"], ["app", "prod"], ["vault", "secrets"], ["loose", null]];
// 40 x 20 boxes around each element's centre
const CENTRES = { user: [0, 0], app: [200, 0], vault: [300, 100], loose: [600, 600] };
const boxOf = (id) => {
  const [x, y] = CENTRES[id];
  return { left: x - 20, top: y - 10, right: x + 20, bottom: y + 10 };
};

describe("membership", () => {
  test("an element belongs to its boundary and every enclosing one", () => {
    const m = boundaryMembers(BOUNDARIES, MEMBERS);
    assert.deepEqual(m.get("internet"), ["user"]);
    assert.deepEqual(m.get("secrets"), ["vault"]);
    assert.deepEqual(m.get("prod"), ["app", "vault"]);
    assert.deepEqual(m.get("cloud"), ["app", "vault"]);
    assert.deepEqual(m.get("empty"), []);
  });

  test("an unknown boundary is ignored, and a parent cycle ends", () => {
    const cyclic = [{ id: "a", parent: "b", depth: 0 }, { id: "b", parent: "a", depth: 1 }];
    const m = boundaryMembers(cyclic, [["x", "a"], ["y", "nowhere"]]);
    assert.equal(m.get("a").length, 32);
    assert.equal(m.get("b").length, 32);
    assert.equal(m.has("nowhere"), false);
  });
});

describe("regions", () => {
  const regions = computeRegions(BOUNDARIES, MEMBERS, boxOf);
  const byId = Object.fromEntries(regions.map((r) => [r.id, r]));

  test("one region per boundary with drawn members, outermost first", () => {
    assert.deepEqual(regions.map((r) => r.id), ["cloud", "internet", "prod", "secrets"]);
    assert.equal(byId.prod.label, "Prod");
    assert.equal(byId.internet.trust, "untrusted");
  });

  test("a region encloses its members' boxes with padding and room for the label", () => {
    // secrets: no nested boundary, pad 18, 16 more on top
    assert.deepEqual(
      { x: byId.secrets.x, y: byId.secrets.y, w: byId.secrets.w, h: byId.secrets.h },
      { x: 280 - 18, y: 90 - 18 - 16, w: 40 + 36, h: 20 + 36 + 16 },
    );
  });

  test("outer regions pad more, per nested non-empty boundary", () => {
    // prod holds secrets (pad 34); cloud holds prod holding secrets (pad 50)
    assert.equal(byId.prod.x, 180 - 34);
    assert.equal(byId.cloud.x, 180 - 50);
    assert.equal(byId.cloud.w, 140 + 100);
    for (const inner of ["prod", "secrets"]) {
      const r = byId[inner];
      assert.ok(inside({ x: r.x, y: r.y }, byId.cloud) && inside({ x: r.x + r.w, y: r.y + r.h }, byId.cloud));
    }
  });

  test("members without a drawn box are left out; a region without any is not drawn", () => {
    const out = computeRegions(BOUNDARIES, MEMBERS, (id) => (id === "user" ? null : boxOf(id)));
    assert.deepEqual(out.map((r) => r.id), ["cloud", "prod", "secrets"]);
  });

  test("outermost first whatever order the boundaries come in", () => {
    const out = computeRegions([...BOUNDARIES].reverse(), MEMBERS, boxOf);
    assert.deepEqual(out.map((r) => r.depth), [0, 0, 1, 2]);
    assert.deepEqual(out.map((r) => r.id).slice(2), ["prod", "secrets"]);
  });

  test("no boundaries: no regions", () => {
    assert.deepEqual(computeRegions([], MEMBERS, boxOf), []);
  });

  test("a boundary's label box sits in its top-left corner", () => {
    assert.deepEqual(labelBox({ x: 10, y: 20 }, 50), { x: 16, y: 22, w: 58, h: 20 });
  });
});

describe("hit tests", () => {
  const regions = computeRegions(BOUNDARIES, MEMBERS, boxOf);

  test("inside includes the edges", () => {
    const r = { x: 0, y: 0, w: 10, h: 10 };
    assert.equal(inside({ x: 0, y: 10 }, r), true);
    assert.equal(inside({ x: 10, y: 0 }, r), true);
    assert.equal(inside({ x: 10.01, y: 5 }, r), false);
    assert.equal(inside({ x: 5, y: -0.01 }, r), false);
  });

  test("the innermost region holding a point", () => {
    assert.equal(boundaryAt({ x: 300, y: 100 }, regions), "secrets");
    assert.equal(boundaryAt({ x: 200, y: 0 }, regions), "prod");
    assert.equal(boundaryAt({ x: 0, y: 0 }, regions), "internet");
    assert.equal(boundaryAt({ x: 600, y: 600 }, regions), null);
    assert.equal(boundaryAt({ x: 0, y: 0 }, []), null);
  });

  test("labels: the topmost label under the point; undrawn labels are skipped", () => {
    const drawn = regions.map((r) => ({ ...r, labelBox: labelBox(r, 40) }));
    const prod = drawn.find((r) => r.id === "prod");
    assert.equal(labelAt(centre(prod.labelBox), drawn), "prod");
    assert.equal(labelAt({ x: 200, y: 0 }, drawn), null);
    assert.equal(labelAt(centre(prod.labelBox), regions), null);
  });

  test("centre and midpoint", () => {
    assert.deepEqual(centre({ x: 10, y: 20, w: 30, h: 40 }), { x: 25, y: 40 });
    assert.deepEqual(midpoint({ x: 0, y: 0 }, { x: 10, y: -4 }), { x: 5, y: -2 });
  });
});

describe("drops", () => {
  const regions = computeRegions(BOUNDARIES, MEMBERS, boxOf);

  test("inside its own region an element keeps its boundary, even over a nested one", () => {
    assert.equal(droppedInto("prod", { x: 300, y: 100 }, regions), "prod");
  });
  test("into another boundary's region", () => {
    assert.equal(droppedInto("internet", { x: 300, y: 100 }, regions), "secrets");
    assert.equal(droppedInto(null, { x: 200, y: 0 }, regions), "prod");
  });
  test("on empty canvas it keeps its boundary", () => {
    assert.equal(droppedInto("internet", { x: 900, y: 900 }, regions), "internet");
    assert.equal(droppedInto(null, { x: 900, y: 900 }, regions), null);
  });

  test("a drag: moved elements, and those dropped into another boundary", () => {
    const drawn = {
      user: { x: 0, y: 0, raw: { boundary: "internet" } },
      app: { x: 200, y: 0, raw: { boundary: "prod" } },
      loose: { x: 600, y: 600, raw: { boundary: null } },
      still: { x: 5, y: 5, raw: { boundary: null } },
      down: { x: 600, y: 600, raw: { boundary: null } },
    };
    const now = {
      user: { x: 200, y: 5 }, // into prod
      app: { x: 210, y: 10 }, // moved within its own region
      loose: { x: 900, y: 900 }, // moved on empty canvas
      still: { x: 5, y: 5 }, // not moved
      down: { x: 600, y: 700 }, // moved straight down
    };
    const out = dragChanges(["user", "app", "loose", "still", "down", "gone"], (id) => drawn[id] || null, now, regions);
    assert.deepEqual(out.moved, {
      user: { x: 200, y: 5 }, app: { x: 210, y: 10 }, loose: { x: 900, y: 900 }, down: { x: 600, y: 700 },
    });
    assert.deepEqual(out.into, { user: "prod" });
  });

  test("a drag is measured in whole pixels: less than half a pixel is no move", () => {
    const drawn = { app: { x: 200, y: 0, raw: { boundary: "prod" } }, user: { x: 0, y: 0, raw: {} } };
    const now = { app: { x: 200.4, y: -0.3 }, user: { x: 10.6, y: -4.5 } };
    const out = dragChanges(["app", "user", "constructor"], (id) => drawn[id] || null, now, regions);
    assert.deepEqual(out.moved, { user: { x: 11, y: -4 } });
    assert.deepEqual(wholePixels({ x: -0.6, y: 2.5 }), { x: -1, y: 3 });
  });

  test("a drag out of every region keeps the boundary; into none from none changes nothing", () => {
    const drawn = { app: { x: 200, y: 0, raw: { boundary: undefined } } };
    const out = dragChanges(["app"], (id) => drawn[id], { app: { x: 900, y: 0 } }, regions);
    assert.deepEqual(out, { moved: { app: { x: 900, y: 0 } }, into: {} });
  });
});

describe("dragging a boundary", () => {
  test("every member moves by the pointer's offset", () => {
    const origin = { a: { x: 0, y: 0 }, b: { x: 100, y: -20 } };
    assert.deepEqual(boundaryDragChanges(origin, { x: 5, y: 5 }, { x: 35, y: -5 }), {
      a: { x: 30, y: -10 }, b: { x: 130, y: -30 },
    });
  });
  test("by whole pixels (vis-network draws at whole pixels)", () => {
    assert.deepEqual(boundaryDragChanges({ a: { x: 1, y: 2 } }, { x: 0.2, y: 0 }, { x: 10.9, y: -3.4 }), {
      a: { x: 12, y: -1 },
    });
  });
  test("back where it started: nothing moved", () => {
    assert.deepEqual(boundaryDragChanges({ a: { x: 1, y: 2 } }, { x: 5, y: 5 }, { x: 5, y: 5 }), {});
  });
});

describe("rectangles", () => {
  test("overlap: touching edges do not overlap", () => {
    const a = { x: 0, y: 0, w: 10, h: 10 };
    assert.equal(overlaps(a, { x: 5, y: 5, w: 10, h: 10 }), true);
    assert.equal(overlaps(a, { x: 10, y: 0, w: 10, h: 10 }), false);
    assert.equal(overlaps(a, { x: 0, y: 10, w: 10, h: 10 }), false);
    assert.equal(overlaps(a, { x: 2, y: 2, w: 1, h: 1 }), true);
  });
  test("within: edges included", () => {
    const outer = { x: 0, y: 0, w: 10, h: 10 };
    assert.equal(within({ x: 0, y: 0, w: 10, h: 10 }, outer), true);
    assert.equal(within({ x: 1, y: 1, w: 10, h: 1 }, outer), false);
  });
  test("boxes, extents and rectangles", () => {
    const box = { left: 10, top: 20, right: 50, bottom: 40 };
    assert.deepEqual(rectOf(box), { x: 10, y: 20, w: 40, h: 20 });
    const ext = extentOf(box, { x: 30, y: 30 });
    assert.deepEqual(ext, { left: -20, top: -10, right: 20, bottom: 10 });
    assert.deepEqual(boxAt({ x: 0, y: 0 }, ext), { left: -20, top: -10, right: 20, bottom: 10 });
  });
  test("the shortest shift that clears what is placed", () => {
    const placed = [{ x: 0, y: 0, w: 100, h: 100 }];
    assert.deepEqual(clearShift({ x: 200, y: 0, w: 10, h: 10 }, placed), { dx: 0, dy: 0 });
    // 10 px into the right edge: pushed right, GAP clear of it
    assert.deepEqual(clearShift({ x: 90, y: 40, w: 50, h: 10 }, placed), { dx: 10 + GAP, dy: 0 });
    // 5 px into the bottom edge: pushed down
    assert.deepEqual(clearShift({ x: 20, y: 95, w: 50, h: 50 }, placed), { dx: 0, dy: 5 + GAP });
  });
  test("whole-pixel shifts round away from zero", () => {
    assert.deepEqual(wholeShift({ dx: 10.2, dy: -3.1 }), { dx: 11, dy: -4 });
    assert.deepEqual(wholeShift({ dx: 0, dy: 5 }), { dx: 0, dy: 5 });
  });
  test("a shift that clears one rectangle but lands on another is skipped", () => {
    const placed = [{ x: 0, y: 0, w: 100, h: 100 }, { x: 100 + GAP, y: 0, w: 100, h: 100 }];
    // right of the first is the second: the next shortest is down
    assert.deepEqual(clearShift({ x: 80, y: 70, w: 40, h: 40 }, placed), { dx: 0, dy: 30 + GAP });
  });
});

// Element boxes of 40 x 20 around their positions.
const EXTENT = { left: -20, top: -10, right: 20, bottom: 10 };
const extentsFor = (positions) => Object.fromEntries(Object.keys(positions).map((id) => [id, EXTENT]));
// Positions after a resolve: the old ones with the moves applied.
const apply = (positions, moves) => ({ ...positions, ...moves });
const problemsOf = (boundaries, members, positions) => {
  const boxOf = (id) => (positions[id] ? boxAt(positions[id], EXTENT) : null);
  return containerProblems(boundaries, members, computeRegions(boundaries, members, boxOf), boxOf);
};

describe("container rules", () => {
  const SIBLINGS = [
    { id: "a", parent: null, depth: 0 }, { id: "b", parent: null, depth: 0 }, { id: "c", parent: null, depth: 0 },
  ];
  const MEMBERS3 = [["a1", "a"], ["a2", "a"], ["b1", "b"], ["b2", "b"], ["c1", "c"], ["out", null]];
  const APART = {
    a1: { x: 0, y: 0 }, a2: { x: 100, y: 0 }, b1: { x: 400, y: 0 }, b2: { x: 400, y: 100 },
    c1: { x: 800, y: 0 }, out: { x: 0, y: 400 },
  };

  test("a drawing that keeps the rules is left as it is", () => {
    assert.deepEqual(problemsOf(SIBLINGS, MEMBERS3, APART), []);
    assert.deepEqual(resolveOverlaps(SIBLINGS, MEMBERS3, APART, extentsFor(APART), ["a1"]), {});
  });

  test("the problems are named", () => {
    const now = { ...APART, b1: { x: 110, y: 10 }, b2: { x: 110, y: 40 }, out: { x: 50, y: 0 } };
    const problems = problemsOf(SIBLINGS, MEMBERS3, now);
    assert.ok(problems.includes("a and b overlap"), problems);
    assert.ok(problems.includes("out is drawn inside a, not its boundary"), problems);
    const boxOf = (id) => boxAt(now[id], EXTENT);
    const shrunk = computeRegions(SIBLINGS, MEMBERS3, boxOf).map((r) => (r.id === "c" ? { ...r, w: 1 } : r));
    assert.ok(containerProblems(SIBLINGS, MEMBERS3, shrunk, boxOf).includes("c1 is drawn outside its boundary c"));
  });

  test("a boundary dragged onto a sibling pushes the sibling away, whole", () => {
    // b's members dragged left so that b's region covers a's right part
    const now = { ...APART, b1: { x: 150, y: 0 }, b2: { x: 150, y: 100 } };
    const moves = resolveOverlaps(SIBLINGS, MEMBERS3, now, extentsFor(now), ["b1", "b2"]);
    assert.ok(!("b1" in moves) && !("b2" in moves), "the dragged boundary stays");
    assert.ok("a1" in moves && "a2" in moves, "the sibling moves");
    const da = { x: moves.a1.x - now.a1.x, y: moves.a1.y - now.a1.y };
    assert.deepEqual({ x: moves.a2.x - now.a2.x, y: moves.a2.y - now.a2.y }, da, "by one offset");
    assert.ok(!("c1" in moves) && !("out" in moves), "what it did not touch stays");
    assert.deepEqual(problemsOf(SIBLINGS, MEMBERS3, apply(now, moves)), []);
  });

  test("an element of an outer level under a region is pushed out, the region stays", () => {
    const now = { ...APART, out: { x: 50, y: 5 } };
    const moves = resolveOverlaps(SIBLINGS, MEMBERS3, now, extentsFor(now), ["out"]);
    assert.deepEqual(Object.keys(moves), ["out"]);
    assert.deepEqual(problemsOf(SIBLINGS, MEMBERS3, apply(now, moves)), []);
  });

  test("a pushed sibling does not land on a third one", () => {
    // a dragged onto b; right of b lies c, below b is free
    const now = { ...APART, a1: { x: 300, y: 0 }, a2: { x: 330, y: 0 }, c1: { x: 560, y: 0 } };
    const moves = resolveOverlaps(SIBLINGS, MEMBERS3, now, extentsFor(now), ["a1", "a2"]);
    assert.ok(!("c1" in moves));
    assert.deepEqual(problemsOf(SIBLINGS, MEMBERS3, apply(now, moves)), []);
  });

  test("nested: an inner region that grows pushes its parent's siblings, nesting kept", () => {
    // app dragged so that cloud (its parent) now reaches over internet
    const now = { user: { x: 0, y: 0 }, app: { x: 60, y: 0 }, vault: { x: 300, y: 100 }, loose: { x: 600, y: 600 } };
    const moves = resolveOverlaps(BOUNDARIES, MEMBERS, now, extentsFor(now), ["app"]);
    assert.ok("user" in moves && !("app" in moves) && !("vault" in moves));
    assert.deepEqual(problemsOf(BOUNDARIES, MEMBERS, apply(now, moves)), []);
  });

  test("an element dropped into a region belongs to it: the grown region pushes others", () => {
    // user joins secrets (droppedInto); secrets grows into... nothing; loose stays
    const members = MEMBERS.map(([id, b]) => [id, id === "user" ? "secrets" : b]);
    const now = { user: { x: 330, y: 130 }, app: { x: 200, y: 0 }, vault: { x: 300, y: 100 }, loose: { x: 600, y: 600 } };
    const moves = resolveOverlaps(BOUNDARIES, members, now, extentsFor(now), ["user"]);
    assert.deepEqual(problemsOf(BOUNDARIES, members, apply(now, moves)), []);
    assert.ok(!("user" in moves));
  });

  test("elements without a position or a box are left alone; unknown boundaries are the top level", () => {
    const members = [["a1", "a"], ["ghost", "a"], ["constructor", "a"], ["x", "nowhere"]];
    const now = { a1: { x: 0, y: 0 }, x: { x: 5, y: 5 } };
    const moves = resolveOverlaps(SIBLINGS, members, now, extentsFor(now), []);
    assert.deepEqual(Object.keys(moves), ["x"]);
  });

  test("a parent cycle in a broken payload ends", () => {
    const cyclic = [{ id: "p", parent: "q", depth: 0 }, { id: "q", parent: "p", depth: 1 }];
    const now = { x: { x: 0, y: 0 }, y: { x: 10, y: 0 } };
    resolveOverlaps(cyclic, [["x", "p"], ["y", "q"]], now, extentsFor(now), ["x"]);
  });
});

// A small deterministic random number generator (mulberry32).
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Three levels of boundaries with elements scattered anywhere, overlapping at will.
function scattered(rand) {
  const boundaries = [];
  for (let i = 0; i < 4; i += 1) boundaries.push({ id: `t${i}`, parent: null, depth: 0 });
  for (let i = 0; i < 4; i += 1) boundaries.push({ id: `m${i}`, parent: `t${Math.floor(rand() * 4)}`, depth: 1 });
  for (let i = 0; i < 3; i += 1) boundaries.push({ id: `i${i}`, parent: `m${Math.floor(rand() * 4)}`, depth: 2 });
  const members = [];
  const positions = {};
  for (let i = 0; i < 24; i += 1) {
    const pick = Math.floor(rand() * (boundaries.length + 2));
    members.push([`e${i}`, pick < boundaries.length ? boundaries[pick].id : null]);
    positions[`e${i}`] = { x: Math.round(rand() * 900), y: Math.round(rand() * 700) };
  }
  return { boundaries, members, positions };
}

describe("container rules hold after any drag (randomised, three levels)", () => {
  for (let seed = 1; seed <= 40; seed += 1) {
    test(`seed ${seed}`, () => {
      const rand = random(seed);
      const { boundaries, members, positions } = scattered(rand);
      const extents = extentsFor(positions);
      // tidy the scattered drawing first: resolving with nothing anchored
      let now = apply(positions, resolveOverlaps(boundaries, members, positions, extents, []));
      assert.deepEqual(problemsOf(boundaries, members, now), [], "after tidying");
      assert.deepEqual(resolveOverlaps(boundaries, members, now, extents, []), {}, "tidy is stable");

      // drag a boundary: its members move together and stay where they were dropped
      const held = boundaryMembers(boundaries, members);
      const dragged = boundaries.filter((b) => held.get(b.id).length)[Math.floor(rand() * 5)];
      if (dragged) {
        const ids = held.get(dragged.id);
        const origin = Object.fromEntries(ids.map((id) => [id, now[id]]));
        const moved = boundaryDragChanges(origin, { x: 0, y: 0 }, { x: rand() * 600 - 300, y: rand() * 600 - 300 });
        now = apply(now, moved);
        const moves = resolveOverlaps(boundaries, members, now, extents, ids);
        for (const id of ids) assert.ok(!(id in moves), `${id} of the dragged boundary was moved`);
        now = apply(now, moves);
        assert.deepEqual(problemsOf(boundaries, members, now), [], "after a boundary drag");
      }

      // drag an element: dropped into a region, it joins it
      const [id, own] = members[Math.floor(rand() * members.length)];
      const boxOf = (e) => boxAt(now[e], EXTENT);
      const among = computeRegions(boundaries, members, boxOf);
      const to = { x: rand() * 900, y: rand() * 700 };
      const into = droppedInto(own, to, among);
      const after = members.map(([e, b]) => [e, e === id ? into : b]);
      now = apply(now, { [id]: to });
      now = apply(now, resolveOverlaps(boundaries, after, now, extents, [id]));
      assert.deepEqual(problemsOf(boundaries, after, now), [], "after an element drag");
    });
  }
});

test("moves are whole pixels when the positions are", () => {
  const boundaries = [{ id: "a", parent: null, depth: 0 }, { id: "b", parent: null, depth: 0 }];
  const members = [["a1", "a"], ["b1", "b"], ["o", null]];
  const now = { a1: { x: 0, y: 0 }, b1: { x: 37, y: 11 }, o: { x: 5, y: 3 } };
  const odd = { left: -20.3, top: -10.7, right: 20.1, bottom: 9.9 };
  const moves = resolveOverlaps(boundaries, members, now, { a1: odd, b1: odd, o: odd }, ["a1"]);
  assert.ok(Object.keys(moves).length >= 2);
  for (const p of Object.values(moves)) assert.ok(Number.isInteger(p.x) && Number.isInteger(p.y), p);
});

describe("the collapse button of a region", () => {
  test("sits just right of the label box; a hit test finds the topmost", () => {
    const t = toggleBox({ x: 6, y: 2, w: 40, h: 20 });
    assert.deepEqual(t, { x: 48, y: 4, w: 16, h: 16 });
    const regions = [{ id: "outer", toggleBox: t }, { id: "inner", toggleBox: { x: 50, y: 5, w: 16, h: 16 } }, { id: "undrawn" }];
    assert.equal(toggleAt({ x: 52, y: 8 }, regions), "inner");
    assert.equal(toggleAt({ x: 48, y: 4 }, regions), "outer");
    assert.equal(toggleAt({ x: 10, y: 10 }, regions), null);
  });
});

describe("container rules after other edits", () => {
  test("the boundary a new one nests in: the innermost holding every member", () => {
    assert.equal(enclosingBoundary(BOUNDARIES, ["secrets", "prod"]), "prod");
    assert.equal(enclosingBoundary(BOUNDARIES, ["secrets", "secrets"]), "secrets");
    assert.equal(enclosingBoundary(BOUNDARIES, ["secrets", "internet"]), null);
    assert.equal(enclosingBoundary(BOUNDARIES, ["secrets", null]), null);
    assert.equal(enclosingBoundary(BOUNDARIES, []), null);
  });

  const SIBLINGS = [{ id: "a", parent: null, depth: 0 }, { id: "b", parent: null, depth: 0 }];
  const MEMBERS2 = [["a1", "a"], ["b1", "b"], ["out", null]];
  // a's region spans x -38 .. 38, b's x 192 .. 268
  const APART = { a1: { x: 0, y: 0 }, b1: { x: 230, y: 0 }, out: { x: 0, y: 300 } };

  test("an element placed in a region near a sibling: the grown region pushes the sibling", () => {
    const { at, moved } = placementChanges(SIBLINGS, MEMBERS2, APART, extentsFor(APART),
      { id: "new", at: { x: 175.4, y: 0.6 }, boundary: "a", extent: EXTENT });
    assert.deepEqual(at, { x: 175, y: 1 }); // where it was clicked, in whole pixels
    assert.deepEqual(Object.keys(moved), ["b1"]);
    assert.ok(moved.b1.x > APART.b1.x);
    const members = [...MEMBERS2, ["new", "a"]];
    assert.deepEqual(problemsOf(SIBLINGS, members, { ...APART, ...moved, new: at }), []);
  });

  test("an element placed outside a region, overlapping its edge, is pushed out of it", () => {
    const { at, moved } = placementChanges(SIBLINGS, MEMBERS2, APART, extentsFor(APART),
      { id: "new", at: { x: 45, y: 0 }, boundary: null, extent: EXTENT });
    assert.deepEqual(moved, {});
    assert.ok(at.x - 20 >= 38 || at.y !== 0, at);
    assert.deepEqual(problemsOf(SIBLINGS, [...MEMBERS2, ["new", null]], { ...APART, new: at }), []);
  });

  test("placing in empty space moves nothing", () => {
    const placed = { id: "new", at: { x: 600, y: 600 }, boundary: null, extent: EXTENT };
    assert.deepEqual(placementChanges(SIBLINGS, MEMBERS2, APART, extentsFor(APART), placed),
      { at: { x: 600, y: 600 }, moved: {} });
  });

  test("a new boundary of elements far apart pushes out what lies between them", () => {
    // a1 and b1 become one boundary, top level (no common parent); `out` sits between them
    const now = { ...APART, out: { x: 115, y: 0 } };
    const moved = newBoundaryChanges(SIBLINGS, MEMBERS2, now, extentsFor(now), ["a1", "b1"]);
    assert.deepEqual(Object.keys(moved).sort(), ["out"]);
    const after = [["a1", "n"], ["b1", "n"], ["out", null]];
    const boundaries = [...SIBLINGS, { id: "n", parent: null, depth: 0 }];
    assert.deepEqual(problemsOf(boundaries, after, { ...now, ...moved }), []);
  });

  test("a new boundary nests where Python nests it, and pushes its new siblings", () => {
    const nested = [{ id: "p", parent: null, depth: 0 }, { id: "c", parent: "p", depth: 1 }];
    const members = [["x", "p"], ["y", "p"], ["z", "c"]];
    const now = { x: { x: 0, y: 0 }, y: { x: 200, y: 0 }, z: { x: 100, y: 10 } };
    const moved = newBoundaryChanges(nested, members, now, extentsFor(now), ["x", "y"]);
    assert.deepEqual(Object.keys(moved), ["z"]); // c, their sibling under p, moved clear
    const boundaries = [...nested, { id: "n", parent: "p", depth: 1 }];
    const after = [["x", "n"], ["y", "n"], ["z", "c"]];
    assert.deepEqual(problemsOf(boundaries, after, { ...now, ...moved }), []);
  });

  describe("hold after placing and after a new boundary (randomised, three levels)", () => {
    for (let seed = 1; seed <= 30; seed += 1) {
      test(`seed ${seed}`, () => {
        const rand = random(seed + 1000);
        const { boundaries, members, positions } = scattered(rand);
        const extents = extentsFor(positions);
        let now = apply(positions, resolveOverlaps(boundaries, members, positions, extents, []));
        // place an element where the user clicks, in the region under the click
        const boxOf = (e) => boxAt(now[e], EXTENT);
        const click = { x: rand() * 900, y: rand() * 700 };
        const boundary = droppedInto(null, click, computeRegions(boundaries, members, boxOf));
        const { at, moved } = placementChanges(boundaries, members, now, extents,
          { id: "new", at: click, boundary, extent: EXTENT });
        const placed = [...members, ["new", boundary]];
        now = { ...apply(now, moved), new: at };
        assert.deepEqual(problemsOf(boundaries, placed, now), [], "after placing");
        // a new boundary of two to four elements picked anywhere
        const picked = [...new Set(Array.from({ length: 2 + Math.floor(rand() * 3) },
          () => placed[Math.floor(rand() * placed.length)][0]))];
        const pushed = newBoundaryChanges(boundaries, placed, now, { ...extents, new: EXTENT }, picked);
        for (const id of picked) assert.ok(!(id in pushed), `${id} of the new boundary was moved`);
        const boundaryOf = new Map(placed);
        const parent = enclosingBoundary(boundaries, picked.map((id) => boundaryOf.get(id)));
        const depth = parent ? boundaries.find((b) => b.id === parent).depth + 1 : 0;
        const after = [...boundaries, { id: "n", parent, depth }];
        const regrouped = placed.map(([e, b]) => [e, picked.includes(e) ? "n" : b]);
        assert.deepEqual(problemsOf(after, regrouped, apply(now, pushed)), [], "after a new boundary");
      });
    }
  });
});
