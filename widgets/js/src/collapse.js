// Collapsed trust boundaries: a boundary drawn as one node in place of everything it
// holds, with its flows to the outside bundled. A view state only: the model is never
// changed and nothing here is an undo step. Pure, so Node's test runner can import it
// (widgets/js/test/collapse.test.js).
//
// The node that stands for a collapsed boundary (a "proxy") and the bundled flows are
// drawn items with IDs of their own. Model IDs hold only letters, digits, "_", "." and
// "-", so an ID with a colon is never one of the model's.

import { FONT, visEdge } from "./payload.js";

export const PROXY_PREFIX = "atw:boundary:";
export const BUNDLE_PREFIX = "atw:bundle:";
// Highest risk first, as the findings overlay ranks them.
const RISK_ORDER = ["critical", "high", "medium", "low", "info"];
const MAX_DEPTH = 64;

// Whether a drawn ID is the canvas's own (a proxy or a bundle), not the model's.
export function isVirtual(id) {
  return String(id).includes(":");
}

export function proxyId(boundary) {
  return `${PROXY_PREFIX}${boundary}`;
}

// The boundary a proxy stands for (null: not a proxy).
export function proxyBoundary(id) {
  const s = String(id);
  return s.startsWith(PROXY_PREFIX) ? s.slice(PROXY_PREFIX.length) : null;
}

// A bundle's ID: one per (drawn source, drawn target).
export function bundleId(from, to) {
  return `${BUNDLE_PREFIX}${from}|${to}`;
}

// "1 flow", "3 flows".
export function flowCount(n) {
  return `${n} flow${n === 1 ? "" : "s"}`;
}

function higherRisk(a, b) {
  if (!a) return b || null;
  if (!b) return a;
  const ra = RISK_ORDER.indexOf(a), rb = RISK_ORDER.indexOf(b);
  return (ra === -1 ? 99 : ra) <= (rb === -1 ? 99 : rb) ? a : b;
}

// For each boundary, the outermost collapsed boundary among it and its ancestors (null:
// none is collapsed). collapsed: a Set of boundary IDs.
export function collapsedOwner(boundaries, collapsed) {
  const parent = new Map(boundaries.map((b) => [b.id, b.parent || null]));
  const owner = new Map();
  for (const b of boundaries) {
    let found = null;
    let guard = 0;
    for (let c = b.id; c && parent.has(c) && guard < MAX_DEPTH; c = parent.get(c), guard += 1) {
      if (collapsed.has(c)) found = c;
    }
    owner.set(b.id, found);
  }
  return owner;
}

// What is drawn while some boundaries are collapsed.
//
// boundaries: the payload's ({id, label, parent, depth, trust, color}); nodes, edges: the
// payload's items (raw: {id, label, boundary, x, y, open, risk} and {id, from, to, label,
// open, risk}); collapsed: boundary IDs (unknown ones are ignored).
//
// Returns {hiddenNodes, hiddenEdges} (model IDs not drawn), `proxies` (one per outermost
// collapsed boundary that holds an element: at the middle of its members, drawn in the
// boundary's parent, labelled with its name and member count) and `bundles` (one per
// drawn source and target, for the flows between a hidden member and anything outside
// its collapsed boundary; flows inside one are hidden), and drawnAs(element ID) -> the
// ID drawn in its place.
export function collapseView(boundaries, nodes, edges, collapsed) {
  const known = new Map(boundaries.map((b) => [b.id, b]));
  const wanted = new Set([...collapsed].filter((id) => known.has(id)));
  const empty = { hiddenNodes: new Set(), hiddenEdges: new Set(), proxies: [], bundles: [], drawnAs: (id) => id };
  if (!wanted.size) return empty;
  const owner = collapsedOwner(boundaries, wanted);
  const rep = new Map(); // element -> proxy ID
  const held = new Map(); // collapsed boundary -> its members' nodes
  for (const n of nodes) {
    const o = n.boundary ? owner.get(n.boundary) : null;
    if (!o) continue;
    rep.set(n.id, proxyId(o));
    if (!held.has(o)) held.set(o, []);
    held.get(o).push(n);
  }
  const hiddenNodes = new Set(rep.keys());
  const drawnAs = (id) => rep.get(id) || id;
  const names = new Map(nodes.map((n) => [n.id, n.label]));
  const proxies = [];
  for (const [b, members] of [...held.entries()].sort(([a], [c]) => (a < c ? -1 : 1))) {
    const info = known.get(b);
    const xs = members.map((m) => m.x), ys = members.map((m) => m.y);
    let open = 0;
    let risk = null;
    for (const m of members) {
      open += m.open || 0;
      if (m.open) risk = higherRisk(risk, m.risk);
    }
    const id = proxyId(b);
    names.set(id, info.label);
    proxies.push({
      id,
      proxy: true,
      collapsed: b,
      label: info.label,
      count: members.length,
      members: members.map((m) => m.id),
      boundary: known.has(info.parent) ? info.parent : null,
      x: Math.round((Math.min(...xs) + Math.max(...xs)) / 2),
      y: Math.round((Math.min(...ys) + Math.max(...ys)) / 2),
      trust: info.trust,
      color: info.color,
      open,
      risk,
    });
  }
  const hiddenEdges = new Set();
  const groups = new Map();
  for (const e of edges) {
    const from = drawnAs(e.from), to = drawnAs(e.to);
    if (from === e.from && to === e.to) continue;
    hiddenEdges.add(e.id);
    if (from === to) continue; // inside one collapsed boundary
    const key = bundleId(from, to);
    if (!groups.has(key)) groups.set(key, { id: key, from, to, flows: [] });
    groups.get(key).flows.push(e);
  }
  const bundles = [...groups.values()].sort((a, c) => (a.id < c.id ? -1 : 1)).map((g) => {
    let open = 0;
    let risk = null;
    for (const f of g.flows) {
      open += f.open || 0;
      if (f.open) risk = higherRisk(risk, f.risk);
    }
    return {
      id: g.id,
      bundle: true,
      from: g.from,
      to: g.to,
      flows: g.flows.map((f) => f.id),
      names: g.flows.map((f) => f.label || f.id),
      fromLabel: names.get(g.from) ?? g.from,
      toLabel: names.get(g.to) ?? g.to,
      count: g.flows.length,
      label: flowCount(g.flows.length),
      crossing: true,
      parallel: groups.has(bundleId(g.to, g.from)),
      open,
      risk,
    };
  });
  return { hiddenNodes, hiddenEdges, proxies, bundles, drawnAs };
}

