"""Risk assessment reports: notebook, HTML (DOM) and PDF (pdftotext, pdftoppm) of every
starter architecture."""

from __future__ import annotations

import base64
import datetime as dt
import importlib
import importlib.metadata
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from workbench import Decision, ThreatModel
from workbench.catalog import load_catalog
from workbench.engine import analyze
from workbench.layout import layout
from workbench.starters import load_template, names

pytest.importorskip("nbconvert")

from tests.test_diagram import assert_same_order, node_centres
from workbench.export.exporters import (
    TEMPLATES_DIR,
    RiskHTMLExporter,
    RiskPDFExporter,
)
from workbench.export.render import report_html, report_pdf
from workbench.export.report import (
    METADATA_KEY,
    SECTION_TAG,
    ReportBuilder,
    ReportOptions,
    report_notebook,
    safe_url,
)

nbformat: Any = pytest.importorskip("nbformat")
HERE = Path(__file__).resolve().parent
ENGINE_CATALOG = HERE / "fixtures" / "engine_catalog"
DATE = dt.date(2026, 1, 15)
SECTION_IDS = [sid for sid, _, _ in ReportBuilder.SECTIONS]
SECTION_TITLES = [title for _, title, _ in ReportBuilder.SECTIONS]
HAS_PDFTOTEXT = shutil.which("pdftotext") is not None and shutil.which("pdftoppm") is not None
PDF_WORKERS = 2  # processes that render the starters' PDFs side by side


def _weasyprint_ok() -> bool:
    try:
        import weasyprint  # type: ignore[import-untyped]  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


needs_pdf = pytest.mark.skipif(
    not (_weasyprint_ok() and HAS_PDFTOTEXT),
    reason="needs WeasyPrint (with Pango) and poppler-utils (pdftotext, pdftoppm)",
)


# ----------------------------------------------------------------------------- helpers
class Dom(HTMLParser):
    """A flat view of an HTML page: every start tag with its attributes, the text, and
    the text of each element with an id."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)

    def ids(self) -> set[str]:
        return {a["id"] for _, a in self.tags if a.get("id")}  # type: ignore[misc]

    def attr_values(self, name: str) -> list[str]:
        return [a[name] or "" for _, a in self.tags if name in a]

    def count(self, tag: str, cls: str | None = None) -> int:
        return sum(
            1
            for t, a in self.tags
            if t == tag and (cls is None or cls in (a.get("class") or "").split())
        )


def pdf_text(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    cmd = ["pdftotext", "-layout"]
    if first:
        cmd += ["-f", str(first)]
    if last:
        cmd += ["-l", str(last)]
    return subprocess.run([*cmd, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def pdf_pages(pdf: Path) -> list[str]:
    """The text of every page, from one ``pdftotext`` run (it ends each page with a form
    feed): the same text as ``pdf_text(pdf, n, n)`` for each page ``n``, without reading the
    file once per page."""
    pages = pdf_text(pdf).split("\f")[:-1]
    assert len(pages) == int(pdf_info(pdf)["Pages"])
    return pages


def pdf_info(pdf: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return {
        k.strip(): v.strip()
        for k, _, v in (line.partition(":") for line in out.stdout.splitlines())
    }


def assert_offline_and_scriptless(html: str) -> Dom:
    """No script, no event handler, no remote resource, only safe links."""
    dom = Dom(html)
    tags = {t for t, _ in dom.tags}
    assert "script" not in tags
    assert not {"iframe", "object", "embed", "link", "base", "form"} & tags
    for _, attrs in dom.tags:
        assert not [k for k in attrs if k.startswith("on")], attrs
    for src in dom.attr_values("src"):
        assert src.startswith("data:image/"), src[:80]
    for href in dom.attr_values("href"):
        assert re.match(r"^(https?://|#)", href), href
    assert "@import" not in html
    assert "url(" not in html
    csp = [a for t, a in dom.tags if t == "meta" and a.get("http-equiv")]
    assert csp
    assert "default-src 'none'" in (csp[0]["content"] or "")
    return dom


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where PDFs and page images go, to look at after a run."""
    return tmp_path_factory.mktemp("export-artifacts")


