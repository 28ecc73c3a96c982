// regions.js: boundary regions, hit tests, and what a drag of elements changes.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  boundaryAt, boundaryMembers, centre, computeRegions, dragChanges, droppedInto, inside,
  labelAt, labelBox, midpoint,
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

  test("a drag out of every region keeps the boundary; into none from none changes nothing", () => {
    const drawn = { app: { x: 200, y: 0, raw: { boundary: undefined } } };
    const out = dragChanges(["app"], (id) => drawn[id], { app: { x: 900, y: 0 } }, regions);
    assert.deepEqual(out, { moved: { app: { x: 900, y: 0 } }, into: {} });
  });
});