// Moves of drawn items turned into moves of model elements: a proxy moved by (dx, dy),
// in whole pixels, moves every member it stands for by as much. moves: ID -> {x, y};
// proxies: the proxies drawn ({id, x, y, members}); at(id): a member's position.
export function expandProxyMoves(moves, proxies, at) {
  const byId = new Map(proxies.map((p) => [p.id, p]));
  const out = {};
  for (const [id, p] of Object.entries(moves)) {
    const proxy = byId.get(id);
    if (!proxy) {
      if (!isVirtual(id)) out[id] = p;
      continue;
    }
    const dx = Math.round(p.x - proxy.x), dy = Math.round(p.y - proxy.y);
    if (!dx && !dy) continue;
    for (const m of proxy.members) {
      const q = at(m);
      if (q) out[m] = { x: q.x + dx, y: q.y + dy };
    }
  }
  return out;
}

// What the collapse control does with the current selection: expand the selected
// proxies ({expand: [boundary IDs]}), else collapse the selected boundary, else the
// innermost boundary that holds every selected element ({collapse: id}); {notice} when
// there is nothing to act on. selection: vis-network's {nodes, edges}; boundaryOf(id):
// an element's boundary (null: none); parentOf(id): a boundary's parent.
export function collapseTarget(selection, selectedBoundary, boundaryOf, parentOf) {
  const expand = selection.nodes.map(proxyBoundary).filter(Boolean);
  if (expand.length) return { expand };
  if (selectedBoundary) return { collapse: selectedBoundary };
  const elements = selection.nodes.filter((id) => !isVirtual(id));
  if (elements.length) {
    const chains = elements.map((id) => {
      const out = [];
      for (let b = boundaryOf(id); b && out.length < MAX_DEPTH; b = parentOf(b)) out.push(b);
      return out;
    });
    const common = chains[0].find((b) => chains.every((c) => c.includes(b)));
    if (common) return { collapse: common };
  }
  return { notice: NOTICES.collapse };
}

export const NOTICES = {
  collapse: "Select a boundary (click its name) or an element in it to collapse it; select a collapsed boundary to expand it.",
};

// The vis-network node of a proxy: a dashed box in the boundary's trust colour, labelled
// with its name and how many elements it holds. look: as payload.js lookOf.
export function visProxy(p, look = "normal") {
  const on = look === "on";
  const count = `${p.count} element${p.count === 1 ? "" : "s"}`;
  return {
    id: p.id,
    label: `${p.label}\n${count}`,
    x: p.x,
    y: p.y,
    shape: "box",
    title: `${p.label} (collapsed trust boundary, ${p.trust})\n${count} hidden, ` +
      "with their flows bundled\nDouble-click, or select and press C, to expand",
    color: {
      background: "#f8fafc",
      border: on ? "#e11d48" : p.color,
      highlight: { background: "#f1f5f9", border: "#0f172a" },
      hover: { background: "#f1f5f9", border: "#0f172a" },
    },
    opacity: look === "dim" ? 0.2 : 1,
    shadow: { enabled: false },
    borderWidth: on ? 4 : 2,
    borderWidthSelected: on ? 5 : 3,
    shapeProperties: { borderDashes: [6, 4], borderRadius: 8 },
    font: { face: FONT, size: 14, color: "#0f172a" },
    margin: 12,
    widthConstraint: { maximum: 200 },
    raw: p,
    look,
  };
}

// A proxy's or bundle's look while an attack path is highlighted: "on" when it stands
// for a highlighted item, else as lookOf says.
export function virtualLook(emphasis, raw) {
  if (emphasis.size === 0) return "normal";
  const inner = raw.proxy ? raw.members : raw.flows;
  return inner.some((id) => emphasis.has(id)) ? "on" : "dim";
}

// A bundle's tooltip: how many flows, between what, and their names.
export function bundleTitle(b) {
  const names = b.names.slice(0, 12).map((n) => `• ${n}`);
  if (b.names.length > 12) names.push(`… and ${b.names.length - 12} more`);
  return `${flowCount(b.count)}: ${b.fromLabel} → ${b.toLabel}\n${names.join("\n")}`;
}

// The vis-network edge of a bundle: a flow drawn wider the more flows it stands for, with
// the list of them in its tooltip. Its label ("3 flows") is drawn by the canvas.
export function visBundle(b, look = "normal") {
  const v = visEdge(b, look);
  return { ...v, title: bundleTitle(b), width: look === "on" ? 4 : Math.min(2 + (b.count - 1) * 0.5, 5) };
}
