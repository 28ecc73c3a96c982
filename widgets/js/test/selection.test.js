// selection.js: selection bookkeeping between vis-network and the `selection` trait.
import assert from "node:assert/strict";
import { test } from "node:test";

import { sameIds, selectedIds, splitSelection } from "../src/selection.js";

test("same IDs in any order", () => {
  assert.equal(sameIds(["a", "b"], ["b", "a"]), true);
  assert.equal(sameIds([], []), true);
});

test("different IDs or counts", () => {
  assert.equal(sameIds(["a"], ["a", "b"]), false);
  assert.equal(sameIds(["a", "b"], ["a", "c"]), false);
  assert.equal(sameIds(["a", "b"], ["a"]), false);
});

test("a vis-network selection lists elements, then flows", () => {
  assert.deepEqual(selectedIds({ nodes: ["n1", "n2"], edges: ["f1"] }), ["n1", "n2", "f1"]);
});

test("the trait's IDs split into elements and flows, dropping IDs no longer drawn", () => {
  const drawnNodes = new Set(["n1", "n2"]);
  const drawnEdges = new Set(["f1"]);
  const out = splitSelection(["f1", "n2", "deleted", "n1"],
    (id) => drawnNodes.has(id), (id) => drawnEdges.has(id));
  assert.deepEqual(out, { nodes: ["n2", "n1"], edges: ["f1"] });
});

test("the search finds an ID typed exactly, else the best match of a name", async () => {
  const { findElement } = await import("../src/selection.js");
  const nodes = [
    { id: "vector_store", label: "Vector store" },
    { id: "vs_backup", label: "Vector store backup" },
    { id: "llm_app", label: "Support assistant" },
    { id: "store", label: "Object store" },
  ];
  assert.equal(findElement("llm_app", nodes), "llm_app"); // an ID, exactly
  assert.equal(findElement("  VECTOR STORE ", nodes), "vector_store"); // the whole name
  assert.equal(findElement("vector", nodes), "vector_store"); // starts with; shorter first
  assert.equal(findElement("backup", nodes), "vs_backup"); // holds it
  assert.equal(findElement("assist", nodes), "llm_app");
  assert.equal(findElement("store", nodes), "store"); // the ID wins over names holding it
  assert.equal(findElement("nothing here", nodes), null);
  assert.equal(findElement("", nodes), null);
});
