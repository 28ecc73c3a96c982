"""nbconvert exporters for risk assessments and model cards: ``risk_html`` and ``risk_pdf``.

Registered as entry points (group ``nbconvert.exporters``), so that::

    jupyter nbconvert --to risk_html my_session.ipynb
    jupyter nbconvert --to risk_pdf my_session.ipynb

work, and JupyterLab and Notebook 7 list them under *File > Save and Export Notebook As*,
as *Risk assessment (HTML)* and *(PDF)* (labels given by the package's front-end extension,
``labextension/``: Jupyter Server routes only word-character names). The notebook
is either a report or model card built by :mod:`workbench.export` (rendered as it is), or
a user's own notebook whose metadata names the threat model (see
:func:`workbench.export.report.model_from_notebook`): the report is then built from that
model.

The template ships inside the package (``templates/workbench_risk``), found through
``extra_template_basedirs`` in editable installs and wheels alike. Code cells are never
shown: inputs are excluded by default and cells tagged ``remove_input`` / ``remove_cell``
are handled by nbconvert's ``TagRemovePreprocessor``.

PDF: WeasyPrint by default (it needs Pango from the OS), or headless Chromium
(``engine="chromium"``, ``/usr/bin/chromium --headless --print-to-pdf``). Neither fetches
anything: WeasyPrint may only read ``data:`` URIs, Chromium runs with scripts disabled
and every host name unresolvable, and the page's Content-Security-Policy forbids the rest.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters import DataTypeFilter
from nbconvert.preprocessors import TagRemovePreprocessor
from traitlets import Bool, Enum, Float, Int, Unicode, default

from ..version import __version__
from .interactive import allow_frame_scripts
from .report import (
    HIDE_CELL_TAG,
    HIDE_INPUT_TAG,
    METADATA_KEY,
    PAPERS,
    PRINT_MAX_FINDINGS,
    SECTION_TAG,
    NotebookModelError,
    ReportOptions,
    model_from_notebook,
    report_notebook,
)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
"""Folder holding the nbconvert template(s) of the workbench."""
TEMPLATE_NAME = "workbench_risk"
CHROMIUM = "/usr/bin/chromium"
PAGE_SIZES = {"a4": "A4", "letter": "letter"}
RENDERED_KINDS = ("risk_assessment", "model_card")
"""Notebook kinds (``metadata.threat_workbench.kind``) rendered as they are."""

CHROMIUM_ARGS = (
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--no-pdf-header-footer",
)


class RiskHTMLExporter(HTMLExporter):
    """A risk assessment (or model card) as one self-contained HTML page: no script, no
    remote resource, every user string escaped."""

    export_from_notebook = "Risk assessment (HTML)"

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)  # type: ignore[no-untyped-call]

    paper = Enum(
        ["", *PAPERS],
        default_value="",
        help="Paper size for printing: a4 or letter (default: the notebook's, else a4).",
    ).tag(config=True)

    @default("template_name")
    def _template_name_default(self) -> str:
        return TEMPLATE_NAME

    @default("extra_template_basedirs")
    def _extra_template_basedirs_default(self) -> list[str]:
        return [str(TEMPLATES_DIR)]

    @default("exclude_input")
    def _exclude_input_default(self) -> bool:
        return True

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self) -> bool:
        return True

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self) -> bool:
        return True

    def _init_preprocessors(self) -> None:
        super()._init_preprocessors()  # type: ignore[no-untyped-call]
        self.register_preprocessor(  # type: ignore[no-untyped-call]
            TagRemovePreprocessor(  # type: ignore[no-untyped-call]
                parent=self,
                remove_cell_tags={HIDE_CELL_TAG, "remove-cell"},
                remove_input_tags={HIDE_INPUT_TAG, "remove-input", "hide-input"},
            ),
            enabled=True,
        )

    # ----------------------------------------------------------------- conversion
    def workbench_notebook(self, nb: Any, resources: dict[str, Any] | None) -> Any:
        """``nb`` itself when it is a report or model card built by the workbench, else
        a report built from the model that ``nb``'s metadata names."""
        meta = nb.get("metadata", {}).get(METADATA_KEY) or {}
        tagged = any(SECTION_TAG in c.get("metadata", {}).get("tags", []) for c in nb.cells)
        if meta.get("kind") in RENDERED_KINDS and tagged:
            return nb
        from ..catalog import load_catalog

        base = ((resources or {}).get("metadata") or {}).get("path") or None
        model, catalogs, builtin = model_from_notebook(nb, base)
        path = meta.get("model_path")
        return report_notebook(
            model,
            catalog=load_catalog(*catalogs, builtin=builtin),
            options=self.report_options(meta),
            model_path=path if isinstance(path, str) else None,
        )

    interactive_diagram = Bool(
        False,
        help="Reports built from a user's notebook: add the interactive (pyvis) diagram.",
    ).tag(config=True)

    def report_options(self, meta: dict[str, Any]) -> ReportOptions:
        """Options of a report built from a user's notebook."""
        return ReportOptions(paper=self._paper(meta), interactive_diagram=self.interactive_diagram)

    def _paper(self, meta: dict[str, Any]) -> Any:
        paper = self.paper or meta.get("paper") or "a4"
        return paper if paper in PAGE_SIZES else "a4"

    def from_notebook_node(  # type: ignore[override]
        self, nb: Any, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        """The report (see :meth:`workbench_notebook`) as one HTML page, and the resources.
        A notebook that holds no usable model raises :class:`NotebookModelError` (one line:
        the notebook server answers it as the error of the export); run by ``jupyter
        nbconvert``, the line is logged and the command exits with status 1, without a
        traceback."""
        try:
            nb = self.workbench_notebook(nb, resources)
        except NotebookModelError as exc:
            _exit_cli(exc)
            raise
        meta = nb.metadata.get(METADATA_KEY) or {}
        paper = self._paper(meta)
        resources = dict(resources or {})
        resources["threat_workbench"] = {
            "version": __version__,
            "title": str(meta.get("title") or "Risk assessment"),
            "paper": paper,
            "page_size": PAGE_SIZES[paper],
            "kind": re.sub(r"[^a-z_]", "", str(meta.get("kind") or "")),
            **document_metadata(meta),
        }
        # HTMLExporter.from_notebook_node re-parses the page with BeautifulSoup to add
        # accessibility attributes we already write (15 s for a 300-element report), so
        # call the template exporter directly with the one filter our template needs.
        self.register_filter(  # type: ignore[no-untyped-call]
            "filter_data_type", DataTypeFilter(parent=self)
        )
        output, res = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return allow_frame_scripts(str(output)), res


def document_metadata(meta: dict[str, Any]) -> dict[str, Any]:
    """What the page's ``<meta>`` elements say of the document (and a PDF's document
    information, which WeasyPrint takes from them): its authors (the system's owners),
    subject, keywords and date, from the notebook's metadata. Text only, single lines."""

    def line(value: object, limit: int = 1000) -> str:
        return " ".join(str(value).split())[:limit] if isinstance(value, str) else ""

    owners = meta.get("owners")
    authors = [line(o, 200) for o in owners if line(o)] if isinstance(owners, list) else []
    keywords = meta.get("keywords")
    return {
        "authors": authors[:20],
        "subject": line(meta.get("subject")),
        "keywords": ", ".join(line(k, 100) for k in keywords[:30] if line(k))
        if isinstance(keywords, list)
        else "",
        "date": line(meta.get("date"), 40),
    }


# ============================================================================ PDF
class PDFEngineError(RuntimeError):
    """The PDF engine is missing or failed."""


def weasyprint_pdf(html: str) -> bytes:
    """Render ``html`` to a tagged PDF with WeasyPrint, reading nothing but ``data:``
    URIs. The document information (title, authors, subject, keywords, date) comes from
    the page's ``<title>`` and ``<meta>`` elements."""
    try:
        import weasyprint  # type: ignore[import-untyped]
    except (ImportError, OSError) as exc:  # OSError: Pango missing from the OS
        raise PDFEngineError(
            f"WeasyPrint is not usable ({exc}); pip install weasyprint, and install Pango "
            "(Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0 "
            "libharfbuzz-subset0 fonts-dejavu-core), or use the chromium engine"
        ) from exc
    from weasyprint.urls import URLFetcher  # type: ignore[import-untyped]

    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None)
    # tagged: headings, paragraphs, lists and tables as PDF structure (screen readers,
    # reflow); the outline comes from the headings' bookmark levels in the style sheet
    pdf: bytes = document.write_pdf(pdf_tags=True)
    return pdf


