"""The 5x5 risk matrix (likelihood x impact) as HTML heat maps, inherent beside residual.

The counting is done by :func:`workbench.register.coverage.risk_matrix` (the report uses
the same numbers); this module only draws it.
"""

from __future__ import annotations

from collections import Counter

from workbench.engine.risk import level
from workbench.register.coverage import Cell, RiskMatrix

from ._payload import RISK_COLOURS

_STYLE = """<style>
.atw-matrix{border-collapse:collapse;font-size:12px;margin:4px 12px 4px 0}
.atw-matrix td,.atw-matrix th{width:34px;height:26px;text-align:center;padding:0}
.atw-matrix td{color:#fff;font-weight:600;border:1px solid #fff}
.atw-matrix caption{font-weight:600;text-align:left}
.atw-matrices{display:flex;flex-wrap:wrap}
</style>"""


def grid_html(cells: Counter[Cell], caption: str, role: str) -> str:
    """One heat map: impact 5 at the top, likelihood 1 at the left; each cell carries
    ``data-likelihood``, ``data-impact`` and ``data-count``."""
    rows = []
    for impact in range(5, 0, -1):
        tds = [f"<th scope='row'>{impact}</th>"]
        for lk in range(1, 6):
            n = cells[(lk, impact)]
            colour = RISK_COLOURS[level(lk * impact)]
            opacity = "1" if n else "0.25"
            tds.append(
                f"<td data-likelihood='{lk}' data-impact='{impact}' data-count='{n}' "
                f"style='background:{colour};opacity:{opacity}' "
                f"title='likelihood {lk} × impact {impact}: {n} findings'>{n or ''}</td>"
            )
        rows.append(f"<tr>{''.join(tds)}</tr>")
    head = "<tr><th title='impact ↓ / likelihood →'>I↓ L→</th>" + "".join(
        f"<th scope='col'>{i}</th>" for i in range(1, 6)
    )
    return (
        f"<table class='atw-matrix' data-role='{role}'><caption>{caption}</caption>"
        f"<thead>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def matrices_html(matrix: RiskMatrix) -> str:
    """Inherent and residual heat maps side by side, with how many findings moved."""
    return (
        f"{_STYLE}<div class='atw-matrices'>"
        f"{grid_html(matrix.inherent, 'Inherent risk', 'inherent')}"
        f"{grid_html(matrix.residual, 'Residual risk', 'residual')}</div>"
        f"<p data-role='moved'>{matrix.moved} findings moved to a lower score after the "
        "team's decisions. Bands: 1–4 low, 5–9 medium, 10–16 high, 20–25 critical.</p>"
    )
