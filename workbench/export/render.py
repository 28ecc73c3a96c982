"""A risk assessment rendered in one call: the report notebook
(:func:`workbench.export.report.report_notebook`) through the ``risk_html`` / ``risk_pdf``
exporters (:mod:`workbench.export.exporters`).

These sit beside the exporters, above the report package: the report builds notebooks
and knows nothing of nbconvert, the exporters render notebooks (and build a report from
a user's notebook), and this module joins the two. nbconvert is imported only when a
report is rendered.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..engine import Analysis
from ..model import ThreatModel
from ..register import Register
from .report import PRINT_MAX_FINDINGS, Progress, ReportOptions, report_notebook

if TYPE_CHECKING:
    from ..catalog import Catalog


def report_html(
    model: ThreatModel,
    analysis: Analysis | None = None,
    register: Register | None = None,
    *,
    catalog: Catalog | None = None,
    options: ReportOptions | None = None,
    progress: Progress | None = None,
) -> str:
    """The risk assessment as one self-contained HTML page (no script, no remote
    resource)."""
    from .exporters import RiskHTMLExporter

    nb = report_notebook(
        model, analysis, register, catalog=catalog, options=options, progress=progress
    )
    if progress:
        progress("rendering HTML (nbconvert)")
    body, _ = RiskHTMLExporter().from_notebook_node(nb)
    return str(body)


def report_pdf(
    model: ThreatModel,
    analysis: Analysis | None = None,
    register: Register | None = None,
    *,
    catalog: Catalog | None = None,
    options: ReportOptions | None = None,
    engine: str = "weasyprint",
    full: bool = False,
    progress: Progress | None = None,
) -> bytes:
    """The risk assessment as PDF (``engine``: ``weasyprint``, ``chromium`` or ``auto``).

    Models with more than :data:`~workbench.export.report.PRINT_MAX_FINDINGS` findings
    print a summarised register (see :attr:`ReportOptions.max_findings`) unless ``full``
    is true."""
    from .exporters import RiskPDFExporter

    options = replace(options or ReportOptions(), interactive_diagram=False, for_print=True)
    if not full and options.max_findings is None:
        options = replace(options, max_findings=PRINT_MAX_FINDINGS)
    nb = report_notebook(
        model, analysis, register, catalog=catalog, options=options, progress=progress
    )
    exporter = RiskPDFExporter(engine=engine)
    exporter.progress = progress
    pdf, _ = exporter.from_notebook_node(nb)
    return bytes(pdf)
