// sync.js: "reset" and "patch" messages from Python applied to the drawn items.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  applyPatch, applyReset, applySection, isStale, mergeBoundaries, statusText,
} from "../src/sync.js";

// A DataSet stand-in: items by ID, and a log of the calls, for order checks.
class FakeDataSet {
  constructor(name, log) {
    this.name = name;
    this.log = log;
    this.items = new Map();
  }
  add(items) {
    this.log.push(`${this.name}.add ${items.map((i) => i.id)}`);
    for (const i of items) {
      if (this.items.has(i.id)) throw new Error(`duplicate ${i.id}`);
      this.items.set(i.id, i);
    }
  }
  update(items) {
    this.log.push(`${this.name}.update ${items.map((i) => i.id)}`);
    for (const i of items) this.items.set(i.id, { ...this.items.get(i.id), ...i });
  }
  remove(ids) {
    this.log.push(`${this.name}.remove ${ids}`);
    for (const id of ids) this.items.delete(id);
  }
  clear() {
    this.log.push(`${this.name}.clear`);
    this.items.clear();
  }
}

function stores() {
  const log = [];
  return {
    log,
    nodes: new FakeDataSet("nodes", log),
    edges: new FakeDataSet("edges", log),
    toNode: (n) => ({ ...n, drawn: "node" }),
    toEdge: (e) => ({ ...e, drawn: "edge" }),
  };
}

const none = { add: [], update: [], remove: [] };

describe("applySection", () => {
  test("removes, adds, then updates, converting items", () => {
    const s = stores();
    s.nodes.items.set("a", { id: "a" });
    s.nodes.items.set("b", { id: "b", label: "old" });
    applySection(s.nodes, { add: [{ id: "c" }], update: [{ id: "b", label: "new" }], remove: ["a"] },
      s.toNode);
    assert.deepEqual(s.log, ["nodes.remove a", "nodes.add c", "nodes.update b"]);
    assert.deepEqual([...s.nodes.items.keys()].sort(), ["b", "c"]);
    assert.equal(s.nodes.items.get("b").label, "new");
    assert.equal(s.nodes.items.get("c").drawn, "node");
  });

  test("empty lists and a missing section touch nothing", () => {
    const s = stores();
    applySection(s.nodes, none, s.toNode);
    applySection(s.nodes, undefined, s.toNode);
    assert.deepEqual(s.log, []);
  });
});

describe("applyPatch", () => {
  test("flows leave before their elements and arrive after them", () => {
    const s = stores();
    s.nodes.items.set("a", { id: "a" });
    s.edges.items.set("f1", { id: "f1", from: "a", to: "b" });
    const msg = {
      op: "patch", base: 1, rev: 2,
      nodes: { add: [{ id: "c" }], update: [], remove: ["a"] },
      edges: { add: [{ id: "f2", from: "c", to: "b" }], update: [], remove: ["f1"] },
    };
    const out = applyPatch(s, [], msg);
    assert.deepEqual(s.log, ["edges.remove f1", "nodes.remove a", "nodes.add c", "edges.add f2"]);
    assert.deepEqual(out, []);
  });

  test("a patch of flows only, or of elements only", () => {
    const s = stores();
    s.edges.items.set("f1", { id: "f1", label: "old" });
    applyPatch(s, [], { edges: { add: [], update: [{ id: "f1", label: "new" }], remove: [] } });
    assert.equal(s.edges.items.get("f1").label, "new");
    assert.equal(s.edges.items.get("f1").drawn, "edge");
    applyPatch(s, [], { nodes: { add: [{ id: "n" }], update: [], remove: [] } });
    assert.deepEqual(s.log, ["edges.update f1", "nodes.add n"]);
  });

  test("returns the boundaries after the patch", () => {
    const s = stores();
    const before = [{ id: "b1", label: "One" }, { id: "b2", label: "Two" }];
    const out = applyPatch(s, before, {
      boundaries: { add: [{ id: "b3", label: "Three" }], update: [{ id: "b1", label: "Uno" }], remove: ["b2"] },
    });
    assert.deepEqual(out, [{ id: "b1", label: "Uno" }, { id: "b3", label: "Three" }]);
  });
});

describe("mergeBoundaries", () => {
  test("no boundary changes: the same list", () => {
    const list = [{ id: "b1" }];
    assert.equal(mergeBoundaries(list, undefined), list);
  });

  test("keeps order, replaces by ID, drops removed, appends added", () => {
    const list = [{ id: "a", n: 1 }, { id: "b", n: 1 }, { id: "c", n: 1 }];
    const out = mergeBoundaries(list, { add: [{ id: "d", n: 1 }], update: [{ id: "b", n: 2 }], remove: ["a"] });
    assert.deepEqual(out, [{ id: "b", n: 2 }, { id: "c", n: 1 }, { id: "d", n: 1 }]);
    assert.equal(list.length, 3, "the old list is left as it was");
  });
});

describe("applyReset", () => {
  test("replaces every item and returns the boundaries", () => {
    const s = stores();
    s.nodes.items.set("old", { id: "old" });
    const boundaries = [{ id: "b" }];
    const out = applyReset(s, {
      nodes: [{ id: "n1" }, { id: "n2" }], edges: [{ id: "f", from: "n1", to: "n2" }], boundaries, rev: 4,
    });
    assert.equal(out, boundaries);
    assert.deepEqual([...s.nodes.items.keys()], ["n1", "n2"]);
    assert.equal(s.edges.items.get("f").drawn, "edge");
    assert.deepEqual(s.log.slice(0, 2), ["nodes.clear", "edges.clear"]);
  });
});

test("a patch for another revision is stale", () => {
  assert.equal(isStale({ base: 3 }, 3), false);
  assert.equal(isStale({ base: 2 }, 3), true);
  assert.equal(isStale({ base: 0 }, -1), true);
});

test("status line", () => {
  assert.equal(statusText(3, 1), "3 elements · 1 flows");
});