def decided(model: ThreatModel, catalog: Any) -> ThreatModel:
    """The model with one accepted, one mitigated and one transferred decision."""
    findings = sorted(analyze(model, catalog).findings, key=lambda f: (-f.score, f.id))
    a, b, c = findings[0], findings[1], findings[2]
    for d in (
        Decision(
            finding=a.id,
            status="accepted",
            owner="Risk owner Ada",
            rationale="Accepted until the Q3 redesign.",
            decided=DATE,
            ticket="https://tickets.example/SEC-1",
        ),
        Decision(
            finding=b.id,
            status="mitigated",
            owner="Platform team",
            mitigations=list(b.mitigations[:1]),
            controls=["SP800-53:AC-6", "ISO42001:A.6.2.6"],
        ),
        Decision(
            finding=c.id,
            status="transferred",
            owner="Vendor management",
            rationale="The hosting contract covers it.",
        ),
    ):
        model = model.set_decision(d)
    return model


# ----------------------------------------------------------------------------- units
@pytest.mark.parametrize(
    ("url", "attribute", "ok"),
    [
        ("https://atlas.mitre.org/techniques/AML.T0051", "href", True),
        ("http://example.org/x", "href", True),
        ("#f-AITW-1@x", "href", True),
        ("javascript:alert(1)", "href", False),
        ("JaVaScRiPt:alert(1)", "href", False),
        (" javascript:alert(1)", "href", False),
        ("java\tscript:alert(1)", "href", False),
        ("data:text/html,<script>", "href", False),
        ('https://x.org/"onmouseover=alert(1)', "href", False),
        ("//evil.example/x", "href", False),
        ("data:image/svg+xml;base64,PHN2Zz4=", "src", True),
        ("https://example.org/x.png", "src", False),
        ("data:text/html;base64,PHN2Zz4=", "src", False),
    ],
)
def test_safe_url(url: str, attribute: str, ok: bool) -> None:
    assert safe_url(url, attribute) is ok


def test_report_notebook_hides_code_and_carries_metadata(minimal: ThreatModel) -> None:
    nb = report_notebook(
        minimal,
        catalog=load_catalog(ENGINE_CATALOG, builtin=False),
        options=ReportOptions(date=DATE, paper="letter"),
        model_path="model.yaml",
    )
    meta = nb.metadata[METADATA_KEY]
    assert meta["kind"] == "risk_assessment"
    assert meta["paper"] == "letter"
    assert meta["model_path"] == "model.yaml"
    assert meta["date"] == "2026-01-15"
    assert all(c.cell_type == "code" for c in nb.cells)  # no Markdown cell with user text
    for c in nb.cells:
        assert "remove_input" in c.metadata.tags
        assert SECTION_TAG in c.metadata.tags
        assert c.metadata.jupyter.source_hidden is True
        assert c.source.startswith("#")  # only a comment: running it does nothing
        (out,) = c.outputs
        assert out.output_type == "display_data"
        assert "text/html" in out.data
    tags = [t for c in nb.cells for t in c.metadata.tags if t.startswith("section-")]
    assert tags == ["section-title", *(f"section-{s}" for s in SECTION_IDS)]
    nbformat.validate(nb)


def test_report_html_with_test_catalog_shows_sections_and_findings(minimal: ThreatModel) -> None:
    cat = load_catalog(ENGINE_CATALOG, builtin=False)
    analysis = analyze(minimal, cat)
    html = report_html(minimal, analysis, options=ReportOptions(date=DATE))
    dom = assert_offline_and_scriptless(html)
    ids = dom.ids()
    for sid in SECTION_IDS:
        assert f"sec-{sid}" in ids
    for f in analysis.findings:
        assert f"f-{f.id}" in ids
    assert "f-TEST-PI-001@bot" in ids
    text = dom.text
    assert "Injected instructions reach the LLM app" in text
    assert "AML.T0051.001" in text
    assert "LLM01" in text
    assert "Odd prompts" in text
    assert "Block the source" in text
    assert "Support bot" in text
    assert "sec-team" in text
    assert "2026-01-15" in text
    # Code is never shown
    assert "Rebuild the report" not in html
    assert "jp-InputArea" not in html
    # Register table: header repeats on every page
    assert dom.count("thead") >= 5
    assert "display: table-header-group" in html
    assert "@page { size: A4; }" in html


