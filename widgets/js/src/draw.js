// Drawing on the network's canvas: trust-boundary regions under the graph and findings
// badges over it. These functions only draw on the 2D context they are handed.

import { DIM_OPACITY, FONT, regionTitle } from "./payload.js";
import { BADGE_ROOM, EDGE_FONT_SIZE, screenFont } from "./labels.js";
import { labelBox, midpoint, toggleBox } from "./regions.js";

export function roundRect(ctx, x, y, w, hgt, r) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + hgt, r);
  ctx.arcTo(x + w, y + hgt, x, y + hgt, r);
  ctx.arcTo(x, y + hgt, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}

// Draw the regions (outermost first) and give each its labelBox: the label is what a
// click selects and a double-click renames. faded: an attack path is highlighted.
export function drawRegions(ctx, regions, selectedBoundary, faded) {
  for (const r of regions) {
    const chosen = r.id === selectedBoundary;
    ctx.save();
    roundRect(ctx, r.x, r.y, r.w, r.h, 10);
    ctx.globalAlpha = (r.trust === "untrusted" ? 0.07 : 0.04) * (faded ? 0.5 : 1);
    ctx.fillStyle = r.color;
    ctx.fill();
    ctx.globalAlpha = faded ? 0.35 : 0.9;
    ctx.setLineDash(chosen ? [] : [8, 5]);
    ctx.lineWidth = chosen ? 3 : r.trust === "untrusted" ? 2 : 1.5;
    ctx.strokeStyle = r.color;
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.font = `600 12px ${FONT}`;
    ctx.textBaseline = "top";
    const title = regionTitle(r);
    r.labelBox = labelBox(r, ctx.measureText(title).width);
    if (chosen) {
      ctx.fillStyle = r.color;
      roundRect(ctx, r.labelBox.x, r.labelBox.y, r.labelBox.w, r.labelBox.h, 4);
      ctx.fill();
    }
    ctx.fillStyle = chosen ? "#ffffff" : r.color;
    ctx.fillText(title, r.x + 10, r.y + 6);
    drawToggle(ctx, r);
    ctx.restore();
  }
}

// The collapse button right of a region's label: a small box with a minus sign. Gives
// the region its toggleBox (what a click collapses).
function drawToggle(ctx, r) {
  const t = toggleBox(r.labelBox);
  r.toggleBox = t;
  ctx.globalAlpha = 0.9;
  ctx.fillStyle = "#ffffff";
  roundRect(ctx, t.x, t.y, t.w, t.h, 3);
  ctx.fill();
  ctx.lineWidth = 1.2;
  ctx.strokeStyle = r.color;
  ctx.stroke();
  ctx.beginPath();
  ctx.moveTo(t.x + 4, t.y + t.h / 2);
  ctx.lineTo(t.x + t.w - 4, t.y + t.h / 2);
  ctx.lineWidth = 2;
  ctx.stroke();
}

// Flow labels where placeLabels put them: text on a white box, so they read over lines.
// placed: Map id -> {x, y, w, h, badge} (badge: room kept at the right end for the
// findings badge); items: Map id -> {text, dim, selected, bundle}.
export function drawEdgeLabels(ctx, placed, items) {
  ctx.save();
  ctx.font = `${EDGE_FONT_SIZE}px ${FONT}`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  for (const [id, r] of placed) {
    const item = items.get(id);
    if (!item) continue;
    ctx.globalAlpha = item.dim ? 0.25 : 1;
    ctx.fillStyle = "rgba(255, 255, 255, 0.92)";
    roundRect(ctx, r.x, r.y, r.w, r.h, 3);
    ctx.fill();
    if (item.selected) {
      ctx.lineWidth = 1;
      ctx.strokeStyle = "#0f172a";
      ctx.stroke();
    }
    ctx.fillStyle = item.bundle ? "#0f172a" : "#1e293b";
    ctx.fillText(item.text, r.x + (r.w - (r.badge || 0)) / 2, r.y + r.h / 2 + 0.5);
  }
  ctx.restore();
}

