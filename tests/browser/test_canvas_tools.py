"""End to end: the canvas tools in a real JupyterLab, checked against the model in Python.

Through the UI only: select two elements and make a trust boundary of them, rename it by
double-clicking its label, undo and redo with the keyboard and the toolbar, drop an
element into the boundary's region, fit the view after zooming in, and see an attack path
highlighted (set from Python) emphasised while the rest is dimmed. After every step a
notebook cell prints the live model, which the test reads back. The notebook is written
into the server's temporary folder; screenshots go to ``$ATW_ARTIFACTS`` (or the test's
temporary folder); no console error and no request beyond 127.0.0.1 are allowed.
"""

from __future__ import annotations

import importlib
import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .test_canvas import drawn_at, open_workbench
from .test_jupyterlab import CODE_CELL, STDOUT, cell_errors, run_cell

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

    from .conftest import JupyterLab, PageGuard

MODEL = """\
format_version: 1
system: {name: Canvas tools}
boundaries:
  - {id: internet, name: Internet, trust: untrusted}
  - {id: vpc, name: VPC}
elements:
  - {id: customer, kind: user, name: Customer, boundary: internet, position: {x: 0, y: 0}}
  - id: bot
    kind: llm_app
    name: Bot
    boundary: vpc
    properties: {exposure: internet}
    position: {x: 320, y: 0}
  - {id: docs, kind: vector_store, name: Docs, boundary: vpc, position: {x: 320, y: 200}}
flows:
  - {id: ask, source: customer, target: bot}
  - {id: retrieve, source: docs, target: bot}
"""

SETUP = f'''\
import json
from widgets.canvas import Canvas
from workbench import ThreatModel
from workbench.catalog import load_catalog
from workbench.engine import Analyzer

canvas = Canvas(ThreatModel.from_yaml("""{MODEL}"""), analyzer=Analyzer(load_catalog()),
                height="560px")
canvas'''

STATE = """\
_m = canvas.model
print("STATE " + json.dumps({
    "boundaries": {b.id: {"name": b.name, "parent": b.parent} for b in _m.boundaries},
    "members": {e.id: e.boundary for e in _m.elements},
    "can_undo": canvas.can_undo,
    "can_redo": canvas.can_redo,
    "selection": list(canvas.selection),
}))"""

HIGHLIGHT = 'canvas.highlight = ["customer", "ask", "bot"]'
CLEAR = "canvas.clear_highlight()"
CELLS = (SETUP, STATE, HIGHLIGHT, CLEAR)
# BUILD_CELL (0) is the one open_workbench runs.
_, STATE_CELL, HIGHLIGHT_CELL, CLEAR_CELL = range(len(CELLS))
NEW = "boundary-3"  # the ID Python gives the first boundary drawn on this model


def _write_notebook(folder: Path) -> str:
    nbformat: Any = importlib.import_module("nbformat")  # untyped
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    name = f"canvas-tools-{uuid.uuid4().hex[:8]}.ipynb"
    nbformat.write(nb, folder / name)
    return name


def _state(page: Page) -> dict[str, Any]:
    """Run the state cell and return the live model it printed."""
    run_cell(page, STATE_CELL)
    assert not cell_errors(page), "a cell failed:\n" + "\n".join(cell_errors(page))
    text = page.locator(CODE_CELL).nth(STATE_CELL).locator(STDOUT).inner_text()
    state: dict[str, Any] = json.loads(text[text.index("STATE ") + len("STATE ") :])
    return state


def _run(page: Page, index: int) -> None:
    run_cell(page, index)
    assert not cell_errors(page), "a cell failed:\n" + "\n".join(cell_errors(page))


def _atw(page: Page, call: str, *args: Any) -> Any:
    """Call the canvas's test hook, e.g. ``_atw(page, "style", "bot")``."""
    return page.evaluate(
        "([call, args]) => document.querySelector('.atw-canvas').atw[call](...args)",
        [call, list(args)],
    )


def _settled(page: Page, call: str, *args: Any) -> Any:
    """The test hook's answer once the drawing has settled: the same over two animation
    frames (a patch's redraw, a fit, moves made to keep the container rules)."""
    return page.evaluate(
        """async ([call, args]) => {
            const atw = document.querySelector('.atw-canvas').atw;
            const frame = () => new Promise((done) => requestAnimationFrame(() => done()));
            let last = JSON.stringify(atw[call](...args));
            for (let i = 0; i < 50; i++) {
                await frame();
                await frame();
                const now = JSON.stringify(atw[call](...args));
                if (now === last) return JSON.parse(now);
                last = now;
            }
            return JSON.parse(last);
        }""",
        [call, list(args)],
    )


