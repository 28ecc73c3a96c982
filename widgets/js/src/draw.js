// Drawing on the network's canvas: trust-boundary regions under the graph and findings
// badges over it. These functions only draw on the 2D context they are handed.

import { DIM_OPACITY, FONT, regionTitle } from "./payload.js";
import { labelBox, midpoint } from "./regions.js";

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
    ctx.restore();
  }
}

// A round badge with the number of open findings, in the colour of the highest risk.
export function drawBadge(ctx, x, y, count, colour, dim) {
  const text = String(count);
  ctx.save();
  if (dim) ctx.globalAlpha = DIM_OPACITY;
  ctx.font = `700 11px ${FONT}`;
  const w = Math.max(18, ctx.measureText(text).width + 10);
  roundRect(ctx, x - w / 2, y - 9, w, 18, 9);
  ctx.fillStyle = colour;
  ctx.fill();
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = "#ffffff";
  ctx.stroke();
  ctx.fillStyle = "#ffffff";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillText(text, x, y + 0.5);
  ctx.restore();
}

// Badges of the elements and flows with open findings. Flow badges only once they can be
// read (they cost a lot on big drawings). colourOf(raw), dimmed(id): how each is drawn.
export function drawBadges(ctx, network, nodes, edges, colourOf, dimmed) {
  const badge = (x, y, item) => drawBadge(ctx, x, y, item.raw.open, colourOf(item.raw), dimmed(item.id));
  for (const n of nodes.get({ filter: (item) => item.raw.open > 0 })) {
    const box = network.getBoundingBox(n.id);
    if (box) badge(box.right - 2, box.top + 2, n);
  }
  const bodyEdges = network.body ? network.body.edges : {};
  const flowBadges = network.getScale() >= 0.5 ? edges.get({ filter: (item) => item.raw.open > 0 }) : [];
  for (const e of flowBadges) {
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
    badge(p.x, p.y - (e.label ? 14 : 0), e);
  }
}
