"""End to end: labels on the canvas in a real JupyterLab.

- Every starter at 100 % zoom: each named flow has its label drawn, 12 px or more on
  screen, on a white box, and the labels keep clear of each other and of elements (at
  most :data:`MAX_CROWDED` exceptions per starter, where the drawing leaves no room). The
  whole drawing is photographed at 100 % in tiles (``$ATW_ARTIFACTS`` or the test's
  temporary folder) for a person to look at.
- Zooming out past 0.6 hides flow labels and past 0.35 element names; the elements are
  updated once per threshold crossed, not on every zoom step; hovering a flow or an
  element then draws its label.

Through the UI (mouse wheel, pointer) and the canvas's test hook ``root.atw``. No
console error and no request beyond 127.0.0.1 are allowed.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from workbench.starters import load_starter, names

from .test_canvas import open_workbench
from .test_canvas_containers import _write_notebook
from .test_canvas_tools import _atw, _wait_rev_after
from .test_jupyterlab import cell_errors, run_cell

if TYPE_CHECKING:
    from playwright.sync_api import FloatRect, Locator, Page

    from .conftest import JupyterLab, PageGuard

SETUP = """\
from widgets.canvas import Canvas
from workbench.starters import load_starter

canvas = Canvas(load_starter(%r), height="%s")
canvas"""
STARTERS = names()
MAX_CROWDED = 2
"""Labels per starter that may touch another label or an element: where flows run along
one line through an element, no spot along them is clear."""
MIN_FONT_PX = 12.0
EDGE_SCALE, NODE_SCALE = 0.6, 0.35  # labels.js EDGE_LABEL_MIN_SCALE, NODE_LABEL_MIN_SCALE


def _labels(page: Page) -> dict[str, Any]:
    labels: dict[str, Any] = _atw(page, "labels")
    return labels


def _dataset(page: Page, key: str) -> str:
    value = page.evaluate("(k) => document.querySelector('.atw-canvas').dataset[k] || ''", key)
    return str(value)


def _label_updates(page: Page) -> int:
    """How many times the canvas updated every element for a zoom threshold crossed."""
    return int(_dataset(page, "labelUpdates") or 0)


def _pixel(page: Page, point: dict[str, float]) -> tuple[int, int, int, int]:
    """The canvas's pixel (RGBA) at a page point."""
    rgba = page.evaluate(
        """(p) => {
            const c = document.querySelector('.atw-canvas .atw-graph canvas');
            const r = c.getBoundingClientRect();
            const x = Math.round((p.x - r.left) * c.width / r.width);
            const y = Math.round((p.y - r.top) * c.height / r.height);
            return Array.from(c.getContext('2d').getImageData(x, y, 1, 1).data);
        }""",
        point,
    )
    return (int(rgba[0]), int(rgba[1]), int(rgba[2]), int(rgba[3]))


def _photograph_at_full_size(page: Page, canvas: Locator, folder: Path, stem: str) -> list[Path]:
    """Screenshots of the whole drawing at 100 %, tile by tile."""
    drawing = _atw(page, "drawing")
    boxes = [e["box"] for e in drawing["elements"] if e["box"]]
    rects = [(r["x"], r["y"], r["x"] + r["w"], r["y"] + r["h"]) for r in drawing["regions"]]
    rects += [(b["left"], b["top"], b["right"], b["bottom"]) for b in boxes]
    x0, y0 = min(r[0] for r in rects), min(r[1] for r in rects)
    x1, y1 = max(r[2] for r in rects), max(r[3] for r in rects)
    graph = canvas.locator(".atw-graph").bounding_box()
    assert graph is not None
    w, h = graph["width"] - 20, graph["height"] - 20
    columns, rows = math.ceil((x1 - x0) / w), math.ceil((y1 - y0) / h)
    shots = []
    for i in range(columns):
        for j in range(rows):
            centre = {"x": x0 + (i + 0.5) * w, "y": y0 + (j + 0.5) * h}
            assert _atw(page, "zoomTo", 1, centre) == pytest.approx(1)
            path = folder / f"{stem}-100pct-{j}-{i}.png"
            canvas.locator(".atw-graph").screenshot(path=path)
            shots.append(path)
    return shots


