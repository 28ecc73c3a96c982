// collapse.js: a collapsed trust boundary drawn as one node, its flows bundled.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  NOTICES, bundleId, bundleTitle, collapseTarget, collapseView, collapsedOwner, expandProxyMoves,
  flowCount, isVirtual, proxyBoundary, proxyId, virtualLook, visBundle, visProxy,
} from "../src/collapse.js";

// cloud > app (nested), internet, partner; as widgets/_payload.build() makes them
const BOUNDARIES = [
  { id: "cloud", label: "Cloud <prod>", trust: "trusted", parent: null, depth: 0, color: "#475569" },
  { id: "app", label: "App tier", trust: "trusted", parent: "cloud", depth: 1, color: "#475569" },
  { id: "internet", label: "Internet", trust: "untrusted", parent: null, depth: 0, color: "#dc2626" },
  { id: "partner", label: "Partner", trust: "partner", parent: null, depth: 0, color: "#d97706" },
];
const node = (id, boundary, x, y, extra = {}) => ({ id, label: id.toUpperCase(), boundary, x, y, open: 0, risk: null, ...extra });
const NODES = [
  node("user", "internet", 0, 0),
  node("docs", "cloud", 300, 0, { open: 2, risk: "medium" }),
  node("bot", "app", 300, 200, { open: 1, risk: "critical" }),
  node("guard", "app", 500, 200),
  node("vendor", "partner", 800, 0),
  node("admin", null, 0, 400),
];
const flow = (id, from, to, extra = {}) => ({ id, from, to, label: id, open: 0, risk: null, ...extra });
const EDGES = [
  flow("ask", "user", "bot", { open: 1, risk: "high" }),
  flow("upload", "user", "docs", { open: 2, risk: "low" }),
  flow("answer", "bot", "user"),
  flow("retrieve", "docs", "bot"), // inside the cloud
  flow("check", "bot", "guard"), // inside the app tier
  flow("call", "guard", "vendor"),
  flow("manage", "admin", "vendor"), // outside every collapsed boundary
];
const ids = (xs) => xs.map((x) => x.id);

describe("IDs", () => {
  test("the canvas's own IDs have a colon, which model IDs never have", () => {
    assert.equal(proxyId("cloud"), "atw:boundary:cloud");
    assert.equal(proxyBoundary("atw:boundary:cloud"), "cloud");
    assert.equal(proxyBoundary("cloud"), null);
    assert.equal(bundleId("a", "atw:boundary:b"), "atw:bundle:a|atw:boundary:b");
    assert.ok(isVirtual(proxyId("x")) && isVirtual(bundleId("a", "b")));
    assert.ok(!isVirtual("llm_app-to-agent-1.v2"));
    assert.equal(flowCount(1), "1 flow");
    assert.equal(flowCount(3), "3 flows");
  });
});

