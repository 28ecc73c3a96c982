// payload.js: the payload Python sends (widgets/_payload.py) -> vis-network items.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  DIM_EDGE_OPACITY, DIM_OPACITY, EMPHASIS, badgeColour, drawnStyle, edgeTitle, lookOf,
  KERNING_MARGIN, NAME_ROOM, nameWidth, needsWrapping, nodeTitle, regionTitle, rgba, shownItem, visEdge, visNode,
} from "../src/payload.js";

// Items shaped as widgets/_payload.build() makes them.
function node(fields = {}) {
  return {
    id: "llm-app", label: "Support chatbot", kind: "llm_app", kindLabel: "LLM application",
    layer: "deployment", dfd: "process", shape: "ellipse", color: "#86efac",
    border: "#047857", dashed: false, x: 520, y: 100, auto: false, boundary: "prod",
    open: 0, risk: null, ...fields,
  };
}
function edge(fields = {}) {
  return {
    id: "f-query", from: "user", to: "llm-app", label: "question", crossing: false,
    parallel: false, open: 0, risk: null, ...fields,
  };
}

const HOSTILE = `<img src=x onerror="alert(1)"><a href="javascript:alert(2)">x</a>&amp;`;

describe("elements", () => {
  test("position, shape and colours come from the payload", () => {
    const v = visNode(node());
    assert.equal(v.id, "llm-app");
    assert.equal(v.label, "Support chatbot");
    assert.deepEqual([v.x, v.y], [520, 100]);
    assert.equal(v.shape, "ellipse");
    assert.equal(v.color.background, "#86efac");
    assert.equal(v.color.border, "#047857");
    assert.equal(v.borderWidth, 1.5);
    assert.equal(v.opacity, 1);
    assert.equal(v.look, "normal");
    assert.equal(v.shapeProperties.borderDashes, false);
  });

  test("each DFD shape and the external entity's dashes pass through", () => {
    for (const [shape, dashed] of [["box", true], ["ellipse", false], ["database", false]]) {
      const v = visNode(node({ shape, dashed }));
      assert.equal(v.shape, shape);
      assert.deepEqual(v.shapeProperties.borderDashes, dashed ? [6, 4] : false);
    }
  });

  test("the payload item is kept as raw, for re-styling and the test hooks", () => {
    const n = node();
    assert.equal(visNode(n).raw, n);
  });

  test("tooltip: name, kind and layer, ID", () => {
    assert.equal(visNode(node()).title,
      "Support chatbot\nLLM application (deployment layer)\nID: llm-app");
  });

  test("tooltip counts open findings and names the highest risk", () => {
    assert.equal(nodeTitle(node({ open: 3, risk: "high" })),
      "Support chatbot\nLLM application (deployment layer)\nID: llm-app\n3 open finding(s), highest high");
  });

  test("every style key is set in every look (DataSet.update merges)", () => {
    const keys = Object.keys(visNode(node())).sort();
    for (const look of ["on", "dim"]) assert.deepEqual(Object.keys(visNode(node(), look)).sort(), keys);
    assert.equal(visNode(node(), "on").shadow.enabled, true);
    assert.equal(visNode(node(), "normal").shadow.enabled, false);
  });

  test("highlighted elements get the emphasis border, the rest are dimmed", () => {
    const on = visNode(node(), "on");
    assert.equal(on.color.border, EMPHASIS);
    assert.equal(on.color.highlight.border, EMPHASIS);
    assert.equal(on.borderWidth, 4);
    assert.equal(on.opacity, 1);
    const dim = visNode(node(), "dim");
    assert.equal(dim.opacity, DIM_OPACITY);
    assert.equal(dim.color.border, "#047857");
  });
});

