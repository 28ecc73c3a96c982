// edits.js: the edit messages sent to Python (widgets/_edits.py reads them).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import * as edits from "../src/edits.js";

describe("sender", () => {
  test("numbers requests 1, 2, ... and marks each send", () => {
    const sent = [];
    const marks = [];
    const send = edits.sender({ send: (m) => sent.push(m) }, (name) => marks.push(name));
    send({ op: "undo" });
    send({ op: "layout" });
    assert.deepEqual(sent, [{ op: "undo", req: 1 }, { op: "layout", req: 2 }]);
    assert.deepEqual(marks, ["atw-send", "atw-send"]);
  });

  test("each view counts its own requests, and the message given is not changed", () => {
    const a = [];
    const b = [];
    const sendA = edits.sender({ send: (m) => a.push(m) }, () => {});
    const sendB = edits.sender({ send: (m) => b.push(m) }, () => {});
    const msg = { op: "redo" };
    sendA(msg);
    sendA(msg);
    sendB(msg);
    assert.deepEqual(a.map((m) => m.req), [1, 2]);
    assert.deepEqual(b.map((m) => m.req), [1]);
    assert.deepEqual(msg, { op: "redo" });
  });

  test("marks with performance.mark by default", () => {
    const before = performance.getEntriesByName("atw-send").length;
    edits.sender({ send: () => {} })({ op: "undo" });
    assert.equal(performance.getEntriesByName("atw-send").length, before + 1);
  });
});

test("painted says the first frame is drawn", () => {
  assert.deepEqual(edits.painted(), { op: "painted" });
});

test("hello names the drawn revision", () => {
  assert.deepEqual(edits.hello(-1), { op: "hello", rev: -1 });
  assert.deepEqual(edits.hello(7), { op: "hello", rev: 7 });
});

test("add_element: kind, canvas point and boundary", () => {
  assert.deepEqual(edits.addElement({ kind: "vector_store", label: "Vector store" }, { x: 10.5, y: -3 }, "prod"),
    { op: "add_element", kind: "vector_store", x: 10.5, y: -3, boundary: "prod" });
  assert.deepEqual(edits.addElement({ kind: "agent" }, { x: 0, y: 0 }, null),
    { op: "add_element", kind: "agent", x: 0, y: 0, boundary: null });
});

test("add_element carries the elements it pushes aside, in the same message", () => {
  const moved = { docs: { x: 5, y: 6 } };
  assert.deepEqual(edits.addElement({ kind: "agent" }, { x: 1, y: 2 }, "app", moved),
    { op: "add_element", kind: "agent", x: 1, y: 2, boundary: "app", positions: moved });
  assert.equal("positions" in edits.addElement({ kind: "agent" }, { x: 1, y: 2 }, null, {}), false);
});

test("the name Python will give a new element, to measure it first", () => {
  const item = { kind: "vector_store", label: "Vector store" };
  assert.equal(edits.newElementName(item, new Set()), "Vector store 1");
  assert.equal(edits.newElementName(item, new Set(["vector-store-1", "vector-store-2"])), "Vector store 3");
  assert.equal(edits.newElementName(item, new Set(["vector_store-1"])), "Vector store 1");
});

describe("add_flow", () => {
  test("from the drag's start to its end", () => {
    assert.deepEqual(edits.addFlow("user", "llm-app"),
      { msg: { op: "add_flow", source: "user", target: "llm-app" } });
  });
  test("a drag onto the same element is refused with a notice", () => {
    assert.deepEqual(edits.addFlow("user", "user"), { notice: edits.NOTICES.sameEnds });
  });
});

describe("move", () => {
  test("nothing moved: no message", () => {
    assert.equal(edits.move({}, {}), null);
  });
  test("positions only when no element changed boundary", () => {
    assert.deepEqual(edits.move({ a: { x: 1, y: 2 } }, {}),
      { op: "move", positions: { a: { x: 1, y: 2 } } });
  });
  test("positions and boundaries in one message (one undo step)", () => {
    assert.deepEqual(edits.move({ a: { x: 1, y: 2 }, b: { x: 3, y: 4 } }, { b: null }),
      { op: "move", positions: { a: { x: 1, y: 2 }, b: { x: 3, y: 4 } }, boundaries: { b: null } });
  });
});

