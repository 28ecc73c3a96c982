// labels.js: labels by zoom level, where flow labels go, and the hovered item's label.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  EDGE_FONT_SIZE, EDGE_LABEL_MIN_SCALE, HIDDEN_LABEL_THRESHOLD, LABEL_PAD, LABEL_SPOTS,
  NODE_LABEL_MIN_SCALE, SHOWN_LABEL_THRESHOLD, along, collisions, grown, hoverLabel, labelHit,
  labelLevel, labelRect, levelChange, levelName, nodeLabelThreshold, overlapArea, placeLabels,
  screenFont, shortLabel, spotCentre,
} from "../src/labels.js";

describe("zoom levels", () => {
  test("flow labels read at 12 px or more on screen at 100 %", () => {
    assert.ok(EDGE_FONT_SIZE * 1 >= 12);
    assert.ok(NODE_LABEL_MIN_SCALE < EDGE_LABEL_MIN_SCALE);
  });

  test("flow labels below 0.6, element names below 0.35 are not drawn", () => {
    assert.deepEqual(labelLevel(1), { edges: true, nodes: true });
    assert.deepEqual(labelLevel(EDGE_LABEL_MIN_SCALE), { edges: true, nodes: true });
    assert.deepEqual(labelLevel(0.59), { edges: false, nodes: true });
    assert.deepEqual(labelLevel(NODE_LABEL_MIN_SCALE), { edges: false, nodes: true });
    assert.deepEqual(labelLevel(0.3), { edges: false, nodes: false });
    assert.equal(levelName(labelLevel(2)), "all");
    assert.equal(levelName(labelLevel(0.5)), "nodes");
    assert.equal(levelName(labelLevel(0.1)), "none");
  });

  test("a change is only a crossing of a threshold: zooming within a level changes nothing", () => {
    assert.deepEqual(levelChange(labelLevel(1), labelLevel(0.8)), { nodes: false, edges: false });
    assert.deepEqual(levelChange(labelLevel(1), labelLevel(0.5)), { nodes: false, edges: true });
    assert.deepEqual(levelChange(labelLevel(0.5), labelLevel(0.2)), { nodes: true, edges: false });
    assert.deepEqual(levelChange(null, labelLevel(1)), { nodes: true, edges: true });
  });

  test("element names are hidden through vis-network's per-item draw threshold", () => {
    assert.equal(nodeLabelThreshold(labelLevel(1)), SHOWN_LABEL_THRESHOLD);
    assert.equal(nodeLabelThreshold(labelLevel(0.1)), HIDDEN_LABEL_THRESHOLD);
    // vis-network skips a label when size * scale < threshold - 1: never at 1e6
    assert.ok(14 * 100 < HIDDEN_LABEL_THRESHOLD - 1);
  });
});

describe("hover", () => {
  const flow = { kind: "edge", id: "f" };
  const element = { kind: "node", id: "n" };

  test("a hovered flow shows its label while flow labels are hidden", () => {
    assert.deepEqual(hoverLabel(labelLevel(0.5), flow, "ask"), { kind: "edge", id: "f", text: "ask" });
    assert.equal(hoverLabel(labelLevel(1), flow, "ask"), null); // drawn anyway
  });

  test("a hovered element shows its name while names are hidden", () => {
    assert.deepEqual(hoverLabel(labelLevel(0.2), element, "Bot"), { kind: "node", id: "n", text: "Bot" });
    assert.equal(hoverLabel(labelLevel(0.5), element, "Bot"), null);
  });

  test("nothing hovered, or nothing to show", () => {
    assert.equal(hoverLabel(labelLevel(0.1), null, "x"), null);
    assert.equal(hoverLabel(labelLevel(0.1), flow, ""), null);
  });

  test("the hover label keeps its size on screen", () => {
    assert.equal(screenFont(13, 0.5), 26);
    assert.equal(screenFont(13, 1), 13);
    assert.ok(Number.isFinite(screenFont(13, 0)));
  });
});

describe("label text", () => {
  test("one line, cut with an ellipsis past the limit; text stays text", () => {
    assert.equal(shortLabel("  ask\n the   bot "), "ask the bot");
    assert.equal(shortLabel("x".repeat(50)).length, 40);
    assert.ok(shortLabel("x".repeat(50)).endsWith("…"));
    assert.equal(shortLabel("<img src=x onerror=alert(1)>"), "<img src=x onerror=alert(1)>");
    assert.equal(shortLabel(undefined), "");
  });
});

