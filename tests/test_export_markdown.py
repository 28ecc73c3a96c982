"""The risk assessment as GitHub-flavoured Markdown (``report --format md``): the HTML
report's content, tables that stay tables, hostile text as text, the diagram beside it."""

from __future__ import annotations

import datetime as dt
import html as html_module
import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from tests.test_cli import run
from workbench.catalog import load_catalog
from workbench.engine import analyze
from workbench.starters import load_template

pytest.importorskip("nbconvert")
mistune: Any = pytest.importorskip("mistune")

from tests.test_export_injection import HOSTILE, IMG, JINJA, SCRIPT, hostile_model  # noqa: E402
from tests.test_export_report import ENGINE_CATALOG, decided  # noqa: E402
from tests.test_report_typesetting import vocabulary  # noqa: E402
from workbench.export.markdown import report_markdown  # noqa: E402
from workbench.export.render import report_html  # noqa: E402
from workbench.export.report import ReportOptions  # noqa: E402

DATE = dt.date(2026, 1, 15)
STARTERS = Path(__file__).resolve().parents[1] / "starters"


def _cells(line: str) -> list[str]:
    """The cells of a GFM table row (a ``\\|`` is text, not a border)."""
    inner = line.strip()[1:-1]
    return re.split(r"(?<!\\)\|", inner)


def tables(md: str) -> list[list[list[str]]]:
    """Every table of the Markdown: its rows (the header first), as cells."""
    out: list[list[list[str]]] = []
    current: list[list[str]] = []
    for line in [*md.splitlines(), ""]:
        if line.startswith("|"):
            current.append(_cells(line))
        elif current:
            out.append(current)
            current = []
    return out


def assert_tables_hold(md: str) -> None:
    """Each table: a header, its delimiter row, and rows as wide as the header."""
    found = tables(md)
    assert found
    for rows in found:
        assert len(rows) >= 3, rows
        assert all(c.strip() == "---" for c in rows[1]), rows[1]
        assert {len(r) for r in rows} == {len(rows[0])}, rows[:3]


@pytest.mark.parametrize("name", ["rag_assistant", "llm_agent_tools"])
def test_markdown_has_the_html_reports_words(name: str, catalog: Any) -> None:
    """Rendered by a Markdown parser, the Markdown shows the words the HTML report shows
    (the same sections, tables, statements, evidence), and nothing else but the bullets
    of lists inside table cells."""
    model = decided(load_template(name), catalog)
    analysis = analyze(model, catalog)
    options = ReportOptions(date=DATE)
    md = report_markdown(model, analysis, options=options)
    html = report_html(model, analysis, options=options)
    shown = str(mistune.html(md.text))
    diagram = {  # the words of the diagram and the attack trees, each in its own file
        w
        for text in md.files.values()
        for t in ElementTree.fromstring(text).iter("{http://www.w3.org/2000/svg}text")  # noqa: S314 - ours
        for w in (t.text or "").split()
    }
    assert "report-architecture.svg" in md.files
    assert any(n.startswith("report-attack-tree-") for n in md.files)
    page = vocabulary(html) - {"Page", "of"}
    words = vocabulary(shown) - {"•", "Page", "of"}
    assert words - page == set()
    assert page - words - diagram == set()  # the diagram's text is in its own file
    # headings as headings, the numbered sections in order
    headings = re.findall(r"^## (.+)$", md.text, re.MULTILINE)
    assert headings[:4] == [
        "Contents",
        "1. Executive summary",
        "2. Scope and business objectives",
        "3. Architecture",
    ]
    assert "G. Method, sources and glossary" in headings
    # one heading per cause, numbered
    causes = re.findall(r"^### (\d+)\. ", md.text, re.MULTILINE)
    assert [int(c) for c in causes] == list(range(1, len(analysis.groups) + 1))
    assert_tables_hold(md.text)
    # the diagram is a file beside it, shown as an image
    assert "![Architecture of " in md.text
    assert "](report-architecture.svg)" in md.text
    svg = ElementTree.fromstring(md.files["report-architecture.svg"])  # noqa: S314 - ours
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert "](report-attack-tree-" in md.text  # and so is each attack tree


def test_markdown_shows_hostile_text_as_text() -> None:
    analysis = analyze(hostile_model(), load_catalog(ENGINE_CATALOG, builtin=False))
    md = report_markdown(analysis.model, analysis, options=ReportOptions(date=DATE)).text
    shown = str(mistune.html(md))
    assert "<script" not in shown
    assert re.findall(r"<img [^>]*>", shown) == [
        m for m in re.findall(r"<img [^>]*>", shown) if 'src="report-architecture.svg"' in m
    ]
    assert "javascript:" not in "".join(re.findall(r'href="([^"]*)"', shown)).lower()
    # the user's Markdown and HTML are text: no bold, italics or code of theirs
    for markup in ("<b>", "<strong>bold", "<em>it", "<code>"):
        assert markup not in shown, markup
    text = html_module.unescape(re.sub(r"<[^>]+>", "", shown))
    for s in (SCRIPT, IMG, JINJA, *HOSTILE[3:4]):
        assert s in text, s
    # a name holding a pipe stays in its cell: every table keeps its shape
    assert "\\|" in md
    assert_tables_hold(md)
    # no line of user text starts a heading, a list or a quote of its own
    assert not re.search(r"^#+ .*not a heading", md, re.MULTILINE)


def test_report_command_writes_markdown_and_its_diagram(tmp_path: Path) -> None:
    target = tmp_path / "out" / "rag.md"
    code, out, err = run("report", str(STARTERS / "rag_assistant.yaml"), "-o", str(target))
    assert code == 0, err
    assert out.strip() == str(target)
    svg = tmp_path / "out" / "rag-architecture.svg"
    assert svg.is_file()
    md = target.read_text(encoding="utf-8")
    assert md.startswith("AI risk assessment\n\n# Support knowledge assistant (RAG)")
    assert "](rag-architecture.svg)" in md
    ElementTree.fromstring(svg.read_text(encoding="utf-8"))  # noqa: S314 - ours
    # an existing diagram file is not replaced without --force, and nothing is written
    target.unlink()
    code, _, err = run(
        "report", str(STARTERS / "rag_assistant.yaml"), "-f", "md", "-o", str(target)
    )
    assert code == 2
    assert "rag-architecture.svg" in err
    assert not target.exists()
    code, _, err = run(
        "report", str(STARTERS / "rag_assistant.yaml"), "-f", "md", "-o", str(target), "--force"
    )
    assert code == 0, err
    assert (tmp_path / "out" / "rag-architecture.svg.bak").is_file()
