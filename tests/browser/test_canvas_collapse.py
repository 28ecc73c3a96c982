"""End to end: collapsing trust boundaries, and the container rules after placing an
element or making a boundary, in a real JupyterLab.

- Collapse: a click on a boundary's collapse button draws it as one node labelled with
  its name and member count; its flows to the outside become one bundled edge per outside
  element and direction, labelled "N flows"; flows inside it are hidden. The model, its
  undo history and the element count do not change, the drawing keeps the container
  rules, and a model update from Python keeps the boundary collapsed (the node's count
  follows). A double-click on the node expands it, members where they were. From the
  keyboard: find an element, focus the canvas, press C to collapse its boundary and C
  again to expand it.
- Container rules: an element placed from the palette over a region's edge, and a new
  boundary around elements far apart, leave a drawing that keeps the rules, and one undo
  takes back the edit and every push it made.

Through the UI, checked against the model in Python and what the canvas's test hook
(``root.atw``) reports. No console error and no request beyond 127.0.0.1 are allowed.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from workbench.starters import load_starter

from .test_canvas import open_workbench
from .test_canvas_containers import MODEL, _write_notebook, container_problems
from .test_canvas_tools import _atw, _focus_canvas, _select, _wait_rev_after
from .test_jupyterlab import CODE_CELL, STDOUT, cell_errors, run_cell

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

    from workbench import ThreatModel

    from .conftest import JupyterLab, PageGuard

STARTER = "rag_assistant"
FOLDED = "app_vpc"  # holds three subnets and nine elements
PROXY = f"atw:boundary:{FOLDED}"

COLLAPSE_CELLS = [
    f"""\
import json
from widgets.canvas import Canvas
from workbench import Element
from workbench.starters import load_starter

start = load_starter({STARTER!r})
canvas = Canvas(start, height="700px")
canvas""",
    """\
print("STATE " + json.dumps({
    "collapsed": canvas.collapsed,
    "unchanged": canvas.model == start,
    "can_undo": canvas.can_undo,
    "elements": len(canvas.model.elements),
}))""",
    'canvas.model = canvas.model.update_element("customer", name="Client <web>")',
    """canvas.model = canvas.model.add_element(
    Element(id="cache", kind="feature_store", name="Answer cache", boundary="app_subnet"))""",
    "canvas.undo()",
]
STATE_CELL, RENAME_CELL, ADD_CELL, UNDO_CELL = 1, 2, 3, 4


def _state(page: Page, cell: int = STATE_CELL) -> dict[str, Any]:
    run_cell(page, cell)
    assert not cell_errors(page), "a cell failed:\n" + "\n".join(cell_errors(page))
    text = page.locator(CODE_CELL).nth(cell).locator(STDOUT).inner_text()
    state: dict[str, Any] = json.loads(text[text.index("STATE ") + len("STATE ") :])
    return state


def _members(model: ThreatModel, boundary: str) -> set[str]:
    """The elements a boundary holds, nested boundaries' included."""
    parent = {b.id: b.parent for b in model.boundaries}

    def chain(b: str | None) -> list[str]:
        out: list[str] = []
        while b is not None and b not in out:
            out.append(b)
            b = parent.get(b)
        return out

    return {e.id for e in model.elements if boundary in chain(e.boundary)}


def _bundles(model: ThreatModel, boundary: str) -> dict[str, str]:
    """The bundled edges expected while ``boundary`` is collapsed: ID -> label."""
    inside = _members(model, boundary)
    proxy = f"atw:boundary:{boundary}"
    counts: Counter[tuple[str, str]] = Counter()
    for f in model.flows:
        if (f.source in inside) != (f.target in inside):
            source = proxy if f.source in inside else f.source
            target = proxy if f.target in inside else f.target
            counts[(source, target)] += 1
    label = {n: f"{n} flow{'' if n == 1 else 's'}" for n in counts.values()}
    return {f"atw:bundle:{s}|{t}": label[n] for (s, t), n in counts.items()}


def _visible(page: Page) -> dict[str, list[str]]:
    visible: dict[str, list[str]] = _atw(page, "visible")
    return visible


def _assert_rules(page: Page, when: str) -> None:
    problems = container_problems(_atw(page, "drawing"))
    assert not problems, f"{when}: " + "; ".join(problems)


