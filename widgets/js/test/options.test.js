// options.js: vis-network options of the canvas.
import assert from "node:assert/strict";
import { test } from "node:test";

import { SHOWN_LABEL_THRESHOLD } from "../src/labels.js";
import { networkOptions } from "../src/options.js";

test("physics off, stored positions kept, no random layout", () => {
  const o = networkOptions(() => {});
  assert.equal(o.physics.enabled, false);
  assert.equal(o.layout.improvedLayout, false);
  assert.equal(o.layout.randomSeed, 1);
});

test("the canvas handles keys and selection itself", () => {
  const o = networkOptions(() => {});
  assert.equal(o.interaction.keyboard, false);
  assert.equal(o.interaction.multiselect, true);
  assert.equal(o.interaction.selectConnectedEdges, false);
});

test("drawing a flow calls the hook given; vis-network's own edit toolbar stays off", () => {
  const hook = () => {};
  const o = networkOptions(hook);
  assert.equal(o.manipulation.addEdge, hook);
  assert.equal(o.manipulation.enabled, false);
});

test("element names are shown at first, by one network-wide threshold", () => {
  const o = networkOptions(() => {});
  assert.equal(o.nodes.scaling.label.drawThreshold, SHOWN_LABEL_THRESHOLD);
});
