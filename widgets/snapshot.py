"""A static HTML snapshot of a workbench, shown where the live widget cannot be.

:class:`~widgets.Workbench` and :class:`~widgets.Canvas` put this snapshot under
``text/html`` in their display bundle, next to the widget view. Front ends that run
widgets (JupyterLab 4, Notebook 7, VS Code) prefer the widget view; everything else that
reads the notebook file shows the snapshot instead: ``jupyter nbconvert --to html`` of a
notebook saved without widget state, GitHub's notebook preview, nbviewer, and a kernel
that has stopped. The snapshot has the system's name, its counts (elements, flows, trust
boundaries, findings by risk and decision status), the architecture as a static SVG (as
an ``<img>`` with a ``data:`` URI: no script, no fetch) and the top open findings.

Every piece of text users wrote is escaped: the HTML is built with the workbench's
safe-HTML kit (:mod:`workbench.export.safehtml`). Nothing here decides anything about threats:
the counts come from :func:`workbench.register.build_register`.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Mapping
from typing import Any, get_args

from workbench.engine import Analysis
from workbench.engine.risk import LEVELS
from workbench.export.safehtml import Html, join, svg_data_uri
from workbench.export.safehtml import h_single as h
from workbench.model import ThreatModel
from workbench.model.types import RISK_RANK, DecisionStatus
from workbench.register import Entry, build_register

from ._payload import RISK_COLOURS
from .tables import findings_table

SNAPSHOT_MIMETYPE = "text/html"
"""Where the snapshot goes in the display bundle."""
WIDGET_VIEW_MIMETYPE = "application/vnd.jupyter.widget-view+json"
DIAGRAM_LIMIT = 300
"""Largest model (in elements) whose diagram the snapshot draws: Graphviz takes about a
second at this size, and the snapshot is built every time the widget is displayed."""
TOP_FINDINGS = 10
"""How many open findings the snapshot lists."""
STATUSES: tuple[str, ...] = get_args(DecisionStatus)
LEVELS_DESC: tuple[str, ...] = tuple(reversed(LEVELS))

_STYLE = Html(
    """<style>