def _focus_canvas(page: Page) -> None:
    """Click an empty corner of the drawing, which focuses the canvas and selects nothing."""
    box = page.locator(".atw-stage").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 12, box["y"] + box["height"] - 12)


def _select(page: Page, *ids: str) -> None:
    """Click the first element, control-click the others."""
    for n, element_id in enumerate(ids):
        at = drawn_at(page, element_id)
        if n:
            page.keyboard.down("Control")
        page.mouse.click(at["x"], at["y"])
        if n:
            page.keyboard.up("Control")


def _drag(page: Page, start: dict[str, float], end: dict[str, float]) -> None:
    page.mouse.move(start["x"], start["y"])
    page.mouse.down()
    page.mouse.move(end["x"], end["y"], steps=15)
    page.mouse.up()


def _wait_rev_after(canvas: Locator, rev: str) -> None:
    """Wait until the canvas has applied an update newer than ``rev``."""
    canvas.page.wait_for_function(
        "(rev) => document.querySelector('.atw-canvas').dataset.rev !== rev", arg=rev
    )


def _brightness(page: Page, element_id: str) -> float:
    """Mean brightness of the pixels drawn around an element's centre, as seen on the
    white page (0 black, 765 white)."""
    pixels = page.evaluate(
        """(id) => {
            const root = document.querySelector('.atw-canvas');
            const canvas = root.querySelector('.atw-graph canvas');
            const at = root.atw.pagePosition(id);
            const rect = canvas.getBoundingClientRect();
            const sx = canvas.width / rect.width, sy = canvas.height / rect.height;
            const x = Math.round((at.x - rect.left - 14) * sx);
            const y = Math.round((at.y - rect.top - 8) * sy);
            const data = canvas.getContext('2d').getImageData(x, y, Math.round(28 * sx),
                Math.round(16 * sy)).data;
            let sum = 0;
            // the canvas is transparent: composite each pixel over the white page
            for (let i = 0; i < data.length; i += 4) {
                const a = data[i + 3] / 255;
                sum += (data[i] + data[i + 1] + data[i + 2]) * a + 765 * (1 - a);
            }
            return sum / (data.length / 4);
        }""",
        element_id,
    )
    return float(pixels)


