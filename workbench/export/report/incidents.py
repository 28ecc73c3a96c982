"""Incident readiness: detection signals and first response steps for
every threat with a high or critical residual risk."""

from __future__ import annotations

from collections import defaultdict

from ...model.types import RISK_RANK
from ...register import Entry
from ..safehtml import Html, bullets, h, join, risk_badge, small
from .context import ReportContext, ident
from .options import SHORT_LIMIT


def render(ctx: ReportContext) -> Html:
    """One runbook per threat with a high or critical residual risk: where, who acts, detection
    signals and first response steps."""
    groups: dict[str, list[Entry]] = defaultdict(list)
    for e in ctx.ranked:
        if RISK_RANK[e.residual_risk] >= RISK_RANK["high"]:
            groups[e.finding.threat_id].append(e)
    blocks = []
    fallback = ", ".join(ctx.model.system.owners) or "not assigned"
    for tid, entries in sorted(groups.items(), key=lambda kv: (-kv[1][0].residual_score, kv[0])):
        t = ctx.catalog.threats.get(tid)
        owners = sorted({e.owner for e in entries if e.owner}) or sorted(
            {
                ctx.elements[e.finding.target].owner
                for e in entries
                if e.finding.target in ctx.elements and ctx.elements[e.finding.target].owner
            }
        )
        targets = ", ".join(ctx.name(e.finding.target) for e in entries[:12])
        if len(entries) > 12:
            targets += f" … (+{len(entries) - 12})"
        blocks.append(
            h(
                "div",
                h(
                    "h3",
                    risk_badge(entries[0].residual_risk),
                    " ",
                    t.title if t else tid,
                    " ",
                    small(ident(tid)),
                ),
                h(
                    "p",
                    h("strong", "Where: "),
                    targets,
                    " · ",
                    h("strong", "Owner: "),
                    ctx.clip(", ".join(owners) or fallback, SHORT_LIMIT),
                ),
                h(
                    "div",
                    h("div", h("h4", "Detection signals"), bullets(t.detection if t else [])),
                    h("div", h("h4", "First response steps"), bullets(t.response if t else [])),
                    class_="cols",
                ),
                class_="runbook",
            )
        )
    return join(
        h(
            "p",
            "For every threat with a high or critical residual risk: what shows it is "
            "happening, the first steps to take, and who acts.",
            class_="intro",
        ),
        join(blocks) if blocks else h("p", "No high or critical residual risks.", class_="empty"),
    )