.atw-snapshot{font-family:system-ui,sans-serif;font-size:13px;line-height:1.4;
border:1px solid #cbd5e1;border-radius:6px;padding:8px 12px;max-width:100%}
.atw-snapshot h3{margin:0 0 4px 0;font-size:15px}
.atw-snapshot .atw-snapshot-note{color:#475569;font-size:12px;margin:0 0 6px 0}
.atw-snapshot table.atw-counts{border-collapse:collapse;font-size:12px;margin:6px 0}
.atw-snapshot table.atw-counts th,.atw-snapshot table.atw-counts td{
border:1px solid #e2e8f0;padding:2px 8px;text-align:right}
.atw-snapshot table.atw-counts th:first-child{text-align:left}
.atw-snapshot img.atw-diagram{max-width:100%;height:auto;display:block;margin:6px 0}
</style>"""
)


def snapshot_html(
    model: ThreatModel,
    analysis: Analysis | None = None,
    *,
    diagram_limit: int = DIAGRAM_LIMIT,
    top: int = TOP_FINDINGS,
) -> str:
    """The static snapshot of ``model`` and its findings, as one HTML fragment.

    Parameters
    ----------
    model
        The model to show.
    analysis
        Its findings (``None``: the snapshot says there is no analysis).
    diagram_limit
        Draw the architecture only up to this many elements (a note says when it is
        left out).
    top
        How many open findings to list, highest residual risk first.

    Returns
    -------
    str
        HTML with a ``<style>`` block and a ``div.atw-snapshot``; all user text escaped.
    """
    entries = list(build_register(analysis).entries) if analysis is not None else None
    parts = [
        h("h3", model.system.name),
        h(
            "p",
            "Static snapshot of the AI Threat Workbench. The interactive canvas needs a "
            "running kernel in JupyterLab, Notebook 7 or VS Code.",
            class_="atw-snapshot-note",
        ),
        h("p", _model_counts(model), data_role="counts"),
        _findings_counts(entries),
        _diagram(model, diagram_limit),
        _top_open(entries, top),
    ]
    return join(_STYLE, h("div", parts, class_="atw-snapshot"))


def with_snapshot(
    data: Mapping[str, Any] | None, model: ThreatModel, analysis: Analysis | None
) -> dict[str, Any]:
    """A widget's display data plus the snapshot under ``text/html`` and a one-line
    ``text/plain`` (the widget's own lists every child widget)."""
    out = dict(data or {})
    out[SNAPSHOT_MIMETYPE] = snapshot_html(model, analysis)
    out["text/plain"] = _plain(model, analysis)
    return out


def view_bundle(model_id: str) -> dict[str, Any]:
    """The display data that shows the widget ``model_id`` (as ipywidgets writes it),
    without the widget's own ``text/plain``: that is the ``repr`` of every widget under
    it, traits and all, which :func:`with_snapshot` replaces anyway."""
    return {WIDGET_VIEW_MIMETYPE: {"version_major": 2, "version_minor": 0, "model_id": model_id}}


def _plain(model: ThreatModel, analysis: Analysis | None) -> str:
    found = f", {len(analysis.findings)} findings" if analysis is not None else ""
    return f"AI Threat Workbench: {model.system.name} ({_counts_text(model)}{found})"


def _counts_text(model: ThreatModel) -> str:
    return (
        f"{len(model.elements)} elements, {len(model.flows)} flows, "
        f"{len(model.boundaries)} trust boundaries"
    )


def _model_counts(model: ThreatModel) -> str:
    return f"{_counts_text(model)}, {len(model.decisions)} decisions."


def _findings_counts(entries: list[Entry] | None) -> Html:
    """Findings per inherent risk level (rows) and decision status (columns)."""
    if entries is None:
        return h("p", h("i", "No analysis: this canvas has no analyzer."))
    counts: Counter[tuple[str, str]] = Counter((e.finding.risk, e.status) for e in entries)
    above = sum(1 for e in entries if e.above_tolerance and e.status == "open")
    head = h("tr", [h("th", s) for s in ("Risk", *STATUSES, "All")])
    rows = [_count_row(level, counts) for level in LEVELS_DESC]
    by_status: Counter[str] = Counter()
    for (_, status), n in counts.items():
        by_status[status] += n
    totals = [h("td", by_status[s]) for s in STATUSES]
    return join(
        h(
            "p",
            h("b", f"{len(entries)} findings"),
            ", ",
            h("span", f"{above} open above the risk tolerance", data_role="above"),
            ".",
        ),
        h(
            "table",
            h("thead", head),
            h("tbody", rows, h("tr", h("th", "All"), totals, h("td", len(entries)))),
            class_="atw-counts",
        ),
    )


def _count_row(level: str, counts: Counter[tuple[str, str]]) -> Html:
    cells = [counts[(level, s)] for s in STATUSES]
    badge = h("span", level, style=f"color:{RISK_COLOURS.get(level, '#64748b')}")
    return h(
        "tr", h("th", badge), [h("td", n) for n in cells], h("td", sum(cells)), data_risk=level
    )


def _diagram(model: ThreatModel, limit: int) -> Html:
    """The architecture as an ``<img>`` of the diagram's SVG (drawn where the canvas draws
    it, see :mod:`workbench.diagram`), or a note saying why not."""
    from workbench.diagram import to_svg

    n = len(model.elements)
    if n == 0:
        return h("p", "The model has no elements yet.", class_="atw-snapshot-note")
    if n > limit:
        return h(
            "p",
            f"Diagram left out: {n} elements is more than the snapshot draws ({limit}). "
            "Export the risk assessment for the full diagram.",
            class_="atw-snapshot-note",
            data_role="no-diagram",
        )
    try:
        svg = to_svg(model)
    except Exception as exc:  # a drawing bug must not break the display
        return h("p", f"Diagram unavailable: {exc}", class_="atw-snapshot-note")
    alt = f"Architecture of {model.system.name}: {n} elements, {len(model.flows)} flows"
    return h("img", class_="atw-diagram", src=svg_data_uri(svg), alt=alt)


def _top_open(entries: list[Entry] | None, top: int) -> Html:
    """The ``top`` open findings with the highest residual risk, as the findings table."""
    if entries is None:
        return Html("")
    open_entries = [e for e in entries if e.status == "open"]
    # the same as sorted(...)[:top], without sorting thousands of findings
    ranked = heapq.nsmallest(top, open_entries, key=lambda e: (-RISK_RANK[e.residual_risk], e.id))
    rest = len(open_entries) - len(ranked)
    more = (
        h("p", f"{rest} more open findings not listed.", class_="atw-snapshot-note")
        if rest
        else None
    )
    return join(
        h("p", h("b", f"Top {len(ranked)} open findings")),
        findings_table(ranked, limit=top),
        more,
    )
