"""Attack trees in the risk assessment (issue 17): every crown jewel's tree in the HTML
report, worst first; in print only as many as asked for; names escaped inside the SVG."""

from __future__ import annotations

import base64
import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest

from workbench import ThreatModel
from workbench.attack_trees import attack_trees
from workbench.engine import analyze
from workbench.export.render import report_html
from workbench.export.report import ReportOptions
from workbench.export.report.trees import render

DATE = dt.date(2026, 12, 1)
_Q = "['\"]"
_NOT_Q = "[^'\"]"
_IMG_SRC_FIRST = re.compile(
    rf"<img[^>]*src={_Q}data:image/svg\+xml;base64,({_NOT_Q}+){_Q}"
    rf"[^>]*alt={_Q}Attack tree: ({_NOT_Q}*){_Q}"
)


def _trees(html: str) -> list[tuple[str, str]]:
    """(title, SVG) of every attack-tree figure, in order."""
    found = [(t, s) for s, t in _IMG_SRC_FIRST.findall(html)]
    return [(t, base64.b64decode(s).decode("utf-8")) for t, s in found]


@pytest.mark.parametrize("name", ["rag_assistant", "llm_agent_tools"])
def test_the_html_report_draws_every_tree_worst_first(name: str) -> None:
    model = ThreatModel.from_template(name)
    analysis = analyze(model)
    html = report_html(model, analysis, options=ReportOptions(date=DATE))
    drawn = _trees(html)
    with_ways = [t for t in attack_trees(analysis, today=DATE) if t.way_count]
    assert with_ways
    assert sorted(title for title, _ in drawn) == sorted(
        t.title.replace("&", "&amp;") for t in with_ways
    )
    scores = {t.title: t.root.score for t in with_ways}
    order = [scores[title] for title, _ in drawn]
    assert order == sorted(order, reverse=True)
    for _, svg in drawn:
        ET.fromstring(svg)  # noqa: S314 - our own output; well-formed
    without = [t for t in attack_trees(analysis, today=DATE) if not t.way_count]
    for t in without:
        assert t.title in html  # named, with the reason


def test_print_draws_only_the_trees_asked_for() -> None:
    model = ThreatModel.from_template("rag_assistant")
    analysis = analyze(model)
    from workbench.export.report.build import ReportBuilder

    def drawn(**options: object) -> int:
        ctx = ReportBuilder(analysis, options=ReportOptions(date=DATE, **options))  # type: ignore[arg-type]
        return len(_trees(str(render(ctx))))

    assert drawn() > 1  # the HTML: all
    assert drawn(for_print=True) == 0
    assert drawn(for_print=True, print_trees=1) == 1
    assert drawn(for_print=True, print_trees=99) == drawn()


def test_names_in_a_tree_stay_text() -> None:
    evil = "<script>alert(1)</script> & <b>"
    model = ThreatModel.from_template("rag_assistant").update_element("vector_store", name=evil)
    analysis = analyze(model)
    html = report_html(model, analysis, options=ReportOptions(date=DATE))
    assert "<script>alert(1)" not in html
    svgs = [svg for _, svg in _trees(html)]
    assert any("&lt;script&gt;" in svg for svg in svgs)
    for svg in svgs:
        assert "<script" not in svg
        ET.fromstring(svg)  # noqa: S314 - our own output