def test_report_html_is_deterministic(minimal: ThreatModel) -> None:
    cat = load_catalog(ENGINE_CATALOG, builtin=False)
    opts = ReportOptions(date=DATE)
    assert report_html(minimal, catalog=cat, options=opts) == report_html(
        minimal, catalog=cat, options=opts
    )


def test_decisions_reach_register_accepted_coverage_and_matrix(catalog: Any) -> None:
    model = decided(load_template("rag_assistant"), catalog)
    html = report_html(model, catalog=catalog, options=ReportOptions(date=DATE))
    dom = Dom(html)
    text = dom.text
    assert "Risk owner Ada" in text
    assert "Accepted until the Q3 redesign." in text
    assert "The hosting contract covers it." in text
    assert "Vendor management" in text
    assert "in place" in text  # SP800-53:AC-6 and ISO42001:A.6.2.6 are implemented
    assert "https://tickets.example/SEC-1" in dom.attr_values("href")
    sec = html[html.index('id="s-matrix"') :]
    sec = sec[: sec.index("</section>")]
    assert sec.count("<table") == 2
    assert sec.count('class="cell risk-') == 50


def test_large_models_summarise_the_printed_register(catalog: Any) -> None:
    model = load_template("llm_agent_tools")
    analysis = analyze(model, catalog)
    n = len(analysis.findings)
    full = ReportBuilder(analysis, options=ReportOptions(date=DATE)).sections()
    compact = ReportBuilder(analysis, options=ReportOptions(date=DATE, max_findings=5)).sections()

    def part(sections: list[Any], sid: str) -> str:
        return str(next(s.html for s in sections if s.id == sid))

    # under their causes: every finding, or the worst causes' first members
    assert part(full, "causes").count('id="f-') == n
    assert part(full, "register").count('id="r-') == n
    causes = part(compact, "causes")
    assert 0 < causes.count('id="f-') <= 5 + 4  # the first cause is always listed whole
    assert "more causes are not described here" in causes
    assert f"suggested {n} findings" in causes
    # the register: the 5 highest residual risks
    assert part(compact, "register").count('id="r-') == 5
    assert "From boundary" in part(compact, "inventory")


def _section(html: str, sid: str) -> str:
    start = html.index(f'id="s-{sid}"')
    return html[start : html.index("</section>", start)]


def _group_bodies(section: str) -> dict[str, str]:
    """Each cause's ``<tbody>`` in the findings-by-cause table, by group ID."""
    table = section[section.index('<table class="groups">') :]
    table = table[: table.index("</table>")]
    out = {}
    for body in table.split('<tbody class="group">')[1:]:
        gid = re.search(r'id="g-([^"]+)"', body)
        assert gid
        out[gid.group(1)] = body[: body.index("</tbody>")]
    return out