@pytest.mark.browser
@pytest.mark.slow
def test_collapse_a_boundary_to_one_node_with_bundled_flows_and_expand_it(
    jupyter_lab: JupyterLab, page: Page, guard: PageGuard, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    model = load_starter(STARTER)
    inside = _members(model, FOLDED)
    expected = _bundles(model, FOLDED)
    outside_flows = {f.id for f in model.flows if f.source not in inside and f.target not in inside}
    name = _write_notebook(jupyter_lab.root_dir, COLLAPSE_CELLS, "canvas-collapse")
    canvas = open_workbench(page, jupyter_lab, name)
    canvas.scroll_into_view_if_needed()
    expect(canvas).to_have_attribute("data-node-count", str(len(model.elements)))
    before = {i: p for i, p in _positions(page).items() if i in inside}

    # Collapse: the button right of the boundary's name.
    button = _atw(page, "boundaryTogglePosition", FOLDED)
    assert button is not None, f"{FOLDED} has no collapse button"
    page.mouse.click(button["x"], button["y"])
    expect(canvas).to_have_attribute("data-collapsed", FOLDED)
    visible = _visible(page)
    assert set(visible["nodes"]) == {e.id for e in model.elements} - inside | {PROXY}
    assert len(visible["nodes"]) == len(model.elements) - len(inside) + 1
    shown = _atw(page, "node", PROXY)
    assert (shown["label"], shown["count"]) == (model.boundary(FOLDED).name, len(inside))
    bundled = {e: _atw(page, "node", e)["label"] for e in visible["edges"] if e.startswith("atw:")}
    assert bundled == expected
    assert set(visible["edges"]) - set(bundled) == outside_flows  # inside flows hidden
    assert "2 flows" in bundled.values()
    # a view state: the model, its history and the counts stay
    expect(canvas).to_have_attribute("data-node-count", str(len(model.elements)))
    expect(canvas).to_have_attribute("data-edge-count", str(len(model.flows)))
    state = _state(page)
    assert state == {
        "collapsed": [FOLDED],
        "unchanged": True,
        "can_undo": False,
        "elements": len(model.elements),
    }
    _assert_rules(page, "collapsed")
    canvas.screenshot(path=artifacts / "collapse-1-collapsed.png")
    # at 100 % the bundles' labels are drawn: "N flows"
    proxy = next(e for e in _atw(page, "drawing")["elements"] if e["id"] == PROXY)
    _atw(page, "zoomTo", 1, {"x": proxy["x"], "y": proxy["y"] - 200})
    page.wait_for_function("() => document.querySelector('.atw-canvas').dataset.labels === 'all'")
    drawn = {d["id"]: d["text"] for d in _atw(page, "labels")["drawn"]}
    assert {i: t for i, t in drawn.items() if i.startswith("atw:")} == expected
    canvas.screenshot(path=artifacts / "collapse-1-bundles-100pct.png")

    # A model update (from Python) keeps it collapsed; an element added inside counts.
    for cell in (RENAME_CELL, ADD_CELL):
        rev = canvas.get_attribute("data-rev") or ""
        run_cell(page, cell)
        assert not cell_errors(page), "a cell failed:\n" + "\n".join(cell_errors(page))
        _wait_rev_after(canvas, rev)
        expect(canvas).to_have_attribute("data-collapsed", FOLDED)
    assert _atw(page, "node", PROXY)["count"] == len(inside) + 1
    assert "cache" not in _visible(page)["nodes"]
    _assert_rules(page, "collapsed, after updates")
    canvas.screenshot(path=artifacts / "collapse-2-after-updates.png")
    # (the element added from Python has no position: take it back before expanding)
    rev = canvas.get_attribute("data-rev") or ""
    run_cell(page, UNDO_CELL)
    _wait_rev_after(canvas, rev)
    assert _atw(page, "node", PROXY)["count"] == len(inside)

    # Expand: a double-click on the node; the members are back where they were.
    at = _atw(page, "pagePosition", PROXY)
    page.mouse.dblclick(at["x"], at["y"])
    expect(canvas).to_have_attribute("data-collapsed", "")
    visible = _visible(page)
    assert set(visible["nodes"]) == {e.id for e in model.elements}
    assert not [e for e in visible["edges"] if e.startswith("atw:")]
    now = _positions(page)
    for i, p in before.items():
        assert now[i] == pytest.approx(p, abs=1e-6), i
    assert _atw(page, "selectedBoundary") == FOLDED
    assert _state(page)["collapsed"] == []
    _assert_rules(page, "expanded")

    # From the keyboard: find an element, press C on the canvas, then C again.
    search = canvas.locator(".atw-search")
    search.fill("Ingestion pipeline")
    search.press("Enter")
    canvas.focus()
    page.keyboard.press("c")
    expect(canvas).to_have_attribute("data-collapsed", "app_subnet")
    expect(canvas.locator("[data-action='collapse']")).to_have_text("Expand")
    canvas.screenshot(path=artifacts / "collapse-3-keyboard.png")
    page.keyboard.press("c")
    expect(canvas).to_have_attribute("data-collapsed", "")
    expect(canvas.locator("[data-action='collapse']")).to_have_text("Collapse")
    print(f"screenshots: {artifacts}")
    guard.assert_clean()


RULES_CELLS = [
    f'''\
import json
from widgets.canvas import Canvas
from workbench import ThreatModel

start = ThreatModel.from_yaml("""{MODEL}""")
canvas = Canvas(start, height="560px")
canvas''',
    """\
print("STATE " + json.dumps({
    "elements": {e.id: [e.boundary, e.position and [e.position.x, e.position.y]]
                 for e in canvas.model.elements},
    "boundaries": [b.id for b in canvas.model.boundaries],
    "can_undo": canvas.can_undo,
}))""",
]


def _positions(page: Page) -> dict[str, tuple[float, float]]:
    return {e["id"]: (e["x"], e["y"]) for e in _atw(page, "drawing")["elements"]}


def _assert_back(page: Page, start: dict[str, tuple[float, float]]) -> None:
    """Every element is drawn where it was at the start, and nothing else is drawn."""
    now = _positions(page)
    assert set(now) == set(start)
    for i, p in start.items():
        assert now[i] == pytest.approx(p, abs=1e-6), i


def _undo(page: Page, canvas: Locator) -> None:
    _focus_canvas(page)
    rev = canvas.get_attribute("data-rev") or ""
    page.keyboard.press("Control+z")
    _wait_rev_after(canvas, rev)


@pytest.mark.browser
@pytest.mark.slow
def test_container_rules_hold_after_placing_and_after_a_new_boundary(
    jupyter_lab: JupyterLab, page: Page, guard: PageGuard, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    name = _write_notebook(jupyter_lab.root_dir, RULES_CELLS, "canvas-rules")
    canvas = open_workbench(page, jupyter_lab, name)
    canvas.scroll_into_view_if_needed()
    expect(canvas).to_have_attribute("data-node-count", "6")
    _assert_rules(page, "after load")
    start = _positions(page)

    # An element placed from the palette just outside a region, over its edge: it is
    # pushed clear of the region it does not belong to, in the same edit.
    region = _atw(page, "boundaryRegion", "internet")
    rev = canvas.get_attribute("data-rev") or ""
    canvas.locator(".atw-kind[data-kind='tool']").click()
    page.mouse.click(region["x"] + region["w"] + 6, region["y"] + region["h"] / 2)
    _wait_rev_after(canvas, rev)
    expect(canvas).to_have_attribute("data-node-count", "7")
    _assert_rules(page, "after placing next to a region")
    canvas.screenshot(path=artifacts / "rules-1-placed.png")
    state = _state(page)
    assert state["elements"]["tool-1"][0] is None
    assert state["can_undo"] is True
    _undo(page, canvas)
    expect(canvas).to_have_attribute("data-node-count", "6")
    _assert_back(page, start)

    # An element placed inside a region, at its edge: the region grows to hold it.
    region = _atw(page, "boundaryRegion", "app")
    rev = canvas.get_attribute("data-rev") or ""
    canvas.locator(".atw-kind[data-kind='tool']").click()
    page.mouse.click(region["x"] + region["w"] - 4, region["y"] + region["h"] - 4)
    _wait_rev_after(canvas, rev)
    _assert_rules(page, "after placing at a region's edge")
    assert _state(page)["elements"]["tool-1"][0] == "app"
    _undo(page, canvas)
    _assert_back(page, start)

    # A new boundary around elements far apart: what lies between is pushed out.
    _select(page, "customer", "vendor")
    rev = canvas.get_attribute("data-rev") or ""
    canvas.locator("[data-action='boundary']").click()
    _wait_rev_after(canvas, rev)
    expect(canvas).to_have_attribute("data-boundary-count", "5")
    _assert_rules(page, "after a new boundary")
    canvas.screenshot(path=artifacts / "rules-2-boundary.png")
    state = _state(page)
    new = next(b for b in state["boundaries"] if b.startswith("boundary-"))
    assert state["elements"]["customer"][0] == state["elements"]["vendor"][0] == new
    _undo(page, canvas)
    expect(canvas).to_have_attribute("data-boundary-count", "4")
    _assert_back(page, start)
    print(f"screenshots: {artifacts}")
    guard.assert_clean()