// The label of a hovered item while labels are hidden at this zoom: HOVER px on screen
// whatever the zoom, on a white box with a border, centred on a point.
export function drawHoverLabel(ctx, p, text, scale, px) {
  const size = screenFont(px, scale);
  ctx.save();
  ctx.font = `600 ${size}px ${FONT}`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  const w = ctx.measureText(text).width + size;
  const h = size * 1.6;
  roundRect(ctx, p.x - w / 2, p.y - h / 2, w, h, size / 3);
  ctx.fillStyle = "#ffffff";
  ctx.fill();
  ctx.lineWidth = 1 / scale;
  ctx.strokeStyle = "#334155";
  ctx.stroke();
  ctx.fillStyle = "#0f172a";
  ctx.fillText(text, p.x, p.y + size * 0.05);
  ctx.restore();
}

// A round badge with the number of open findings, in the colour of the highest risk.
export function drawBadge(ctx, x, y, count, colour, dim) {
  ctx.save();
  badgeStyle(ctx);
  badgeAt(ctx, x, y, String(count), colour, dim ? DIM_OPACITY : ctx.globalAlpha, new Map());
  ctx.restore();
}

// What every badge shares: the font, the text's anchor, the white outline.
function badgeStyle(ctx) {
  ctx.font = `700 11px ${FONT}`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = "#ffffff";
}

// One badge, with the style of badgeStyle set; widths: measured width by text.
function badgeAt(ctx, x, y, text, colour, alpha, widths) {
  let w = widths.get(text);
  if (w === undefined) {
    w = Math.max(18, ctx.measureText(text).width + 10);
    widths.set(text, w);
  }
  ctx.globalAlpha = alpha;
  roundRect(ctx, x - w / 2, y - 9, w, 18, 9);
  ctx.fillStyle = colour;
  ctx.fill();
  ctx.stroke();
  ctx.fillStyle = "#ffffff";
  ctx.fillText(text, x, y + 0.5);
}

// Badges of the elements and flows with open findings (not of hidden ones). Flow badges
// only once they can be read (they cost a lot on big drawings), at the right end of the
// flow's label when it is drawn (the label keeps room for it). colourOf(raw), dimmed(item): how each is drawn;
// placed: the flow labels drawn (Map id -> {x, y, w, h}). The shared style is set once
// for all of them (thousands on a big drawing), and each count's width measured once.
export function drawBadges(ctx, network, nodes, edges, colourOf, dimmed, placed = new Map()) {
  ctx.save();
  badgeStyle(ctx);
  const base = ctx.globalAlpha;
  const widths = new Map();
  const badge = (x, y, item) => badgeAt(ctx, x, y, String(item.raw.open), colourOf(item.raw),
    dimmed(item) ? DIM_OPACITY : base, widths);
  for (const n of nodes.get({ filter: (item) => item.raw.open > 0 && !item.hidden })) {
    const box = network.getBoundingBox(n.id);
    if (box) badge(box.right - 2, box.top + 2, n);
  }
  const bodyEdges = network.body ? network.body.edges : {};
  const flowBadges = network.getScale() >= 0.5
    ? edges.get({ filter: (item) => item.raw.open > 0 && !item.hidden }) : [];
  for (const e of flowBadges) {
    const label = placed.get(e.id);
    if (label) {
      badge(label.x + label.w - BADGE_ROOM / 2, label.y + label.h / 2, e);
      continue;
    }
    let p = null;
    const internal = bodyEdges[e.id];
    if (internal && internal.edgeType && internal.edgeType.getPoint) {
      p = internal.edgeType.getPoint(0.5);
    }
    if (!p) {
      const pos = network.getPositions([e.from, e.to]);
      if (!pos[e.from] || !pos[e.to]) continue;
      p = midpoint(pos[e.from], pos[e.to]);
    }
    badge(p.x, p.y, e);
  }
  ctx.restore();
}
