"""``workbench.diagram``: the canvas's picture as SVG, for notebooks and reports: drawn
where the layout puts everything, legible when printed, escaped."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from benchmarks.synthetic import synthetic_model
from workbench import ThreatModel
from workbench.diagram import MIN_FONT, PAD, diagram, to_svg
from workbench.export.report import (
    DIAGRAM_BOX_MM,
    DIAGRAM_BOX_PORTRAIT_MM,
    is_landscape,
    report_diagram,
    svg_size,
)
from workbench.layout import CELL_H, CELL_W, drawing, layout
from workbench.starters import load_template, names

SVG = "{http://www.w3.org/2000/svg}"
BOX_PT = (DIAGRAM_BOX_MM[0] * 72 / 25.4, DIAGRAM_BOX_MM[1] * 72 / 25.4)
PORTRAIT_PT = (DIAGRAM_BOX_PORTRAIT_MM[0] * 72 / 25.4, DIAGRAM_BOX_PORTRAIT_MM[1] * 72 / 25.4)
_TRANSLATE = re.compile(r"translate\(([-\d.]+),([-\d.]+)\)")


def parse(svg: str) -> ET.Element:
    """The SVG as XML (fails unless well-formed); our own output, no entities."""
    return ET.fromstring(svg)  # noqa: S314


def node_centres(svg: str) -> dict[str, tuple[float, float]]:
    """Where the SVG draws each element (its group's translation)."""
    out = {}
    for g in parse(svg).iter(f"{SVG}g"):
        if g.get("class") == "node":
            m = _TRANSLATE.fullmatch(g.get("transform") or "")
            assert m, g.attrib
            out[g.get("data-element") or ""] = (float(m.group(1)), float(m.group(2)))
    return out


def assert_same_order(
    drawn: dict[str, tuple[float, float]], laid: dict[str, tuple[float, float]]
) -> None:
    """Left to right (and top to bottom) the drawing keeps the layout's order: elements
    level in the layout are level in the drawing, and no two swap places."""
    assert set(drawn) == set(laid)
    for axis in (0, 1):
        ranked = sorted(laid, key=lambda k: (laid[k][axis], k))
        for a, b in itertools.pairwise(ranked):
            if laid[a][axis] == laid[b][axis]:
                assert drawn[a][axis] == pytest.approx(drawn[b][axis], abs=0.01), (a, b)
            else:
                assert drawn[a][axis] < drawn[b][axis], (axis, a, b)


@pytest.mark.parametrize("name", names())
def test_the_report_diagram_keeps_the_layouts_order(name: str) -> None:
    """The report draws the starter as the canvas does: elements left to right (and top to
    bottom) in the order of the layout's x (and y), boundaries at the layout's boxes."""
    model = load_template(name)
    laid = layout(model)
    drawn = report_diagram(model)
    centres = node_centres(drawn.svg)
    assert_same_order(centres, laid.positions)
    # the same picture, only scaled: every centre and box maps with one scale and shift
    x0 = min(
        [x - CELL_W / 2 for x, _ in laid.positions.values()] + [b[0] for b in laid.boxes.values()]
    )
    y0 = min(
        [y - CELL_H / 2 for _, y in laid.positions.values()] + [b[1] for b in laid.boxes.values()]
    )
    for eid, (x, y) in laid.positions.items():
        assert centres[eid][0] == pytest.approx((x - x0) * drawn.scale + PAD, abs=0.01)
        assert centres[eid][1] == pytest.approx((y - y0) * drawn.scale + PAD, abs=0.01)
    root = parse(drawn.svg)
    boxes = {
        g.get("data-boundary"): g.find(f"{SVG}rect")
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "boundary"
    }
    assert set(boxes) == set(laid.boxes)
    for bid, (bx0, by0, bx1, _) in laid.boxes.items():
        rect = boxes[bid]
        assert rect is not None
        assert float(rect.get("x") or 0) == pytest.approx((bx0 - x0) * drawn.scale + PAD, abs=0.01)
        assert float(rect.get("y") or 0) == pytest.approx((by0 - y0) * drawn.scale + PAD, abs=0.01)
        assert float(rect.get("width") or 0) == pytest.approx((bx1 - bx0) * drawn.scale, abs=0.01)


@pytest.mark.parametrize(
    "model",
    [*(load_template(n) for n in names()), synthetic_model(120), synthetic_model(1000)],
    ids=[*names(), "synthetic-120", "synthetic-1000"],
)
def test_report_diagram_fits_the_page_with_no_text_under_7_pt(model: ThreatModel) -> None:
    """The SVG is no larger than the box of its page (portrait, or landscape when it is
    wide), so the page shows it at its own size (the style sheet only shrinks images);
    then every font size in it is what prints."""
    drawn = report_diagram(model)
    size = svg_size(drawn.svg)
    assert size is not None
    box = BOX_PT if is_landscape(drawn) else PORTRAIT_PT
    assert size[0] <= box[0] + 0.01
    assert size[1] <= box[1] + 0.01
    sizes = [float(v) for v in re.findall(r'font-size="([\d.]+)"', drawn.svg)]
    assert all(s >= MIN_FONT for s in sizes), min(sizes)
    parse(drawn.svg)  # well-formed


def test_flow_labels_are_names_when_they_fit_and_numbers_otherwise() -> None:
    small = ThreatModel.model_validate(
        {
            "system": {"name": "Tiny"},
            "elements": [
                {"id": "u", "kind": "user", "name": "User"},
                {"id": "app", "kind": "llm_app", "name": "App"},
                {"id": "db", "kind": "vector_store", "name": "Index"},
            ],
            "flows": [
                {"id": "q", "source": "u", "target": "app", "name": "question"},
                {"id": "r", "source": "app", "target": "db", "name": "lookup"},
            ],
        }
    )
    drawn = report_diagram(small)
    assert drawn.labels == "names"
    assert ">question<" in drawn.svg
    assert ">lookup<" in drawn.svg
    for name in names():
        model = load_template(name)
        drawn = report_diagram(model)
        assert drawn.labels == "numbers", name
        assert sorted(drawn.numbers.values()) == list(range(1, len(model.flows) + 1))
        chips = re.findall(r'<g class="flow-label">.*?<text[^>]*>([^<]*)</text>', drawn.svg)
        shown = sorted(int(n) for chip in chips for n in chip.split(", "))
        assert shown == sorted(drawn.numbers.values()), name
    big = report_diagram(synthetic_model(1000))
    assert big.labels == "none"
    assert 'class="flow-label"' not in big.svg


def test_the_notebook_diagram_is_the_canvas_picture_at_half_a_point_per_pixel() -> None:
    model = load_template("rag_assistant")
    drawn = diagram(model)
    assert drawn.scale == 0.5
    assert drawn.labels == "names"
    assert_same_order(node_centres(drawn.svg), drawing(model).positions)
    assert to_svg(model) == drawn.svg


def test_hostile_text_is_escaped_and_the_svg_stays_well_formed() -> None:
    model = ThreatModel.model_validate(
        {
            "system": {"name": "<script>alert(1)</script>"},
            "boundaries": [{"id": "b", "name": '</svg><img src=x onerror="alert(2)">'}],
            "elements": [
                {"id": "a", "kind": "user", "name": "Tool: email <x> & 'q'", "boundary": "b"},
                {
                    "id": "c",
                    "kind": "tool",
                    "name": 'quote " and \\ backslash \u05e9\u05dc\u05d5\u05dd',
                },
            ],
            "flows": [{"id": "f", "source": "a", "target": "c", "name": "<i>flow</i>"}],
        }
    )
    for svg in (to_svg(model), report_diagram(model).svg):
        root = parse(svg)  # one well-formed document
        tags = {el.tag.removeprefix(SVG) for el in root.iter()}
        assert tags <= {"svg", "title", "rect", "g", "text", "ellipse", "path", "line", "polygon"}
        for raw in ("<script", "<img", "<i>"):
            assert raw not in svg
        assert "&lt;i&gt;flow&lt;/i&gt;" in svg
        assert "Tool: email &lt;x&gt; &amp; &#x27;q&#x27;" in svg


def test_no_graphviz_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert "<svg" in to_svg(load_template("rag_assistant"))