describe("placing flow labels", () => {
  const line = (a, b) => (t) => along(a, b, t);
  const item = (id, a, b, w = 40, h = 16) => ({ id, w, h, length: Math.hypot(b.x - a.x, b.y - a.y), at: line(a, b) });

  test("rectangles", () => {
    assert.deepEqual(labelRect({ x: 10, y: 10 }, 20, 10), { x: 0, y: 5, w: 20, h: 10 });
    assert.equal(overlapArea({ x: 0, y: 0, w: 10, h: 10 }, { x: 5, y: 5, w: 10, h: 10 }), 25);
    assert.equal(overlapArea({ x: 0, y: 0, w: 10, h: 10 }, { x: 10, y: 0, w: 10, h: 10 }), 0);
    assert.deepEqual(grown({ x: 0, y: 0, w: 1, h: 1 }, 2), { x: -2, y: -2, w: 5, h: 5 });
  });

  test("a clear line: the label sits at its middle", () => {
    const placed = placeLabels([item("f", { x: 0, y: 0 }, { x: 200, y: 0 })], []);
    assert.deepEqual(placed.get("f"), { x: 80, y: -8, w: 40, h: 16, t: 0.5, side: 0, clear: true });
  });

  test("two lines crossing at their middles: the labels go apart", () => {
    const placed = placeLabels([
      item("a", { x: 0, y: 0 }, { x: 200, y: 200 }),
      item("b", { x: 0, y: 200 }, { x: 200, y: 0 }),
    ], []);
    assert.equal(overlapArea(placed.get("a"), placed.get("b")), 0);
    assert.ok(placed.get("a").clear && placed.get("b").clear);
    assert.deepEqual(collisions(placed, []), { labels: 0, obstacles: 0 });
  });

  test("a label moves off an element that sits on its line", () => {
    const node = { x: 80, y: -20, w: 40, h: 40 };
    const placed = placeLabels([item("f", { x: 0, y: 0 }, { x: 200, y: 0 })], [node]);
    const r = placed.get("f");
    assert.equal(overlapArea(grown(r, LABEL_PAD), node), 0);
    assert.notEqual(r.t, 0.5);
    assert.deepEqual(collisions(placed, [node]), { labels: 0, obstacles: 0 });
  });

  test("where the line itself is taken, labels step beside it, on either side", () => {
    const bar = { x: -10, y: -1, w: 320, h: 2 }; // something drawn all along the line
    const items = ["a", "b"].map((id) => item(id, { x: 0, y: 0 }, { x: 300, y: 0 }, 100, 16));
    const placed = placeLabels(items, [bar]);
    assert.deepEqual(collisions(placed, [bar]), { labels: 0, obstacles: 0 });
    assert.deepEqual([...placed.values()].map((r) => [r.t, r.side]), [[0.5, 1], [0.5, -1]]);
    // clear of the line, above or below it, 6 px away
    for (const r of placed.values()) assert.ok(r.y === 6 || r.y + r.h === -6, r);
  });

  test("beside a sloped line the label is shifted along the normal", () => {
    const at = line({ x: 0, y: 0 }, { x: 100, y: 100 });
    const p = spotCentre(at, { t: 0.5, side: 1 }, 40, 16);
    assert.ok(p.x < 50 && p.y > 50, p); // the normal of a down-right line points down-left
    assert.deepEqual(spotCentre(at, { t: 0.5, side: 0 }, 40, 16), { x: 50, y: 50 });
    assert.equal(spotCentre(() => ({ x: 1, y: 1 }), { t: 0.5, side: 1 }, 4, 4), null); // no length
  });

  test("when nothing is clear the least crowded spot wins, and says so", () => {
    const wall = { x: -1000, y: -1000, w: 3000, h: 2000 };
    const placed = placeLabels([item("f", { x: 0, y: 0 }, { x: 200, y: 0 })], [wall]);
    assert.equal(placed.get("f").clear, false);
    assert.deepEqual(collisions(placed, [wall]), { labels: 0, obstacles: 1 });
  });

  test("shorter lines choose first; the result does not depend on input order", () => {
    const items = [item("long", { x: -300, y: 0 }, { x: 400, y: 0 }), item("short", { x: 30, y: 0 }, { x: 70, y: 0 })];
    const one = placeLabels(items, []);
    const two = placeLabels([...items].reverse(), []);
    assert.deepEqual([...one.entries()].sort(), [...two.entries()].sort());
    assert.equal(one.get("short").t, 0.5);
  });

  test("lines without points are skipped", () => {
    const placed = placeLabels([{ id: "x", w: 10, h: 10, length: 0, at: () => null }], []);
    assert.equal(placed.size, 0);
  });

  test("a click on a label finds its flow", () => {
    const placed = placeLabels([item("f", { x: 0, y: 0 }, { x: 200, y: 0 })], []);
    assert.equal(labelHit({ x: 100, y: 0 }, placed), "f");
    assert.equal(labelHit({ x: 100, y: 30 }, placed), null);
  });

  test("spots: the middle first, on the line before beside it", () => {
    assert.deepEqual(LABEL_SPOTS[0], { t: 0.5, side: 0 });
    const firstSide = LABEL_SPOTS.findIndex((s) => s.side !== 0);
    assert.ok(LABEL_SPOTS.slice(firstSide).every((s) => s.side !== 0));
    assert.ok(LABEL_SPOTS.every((s) => s.t > 0.1 && s.t < 0.9));
  });

  test("hundreds of labels are placed quickly (spatial index)", () => {
    const items = [];
    for (let i = 0; i < 2000; i += 1) {
      const a = { x: (i * 37) % 4000, y: (i * 53) % 3000 };
      items.push(item(`f${i}`, a, { x: a.x + 150 + (i % 7) * 20, y: a.y + (i % 5) * 30 }, 90, 17));
    }
    const obstacles = Array.from({ length: 2000 }, (_, i) => ({ x: (i * 41) % 4000, y: (i * 59) % 3000, w: 120, h: 40 }));
    const started = performance.now();
    const placed = placeLabels(items, obstacles);
    const ms = performance.now() - started;
    assert.equal(placed.size, 2000);
    assert.ok(ms < 1500, `${ms} ms`);
  });
});