describe("what is drawn while a boundary is collapsed", () => {
  test("nothing collapsed: nothing hidden, nothing added", () => {
    const v = collapseView(BOUNDARIES, NODES, EDGES, new Set());
    assert.equal(v.hiddenNodes.size + v.hiddenEdges.size + v.proxies.length + v.bundles.length, 0);
    assert.equal(v.drawnAs("bot"), "bot");
    // unknown boundaries are ignored
    assert.equal(collapseView(BOUNDARIES, NODES, EDGES, new Set(["moon"])).proxies.length, 0);
  });

  test("the outermost collapsed boundary stands for everything under it", () => {
    const owner = collapsedOwner(BOUNDARIES, new Set(["app", "cloud"]));
    assert.equal(owner.get("app"), "cloud");
    assert.equal(owner.get("cloud"), "cloud");
    assert.equal(owner.get("internet"), null);
  });

  test("one node labelled with the name and member count, nested members included", () => {
    const v = collapseView(BOUNDARIES, NODES, EDGES, new Set(["cloud"]));
    assert.deepEqual([...v.hiddenNodes].sort(), ["bot", "docs", "guard"]);
    assert.equal(v.proxies.length, 1);
    const [p] = v.proxies;
    assert.equal(p.id, "atw:boundary:cloud");
    assert.equal(p.label, "Cloud <prod>");
    assert.equal(p.count, 3);
    assert.deepEqual(p.members.sort(), ["bot", "docs", "guard"]);
    assert.equal(p.boundary, null); // drawn where the boundary is: at the top level
    assert.deepEqual([p.x, p.y], [400, 100]); // the middle of its members
    assert.deepEqual([p.open, p.risk], [3, "critical"]); // their open findings, highest risk
    assert.equal(v.drawnAs("guard"), p.id);
  });

  test("flows to the outside bundled per outside element and direction; inside ones hidden", () => {
    const v = collapseView(BOUNDARIES, NODES, EDGES, new Set(["cloud"]));
    assert.deepEqual([...v.hiddenEdges].sort(), ["answer", "ask", "call", "check", "retrieve", "upload"]);
    const byId = Object.fromEntries(v.bundles.map((b) => [b.id, b]));
    assert.deepEqual(Object.keys(byId).sort(), [
      "atw:bundle:atw:boundary:cloud|user", "atw:bundle:atw:boundary:cloud|vendor", "atw:bundle:user|atw:boundary:cloud",
    ]);
    const inbound = byId["atw:bundle:user|atw:boundary:cloud"];
    assert.deepEqual([inbound.from, inbound.to, inbound.count, inbound.label], ["user", "atw:boundary:cloud", 2, "2 flows"]);
    assert.deepEqual(inbound.flows.sort(), ["ask", "upload"]);
    assert.deepEqual([inbound.open, inbound.risk], [3, "high"]);
    assert.equal(inbound.parallel, true); // a bundle goes back the other way: both curve
    assert.equal(byId["atw:bundle:atw:boundary:cloud|vendor"].parallel, false);
    assert.equal(byId["atw:bundle:atw:boundary:cloud|vendor"].label, "1 flow");
    assert.equal(inbound.fromLabel, "USER");
    assert.equal(inbound.toLabel, "Cloud <prod>");
  });

  test("a collapsed boundary inside an expanded one is drawn inside it", () => {
    const v = collapseView(BOUNDARIES, NODES, EDGES, new Set(["app"]));
    assert.deepEqual([...v.hiddenNodes].sort(), ["bot", "guard"]);
    assert.equal(v.proxies[0].boundary, "cloud");
    assert.equal(v.proxies[0].count, 2);
    // docs -> bot is now docs -> the app tier
    assert.ok(v.bundles.some((b) => b.from === "docs" && b.to === "atw:boundary:app"));
    assert.ok(!v.hiddenNodes.has("docs"));
  });

  test("two collapsed boundaries: flows between them make one bundle per direction", () => {
    const v = collapseView(BOUNDARIES, NODES, EDGES, new Set(["cloud", "internet", "partner"]));
    const end = (id) => proxyBoundary(id) || id;
    const pairs = v.bundles.map((b) => `${end(b.from)}>${end(b.to)}:${b.count}`).sort();
    assert.deepEqual(pairs, ["admin>partner:1", "cloud>internet:1", "cloud>partner:1", "internet>cloud:2"]);
    // admin -> vendor: vendor is hidden, admin is not
    assert.ok(v.bundles.some((b) => b.from === "admin" && b.to === "atw:boundary:partner"));
    assert.equal(v.proxies.length, 3);
  });

  test("a collapsed boundary without elements draws no node", () => {
    const v = collapseView([...BOUNDARIES, { id: "empty", label: "E", parent: null, depth: 0 }], NODES, EDGES, new Set(["empty"]));
    assert.equal(v.proxies.length, 0);
  });
});

