"""Review cadence and sign-off."""

from __future__ import annotations

import datetime as dt

from ..safehtml import Html, h, join, table
from .context import ReportContext


def render(ctx: ReportContext) -> Html:
    """When the next review is due, and the sign-off table."""
    days = ctx.model.risk_tolerance.review_cadence_days
    nxt = ctx.date + dt.timedelta(days=days)
    above_accepted = [e for e in ctx.ranked if e.above_tolerance and not e.is_open]
    roles = (
        "System owner",
        "Security",
        "ML engineering",
        "Product owner",
        "Risk and compliance",
    )
    rows = [(r, Html(""), Html(""), Html("")) for r in roles]
    return join(
        h(
            "p",
            f"Review this threat model every {days} days, and whenever the "
            f"architecture, the data or the model changes. Next review due: "
            f"{nxt.isoformat()}.",
        ),
        h(
            "p",
            f"{len(above_accepted)} accepted risks are above the tolerance and need "
            "the signatures below.",
        )
        if above_accepted
        else None,
        table(
            ("Role", "Name", "Signature", "Date"),
            rows,
            class_="signoff",
            widths=("25%", "30%", "30%", "15%"),
        ),
    )
