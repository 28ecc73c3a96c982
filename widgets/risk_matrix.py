"""The 5x5 risk matrix (likelihood x impact) as HTML heat maps, inherent beside residual.

The counting is done by :func:`workbench.register.coverage.risk_matrix` (the report uses
the same numbers); this module only draws it, with the safe-HTML kit
(:mod:`workbench.export.safehtml`).
"""

from __future__ import annotations

from collections import Counter

from workbench.engine.risk import level
from workbench.export.safehtml import Html, join
from workbench.export.safehtml import h_single as h
from workbench.register.coverage import Cell, RiskMatrix

from ._payload import RISK_COLOURS

_STYLE = Html(
    """<style>
.atw-matrix{border-collapse:collapse;font-size:12px;margin:4px 12px 4px 0}
.atw-matrix td,.atw-matrix th{width:34px;height:26px;text-align:center;padding:0}
.atw-matrix td{color:#fff;font-weight:600;border:1px solid #fff}
.atw-matrix caption{font-weight:600;text-align:left}
.atw-matrices{display:flex;flex-wrap:wrap}
</style>"""
)


def grid_html(cells: Counter[Cell], caption: str, role: str) -> Html:
    """One heat map: impact 5 at the top, likelihood 1 at the left; each cell carries
    ``data-likelihood``, ``data-impact`` and ``data-count``."""
    rows = []
    for impact in range(5, 0, -1):
        tds = [h("th", impact, scope="row")]
        for lk in range(1, 6):
            n = cells[(lk, impact)]
            colour = RISK_COLOURS[level(lk * impact)]
            opacity = "1" if n else "0.25"
            tds.append(
                h(
                    "td",
                    n or "",
                    data_likelihood=lk,
                    data_impact=impact,
                    data_count=n,
                    style=f"background:{colour};opacity:{opacity}",
                    title=f"likelihood {lk} × impact {impact}: {n} findings",
                )
            )
        rows.append(h("tr", tds))
    head = h(
        "tr",
        h("th", "I↓ L→", title="impact ↓ / likelihood →"),
        [h("th", i, scope="col") for i in range(1, 6)],
    )
    return h(
        "table",
        h("caption", caption),
        h("thead", head),
        h("tbody", rows),
        class_="atw-matrix",
        data_role=role,
    )


def matrices_html(matrix: RiskMatrix) -> Html:
    """Inherent and residual heat maps side by side, with how many findings moved."""
    return join(
        _STYLE,
        h(
            "div",
            grid_html(matrix.inherent, "Inherent risk", "inherent"),
            grid_html(matrix.residual, "Residual risk", "residual"),
            class_="atw-matrices",
        ),
        h(
            "p",
            str(matrix.moved),
            # a constant (its apostrophe stays as it is)
            Html(
                " findings moved to a lower score after the team's decisions. Bands: "
                "1–4 low, 5–9 medium, 10–16 high, 20–25 critical."
            ),
            data_role="moved",
        ),
    )
