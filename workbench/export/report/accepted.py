"""Section 11, accepted and transferred risks, with who decided and why."""

from __future__ import annotations

from ...model import Decision
from ..safehtml import Html, h, join, link, risk_badge, table
from .context import ReportContext
from .options import SHORT_LIMIT


def render(ctx: ReportContext) -> Html:
    """The accepted and transferred risks, with who decided, why and when."""
    rows = []
    for e in ctx.ranked:
        d = e.decision
        if d is None or d.status not in ("accepted", "transferred"):
            continue
        rows.append(
            (
                join(ctx.finding_ref(e), h("br"), h("span", e.finding.title, class_="title")),
                ctx.named(e.finding.target),
                d.status,
                risk_badge(e.residual_risk),
                h("strong", "yes", class_="warn") if e.above_tolerance else "no",
                ctx.clip(d.owner, SHORT_LIMIT),
                h("span", ctx.clip(d.rationale), class_="rationale"),
                _dates(ctx, d),
            )
        )
    return join(
        h(
            "p",
            "Risks the team decided to carry or hand over, with who decided and why. "
            "Accepted risks above the tolerance need the sign-off below.",
            class_="intro",
        ),
        table(
            (
                "Finding",
                "Target",
                "Decision",
                "Residual",
                "Above tolerance",
                "Owner",
                "Rationale",
                "Decided / due / ticket",
            ),
            rows,
            empty="No risks have been accepted or transferred.",
            widths=("16%", "11%", "10%", "8%", "8%", "11%", "24%", "12%"),
        ),
    )


def _dates(ctx: ReportContext, d: Decision) -> Html:
    parts: list[object] = []
    if d.decided:
        parts += ["decided ", d.decided.isoformat()]
    if d.due:
        parts += [h("br") if parts else None, "due ", d.due.isoformat()]
    if d.ticket:
        parts += [
            h("br") if parts else None,
            link(d.ticket, ctx.clip(d.ticket, SHORT_LIMIT), class_="ticket"),
        ]
    return join(parts)
