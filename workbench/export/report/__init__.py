"""Risk assessment reports.

A report is a notebook (nbformat) whose cells each show one section as an HTML output;
the exporters in :mod:`workbench.export.exporters` render it to HTML or PDF with the
template shipped in ``workbench/export/templates/``, and
:func:`~workbench.export.render.report_html` / :func:`~workbench.export.render.report_pdf`
do both steps at once.

The package: :mod:`.options` (layout), :mod:`.context` (what every section reads), one
module per section — the body: :mod:`.summary`, :mod:`.scope`, :mod:`.architecture`,
:mod:`.causes` (findings by cause, as threat statements), :mod:`.attack_paths`,
:mod:`.mitigations` (the plan), :mod:`.coverage`, :mod:`.matrix`, :mod:`.accepted`,
:mod:`.signoff`; the appendices: :mod:`.inventory`, :mod:`.threat_register` (every element
and flow with its findings and their rule evidence), :mod:`.attack_paths`,
:mod:`.incidents`, :mod:`.mitigations`, :mod:`.coverage`, :mod:`.appendix` — and
:mod:`.front` for the title page and contents, :mod:`.build` (the outline, assembled) and
:mod:`.notebook` (notebook glue). :mod:`workbench.export.markdown` writes the same
sections as Markdown.

Safety: every string that comes from a model, a catalog or a decision is text; markup is
built only with :mod:`workbench.export.safehtml`, escaped by construction.

Heavy imports (nbformat, nbconvert, WeasyPrint) happen inside the functions that need them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ...engine import Analysis
from ...model import ThreatModel
from ...register import Register
from ...version import __version__
from ..safehtml import (
    Html,
    bullets,
    h,
    join,
    link,
    risk_badge,
    safe_url,
    small,
    svg_data_uri,
    table,
    text,
    yes_no,
)
from .architecture import (
    DIAGRAM_BOX_MM,
    DIAGRAM_BOX_PORTRAIT_MM,
    is_landscape,
    report_diagram,
    svg_size,
)
from .build import SECTIONS, ReportBuilder, analyse, build_report
from .causes import CAUSES, GROUP_COLUMNS
from .context import (
    LEVELS_DESC,
    STATUS_ORDER,
    ReportContext,
    catalog_fingerprint,
    catalog_label,
    model_fingerprint,
)
from .notebook import (
    HIDE_CELL_TAG,
    HIDE_INPUT_TAG,
    METADATA_KEY,
    MODEL_SUFFIXES,
    REPORT_KIND,
    SECTION_TAG,
    NotebookModelError,
    Section,
    link_notebook,
    model_from_notebook,
    sections_notebook,
)
from .options import (
    CELL_LIMIT,
    GROUP_MEMBERS_COMPACT,
    PAPERS,
    PARA_LIMIT,
    PRINT_MAX_FINDINGS,
    SHORT_LIMIT,
    Paper,
    Progress,
    ReportOptions,
)
from .threat_register import REGISTER_COLUMNS

if TYPE_CHECKING:
    from ...catalog import Catalog

__all__ = [
    "CAUSES",
    "CELL_LIMIT",
    "DIAGRAM_BOX_MM",
    "DIAGRAM_BOX_PORTRAIT_MM",
    "GROUP_COLUMNS",
    "GROUP_MEMBERS_COMPACT",
    "HIDE_CELL_TAG",
    "HIDE_INPUT_TAG",
    "LEVELS_DESC",
    "METADATA_KEY",
    "MODEL_SUFFIXES",
    "PAPERS",
    "PARA_LIMIT",
    "PRINT_MAX_FINDINGS",
    "REGISTER_COLUMNS",
    "REPORT_KIND",
    "SECTIONS",
    "SECTION_TAG",
    "SHORT_LIMIT",
    "STATUS_ORDER",
    "Html",
    "NotebookModelError",
    "Paper",
    "Progress",
    "ReportBuilder",
    "ReportContext",
    "ReportOptions",
    "Section",
    "analyse",
    "build_report",
    "bullets",
    "catalog_fingerprint",
    "catalog_label",
    "h",
    "is_landscape",
    "join",
    "link",
    "link_notebook",
    "model_fingerprint",
    "model_from_notebook",
    "report_diagram",
    "report_notebook",
    "risk_badge",
    "safe_url",
    "sections_notebook",
    "small",
    "svg_data_uri",
    "svg_size",
    "table",
    "text",
    "yes_no",
]


def report_notebook(
    model: ThreatModel,
    analysis: Analysis | None = None,
    register: Register | None = None,
    *,
    catalog: Catalog | None = None,
    options: ReportOptions | None = None,
    model_path: str | None = None,
    progress: Progress | None = None,
) -> Any:
    """The risk assessment as a notebook (an ``nbformat.NotebookNode``), ready for the
    ``risk_html`` and ``risk_pdf`` exporters (or to open in JupyterLab)."""
    options = options or ReportOptions()
    sections = build_report(
        model, analysis, register, catalog=catalog, options=options, progress=progress
    )
    meta: dict[str, Any] = {
        "kind": REPORT_KIND,
        "version": __version__,
        "title": f"{options.title}: {model.system.name}",
        "system": model.system.name,
        "paper": options.paper,
        "date": (options.date or dt.date.today()).isoformat(),
        "owners": list(model.system.owners),
        "subject": f"Threat model and risk assessment of {model.system.name}: findings "
        "by cause, attack paths, mitigations and control coverage",
        "keywords": ["AI risk assessment", "threat model", "PASTA", "STRIDE", "MITRE ATLAS"],
    }
    if model_path:
        meta["model_path"] = model_path
    return sections_notebook(sections, meta)
