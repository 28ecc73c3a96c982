// keys.js: which keys the canvas takes, and what they do.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { canvasAction, editorAction, historyKey, staysInCanvas } from "../src/keys.js";

const key = (k, mods = {}) => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });

describe("history keys", () => {
  test("Ctrl+Z and Cmd+Z undo", () => {
    assert.equal(historyKey(key("z", { ctrlKey: true })), "undo");
    assert.equal(historyKey(key("z", { metaKey: true })), "undo");
  });
  test("Ctrl+Shift+Z and Ctrl+Y redo (Shift makes the key upper case)", () => {
    assert.equal(historyKey(key("Z", { ctrlKey: true, shiftKey: true })), "redo");
    assert.equal(historyKey(key("y", { ctrlKey: true })), "redo");
    assert.equal(historyKey(key("y", { metaKey: true })), "redo");
  });
  test("other keys and combinations are not ours", () => {
    assert.equal(historyKey(key("z")), null);
    assert.equal(historyKey(key("z", { ctrlKey: true, altKey: true })), null);
    assert.equal(historyKey(key("Y", { ctrlKey: true, shiftKey: true })), null);
    assert.equal(historyKey(key("s", { ctrlKey: true })), null);
  });
});

describe("keys that stay in the canvas", () => {
  test("plain keys and lone modifiers stay", () => {
    for (const k of ["a", "Delete", "F2", "Escape"]) assert.equal(staysInCanvas(key(k)), true, k);
    assert.equal(staysInCanvas(key("A", { shiftKey: true })), true);
    for (const k of ["Control", "Meta", "Shift", "Alt", "AltGraph"]) {
      assert.equal(staysInCanvas(key(k, { ctrlKey: k === "Control", metaKey: k === "Meta", altKey: k === "Alt" })), true, k);
    }
  });
  test("shortcuts with Ctrl, Cmd or Alt go on to the notebook", () => {
    assert.equal(staysInCanvas(key("s", { ctrlKey: true })), false);
    assert.equal(staysInCanvas(key("s", { metaKey: true })), false);
    assert.equal(staysInCanvas(key("x", { altKey: true })), false);
  });
});

test("the canvas's own keys", () => {
  assert.equal(canvasAction(key("Escape")), "cancel");
  assert.equal(canvasAction(key("Delete")), "delete");
  assert.equal(canvasAction(key("Backspace")), "delete");
  assert.equal(canvasAction(key("F2")), "rename");
  assert.equal(canvasAction(key("f")), "flow");
  assert.equal(canvasAction(key("F", { shiftKey: true })), "flow");
  assert.equal(canvasAction(key("c")), "collapse");
  assert.equal(canvasAction(key("C", { shiftKey: true })), "collapse");
  assert.equal(canvasAction(key("g")), null);
  assert.equal(canvasAction(key("Enter")), null);
});

test("the rename editor's keys", () => {
  assert.equal(editorAction(key("Enter")), "commit");
  assert.equal(editorAction(key("Escape")), "cancel");
  assert.equal(editorAction(key("a")), null);
});