def chromium_pdf(html: str, chromium: str = CHROMIUM, timeout: float = 300.0) -> bytes:
    """Render ``html`` to PDF with headless Chromium (``--print-to-pdf``), scripts off
    and no host name resolvable."""
    if not Path(chromium).is_file():
        raise PDFEngineError(f"{chromium} not found (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="workbench-pdf-") as tmp:
        src = Path(tmp) / "report.html"
        out = Path(tmp) / "report.pdf"
        src.write_text(html, encoding="utf-8")
        cmd = [chromium, *CHROMIUM_ARGS, f"--user-data-dir={tmp}/profile", f"--print-to-pdf={out}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        cmd.append(src.as_uri())
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise PDFEngineError(f"chromium did not finish within {timeout:.0f} s") from exc
        if done.returncode != 0 or not out.is_file():
            tail = done.stderr.decode("utf-8", "replace")[-2000:]
            raise PDFEngineError(f"chromium failed (exit {done.returncode}):\n{tail}")
        return out.read_bytes()


def pick_engine(engine: str, chromium: str = CHROMIUM) -> str:
    """The engine to use: ``auto`` means WeasyPrint when it loads, else Chromium."""
    if engine != "auto":
        return engine
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        if Path(chromium).is_file() or shutil.which("chromium"):
            return "chromium"
    return "weasyprint"


def html_to_pdf(html: str, engine: str = "weasyprint", chromium: str = CHROMIUM) -> bytes:
    """Render a report page to PDF with ``engine`` (``weasyprint``, ``chromium``,
    ``auto``)."""
    chosen = pick_engine(engine, chromium)
    if chosen == "chromium":
        return chromium_pdf(html, chromium)
    return weasyprint_pdf(html)


class RiskPDFExporter(RiskHTMLExporter):
    """A risk assessment (or model card) as PDF: A4 or Letter, page numbers, headers of
    long tables repeated on every page, the diagram scaled to one page."""

    export_from_notebook = "Risk assessment (PDF)"
    output_mimetype = "application/pdf"

    engine = Enum(
        ["weasyprint", "chromium", "auto"],
        default_value="weasyprint",
        help="PDF engine: weasyprint (default), chromium (headless --print-to-pdf), or "
        "auto (WeasyPrint when it loads, else Chromium).",
    ).tag(config=True)
    chromium_path = Unicode(CHROMIUM, help="Chromium executable for engine=chromium.").tag(
        config=True
    )
    timeout = Float(300.0, help="Seconds Chromium may take.").tag(config=True)

    max_findings = Int(
        PRINT_MAX_FINDINGS,
        allow_none=True,
        help="Reports built from a user's notebook list at most this many findings one by "
        "one and summarise the rest by threat (None: list all; slow for large models).",
    ).tag(config=True)

    progress: Callable[[str], None] | None = None
    """Called with a line of text before each slow step (for CLIs and widgets)."""

    def report_options(self, meta: dict[str, Any]) -> ReportOptions:
        """Options of a report built from a user's notebook: summarised when large."""
        return ReportOptions(
            paper=self._paper(meta), max_findings=self.max_findings, for_print=True
        )

    @default("file_extension")
    def _file_extension_default(self) -> str:
        return ".pdf"

    @default("template_extension")
    def _template_extension_default(self) -> str:
        return ".html.j2"

    def from_notebook_node(  # type: ignore[override]
        self, nb: Any, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[bytes, dict[str, Any]]:
        """The report rendered to PDF with the chosen engine, and the resources."""
        html, res = super().from_notebook_node(nb, resources, **kw)
        engine = pick_engine(self.engine, self.chromium_path)
        if self.progress:
            self.progress(f"rendering PDF ({engine})")
        if engine == "chromium":
            pdf = chromium_pdf(html, self.chromium_path, self.timeout)
        else:
            pdf = weasyprint_pdf(html)
        res["output_extension"] = ".pdf"
        return pdf, res


def _exit_cli(exc: Exception) -> None:
    """Under ``jupyter nbconvert``: log ``exc`` in one line and exit 1 (its own handling
    would print a traceback). Elsewhere (the notebook server's export): return."""
    from nbconvert.nbconvertapp import NbConvertApp
    from traitlets.config import Application

    app = Application.instance() if Application.initialized() else None
    if isinstance(app, NbConvertApp):  # not the notebook server (a ServerApp)
        app.log.error("%s", exc)
        app.exit(1)