describe("flows", () => {
  test("direction and arrow; the label is the canvas's to draw, not vis-network's", () => {
    const v = visEdge(edge());
    assert.equal(v.from, "user");
    assert.equal(v.to, "llm-app");
    assert.equal(v.label, undefined);
    assert.equal(v.raw.label, "question");
    assert.equal(v.arrows.to.enabled, true);
    assert.equal(v.smooth, false);
    assert.equal(v.width, 1.25);
    assert.equal(v.title, "question\nuser → llm-app");
  });

  test("an unnamed flow has no label and its tooltip shows its ID", () => {
    const v = visEdge(edge({ label: "" }));
    assert.equal(v.label, undefined);
    assert.equal(v.title, "f-query\nuser → llm-app");
  });

  test("a flow crossing a trust boundary is red, wider and says so", () => {
    const v = visEdge(edge({ crossing: true, open: 2, risk: "critical" }));
    assert.equal(v.color.color, "rgba(185,28,28,1)");
    assert.equal(v.width, 2);
    assert.equal(v.title,
      "question\nuser → llm-app\ncrosses a trust boundary\n2 open finding(s), highest critical");
    assert.equal(visEdge(edge()).color.color, "rgba(71,85,105,1)");
  });

  test("parallel flows curve, others stay straight", () => {
    assert.deepEqual(visEdge(edge({ parallel: true })).smooth,
      { enabled: true, type: "curvedCW", roundness: 0.15 });
  });

  test("looks: emphasis and dimming", () => {
    const on = visEdge(edge({ crossing: true }), "on");
    assert.equal(on.color.color, rgba(EMPHASIS, 1));
    assert.equal(on.width, 4);
    assert.equal(visEdge(edge(), "dim").color.opacity, DIM_EDGE_OPACITY);
    assert.equal(visEdge(edge(), "normal").color.opacity, 1);
    // the opacity is in the colours themselves, as vis-network would draw them
    const dim = visEdge(edge(), "dim").color;
    assert.equal(dim.color, `rgba(71,85,105,${DIM_EDGE_OPACITY})`);
    assert.equal(dim.highlight, `rgba(15,23,42,${DIM_EDGE_OPACITY})`);
    assert.equal(dim.hover, `rgba(15,23,42,${DIM_EDGE_OPACITY})`);
    const keys = Object.keys(visEdge(edge())).sort();
    assert.deepEqual(Object.keys(visEdge(edge(), "dim")).sort(), keys);
  });
});

describe("hostile names stay text", () => {
  // vis-network shows a string title with innerText; only an Element would become
  // markup. So titles must be strings holding the names as they are: not HTML, and
  // not escaped either (an escaped name would show "&lt;" to the reader).
  test("element name and ID in label and tooltip", () => {
    const v = visNode(node({ id: `x"><svg onload=1>`, label: HOSTILE, kindLabel: "<b>k</b>" }));
    assert.equal(typeof v.title, "string");
    assert.equal(typeof v.label, "string");
    assert.equal(v.label, HOSTILE);
    assert.equal(v.title, `${HOSTILE}\n<b>k</b> (deployment layer)\nID: x"><svg onload=1>`);
    assert.ok(!v.title.includes("&lt;"));
  });

  test("flow name and ends in label and tooltip", () => {
    const v = visEdge(edge({ label: HOSTILE, from: "<script>", to: "</script>" }));
    assert.equal(typeof v.title, "string");
    assert.equal(v.raw.label, HOSTILE);
    assert.equal(v.title, `${HOSTILE}\n<script> → </script>`);
  });

  test("boundary title", () => {
    assert.equal(regionTitle({ label: HOSTILE, trust: "untrusted" }), `${HOSTILE} (untrusted)`);
  });

  test("the test hook reports the name as given", () => {
    assert.equal(shownItem(visNode(node({ label: HOSTILE }))).label, HOSTILE);
  });
});

describe("highlight looks", () => {
  test("nothing highlighted: every item is normal", () => {
    assert.equal(lookOf(new Set(), "a"), "normal");
  });
  test("highlighted IDs are on, the rest dim", () => {
    const path = new Set(["user", "f-query", "llm-app"]);
    assert.equal(lookOf(path, "f-query"), "on");
    assert.equal(lookOf(path, "vector-db"), "dim");
  });
});