describe("moving a collapsed boundary", () => {
  const proxies = [{ id: "atw:boundary:cloud", x: 400, y: 100, members: ["docs", "bot"] }];
  const at = (id) => ({ docs: { x: 300, y: 0 }, bot: { x: 300, y: 200 } }[id]);

  test("its node's move moves every member by as much, in whole pixels", () => {
    const out = expandProxyMoves({ "atw:boundary:cloud": { x: 450.4, y: 80 }, admin: { x: 1, y: 2 } }, proxies, at);
    assert.deepEqual(out, { docs: { x: 350, y: -20 }, bot: { x: 350, y: 180 }, admin: { x: 1, y: 2 } });
  });

  test("no move, and unknown canvas items, send nothing", () => {
    assert.deepEqual(expandProxyMoves({ "atw:boundary:cloud": { x: 400, y: 100 } }, proxies, at), {});
    assert.deepEqual(expandProxyMoves({ "atw:boundary:gone": { x: 1, y: 1 } }, proxies, at), {});
  });
});

describe("the collapse control", () => {
  const boundaryOf = (id) => Object.fromEntries(NODES.map((n) => [n.id, n.boundary]))[id] ?? null;
  const parentOf = (b) => (BOUNDARIES.find((x) => x.id === b) || {}).parent || null;
  const sel = (nodes, edges = []) => ({ nodes, edges });

  test("a selected collapsed boundary expands", () => {
    assert.deepEqual(collapseTarget(sel(["atw:boundary:cloud", "user"]), null, boundaryOf, parentOf), { expand: ["cloud"] });
  });

  test("a selected boundary collapses, else the one holding every selected element", () => {
    assert.deepEqual(collapseTarget(sel([]), "partner", boundaryOf, parentOf), { collapse: "partner" });
    assert.deepEqual(collapseTarget(sel(["bot"]), null, boundaryOf, parentOf), { collapse: "app" });
    assert.deepEqual(collapseTarget(sel(["bot", "docs"]), null, boundaryOf, parentOf), { collapse: "cloud" });
  });

  test("otherwise it says what to select", () => {
    assert.deepEqual(collapseTarget(sel([]), null, boundaryOf, parentOf), { notice: NOTICES.collapse });
    assert.deepEqual(collapseTarget(sel(["admin"]), null, boundaryOf, parentOf), { notice: NOTICES.collapse });
    assert.deepEqual(collapseTarget(sel(["bot", "user"]), null, boundaryOf, parentOf), { notice: NOTICES.collapse });
  });
});

describe("looks", () => {
  const v = collapseView(BOUNDARIES, NODES, EDGES, new Set(["cloud"]));
  const [p] = v.proxies;
  const b = v.bundles.find((x) => x.count === 2);

  test("the node: a dashed box in the trust colour, name and count as text", () => {
    const n = visProxy(p);
    assert.equal(n.id, p.id);
    assert.equal(n.label, "Cloud <prod>\n3 elements");
    assert.equal(n.shape, "box");
    assert.deepEqual(n.shapeProperties.borderDashes, [6, 4]);
    assert.equal(n.color.border, "#475569");
    assert.equal(typeof n.title, "string"); // vis-network shows it with innerText
    assert.ok(n.title.startsWith("Cloud <prod> (collapsed trust boundary, trusted)"));
    assert.equal(visProxy({ ...p, count: 1 }).label, "Cloud <prod>\n1 element");
  });

  test("the bundle: wider with more flows, its flows listed in the tooltip", () => {
    const e = visBundle(b);
    assert.equal(e.id, b.id);
    assert.equal(e.label, undefined); // the canvas draws "2 flows"
    assert.equal(e.raw.label, "2 flows");
    assert.equal(e.width, 2.5);
    assert.equal(e.smooth.type, "curvedCW");
    assert.equal(e.title, "2 flows: USER → Cloud <prod>\n• ask\n• upload");
    const many = { ...b, count: 20, names: Array.from({ length: 20 }, (_, i) => `f${i}`) };
    assert.ok(bundleTitle(many).endsWith("… and 8 more"));
    assert.equal(visBundle(many).width, 5);
  });

  test("highlighted when it stands for a highlighted item, dimmed otherwise", () => {
    assert.equal(virtualLook(new Set(), p), "normal");
    assert.equal(virtualLook(new Set(["bot"]), p), "on");
    assert.equal(virtualLook(new Set(["user"]), p), "dim");
    assert.equal(virtualLook(new Set(["upload"]), b), "on");
    assert.equal(visProxy(p, "on").borderWidth, 4);
  });
});
