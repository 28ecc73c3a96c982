// dom.js: the widget's elements, built against a small fake document (no browser).
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";

import { buildView, fillPalette, h, keepEventsIn, noticeLine, openEditor, pressKind } from "../src/dom.js";

// Just enough of the DOM for dom.js. Markup is never parsed: innerHTML and friends throw,
// so a test fails if dom.js ever hands text to the HTML parser.
class FakeElement {
  constructor(tag) {
    this.tagName = tag.toUpperCase();
    this.attributes = {};
    this.children = [];
    this.listeners = {};
    this.dataset = {};
    this.className = "";
    this.textContent = "";
    this.hidden = false;
    this.value = "";
    this.focused = false;
    this.style = { setProperty: (k, v) => { this.style[k] = v; } };
  }
  set innerHTML(_) { throw new Error("innerHTML used"); }
  set outerHTML(_) { throw new Error("outerHTML used"); }
  insertAdjacentHTML() { throw new Error("insertAdjacentHTML used"); }
  setAttribute(name, value) {
    this.attributes[name] = String(value);
    if (name.startsWith("data-")) {
      const key = name.slice(5).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
      this.dataset[key] = String(value);
    }
  }
  getAttribute(name) { return this.attributes[name] ?? null; }
  addEventListener(type, fn) { (this.listeners[type] ||= []).push(fn); }
  dispatch(type, ev = {}) {
    const event = { type, stopped: false, stopPropagation() { this.stopped = true; }, ...ev };
    for (const fn of this.listeners[type] || []) fn(event);
    return event;
  }
  append(...nodes) {
    for (const n of nodes) this.children.push(typeof n === "string" ? { text: n } : n);
  }
  focus() { this.focused = true; }
  select() { this.selected = true; }
  *walk() {
    for (const c of this.children) {
      if (c instanceof FakeElement) {
        yield c;
        yield* c.walk();
      }
    }
  }
  querySelectorAll(selector) {
    assert.ok(selector.startsWith("."), "the fake only knows class selectors");
    const cls = selector.slice(1);
    return [...this.walk()].filter((e) => e.className.split(" ").includes(cls));
  }
}

let saved;
beforeEach(() => {
  saved = globalThis.document;
  globalThis.document = { createElement: (tag) => new FakeElement(tag) };
});
afterEach(() => {
  globalThis.document = saved;
});

const HOSTILE = `<img src=x onerror="alert(1)">`;

describe("h", () => {
  test("class, text, attributes and children", () => {
    const child = h("b");
    const el = h("div", { class: "a b", text: "hi", role: "status", tabindex: "0" }, child, null, "tail");
    assert.equal(el.tagName, "DIV");
    assert.equal(el.className, "a b");
    assert.equal(el.textContent, "hi");
    assert.deepEqual(el.attributes, { role: "status", tabindex: "0" });
    assert.equal(el.children[0], child);
    assert.deepEqual(el.children[1], { text: "tail" });
    assert.equal(el.children.length, 2);
  });

  test("on* keys become listeners, not attributes", () => {
    let clicks = 0;
    const el = h("button", { onclick: () => { clicks += 1; } });
    assert.equal(el.attributes.onclick, undefined);
    el.dispatch("click");
    assert.equal(clicks, 1);
  });

  test("false, null and undefined leave the attribute out; true is kept", () => {
    const el = h("div", { hidden: true, title: false, alt: null, lang: undefined });
    assert.deepEqual(el.attributes, { hidden: "true" });
  });

  test("hostile text stays text", () => {
    const el = h("span", { text: HOSTILE, title: HOSTILE });
    assert.equal(el.textContent, HOSTILE);
    assert.equal(el.attributes.title, HOSTILE);
  });
});

describe("view", () => {
  const calls = [];
  const actions = Object.fromEntries(
    ["undo", "redo", "flow", "boundary", "rename", "delete", "collapse", "fit", "layout"].map((a) => [a, (...args) => calls.push([a, args])]),
  );

  test("toolbar buttons call their action, without arguments", () => {
    calls.length = 0;
    const { root } = buildView(actions, "500px");
    const buttons = root.querySelectorAll(".atw-btn");
    assert.deepEqual(buttons.map((b) => b.attributes["data-action"]),
      ["undo", "redo", "flow", "boundary", "rename", "delete", "collapse", "fit", "layout"]);
    for (const b of buttons) {
      assert.equal(b.attributes.type, "button");
      assert.ok(b.attributes.title.length > 0);
      b.dispatch("click", { clientX: 1 });
    }
    assert.deepEqual(calls, [
      ["undo", []], ["redo", []], ["flow", []], ["boundary", []], ["rename", []],
      ["delete", []], ["collapse", []], ["fit", []], ["layout", []],
    ]);
  });

  test("root, stage and the parts the view updates", () => {
    const v = buildView(actions, "500px");
    assert.equal(v.root.className, "atw-canvas");
    assert.equal(v.root.attributes.tabindex, "0");
    assert.equal(v.root.dataset.nodeCount, "0");
    assert.equal(v.root.style["--atw-height"], "500px");
    assert.equal(v.flowBtn.attributes["aria-pressed"], "false");
    assert.equal(v.undoBtn.attributes["data-action"], "undo");
    assert.equal(v.redoBtn.attributes["data-action"], "redo");
    assert.equal(v.collapseBtn.attributes["data-action"], "collapse");
    assert.equal(v.hint.attributes.hidden, "true");
    assert.equal(v.notice.attributes.role, "alert");
    assert.equal(v.editor.attributes.maxlength, "200");
    assert.deepEqual(v.root.children.map((c) => c.className), ["atw-toolbar", "atw-palette", "atw-stage"]);
    const stage = v.root.children[2];
    assert.deepEqual(stage.children, [v.graph, v.hint, v.editor, v.notice]);
    assert.ok(v.root.querySelectorAll(".atw-toolbar")[0].children.includes(v.status));
  });

  test("height defaults to 600px", () => {
    assert.equal(buildView(actions, undefined).root.style["--atw-height"], "600px");
  });
});