def test_causes_list_every_group_and_the_register_every_finding(catalog: Any) -> None:
    model = decided(load_template("rag_assistant"), catalog)
    analysis = analyze(model, catalog)
    html = report_html(model, analysis, options=ReportOptions(date=DATE))
    sec = _section(html, "causes")
    bodies = _group_bodies(sec)
    assert list(bodies) == [g.id for g in analysis.groups]
    for i, g in enumerate(analysis.groups, 1):
        body = bodies[g.id]
        assert re.findall(r'<tr id="f-([^"]+)"', body) == list(g.members)
        assert f">{i}. <" in body or f">{i}. " in body  # numbered, for the plan to cite
        if g.fix:
            assert f'href="#m-{g.fix}"' in body
    # the decisions show under the causes too
    assert "Risk owner Ada" in "".join(bodies.values())
    # the register appendix lists every finding once, under its element or flow, with
    # its evidence; every element has its heading row even without findings
    register = _section(html, "register")
    assert sorted(re.findall(r'<tr id="r-([^"]+)"', register)) == sorted(
        f.id for f in analysis.findings
    )
    assert set(re.findall(r'id="e-([^"]+)"', register)) == {e.id for e in model.elements}
    text = Dom(register).text
    for f in analysis.findings:
        own = [c for c in f.why if register.count(c) >= 1]
        assert own == list(f.why), f.id  # every clause of the evidence is there
    assert "Weaknesses:" in text
    # the register is an appendix, after the body
    assert html.index('id="s-register"') > html.index('id="s-signoff"')


def test_report_lists_a_groups_threat_text_once() -> None:
    from tests.test_register_formats import by_cause
    from workbench.statements import statements

    analysis = by_cause()
    said = statements(analysis)
    html = report_html(analysis.model, analysis, options=ReportOptions(date=DATE))
    sec = _section(html, "causes")
    bodies = _group_bodies(sec)
    # one threat on two flows: its statement once, written for the worst target, then
    # the two targets
    group = next(g for g in analysis.groups if g.id == "threat:GRP-FLOW-001")
    threat = analysis.catalog.threats["GRP-FLOW-001"]
    text = Dom(bodies[group.id]).text
    assert text.count(said[group.members[0]].text) == 1
    assert said[group.members[1]].text not in text
    assert text.count(threat.title) == 1  # in the heading only, not per target
    assert threat.description not in text  # the statement, not the catalog's prose
    assert "question" in text
    assert "answer" in text
    assert "Encrypt in transit" in text  # the recommended fix
    # a missing control's members are different threats: each with its statement
    missing = next(g for g in analysis.groups if g.id == "missing:store:authorization")
    text = Dom(bodies[missing.id]).text
    assert text.count(missing.title) == 1
    for fid in ("GRP-LEAK-001@store", "GRP-TAMPER-001@store"):
        f = next(f for f in analysis.findings if f.id == fid)
        assert text.count(said[fid].text) == 1
        assert f.title in text
    assert "Authorize every request" in text
    # the rule evidence is not in the body, only in the register appendix
    why = "; ".join(analysis.findings[0].why)
    assert why not in Dom(sec).text


def test_group_titles_are_escaped_in_the_report() -> None:
    from tests.test_register_formats import by_cause

    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    analysis = by_cause(store=evil, customer=f"Customer {evil}")
    assert evil in analysis.groups[0].title
    html = report_html(analysis.model, analysis, options=ReportOptions(date=DATE))
    assert_offline_and_scriptless(html)
    assert evil not in html
    text = Dom(_section(html, "causes")).text
    assert analysis.groups[0].title in text


def test_attack_paths_show_step_kinds_directions_and_notes(catalog: Any) -> None:
    from tests.test_influence_paths import _paths_model

    model = _paths_model()
    analysis = analyze(model, catalog)
    html = report_html(model, analysis, options=ReportOptions(date=DATE, max_attack_paths=100))
    sec = _section(html, "attack_paths")
    text = Dom(sec).text
    names = ReportBuilder(analysis)
    kinds = set()
    assert analysis.attack_paths
    for p in analysis.attack_paths:
        for step in p.steps:
            assert f"({step.kind}, {step.direction}: {names.name(step.flow)})" in text
            kinds.add((step.kind, step.direction))
        for note in p.notes:
            assert note in text
    assert kinds == {("access", "reverse"), ("send", "forward")}
    with_notes = sum(1 for p in analysis.attack_paths if p.notes)
    assert with_notes
    assert sec.count('class="compact path-notes"') == with_notes


# ----------------------------------------------------------------------------- starters
@pytest.fixture(scope="module")
def starter_html(catalog: Any) -> dict[str, tuple[str, Any]]:
    out = {}
    for name in names():
        model = decided(load_template(name), catalog)
        analysis = analyze(model, catalog)
        out[name] = (
            report_html(model, analysis, options=ReportOptions(date=DATE)),
            analysis,
        )
    return out


