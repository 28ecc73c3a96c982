"""The static snapshot that the Workbench and the Canvas display next to their widget view
(``widgets.snapshot``), and what nbconvert's stock HTML exporter makes of it.

The notebook helpers at the top are shared with ``tests/browser/test_snapshot.py``.
"""

from __future__ import annotations

import base64
import html
import re
from collections import Counter
from functools import cache
from typing import Any

import pytest

from benchmarks.synthetic import synthetic_model
from tests.conftest import MINIMAL
from tests.test_export_injection import IMG, SCRIPT, hostile_model
from widgets import Canvas, Workbench
from widgets.snapshot import DIAGRAM_LIMIT, WIDGET_VIEW_MIMETYPE, snapshot_html
from workbench.engine import Analysis, analyze
from workbench.model import Decision, ThreatModel
from workbench.model.statuses import STATUSES

WIDGET_STATE_MIMETYPE = "application/vnd.jupyter.widget-state+json"
SNAPSHOT_CLASS = "atw-snapshot"
RAG_NAME = "Support knowledge assistant (RAG)"
NOTEBOOK_CELLS = [
    "from widgets import Canvas, Workbench\nfrom workbench import ThreatModel\n"
    "Workbench.from_template('rag_assistant')",
    f"Canvas(ThreatModel.from_yaml({MINIMAL!r}))",
]
"""A user's notebook: a workbench on the RAG template, and a bare canvas."""
CELL_TIMEOUT = 180  # seconds per cell (the machine is shared)


# ============================================================================ helpers
@cache
def executed_notebook() -> Any:
    """:data:`NOTEBOOK_CELLS` run with nbclient's defaults, which store the widget state in
    the notebook's metadata (the same as ``jupyter nbconvert --execute``). Cached: callers
    get a deep copy from :func:`notebook`."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbclient.NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT).execute()
    return nb


def notebook(*, widget_state: bool = True) -> Any:
    """A copy of :func:`executed_notebook`; ``widget_state=False`` drops the saved state,
    as a notebook saved by JupyterLab or Notebook 7 (their default) has none."""
    import copy

    nb = copy.deepcopy(executed_notebook())
    if not widget_state:
        del nb.metadata["widgets"]
    return nb


def stock_html(nb: Any, **config: Any) -> str:
    """``nb`` converted by nbconvert's stock ``HTMLExporter`` (lab template) with ``config``
    (e.g. ``ClearMetadataPreprocessor={"enabled": True}``)."""
    nbconvert = pytest.importorskip("nbconvert")
    from traitlets.config import Config

    exporter = nbconvert.HTMLExporter(config=Config(config))
    body, _ = exporter.from_notebook_node(nb)
    return str(body)


CLEAR_WIDGET_STATE: dict[str, Any] = {
    "ClearMetadataPreprocessor": {"enabled": True, "clear_cell_metadata": False}
}
"""The exporter configuration docs/widgets.md recommends for a notebook that holds widget
state: ``--ClearMetadataPreprocessor.enabled=True
--ClearMetadataPreprocessor.clear_cell_metadata=False``."""


def snapshots_in(page: str) -> int:
    """How many snapshots an HTML page holds (nbconvert re-serialises quotes)."""
    return len(re.findall(rf"<div class=[\"']{SNAPSHOT_CLASS}[\"']>", page))


def svg_of(snapshot: str) -> str | None:
    """The SVG document of the snapshot's diagram (``None`` when there is none)."""
    m = re.search(r"<img class='atw-diagram' src='data:image/svg\+xml;base64,([^']+)'", snapshot)
    return base64.b64decode(m.group(1)).decode("utf-8") if m else None


def count_table(snapshot: str) -> dict[str, list[int]]:
    """The snapshot's findings table: risk level -> counts per status, then the total."""
    rows = re.findall(r"<tr data-risk='(\w+)'>(.*?)</tr>", snapshot)
    return {risk: [int(n) for n in re.findall(r"<td>(\d+)</td>", cells)] for risk, cells in rows}


# ============================================================================ bundle
def test_workbench_bundle_has_the_widget_view_and_the_snapshot(catalog: Any) -> None:
    wb = Workbench.from_template("rag_assistant", catalog=catalog)
    bundle = wb._repr_mimebundle_()
    assert bundle[WIDGET_VIEW_MIMETYPE]["model_id"] == wb.widget.model_id
    snapshot = bundle["text/html"]
    assert f"class='{SNAPSHOT_CLASS}'" in snapshot
    assert f"<h3>{html.escape(RAG_NAME)}</h3>" in snapshot
    assert bundle["text/plain"].startswith(f"AI Threat Workbench: {RAG_NAME} (17 elements")
    # the live model is what is shown: an edit changes the next display
    wb.model = wb.model.replace(system=wb.model.system.model_copy(update={"name": "Renamed"}))
    assert "<h3>Renamed</h3>" in wb._repr_mimebundle_()["text/html"]


def test_canvas_bundle_keeps_anywidgets_shape_and_adds_the_snapshot() -> None:
    canvas = Canvas(ThreatModel.from_yaml(MINIMAL))
    data, metadata = canvas._repr_mimebundle_()
    assert isinstance(metadata, dict)
    assert data[WIDGET_VIEW_MIMETYPE]["model_id"] == canvas.model_id
    assert SNAPSHOT_CLASS in data["text/html"]
    assert "No analysis" in data["text/html"]  # a canvas without analyzer has no findings