describe("boundaries and badges", () => {
  test("a region's title names a trust level other than trusted", () => {
    assert.equal(regionTitle({ label: "Production", trust: "trusted" }), "Production");
    assert.equal(regionTitle({ label: "Internet", trust: "untrusted" }), "Internet (untrusted)");
    assert.equal(regionTitle({ label: "Vendor", trust: "partner" }), "Vendor (partner)");
  });

  test("badge colour by highest risk, grey when unknown or without styles", () => {
    const styles = { risk: { critical: "#7f1d1d", high: "#dc2626", low: "#ca8a04" } };
    assert.equal(badgeColour(styles, "critical"), "#7f1d1d");
    assert.equal(badgeColour(styles, "high"), "#dc2626");
    assert.equal(badgeColour(styles, "medium"), "#64748b");
    assert.equal(badgeColour(undefined, "high"), "#64748b");
    assert.equal(badgeColour({}, "high"), "#64748b");
  });
});

describe("test hooks", () => {
  test("style() of an element and of a flow", () => {
    assert.deepEqual(drawnStyle(visNode(node(), "on"), null),
      { look: "on", opacity: 1, border: EMPHASIS, width: 4 });
    assert.deepEqual(drawnStyle(null, visEdge(edge({ crossing: true }))),
      { look: "normal", opacity: 1, border: "#b91c1c", width: 2 });
    assert.equal(drawnStyle(null, null), null);
  });

  test("node() of an element and of a flow (a flow has no kind)", () => {
    assert.deepEqual(shownItem(visNode(node({ open: 2, risk: "high" }))),
      { label: "Support chatbot", kind: "llm_app", open: 2, risk: "high" });
    assert.deepEqual(shownItem(visEdge(edge())),
      { label: "question", kind: null, open: 0, risk: null });
    assert.equal(shownItem(undefined), null);
  });
});

test("rgba: a hex colour as vis-network draws it with an opacity", () => {
  assert.equal(rgba("#e11d48", 1), "rgba(225,29,72,1)");
  assert.equal(rgba("#0f172a", 0.12), "rgba(15,23,42,0.12)");
  assert.equal(rgba("#fff", 0.5), "rgba(255,255,255,0.5)");
});

describe("first draw of big models", () => {
  test("a name that fits its box is not given the width constraint (no wrapping to measure)", () => {
    assert.equal(needsWrapping(60), false);
    assert.equal(needsWrapping(NAME_ROOM), false);
    assert.equal(needsWrapping(NAME_ROOM + 1), true);
    assert.equal(needsWrapping(NaN), true); // unknown: constrained, as before
    assert.equal(visNode(node(), "normal", false).widthConstraint, false);
    assert.deepEqual(visNode(node()).widthConstraint, { maximum: 170 });
    // room for the bold name of a selected element too
    assert.ok(NAME_ROOM * 1.12 < 170 - 2 * 10);
  });

  test("a name's width: ASCII from its characters, measured once each; others whole", () => {
    const measured = [];
    const measure = (text) => { measured.push(text); return text.length * 7; };
    const widths = new Map();
    assert.equal(nameWidth("abba", measure, widths), 4 * 7 * KERNING_MARGIN);
    assert.deepEqual(measured, ["a", "b"]);
    assert.equal(nameWidth("ab ab", measure, widths), 5 * 7 * KERNING_MARGIN);
    assert.deepEqual(measured, ["a", "b", " "]);
    assert.equal(nameWidth("Größe", measure, widths), 35); // not ASCII: measured whole
    assert.equal(nameWidth("a\nb", measure, widths), 21); // a line break: whole
    assert.deepEqual(measured.slice(3), ["G", "r", "Größe", "a\nb"]); // G, r kept for later names
  });

  test("elements and flows of the same look share their style objects", () => {
    const a = visNode(node()), b = visNode(node({ id: "other", label: "Other" }));
    assert.equal(a.color, b.color);
    assert.equal(a.font, b.font);
    assert.notEqual(visNode(node(), "on").color, a.color);
    const e = visEdge(edge()), f = visEdge(edge({ id: "f-2" }));
    assert.equal(e.color, f.color);
    assert.equal(e.arrows, f.arrows);
    assert.notEqual(visEdge(edge({ crossing: true })).color, e.color);
    assert.equal(rgba("#475569", 1), rgba("#475569", 1));
  });
});