@pytest.mark.parametrize("name", names())
def test_every_starter_exports_to_html(name: str, starter_html: dict[str, Any]) -> None:
    html, analysis = starter_html[name]
    dom = assert_offline_and_scriptless(html)
    ids = dom.ids()
    assert {f"sec-{s}" for s in SECTION_IDS} <= ids
    assert {f"f-{f.id}" for f in analysis.findings} <= ids
    text = dom.text
    for title in SECTION_TITLES:
        assert title in text
    model = analysis.model
    assert model.system.name in text
    # the top finding is in the executive summary and the register
    top = max(analysis.findings, key=lambda f: (f.score, f.id))
    assert text.count(top.id) >= 2
    # ATLAS links point at the framework
    assert any(h.startswith("https://atlas.mitre.org/techniques/") for h in dom.attr_values("href"))
    # diagram: one static SVG image, drawn as the canvas draws the starter, its flows
    # numbered and listed below it
    diagrams = [a for t, a in dom.tags if t == "img" and "diagram" in (a.get("class") or "")]
    assert len(diagrams) == 1
    src = diagrams[0]["src"] or ""
    assert src.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(src.split(",", 1)[1]).decode("utf-8")
    assert_same_order(node_centres(svg), layout(model).positions)
    numbered = [int(a["value"] or 0) for t, a in dom.tags if t == "li" and a.get("value")]
    assert numbered == list(range(1, len(model.flows) + 1))
    assert dom.count("table", "flow-key-columns") == 1  # in three columns
    assert dom.count("ol", "flow-key") == 3


def starter_pdf(name: str) -> bytes:
    """The report of the starter ``name``, with :func:`decided`'s decisions, as PDF (module
    level, so that a worker process of :func:`starter_pdfs` can run it)."""
    catalog = load_catalog()
    model = decided(load_template(name), catalog)
    return report_pdf(model, catalog=catalog, options=ReportOptions(date=DATE))


@pytest.fixture(scope="module")
def starter_pdfs(artifacts: Path) -> dict[str, Path]:
    """Every starter's PDF, rendered once for the module's PDF tests.

    WeasyPrint needs 10-15 s of one core per starter (60-page registers), so two worker
    processes render them side by side: 60 -> 35 s on an idle 2-core machine, no slower on
    a saturated one. ``spawn``: each worker is a fresh interpreter, not a fork of this one."""
    if not (_weasyprint_ok() and HAS_PDFTOTEXT):
        pytest.skip("needs WeasyPrint (with Pango) and poppler-utils")
    workers = min(PDF_WORKERS, os.cpu_count() or 1)
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
        pdfs = dict(zip(names(), pool.map(starter_pdf, names()), strict=True))
    out = {}
    for name, pdf in pdfs.items():
        path = artifacts / f"{name}.pdf"
        path.write_bytes(pdf)
        out[name] = path
    return out


@needs_pdf
@pytest.mark.slow
@pytest.mark.parametrize("name", names())
def test_every_starter_exports_to_pdf(
    name: str, starter_pdfs: dict[str, Path], artifacts: Path, catalog: Any
) -> None:
    pdf = starter_pdfs[name]
    assert pdf.read_bytes().startswith(b"%PDF-")
    info = pdf_info(pdf)
    pages = int(info["Pages"])
    assert pages >= 10
    assert "(A4)" in info["Page size"]
    text = pdf_text(pdf)
    model = load_template(name)
    assert model.system.name.split()[0] in text
    for title in SECTION_TITLES:
        assert re.sub(r"\s+", " ", title) in re.sub(r"\s+", " ", text), title
    assert f"Page 1 of {pages}" in text
    assert f"Page {pages} of {pages}" in text
    analysis = analyze(model, catalog)
    top = max(analysis.findings, key=lambda f: (f.score, f.id))
    assert top.title.split()[0] in text
    # the first pages as pictures, to look at
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "3", str(pdf), str(artifacts / name)],
        check=True,
    )
    assert len(list(artifacts.glob(f"{name}-*.png"))) == 3