# ============================================================================ content
def test_snapshot_escapes_hostile_names() -> None:
    model = hostile_model()
    model = model.replace(system=model.system.model_copy(update={"name": f"Sys {SCRIPT}{IMG}"}))
    model = model.update_element("customer", name=f"User {IMG}")
    snapshot = Workbench(model)._repr_mimebundle_()["text/html"]
    for text in (SCRIPT, IMG):
        assert text not in snapshot
        assert html.escape(text) in snapshot
    assert "<script" not in snapshot.lower()
    assert "onerror=" not in snapshot.replace(html.escape(IMG), "")
    svg = svg_of(snapshot)
    assert svg is not None  # the diagram needs nothing installed: its labels are escaped too
    assert "<script" not in svg.lower()
    assert "<img" not in svg
    assert "User &lt;img" in svg


def test_counts_match_the_analysis(catalog: Any) -> None:
    model = ThreatModel.from_template("rag_assistant").replace(decisions=[])
    first = analyze(model, catalog)
    ids = [f.id for f in first.findings]
    model = model.set_decision(Decision(finding=ids[0], status="mitigated", mitigations=[]))
    model = model.set_decision(
        Decision(finding=ids[1], status="accepted", owner="Risk team", rationale="cheap")
    )
    model = model.set_decision(
        Decision(finding=ids[2], status="transferred", owner="Vendor", rationale="contract")
    )
    analysis = analyze(model, catalog)
    snapshot = snapshot_html(model, analysis)

    status = {d.finding: d.status for d in model.decisions}
    expected: Counter[tuple[str, str]] = Counter(
        (f.risk, status.get(f.id, "open")) for f in analysis.findings
    )
    table = count_table(snapshot)
    assert set(table) == {"critical", "high", "medium", "low", "info"}
    for risk, cells in table.items():
        per_status = [expected[(risk, s)] for s in STATUSES]  # every status is a column
        assert cells == [*per_status, sum(per_status)], risk
    assert f"<b>{len(analysis.findings)} findings</b>" in snapshot
    assert (
        f"{len(model.elements)} elements, {len(model.flows)} flows, "
        f"{len(model.boundaries)} trust boundaries, 3 decisions."
    ) in snapshot
    # the top-findings table lists open ones only, and says how many more there are
    listed = re.findall(r"data-finding='([^']+)' data-status='(\w+)'", snapshot)
    assert len(listed) == 10
    assert {s for _, s in listed} == {"open"}
    assert not {ids[0], ids[1], ids[2]} & {f for f, _ in listed}
    n_open = len(analysis.findings) - 3
    assert f"{n_open - 10} more open findings not listed." in snapshot


def test_diagram_is_drawn_below_the_limit_and_left_out_above_it(catalog: Any) -> None:
    model = ThreatModel.from_template("rag_assistant")
    analysis = analyze(model, catalog)
    small = snapshot_html(model, analysis)
    cut = snapshot_html(model, analysis, diagram_limit=len(model.elements) - 1)
    assert svg_of(cut) is None
    assert f"Diagram left out: {len(model.elements)} elements" in cut
    svg = svg_of(small)  # drawn without Graphviz
    assert svg is not None
    assert "<svg" in svg
    assert "Vector store" in svg
    assert "data-role='no-diagram'" not in small


def test_a_large_model_displays_without_a_diagram(catalog: Any) -> None:
    model = synthetic_model(DIAGRAM_LIMIT + 1)
    canvas = Canvas(model)
    data, _ = canvas._repr_mimebundle_()
    assert svg_of(data["text/html"]) is None
    assert f"Diagram left out: {DIAGRAM_LIMIT + 1} elements" in data["text/html"]
    analysis: Analysis = analyze(model, catalog)
    assert f"<b>{len(analysis.findings)} findings</b>" in snapshot_html(model, analysis)


# ============================================================================ nbconvert
@pytest.mark.slow
def test_stock_html_export_shows_the_snapshot_without_widget_state() -> None:
    """JupyterLab and Notebook 7 save no widget state by default: nbconvert then falls back
    to ``text/html``, the snapshot, and loads no widget manager."""
    body = stock_html(notebook(widget_state=False))
    assert snapshots_in(body) == 2
    assert html.escape(RAG_NAME) in body
    assert "html-manager" not in body
    assert f'<script type="{WIDGET_VIEW_MIMETYPE}">' not in body


@pytest.mark.slow
def test_stock_html_export_with_saved_state_shows_the_widget_view_only() -> None:
    """What docs/widgets.md says does not work: with saved state (nbclient's default) the
    stock exporter prefers the widget view, drops the snapshot and loads the widget
    manager from unpkg.com; clearing the metadata while converting brings it back."""
    nb = notebook()
    assert WIDGET_STATE_MIMETYPE in nb.metadata["widgets"]
    body = stock_html(nb)
    assert SNAPSHOT_CLASS not in body
    assert body.count(f'<script type="{WIDGET_VIEW_MIMETYPE}">') == 2
    assert "https://unpkg.com/@jupyter-widgets/html-manager" in body

    cleared = stock_html(notebook(), **CLEAR_WIDGET_STATE)
    assert snapshots_in(cleared) == 2
    assert "html-manager" not in cleared


@pytest.mark.slow
def test_risk_html_exporter_ignores_widget_state(tmp_path: Any) -> None:
    """Our own exporter builds the report from the model the metadata names, so a session
    notebook with saved widget state exports the same report."""
    pytest.importorskip("nbconvert")
    from workbench.export.exporters import RiskHTMLExporter

    (tmp_path / "model.yaml").write_text(MINIMAL, encoding="utf-8")
    nb = notebook()
    nb.metadata["threat_workbench"] = {"model_path": "model.yaml"}
    resources = {"metadata": {"path": str(tmp_path)}}
    body, _ = RiskHTMLExporter().from_notebook_node(nb, resources=resources)
    model = ThreatModel.from_yaml(MINIMAL)
    assert html.escape(model.system.name) in body
    assert "1. Executive summary" in body
    assert "html-manager" not in body
    assert SNAPSHOT_CLASS not in body
