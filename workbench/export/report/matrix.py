"""The risk matrix: inherent and residual."""

from __future__ import annotations

from collections import Counter

from ...engine.risk import level
from ...register.coverage import risk_matrix
from ..safehtml import Html, h, join
from .context import ReportContext


def render(ctx: ReportContext) -> Html:
    """The inherent and residual risk matrices: findings per likelihood × impact cell."""
    counts = risk_matrix(ctx.register.entries)
    inherent, residual, moved = counts.inherent, counts.residual, counts.moved
    return join(
        h(
            "p",
            "Number of findings per likelihood × impact cell, before (inherent) and "
            f"after (residual) the team's decisions; {moved} findings moved to a lower "
            "score. Bands: 1–4 low, 5–9 medium, 10–16 high, 20–25 critical.",
            class_="intro",
        ),
        h(
            "div",
            h("div", _grid(inherent, "Inherent risk"), class_="matrix-box"),
            h("div", _grid(residual, "Residual risk"), class_="matrix-box"),
            class_="matrices",
        ),
    )


def _grid(cells: Counter[tuple[int, int]], caption: str) -> Html:
    rows = []
    for impact in range(5, 0, -1):
        tds = [h("th", impact, scope="row")]
        for lk in range(1, 6):
            n = cells[(lk, impact)]
            tds.append(
                h(
                    "td",
                    n or "",
                    class_=f"cell risk-{level(lk * impact)}",
                    title=f"likelihood {lk} × impact {impact}: {n} findings",
                )
            )
        rows.append(h("tr", tds))
    head = h(
        "tr",
        h("th", "Impact ↓ / Likelihood →", class_="corner"),
        [h("th", i, scope="col") for i in range(1, 6)],
    )
    return h("table", h("caption", caption), h("thead", head), h("tbody", rows), class_="matrix")