def _pages_of(pages: list[str], header: str) -> list[int]:
    """The numbers (from 1) of the pages whose first line holds ``header``."""
    return [i for i, text in enumerate(pages, 1) if header in text.split("\n", 3)[0]]


@needs_pdf
@pytest.mark.slow
@pytest.mark.parametrize("name", names())
def test_pdf_diagram_stays_on_one_page_in_its_orientation(
    name: str, starter_pdfs: dict[str, Path]
) -> None:
    """The diagram and its legend on the section's first page; a portrait page, or a
    landscape page of its own when the diagram is wide (see
    :func:`workbench.export.report.report_diagram`). (The typesetting tests check that
    tables repeat their headers.)"""
    from workbench.export.report import is_landscape, report_diagram

    pdf = starter_pdfs[name]
    pages = pdf_pages(pdf)
    diagram_page = _pages_of(pages, "3. Architecture")[0]
    text = pages[diagram_page - 1]
    assert "3. Architecture" in text
    assert "Boxes are external entities" in text
    out = subprocess.run(
        ["pdfinfo", "-f", str(diagram_page), "-l", str(diagram_page), str(pdf)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    size = re.search(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", out)
    assert size
    wide = is_landscape(report_diagram(load_template(name)))
    assert (float(size.group(1)) > float(size.group(2))) is wide


@needs_pdf
@pytest.mark.slow
def test_pdf_diagram_prints_no_text_under_7_pt(starter_pdfs: dict[str, Path]) -> None:
    """What the printed pages show: every word of the architecture section (the diagram's
    names, numbers and titles, the legend, the flow key) is at least 7 pt. pdftotext's word
    boxes are as tall as DejaVu Sans's ascent plus descent, 1.164 em: 8.15 pt at 7 pt."""
    for name, pdf in starter_pdfs.items():
        pages = _pages_of(pdf_pages(pdf), "3. Architecture")
        boxes = subprocess.run(
            ["pdftotext", "-bbox", "-f", str(pages[0]), "-l", str(pages[-1]), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        heights = [
            float(y1) - float(y0)
            for y0, y1 in re.findall(
                r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" '
                r'yMax="([\d.]+)">',
                boxes,
            )
        ]
        assert len(heights) > 3 * len(load_template(name).elements), name  # the diagram's text
        assert min(heights) >= 7 * 1.164 - 0.05, (name, min(heights))


@needs_pdf
@pytest.mark.slow
def test_pdf_letter_paper(minimal: ThreatModel, tmp_path: Path) -> None:
    cat = load_catalog(ENGINE_CATALOG, builtin=False)
    pdf = report_pdf(minimal, catalog=cat, options=ReportOptions(date=DATE, paper="letter"))
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    assert "(letter)" in pdf_info(path)["Page size"]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/chromium").is_file(), reason="needs /usr/bin/chromium")
@pytest.mark.skipif(not HAS_PDFTOTEXT, reason="needs poppler-utils")
def test_pdf_with_chromium(minimal: ThreatModel, tmp_path: Path) -> None:
    cat = load_catalog(ENGINE_CATALOG, builtin=False)
    pdf = report_pdf(minimal, catalog=cat, options=ReportOptions(date=DATE), engine="chromium")
    path = tmp_path / "chromium.pdf"
    path.write_bytes(pdf)
    text = pdf_text(path)
    assert "Executive summary" in text
    assert "TEST-PI-001@bot" in text
    assert "Page 1 of" in text  # @page margin boxes
    assert "file://" not in text  # no browser header or footer


# ----------------------------------------------------------------------------- nbconvert
def _user_notebook(tmp_path: Path, minimal_text: str, **meta: Any) -> Path:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "bot.yaml").write_text(minimal_text, encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("from workbench import ThreatModel\nprint('hi')")]
    nb.metadata[METADATA_KEY] = {"model_path": "models/bot.yaml", **meta}
    path = tmp_path / "session.ipynb"
    nbformat.write(nb, path)
    return path


def test_exporter_builds_report_from_a_users_notebook(tmp_path: Path, minimal_text: str) -> None:
    path = _user_notebook(tmp_path, minimal_text, paper="letter")
    nb = nbformat.read(path, as_version=4)
    html, res = RiskHTMLExporter().from_notebook_node(
        nb, resources={"metadata": {"path": str(tmp_path)}}
    )
    assert res["output_extension"] == ".html"
    dom = assert_offline_and_scriptless(html)
    assert "Support bot" in dom.text
    assert "sec-summary" in dom.ids()
    assert "print('hi')" not in html  # the user's code is not the report
    assert "@page { size: letter; }" in html


def test_exporter_explains_a_notebook_without_model(tmp_path: Path) -> None:
    from workbench.export.report import NotebookModelError

    nb = nbformat.v4.new_notebook()
    with pytest.raises(NotebookModelError, match="holds no threat model") as info:
        RiskHTMLExporter().from_notebook_node(nb)
    assert "\n" not in str(info.value)  # one line, in the browser and on the command line
    nb.metadata[METADATA_KEY] = {"model_path": "../../etc/passwd"}
    with pytest.raises(NotebookModelError, match=r"\.yaml"):
        RiskHTMLExporter().from_notebook_node(nb, resources={"metadata": {"path": str(tmp_path)}})


def test_exporter_reads_an_inline_model(minimal: ThreatModel) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata[METADATA_KEY] = {"model": json.loads(minimal.model_dump_json())}
    html, _ = RiskHTMLExporter().from_notebook_node(nb)
    assert "Help-centre articles" in html


def test_link_notebook_writes_a_relative_model_path(tmp_path: Path, minimal_text: str) -> None:
    from workbench.export.report import link_notebook

    path = _user_notebook(tmp_path, minimal_text)
    link_notebook(path, tmp_path / "models" / "bot.yaml")
    meta = nbformat.read(path, as_version=4).metadata[METADATA_KEY]
    assert meta["model_path"] == "models/bot.yaml"


def test_template_ships_in_the_package() -> None:
    assert (TEMPLATES_DIR / "workbench_risk" / "index.html.j2").is_file()
    assert (TEMPLATES_DIR / "workbench_risk" / "report.css").is_file()
    exporter = RiskHTMLExporter()
    assert str(TEMPLATES_DIR) in exporter.extra_template_basedirs
    assert exporter.exclude_input
    assert exporter.exclude_input_prompt
    pdf = RiskPDFExporter()
    assert pdf.file_extension == ".pdf"
    assert pdf.output_mimetype == "application/pdf"


def test_jupyter_nbconvert_command_line(tmp_path: Path, minimal_text: str) -> None:
    """``jupyter nbconvert --to risk_html`` once the entry point is installed; until then
    the exporter's dotted class name (nbconvert imports it)."""
    path = _user_notebook(tmp_path, minimal_text)
    groups = importlib.metadata.entry_points(group="nbconvert.exporters")
    to = (
        "risk_html"
        if "risk_html" in {e.name for e in groups}
        else "workbench.export.exporters.RiskHTMLExporter"
    )
    done = subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", to, str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "session.html").read_text(encoding="utf-8")
    assert_offline_and_scriptless(html)
    assert "Support bot" in html
    assert "Executive summary" in html


def test_entry_points_when_installed() -> None:
    groups = {e.name: e for e in importlib.metadata.entry_points(group="nbconvert.exporters")}
    if "risk_html" not in groups:
        pytest.skip("entry points not installed yet (pyproject.toml)")
    assert groups["risk_html"].load() is RiskHTMLExporter
    assert groups["risk_pdf"].load() is RiskPDFExporter
    base: Any = importlib.import_module("nbconvert.exporters.base")
    assert {"risk_html", "risk_pdf"} <= set(base.get_export_names())