describe("palette", () => {
  const items = [
    { kind: "dataset", label: "Dataset", layer: "data", layerLabel: "Data", description: "Data at rest",
      shape: "database", color: "#bfdbfe", border: "#1d4ed8", dashed: false },
    { kind: "data_source", label: "Data source", layer: "data", layerLabel: "Data", description: "Where data comes from",
      shape: "box", color: "#dbeafe", border: "#1d4ed8", dashed: true },
    { kind: "agent", label: HOSTILE, layer: "deployment", layerLabel: "Deployment", description: HOSTILE,
      shape: "ellipse", color: "#fde68a", border: "#047857", dashed: false },
  ];

  test("one group per layer, one button per kind", () => {
    const palette = h("div");
    fillPalette(palette, items, () => {});
    const groups = palette.children;
    assert.deepEqual(groups.map((g) => g.dataset.layer), ["data", "deployment"]);
    assert.deepEqual(groups.map((g) => g.children[0].textContent), ["Data", "Deployment"]);
    assert.deepEqual(palette.querySelectorAll(".atw-kind").map((b) => b.dataset.kind), ["dataset", "data_source", "agent"]);
  });

  test("swatches show the kind's shape and colours, dashed for external entities", () => {
    const palette = h("div");
    fillPalette(palette, items, () => {});
    const swatches = palette.querySelectorAll(".atw-swatch");
    assert.deepEqual(swatches.map((s) => s.className), ["atw-swatch atw-database", "atw-swatch atw-box", "atw-swatch atw-ellipse"]);
    assert.equal(swatches[0].style.background, "#bfdbfe");
    assert.equal(swatches[0].style.borderColor, "#1d4ed8");
    assert.equal(swatches[0].style.borderStyle, undefined);
    assert.equal(swatches[1].style.borderStyle, "dashed");
  });

  test("choosing a kind passes its item; names stay text", () => {
    const picked = [];
    const palette = h("div");
    fillPalette(palette, items, (item) => picked.push(item.kind));
    const agent = palette.querySelectorAll(".atw-kind")[2];
    agent.dispatch("click");
    assert.deepEqual(picked, ["agent"]);
    assert.equal(agent.attributes.title, `${HOSTILE}: ${HOSTILE}\nClick, then click on the canvas to place it.`);
    assert.equal(agent.children[1].textContent, HOSTILE);
  });

  test("pressKind marks one kind pressed, or none", () => {
    const palette = h("div");
    fillPalette(palette, items, () => {});
    const pressed = () => palette.querySelectorAll(".atw-kind").map((b) => b.attributes["aria-pressed"]);
    pressKind(palette, "data_source");
    assert.deepEqual(pressed(), ["false", "true", "false"]);
    pressKind(palette, null);
    assert.deepEqual(pressed(), ["false", "false", "false"]);
  });
});

test("clicks stay in the canvas; keys as staysInCanvas decides", () => {
  const root = h("div");
  keepEventsIn(root, (ev) => ev.key === "a");
  for (const type of ["mousedown", "mouseup", "click", "dblclick", "focusin", "contextmenu"]) {
    assert.equal(root.dispatch(type).stopped, true, type);
  }
  assert.equal(root.dispatch("keydown", { key: "a" }).stopped, true);
  assert.equal(root.dispatch("keydown", { key: "b" }).stopped, false);
});

test("the rename editor opens at a point with the value, kept for comparison", () => {
  const editor = h("input", { hidden: true });
  editor.hidden = true;
  openEditor(editor, { id: "f1", what: "item", value: HOSTILE, at: { x: 50, y: 100 } });
  assert.equal(editor.hidden, false);
  assert.equal(editor.value, HOSTILE);
  assert.deepEqual(editor.dataset, { target: "f1", what: "item", before: HOSTILE });
  assert.equal(editor.style.left, "0px");
  assert.equal(editor.style.top, "86px");
  assert.equal(editor.focused, true);
  assert.equal(editor.selected, true);
});

test("the notice line shows text as text, hides on click or after its time", async () => {
  const root = h("div");
  const notice = h("div");
  const line = noticeLine(notice, root, 20);
  line.show(HOSTILE);
  assert.equal(notice.hidden, false);
  assert.equal(notice.textContent, HOSTILE);
  assert.equal(root.dataset.notice, HOSTILE);
  notice.dispatch("click");
  assert.equal(notice.hidden, true);
  assert.equal("notice" in root.dataset, false);
  line.show("again");
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(notice.hidden, true);
  line.show("kept");
  line.dispose();
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(notice.hidden, false, "dispose stops the timer");
});