@pytest.mark.browser
@pytest.mark.slow
def test_flow_labels_are_legible_at_100_percent_on_every_starter(
    jupyter_lab: JupyterLab, page: Page, guard: PageGuard, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    cells = [SETUP % (STARTERS[0], "900px")]
    cells += [f"canvas.model = load_starter({n!r})" for n in STARTERS[1:]]
    name = _write_notebook(jupyter_lab.root_dir, cells, "canvas-labels")
    canvas = open_workbench(page, jupyter_lab, name)
    canvas.scroll_into_view_if_needed()
    report = []
    for index, starter in enumerate(STARTERS):
        model = load_starter(starter)
        if index:
            rev = canvas.get_attribute("data-rev") or ""
            run_cell(page, index)
            assert not cell_errors(page), "a cell failed:\n" + "\n".join(cell_errors(page))
            _wait_rev_after(canvas, rev)
        expect(canvas).to_have_attribute("data-node-count", str(len(model.elements)))
        assert _atw(page, "zoomTo", 1) == pytest.approx(1)
        page.wait_for_function("() => document.querySelector('.atw-canvas').dataset.labels")
        labels = _labels(page)
        assert labels["level"] == "all", starter
        assert labels["fontPx"] >= MIN_FONT_PX, starter
        named = {f.id: f.name for f in model.flows if f.name.strip()}
        drawn = {d["id"]: d for d in labels["drawn"]}
        assert set(drawn) == set(named), starter  # every named flow, and only those
        for flow_id, d in drawn.items():
            assert d["text"] == " ".join(named[flow_id].split())[:40] or d["text"].endswith("…")
        crowded = labels["collisions"]["labels"] + labels["collisions"]["obstacles"]
        report.append(f"{starter}: {len(drawn)} labels, {labels['collisions']}")
        assert crowded <= MAX_CROWDED, f"{starter}: {labels['collisions']}"
        # a white box behind the text: the top-left corner of a label is white on screen
        sample = next(iter(drawn.values()))
        _atw(page, "zoomTo", 1, {"x": sample["x"] + sample["w"] / 2, "y": sample["y"]})
        corner = _atw(page, "pageOf", {"x": sample["x"] + 1.5, "y": sample["y"] + 1.5})
        r, g, b, a = _pixel(page, corner)
        assert a > 200, (starter, sample["text"], (r, g, b, a))
        assert min(r, g, b) > 225, (starter, sample["text"], (r, g, b, a))
        _photograph_at_full_size(page, canvas, artifacts, starter)
    print("\n".join(report))
    print(f"screenshots: {artifacts}")
    guard.assert_clean()


def _wheel_until(page: Page, graph: FloatRect, level: str, delta: float) -> None:
    """Zoom with the mouse wheel over the middle of the drawing until the labels' level
    reads ``level``."""
    page.mouse.move(graph["x"] + graph["width"] / 2, graph["y"] + graph["height"] / 2)
    for _ in range(60):
        if _dataset(page, "labels") == level:
            return
        page.mouse.wheel(0, delta)
        page.wait_for_timeout(30)
    assert _dataset(page, "labels") == level


def _hover(page: Page, at: dict[str, float], item_id: str) -> dict[str, Any]:
    """Centre the view, at the same zoom, on a canvas point of an item, move the pointer
    onto it and return the label drawn for it."""
    _atw(page, "zoomTo", _atw(page, "scale"), at)
    point = _atw(page, "pageOf", at)
    page.mouse.move(point["x"] + 40, point["y"] + 40)
    page.mouse.move(point["x"], point["y"], steps=4)
    page.wait_for_function(
        "(id) => { const h = document.querySelector('.atw-canvas').atw.labels().hover;"
        " return h && h.id === id; }",
        arg=item_id,
    )
    hover: dict[str, Any] = _labels(page)["hover"]
    return hover


def _distance(p: dict[str, float], a: dict[str, float], b: dict[str, float]) -> float:
    """From point ``p`` to the segment from ``a`` to ``b``."""
    dx, dy = b["x"] - a["x"], b["y"] - a["y"]
    length = dx * dx + dy * dy
    t = 0.0 if not length else ((p["x"] - a["x"]) * dx + (p["y"] - a["y"]) * dy) / length
    t = min(1.0, max(0.0, t))
    return math.hypot(p["x"] - a["x"] - t * dx, p["y"] - a["y"] - t * dy)


def _lone_flow(model: Any, at: dict[str, Any]) -> tuple[Any, dict[str, float]]:
    """A named flow drawn straight (no other flow joins its ends) and the middle of it,
    where no element and no other flow is drawn: the pointer there hovers that flow."""
    pairs = [frozenset((f.source, f.target)) for f in model.flows]
    for f in model.flows:
        if not f.name or pairs.count(frozenset((f.source, f.target))) > 1:
            continue
        a, b = at[f.source], at[f.target]
        middle = {"x": (a["x"] + b["x"]) / 2, "y": (a["y"] + b["y"]) / 2}
        boxes = [e["box"] for e in at.values()]
        if any(
            x["left"] - 30 <= middle["x"] <= x["right"] + 30
            and x["top"] - 30 <= middle["y"] <= x["bottom"] + 30
            for x in boxes
        ):
            continue
        others = [g for g in model.flows if g.id != f.id]
        if all(_distance(middle, at[g.source], at[g.target]) > 40 for g in others):
            return f, middle
    raise AssertionError("no flow stands alone at its middle")


@pytest.mark.browser
@pytest.mark.slow
def test_labels_hide_below_zoom_thresholds_and_show_on_hover(
    jupyter_lab: JupyterLab, page: Page, guard: PageGuard, artifacts: Path
) -> None:
    starter = "rag_assistant"
    model = load_starter(starter)
    name = _write_notebook(jupyter_lab.root_dir, [SETUP % (starter, "700px")], "canvas-zoom")
    canvas = open_workbench(page, jupyter_lab, name)
    canvas.scroll_into_view_if_needed()
    graph = canvas.locator(".atw-graph").bounding_box()
    assert graph is not None
    _atw(page, "zoomTo", 1)
    page.wait_for_function("() => document.querySelector('.atw-canvas').dataset.labels === 'all'")
    updates = _label_updates(page)

    # Zooming out with the wheel: flow labels go below 0.6, element names stay.
    _wheel_until(page, graph, "nodes", 100)
    scale = _atw(page, "scale")
    assert NODE_SCALE <= scale < EDGE_SCALE
    assert _labels(page)["drawn"] == []
    assert _label_updates(page) == updates  # elements untouched: flow labels are the canvas's
    canvas.screenshot(path=artifacts / "zoom-1-no-flow-labels.png")

    # Hovering a flow draws its label.
    at = {e["id"]: e for e in _atw(page, "drawing")["elements"]}
    flow, middle = _lone_flow(model, at)
    hover = _hover(page, middle, flow.id)
    assert hover == {"id": flow.id, "kind": "edge", "text": flow.name}
    canvas.screenshot(path=artifacts / "zoom-2-hovered-flow.png")

    # Below 0.35 element names go too: the elements are updated once, for the crossing.
    _wheel_until(page, graph, "none", 100)
    assert _atw(page, "scale") < NODE_SCALE
    assert _label_updates(page) == updates + 1
    element = model.element("llm_app")
    hover = _hover(page, at[element.id], element.id)
    assert hover == {"id": element.id, "kind": "node", "text": element.name}
    canvas.screenshot(path=artifacts / "zoom-3-hovered-element.png")

    # Zooming back in draws them all again, with one more update of the elements.
    _wheel_until(page, graph, "all", -100)
    assert _label_updates(page) == updates + 2
    assert _labels(page)["drawn"]
    print(f"screenshots: {artifacts}")
    guard.assert_clean()