@pytest.mark.browser
@pytest.mark.slow
def test_boundary_undo_redo_fit_and_highlight_through_the_ui(
    jupyter_lab: JupyterLab, page: Page, guard: PageGuard, artifacts: Path
):
    from playwright.sync_api import expect

    canvas = open_workbench(page, jupyter_lab, _write_notebook(jupyter_lab.root_dir))
    expect(canvas).to_have_attribute("data-node-count", "3")
    expect(canvas).to_have_attribute("data-boundary-count", "2")
    canvas.scroll_into_view_if_needed()
    undo, redo = canvas.locator("[data-action='undo']"), canvas.locator("[data-action='redo']")
    expect(undo).to_be_disabled()
    expect(redo).to_be_disabled()

    # A boundary from a selection of two elements.
    _select(page, "bot", "docs")
    canvas.locator("[data-action='boundary']").click()
    expect(canvas).to_have_attribute("data-boundary-count", "3")
    state = _state(page)
    assert state["boundaries"][NEW] == {"name": "Trust boundary 3", "parent": "vpc"}
    assert (state["members"]["bot"], state["members"]["docs"]) == (NEW, NEW)
    assert state["members"]["customer"] == "internet"
    assert (state["can_undo"], state["can_redo"]) == (True, False)
    expect(undo).to_be_enabled()
    canvas.screenshot(path=artifacts / "tools-1-boundary.png")

    # Rename it: double-click its label, type, Enter.
    label = _settled(page, "boundaryLabelPosition", NEW)
    assert label is not None, "the new boundary is not drawn"
    page.mouse.dblclick(label["x"], label["y"])
    editor = canvas.locator(".atw-rename")
    expect(editor).to_be_visible()
    expect(editor).to_have_value("Trust boundary 3")
    editor.fill("Core <services>")
    editor.press("Enter")
    expect(editor).to_be_hidden()
    assert _state(page)["boundaries"][NEW]["name"] == "Core <services>"

    # Undo with the keyboard, then with the toolbar; redo with the toolbar and the keyboard.
    _focus_canvas(page)
    rev = canvas.get_attribute("data-rev") or ""
    page.keyboard.press("Control+z")
    _wait_rev_after(canvas, rev)
    assert _state(page)["boundaries"][NEW]["name"] == "Trust boundary 3"
    undo.click()
    expect(canvas).to_have_attribute("data-boundary-count", "2")
    state = _state(page)
    assert NEW not in state["boundaries"]
    assert (state["members"]["bot"], state["members"]["docs"]) == ("vpc", "vpc")
    assert (state["can_undo"], state["can_redo"]) == (False, True)
    expect(undo).to_be_disabled()
    redo.click()
    expect(canvas).to_have_attribute("data-boundary-count", "3")
    _focus_canvas(page)
    rev = canvas.get_attribute("data-rev") or ""
    page.keyboard.press("Control+Shift+z")
    _wait_rev_after(canvas, rev)
    state = _state(page)
    assert state["boundaries"][NEW]["name"] == "Core <services>"
    assert (state["can_undo"], state["can_redo"]) == (True, False)
    expect(redo).to_be_disabled()

    # Drop the customer into the new boundary's region: it joins the boundary.
    region = _atw(page, "boundaryRegion", NEW)
    assert region is not None
    target = {"x": region["x"] + 14, "y": region["y"] + region["h"] - 14}
    rev = canvas.get_attribute("data-rev") or ""
    _drag(page, drawn_at(page, "customer"), target)
    _wait_rev_after(canvas, rev)
    assert _state(page)["members"]["customer"] == NEW
    canvas.screenshot(path=artifacts / "tools-2-dropped.png")
    _focus_canvas(page)
    rev = canvas.get_attribute("data-rev") or ""
    page.keyboard.press("Control+z")
    _wait_rev_after(canvas, rev)
    assert _state(page)["members"]["customer"] == "internet"

    # Fit: after zooming in, some element is out of view; Fit brings every one back.
    graph = canvas.locator(".atw-graph").bounding_box()
    assert graph is not None
    page.mouse.move(graph["x"] + graph["width"] / 2, graph["y"] + graph["height"] / 2)
    for _ in range(20):
        page.mouse.wheel(0, -200)

    def in_view(element_id: str) -> bool:
        at = drawn_at(page, element_id)
        return bool(
            graph["x"] <= at["x"] <= graph["x"] + graph["width"]
            and graph["y"] <= at["y"] <= graph["y"] + graph["height"]
        )

    page.wait_for_function(
        "() => !['customer', 'bot', 'docs'].every((id) => {"
        " const p = document.querySelector('.atw-canvas').atw.pagePosition(id);"
        " const r = document.querySelector('.atw-graph').getBoundingClientRect();"
        " return p.x >= r.left && p.x <= r.right && p.y >= r.top && p.y <= r.bottom; })"
    )
    canvas.locator("[data-action='fit']").click()
    assert all(in_view(i) for i in ("customer", "bot", "docs"))

    # Highlight from Python: the path is emphasised, the rest dimmed; clearing restores it.
    expect(canvas).to_have_attribute("data-highlight", "0")
    normal = _brightness(page, "docs")
    _run(page, HIGHLIGHT_CELL)
    expect(canvas).to_have_attribute("data-highlight", "3")
    for on in ("customer", "bot", "ask"):
        assert _atw(page, "style", on)["look"] == "on", on
    assert _atw(page, "style", "bot")["width"] > 2
    for dim in ("docs", "retrieve"):
        style = _atw(page, "style", dim)
        assert style["look"] == "dim", dim
        assert style["opacity"] < 0.5, dim
    dimmed = _brightness(page, "docs")
    assert dimmed > normal + 40, f"docs is not drawn dimmer ({normal:.0f} -> {dimmed:.0f})"
    canvas.screenshot(path=artifacts / "tools-3-highlight.png")
    _run(page, CLEAR_CELL)
    expect(canvas).to_have_attribute("data-highlight", "0")
    assert _atw(page, "style", "docs")["look"] == "normal"
    assert abs(_brightness(page, "docs") - normal) < 10

    # The search box: a part of a name selects the element and centres it; no match
    # says so in the notice line.
    for _ in range(10):
        page.mouse.wheel(0, 300)  # zoomed out, docs off centre
    search = canvas.locator(".atw-search")
    search.fill("doc")
    search.press("Enter")
    page.wait_for_function(
        "() => { const p = document.querySelector('.atw-canvas').atw.pagePosition('docs');"
        " const r = document.querySelector('.atw-graph').getBoundingClientRect();"
        " return Math.abs(p.x - (r.left + r.width / 2)) < 30"
        " && Math.abs(p.y - (r.top + r.height / 2)) < 30; }"
    )
    assert _state(page)["selection"] == ["docs"]
    search.fill("no such element")
    search.press("Enter")
    expect(canvas).to_have_attribute("data-notice", 'No element matches "no such element".')
    assert _state(page)["selection"] == ["docs"]  # unchanged
    print(f"screenshots: {artifacts}")
    guard.assert_clean()
