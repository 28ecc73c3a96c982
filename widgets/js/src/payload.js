// The payload Python sends (nodes, edges, boundaries; see widgets/_payload.py) turned into
// the items vis-network draws. Pure: no DOM, no vis-network, so Node's test runner can
// import it (widgets/js/test/payload.test.js).
//
// Names, labels and tooltips stay text: a tooltip (`title`) is always a string, and
// vis-network shows a string title with `innerText`, never as HTML (only an Element
// would be inserted as markup). Nothing here escapes, parses or builds HTML.

export const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
// How a highlighted item (an attack path) and the dimmed rest are drawn.
export const EMPHASIS = "#e11d48";
export const DIM_OPACITY = 0.2;
export const DIM_EDGE_OPACITY = 0.12;
// Badge colour for a risk the styles do not name.
export const UNKNOWN_RISK_COLOUR = "#64748b";

// "normal" when nothing is highlighted, else "on" for highlighted IDs and "dim" for the rest.
export function lookOf(emphasis, id) {
  return emphasis.size === 0 ? "normal" : emphasis.has(id) ? "on" : "dim";
}

// Tooltip of an element: name, kind and layer, ID, open findings.
export function nodeTitle(n) {
  return `${n.label}\n${n.kindLabel} (${n.layer} layer)\nID: ${n.id}` +
    (n.open ? `\n${n.open} open finding(s), highest ${n.risk}` : "");
}

// Tooltip of a flow: name (or ID), direction, boundary crossing, open findings.
export function edgeTitle(e) {
  return `${e.label || e.id}\n${e.from} → ${e.to}` +
    (e.crossing ? "\ncrosses a trust boundary" : "") +
    (e.open ? `\n${e.open} open finding(s), highest ${e.risk}` : "");
}

// The widest an element's box grows before its name wraps (vis-network's
// widthConstraint.maximum), and the room that leaves its name (the box's margins off).
export const NODE_MAX_WIDTH = 170;
export const NODE_MARGIN = 10;
const WRAPPING = { maximum: NODE_MAX_WIDTH };
// Bold (a selected element's name) is up to about 12 % wider than regular: a name
// measured this much narrower than the room never wraps in either.
export const NAME_ROOM = (NODE_MAX_WIDTH - 2 * NODE_MARGIN) / 1.15;

// The width of an element's name for needsWrapping, at most what it is drawn: for a
// name of printable ASCII the sum of its characters' widths (each measured once, kept in
// `widths`: measuring every name took as long as vis-network's own measuring), with a
// margin for kerning, which may only narrow such text by a little; any other name
// measured whole. measure(text): its width in the names' font.
export const KERNING_MARGIN = 1.05;
export function nameWidth(label, measure, widths) {
  let width = 0;
  for (let i = 0; i < label.length; i++) {
    const code = label.charCodeAt(i);
    if (code < 32 || code > 126) return measure(label);
    let w = widths.get(code);
    if (w === undefined) {
      w = measure(label[i]);
      widths.set(code, w);
    }
    width += w;
  }
  return width * KERNING_MARGIN;
}

// Whether an element's name of this measured width (regular 14 px) must be given the
// width constraint: vis-network measures every word of a constrained name to wrap it, a
// cost worth saving on names that fit (the box and the drawing are the same either way).
export function needsWrapping(width) {
  return !(width <= NAME_ROOM);
}

// The style of an element, shared by every element of the same look, colours and
// border: vis-network copies what it reads, so one object serves thousands of elements
// (fewer objects to build and collect on the first draw of a big model).
const nodeStyles = new Map();
function nodeStyle(n, look) {
  const key = `${look}|${n.color}|${n.border}|${n.dashed ? 1 : 0}`;
  let style = nodeStyles.get(key);
  if (style === undefined) {
    const on = look === "on";
    style = {
      color: {
        background: n.color,
        border: on ? EMPHASIS : n.border,
        highlight: { background: n.color, border: on ? EMPHASIS : "#0f172a" },
        hover: { background: n.color, border: on ? EMPHASIS : "#0f172a" },
      },
      opacity: look === "dim" ? DIM_OPACITY : 1,
      shadow: { enabled: on, color: "rgba(225, 29, 72, 0.45)", size: 14, x: 0, y: 0 },
      borderWidth: on ? 4 : 1.5,
      borderWidthSelected: on ? 5 : 3,
      shapeProperties: { borderDashes: n.dashed ? [6, 4] : false },
      font: { face: FONT, size: 14, color: "#0f172a" },
      margin: NODE_MARGIN,
    };
    if (nodeStyles.size > 500) nodeStyles.clear();
    nodeStyles.set(key, style);
  }
  return style;
}

