"""The controls view: coverage of NIST AI RMF, ISO/IEC 42001 Annex A, SP 800-53 r5 and
ATLAS mitigations by the mitigations the team chose.

The numbers come from :func:`workbench.register.coverage.control_coverage`, the same
function the HTML report uses; this module only draws them, with the safe-HTML kit
(:mod:`workbench.export.safehtml`: every text escaped).
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as w

from workbench.export.safehtml import Html, join, joined
from workbench.export.safehtml import h_single as h
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

_STYLE = Html(
    """<style>
.atw-coverage table{border-collapse:collapse;width:100%;font-size:12px;margin-bottom:8px}
.atw-coverage th,.atw-coverage td{border-bottom:1px solid #e2e8f0;padding:3px 6px;
text-align:left;vertical-align:top}
.atw-coverage th{background:#f8fafc}
.atw-coverage code{font-size:11px}
</style>"""
)


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


def _codes(ids: Sequence[str]) -> Html | str:
    return joined(" ", [h("code", i) for i in ids]) or "–"


def _row(c: ControlCoverage) -> Html:
    by = c.addressed_by if c.in_place else c.planned_by
    return h(
        "tr",
        h("td", h("b", c.control)),
        h("td", c.title),
        h("td", control_state(c)),
        h("td", _codes(by)),
        h("td", _codes(c.mitigations)),
        data_framework=c.framework,
        data_control=c.control,
        data_state=control_state(c).replace(" ", "_"),
    )


def _heads(*titles: str) -> Html:
    return h("thead", h("tr", [h("th", t) for t in titles]))


def coverage_html(coverage: Sequence[FrameworkCoverage], show: str = "in_place") -> Html:
    """A summary table (per framework: listed, in place, share) and one table per
    framework with the controls ``show`` selects (see :data:`SHOW`)."""
    summary = [
        h(
            "tr",
            h("td", FRAMEWORK_LABELS.get(fc.framework, fc.name)),
            h("td", len(fc.controls)),
            h("td", fc.in_place),
            h("td", "–" if fc.percent is None else f"{fc.percent:.0f}%"),
            data_framework=fc.framework,
            data_in_place=fc.in_place,
            data_listed=len(fc.controls),
        )
        for fc in coverage
    ]
    parts: list[object] = [
        h(
            "table",
            _heads("Framework", "Controls recommended", "In place", "Coverage"),
            h("tbody", summary),
        )
    ]
    for fc in coverage:
        rows = [_row(c) for c in fc.controls if _shown(c, show)]
        body = rows or h("tr", h("td", h("i", "No controls to show."), colspan=5))
        parts += [
            h("h4", fc.name),
            h(
                "table",
                _heads("Control", "Title", "Status", "Findings", "Mitigations"),
                h("tbody", body),
            ),
        ]
    return join(_STYLE, h("div", parts, class_="atw-coverage"))


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