describe("delete", () => {
  test("the selected elements and flows", () => {
    assert.deepEqual(edits.deleteSelection({ nodes: ["a"], edges: ["f"] }, "prod"),
      { msg: { op: "delete", nodes: ["a"], edges: ["f"] } });
  });
  test("only elements, or only flows", () => {
    assert.deepEqual(edits.deleteSelection({ nodes: ["a"], edges: [] }, "prod"),
      { msg: { op: "delete", nodes: ["a"], edges: [] } });
    assert.deepEqual(edits.deleteSelection({ nodes: [], edges: ["f"] }, null),
      { msg: { op: "delete", nodes: [], edges: ["f"] } });
  });
  test("else the selected boundary, which is then deselected", () => {
    assert.deepEqual(edits.deleteSelection({ nodes: [], edges: [] }, "prod"),
      { msg: { op: "delete_boundary", id: "prod" }, clearBoundary: true });
  });
  test("nothing selected: a notice", () => {
    assert.deepEqual(edits.deleteSelection({ nodes: [], edges: [] }, null),
      { notice: edits.NOTICES.nothingToDelete });
  });
});

describe("add_boundary", () => {
  test("around the selected elements", () => {
    assert.deepEqual(edits.addBoundary(["a", "b"]), { msg: { op: "add_boundary", members: ["a", "b"] } });
  });
  test("nothing selected: a notice", () => {
    assert.deepEqual(edits.addBoundary([]), { notice: edits.NOTICES.noMembers });
  });
});

describe("rename", () => {
  const drawn = new Set(["a", "f"]);
  const exists = (id) => drawn.has(id);

  test("an element or flow", () => {
    assert.deepEqual(edits.rename({ id: "a", what: "item", before: "Old" }, "New", true, exists),
      { op: "rename", id: "a", name: "New" });
  });
  test("a boundary", () => {
    assert.deepEqual(edits.rename({ id: "prod", what: "boundary", before: "Old" }, "New", true, exists),
      { op: "rename_boundary", id: "prod", name: "New" });
  });
  test("cancelled, unchanged, or gone meanwhile: nothing to send", () => {
    assert.equal(edits.rename({ id: "a", what: "item", before: "Old" }, "New", false, exists), null);
    assert.equal(edits.rename({ id: "a", what: "item", before: "Old" }, "Old", true, exists), null);
    assert.equal(edits.rename({ id: "gone", what: "item", before: "Old" }, "New", true, exists), null);
  });
  test("a hostile name is sent as typed", () => {
    const name = `<img src=x onerror=alert(1)>`;
    assert.equal(edits.rename({ id: "a", what: "item", before: "" }, name, true, exists).name, name);
  });
  test("an empty name is sent (Python decides)", () => {
    assert.deepEqual(edits.rename({ id: "a", what: "item", before: "Old" }, "", true, exists),
      { op: "rename", id: "a", name: "" });
  });
});

describe("what a rename applies to", () => {
  test("the ID given", () => {
    assert.deepEqual(edits.renameTarget("a", "item", "prod", []), { id: "a", what: "item" });
    assert.deepEqual(edits.renameTarget("prod", "boundary", null, []), { id: "prod", what: "boundary" });
  });
  test("else the selected boundary", () => {
    assert.deepEqual(edits.renameTarget(undefined, "item", "prod", ["a"]), { id: "prod", what: "boundary" });
  });
  test("else the one selected element or flow", () => {
    assert.deepEqual(edits.renameTarget(undefined, "item", null, ["f"]), { id: "f", what: "item" });
  });
  test("none or several selected: a notice", () => {
    assert.deepEqual(edits.renameTarget(undefined, "item", null, []), { notice: edits.NOTICES.renameOne });
    assert.deepEqual(edits.renameTarget(undefined, "item", null, ["a", "b"]), { notice: edits.NOTICES.renameOne });
  });
});

test("the placing hint takes a or an", () => {
  assert.equal(edits.placingHint("Agent"), "Click on the canvas to place an Agent (Esc cancels)");
  assert.equal(edits.placingHint("Dataset"), "Click on the canvas to place a Dataset (Esc cancels)");
  assert.equal(edits.placingHint("inference endpoint"), "Click on the canvas to place an inference endpoint (Esc cancels)");
});