// look: "normal", "on" (highlighted) or "dim" (something else is highlighted). Every
// style key is always set: DataSet.update merges, so a key left out would keep its old
// value. wraps: whether the name may need wrapping (needsWrapping; unknown: it may).
export function visNode(n, look = "normal", wraps = true) {
  return {
    id: n.id,
    label: n.label,
    x: n.x,
    y: n.y,
    shape: n.shape,
    title: nodeTitle(n),
    ...nodeStyle(n, look),
    widthConstraint: wraps ? WRAPPING : false,
    raw: n,
    look,
  };
}

// "#rrggbb" (or "#rgb") as "rgba(r,g,b,alpha)", the string vis-network would make of it
// on every frame (its overrideOpacity parses a hex colour each time it draws a flow; an
// rgba colour it takes as it is).
const rgbaMade = new Map();
export function rgba(hex, alpha) {
  const key = `${hex}/${alpha}`;
  let made = rgbaMade.get(key);
  if (made === undefined) {
    const h = hex.length === 4 ? `#${hex[1]}${hex[1]}${hex[2]}${hex[2]}${hex[3]}${hex[3]}` : hex;
    const n = (i) => parseInt(h.slice(i, i + 2), 16);
    made = `rgba(${n(1)},${n(3)},${n(5)},${alpha})`;
    if (rgbaMade.size > 500) rgbaMade.clear();
    rgbaMade.set(key, made);
  }
  return made;
}

// The style of a flow, shared by every flow of the same look, crossing and curve (see
// nodeStyle).
const edgeStyles = new Map();
function edgeStyle(e, look) {
  const key = `${look}|${e.crossing ? 1 : 0}|${e.parallel ? 1 : 0}`;
  let style = edgeStyles.get(key);
  if (style === undefined) {
    const on = look === "on";
    const colour = on ? EMPHASIS : e.crossing ? "#b91c1c" : "#475569";
    const opacity = look === "dim" ? DIM_EDGE_OPACITY : 1;
    style = {
      arrows: { to: { enabled: true, scaleFactor: 0.7 } },
      // colours with their opacity in them (see rgba)
      color: {
        color: rgba(colour, opacity),
        highlight: rgba(on ? EMPHASIS : "#0f172a", opacity),
        hover: rgba(on ? EMPHASIS : "#0f172a", opacity),
        opacity,
      },
      // Dashed and curved edges cost several times more to draw: keep edges straight and
      // solid, curving only flows that share their two ends with another flow.
      width: on ? 4 : e.crossing ? 2 : 1.25,
      selectionWidth: 2,
      smooth: e.parallel ? { enabled: true, type: "curvedCW", roundness: 0.15 } : false,
      line: colour, // the line's colour as a hex string (what style() reports)
    };
    edgeStyles.set(key, style);
  }
  return style;
}

export function visEdge(e, look = "normal") {
  return {
    id: e.id,
    from: e.from,
    to: e.to,
    // no label for vis-network: the canvas draws flow labels itself, placed clear of
    // elements and of each other (labels.js placeLabels, draw.js drawEdgeLabels)
    title: edgeTitle(e),
    ...edgeStyle(e, look),
    raw: e,
    look,
  };
}

// A boundary region's title: its name, and its trust level unless trusted.
export function regionTitle(r) {
  return `${r.label}${r.trust === "trusted" ? "" : ` (${r.trust})`}`;
}

// Fill of a findings badge: the widget's risk colours (styles.risk) for the highest risk.
export function badgeColour(styles, risk) {
  const colours = (styles || {}).risk || {};
  return colours[risk] || UNKNOWN_RISK_COLOUR;
}

// What the test hook root.atw.style(id) reports about a drawn element or flow.
export function drawnStyle(n, e) {
  if (n) return { look: n.look, opacity: n.opacity, border: n.color.border, width: n.borderWidth };
  if (e) return { look: e.look, opacity: e.color.opacity, border: e.line, width: e.width };
  return null;
}

// What the test hook root.atw.node(id) reports: name, kind, open findings, risk; for a
// collapsed boundary's node or a bundle of flows also how many items it stands for.
export function shownItem(item) {
  if (!item) return null;
  const r = item.raw;
  const shown = { label: r.label, kind: r.kind ?? null, open: r.open, risk: r.risk ?? null };
  return r.proxy || r.bundle ? { ...shown, count: r.count } : shown;
}
