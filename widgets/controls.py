"""The controls view: coverage of NIST AI RMF, ISO/IEC 42001 Annex A, SP 800-53 r5 and
ATLAS mitigations by the mitigations the team chose.

The numbers come from :func:`workbench.register.coverage.control_coverage`, the same
function the HTML report uses; this module only draws them (every text escaped).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import ipywidgets as w

from workbench.register import build_register
from workbench.register.coverage import (
    FRAMEWORK_LABELS,
    ControlCoverage,
    FrameworkCoverage,
    control_coverage,
)

from ._views import LiveView
from .canvas import Canvas

SHOW: list[tuple[str, str]] = [
    ("In place", "in_place"),
    ("Planned", "planned"),
    ("All recommended", "all"),
]
"""Which controls the view lists: addressed by a mitigated decision, chosen in an open
decision, or every control a recommended mitigation maps to."""

_STYLE = """<style>
.atw-coverage table{border-collapse:collapse;width:100%;font-size:12px;margin-bottom:8px}
.atw-coverage th,.atw-coverage td{border-bottom:1px solid #e2e8f0;padding:3px 6px;
text-align:left;vertical-align:top}
.atw-coverage th{background:#f8fafc}
.atw-coverage code{font-size:11px}
</style>"""


def control_state(c: ControlCoverage) -> str:
    """in place, planned or recommended."""
    if c.in_place:
        return "in place"
    return "planned" if c.planned_by else "recommended"


def _shown(c: ControlCoverage, show: str) -> bool:
    if show == "in_place":
        return c.in_place
    if show == "planned":
        return bool(c.planned_by) or c.in_place
    return True


def _codes(ids: Sequence[str]) -> str:
    return " ".join(f"<code>{html.escape(i)}</code>" for i in ids) or "–"


def _row(c: ControlCoverage) -> str:
    by = c.addressed_by if c.in_place else c.planned_by
    return (
        f"<tr data-framework='{html.escape(c.framework, quote=True)}' "
        f"data-control='{html.escape(c.control, quote=True)}' "
        f"data-state='{control_state(c).replace(' ', '_')}'>"
        f"<td><b>{html.escape(c.control)}</b></td><td>{html.escape(c.title)}</td>"
        f"<td>{html.escape(control_state(c))}</td><td>{_codes(by)}</td>"
        f"<td>{_codes(c.mitigations)}</td></tr>"
    )


def coverage_html(coverage: Sequence[FrameworkCoverage], show: str = "in_place") -> str:
    """A summary table (per framework: listed, in place, share) and one table per
    framework with the controls ``show`` selects (see :data:`SHOW`)."""
    summary = "".join(
        f"<tr data-framework='{html.escape(fc.framework, quote=True)}' "
        f"data-in-place='{fc.in_place}' data-listed='{len(fc.controls)}'>"
        f"<td>{html.escape(FRAMEWORK_LABELS.get(fc.framework, fc.name))}</td>"
        f"<td>{len(fc.controls)}</td><td>{fc.in_place}</td>"
        f"<td>{'–' if fc.percent is None else f'{fc.percent:.0f}%'}</td></tr>"
        for fc in coverage
    )
    parts = [
        _STYLE,
        "<div class='atw-coverage'><table><thead><tr><th>Framework</th>"
        "<th>Controls recommended</th><th>In place</th><th>Coverage</th></tr></thead>"
        f"<tbody>{summary}</tbody></table>",
    ]
    head = (
        "<tr><th>Control</th><th>Title</th><th>Status</th><th>Findings</th>"
        "<th>Mitigations</th></tr>"
    )
    for fc in coverage:
        rows = "".join(_row(c) for c in fc.controls if _shown(c, show))
        body = rows or "<tr><td colspan='5'><i>No controls to show.</i></td></tr>"
        parts.append(
            f"<h4>{html.escape(fc.name)}</h4><table><thead>{head}</thead>"
            f"<tbody>{body}</tbody></table>"
        )
    parts.append("</div>")
    return "".join(parts)


class ControlsView(LiveView):
    """Control coverage of ``canvas.analysis``; ``view.widget`` is the ipywidgets view."""

    def __init__(self, canvas: Canvas, *, live: bool = True) -> None:
        self.canvas = canvas
        self.coverage: tuple[FrameworkCoverage, ...] = ()
        self.show = w.ToggleButtons(options=SHOW, value="in_place")
        self.table = w.HTML(layout=w.Layout(max_height="480px", overflow="auto"))
        self.widget = w.VBox([self.show, self.table])
        self.widget.add_class("atw-controls-view")
        self.show.add_class("atw-controls-show")
        self.show.observe(lambda _: self._draw(), names="value")
        self._follow(canvas, live=live)

    def refresh(self) -> None:
        """Recompute the coverage from the canvas's analysis and decisions."""
        analysis = self.canvas.analysis
        self.coverage = (
            control_coverage(analysis, build_register(analysis)) if analysis is not None else ()
        )
        self._draw()

    def _draw(self) -> None:
        self.table.value = coverage_html(self.coverage, self.show.value)
