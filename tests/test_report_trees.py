"""Attack trees in the risk assessment (issue 17): every crown jewel's tree in the HTML
report, worst first; in print too, small (one row per way), but for the ``print_trees``
most at-risk drawn whole; names escaped inside the SVG. The printed PDF is read back in
tests/test_report_typesetting.py."""

from __future__ import annotations

import base64
import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest

from workbench import ThreatModel
from workbench.attack_trees import attack_trees, compact_figure
from workbench.attack_trees.svg import MIN_FONT
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


def test_print_draws_every_tree_small_but_those_asked_for_whole() -> None:
    model = ThreatModel.from_template("rag_assistant")
    analysis = analyze(model)
    from workbench.export.report.build import ReportBuilder

    def drawn(**options: object) -> list[tuple[str, str]]:
        ctx = ReportBuilder(analysis, options=ReportOptions(date=DATE, **options))  # type: ignore[arg-type]
        return _trees(str(render(ctx)))

    def whole(svg: str) -> bool:  # the full figure ends with its legend
        return "OR: any one child is enough" in svg

    html = drawn()
    assert len(html) > 1
    assert all(whole(svg) for _, svg in html)  # the HTML: all, whole
    printed = drawn(for_print=True)
    assert [t for t, _ in printed] == [t for t, _ in html]  # print: all, same order
    assert not any(whole(svg) for _, svg in printed)  # small
    for _, svg in printed:
        root = ET.fromstring(svg)  # noqa: S314 - our own output
        assert float(root.get("width", "0").removesuffix("pt")) <= 527  # A4's text width
        sizes = {
            float(t.get("font-size", "0")) for t in root.iter("{http://www.w3.org/2000/svg}text")
        }
        assert min(sizes) >= MIN_FONT
        assert "Cut sets" in svg or "Cut already" in svg
    one = drawn(for_print=True, print_trees=1)
    assert [whole(svg) for _, svg in one] == [True] + [False] * (len(one) - 1)
    assert all(whole(svg) for _, svg in drawn(for_print=True, print_trees=99))


def test_the_compact_figure_lists_every_way_and_step() -> None:
    """Each way of a small tree is a row naming its steps in order, each with the first
    mitigation that cuts it on its own (or that it is cut)."""
    analysis = analyze(ThreatModel.from_template("rag_assistant"))
    for tree in attack_trees(analysis, today=DATE):
        if not tree.way_count:
            continue
        svg = compact_figure(tree).svg
        text = " ".join(
            t.text or ""
            for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")  # noqa: S314
        )
        for way in (n for n in tree.nodes() if n.kind == "way"):
            nodes = ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g")  # noqa: S314
            assert any(g.get("data-node") == way.id for g in nodes), way.id
            for step in way.children:
                first = next((m for m in step.mitigations if m.cuts), None)
                if step.cut:
                    assert "✓ cut" in text
                elif first is not None:
                    assert first.id.removeprefix("MIT-")[:12] in text.replace(" ", "")
        assert f"Attack tree: {tree.title}"[:30] in text


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
