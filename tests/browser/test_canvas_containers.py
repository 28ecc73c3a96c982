"""End to end: trust boundaries behave as containers on the canvas, in a real JupyterLab.

Through the UI only: drag a boundary by its label (every element it holds follows the
pointer, a sibling in the way is pushed aside, one undo puts everything back), and drag
an element into another boundary's region (it joins that boundary; undo restores its
boundary and its place). After every step the canvas's test hook reports what the browser
drew (regions and element boxes, in canvas coordinates) and :func:`container_problems`
checks the container rules on it: sibling regions do not overlap, nested regions lie in
their parent's, every element lies inside its own boundaries' regions and outside every
other region. The same check runs on every starter as drawn after load, with its stored
positions and without any (then :func:`workbench.layout.layout` places it). No console
error and no request beyond 127.0.0.1 are allowed.
"""

from __future__ import annotations

import importlib
import itertools
import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from workbench.starters import load_template, names

from .test_canvas import drawn_at, open_workbench
from .test_canvas_tools import _atw, _drag, _focus_canvas, _wait_rev_after
from .test_jupyterlab import CODE_CELL, STDOUT, cell_errors, run_cell

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

    from workbench import ThreatModel

    from .conftest import JupyterLab, PageGuard

Rect = dict[str, Any]  # {x, y, w, h} (a region also has id and parent)

# No positions: the canvas shows workbench.layout.layout (containers that keep the rules).
MODEL = """\
format_version: 1
system: {name: Containers}
boundaries:
  - {id: internet, name: Internet, trust: untrusted}
  - {id: cloud, name: Cloud account}
  - {id: app, name: App tier, parent: cloud}
  - {id: partner, name: Partner, trust: partner}
elements:
  - {id: customer, kind: user, name: Customer, boundary: internet}
  - {id: docs, kind: vector_store, name: Docs, boundary: cloud}
  - {id: bot, kind: llm_app, name: Bot, boundary: app}
  - {id: guard, kind: guardrail, name: Guard, boundary: app}
  - {id: vendor, kind: external_service, name: Vendor API, boundary: partner}
  - {id: admin, kind: operator, name: Admin}
flows:
  - {id: ask, source: customer, target: bot}
  - {id: retrieve, source: docs, target: bot}
  - {id: check, source: bot, target: guard}
  - {id: call, source: bot, target: vendor}
"""
CLOUD = ("docs", "bot", "guard")  # what the cloud boundary holds, nested app included

SETUP = f'''\
import json
from widgets.canvas import Canvas
from workbench import ThreatModel

canvas = Canvas(ThreatModel.from_yaml("""{MODEL}"""), height="560px")
canvas'''

STATE = """\
_m = canvas.model
print("STATE " + json.dumps({
    "members": {e.id: e.boundary for e in _m.elements},
    "positions": {e.id: e.position and [e.position.x, e.position.y] for e in _m.elements},
    "can_undo": canvas.can_undo,
    "can_redo": canvas.can_redo,
}))"""
STATE_CELL = 1

STARTER_SETUP = """\
from widgets.canvas import Canvas
from workbench.starters import load_template

def starter(name, positions=True):
    model = load_template(name)
    if not positions:
        model = model.replace(
            elements=[e.model_copy(update={"position": None}) for e in model.elements])
    return model

canvas = Canvas(starter(%r), height="560px")
canvas"""
STARTERS = [(name, positions) for name in names() for positions in (True, False)]


# ------------------------------------------------------------------ the container rules
def _overlap(a: Rect, b: Rect) -> bool:
    """Rectangles {x, y, w, h} overlap (touching edges do not)."""
    return bool(
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


def _within(inner: Rect, outer: Rect) -> bool:
    return bool(
        inner["x"] >= outer["x"]
        and inner["y"] >= outer["y"]
        and inner["x"] + inner["w"] <= outer["x"] + outer["w"]
        and inner["y"] + inner["h"] <= outer["y"] + outer["h"]
    )


def container_problems(drawing: dict[str, Any]) -> list[str]:
    """Where what the canvas drew breaks the container rules (empty: it keeps them).

    ``drawing`` is the test hook's ``atw.drawing()``: regions ``{id, x, y, w, h, parent}``
    and elements ``{id, x, y, boundary, box}`` in canvas coordinates."""
    regions = {r["id"]: r for r in drawing["regions"]}
    parent = {r["id"]: r["parent"] for r in drawing["regions"]}

    def chain(boundary: str | None) -> list[str]:
        out: list[str] = []
        while boundary is not None and boundary not in out:
            out.append(boundary)
            boundary = parent.get(boundary)
        return out

    problems = _region_problems(regions, chain)
    for e in drawing["elements"]:
        problems += _element_problems(e, regions, chain(e["boundary"]))
    return problems


def _region_problems(regions: dict[str, Rect], chain: Callable[[str], list[str]]) -> list[str]:
    """Nested regions inside their parents', the others apart."""
    problems = []
    for a, b in itertools.combinations(regions, 2):
        if b in chain(a):
            if not _within(regions[a], regions[b]):
                problems.append(f"{a} is not drawn inside {b}")
        elif a in chain(b):
            if not _within(regions[b], regions[a]):
                problems.append(f"{b} is not drawn inside {a}")
        elif _overlap(regions[a], regions[b]):
            problems.append(f"{a} and {b} overlap")
    return problems


def _element_problems(e: dict[str, Any], regions: dict[str, Rect], own: list[str]) -> list[str]:
    """An element inside the regions of its own boundaries (``own``), outside the others."""
    box = e["box"]
    rect = {"x": box["left"], "y": box["top"], "w": box["right"] - box["left"]}
    rect["h"] = box["bottom"] - box["top"]
    problems = []
    for boundary in own:
        if boundary not in regions:
            problems.append(f"{e['id']}: its boundary {boundary} is not drawn")
        elif not _within(rect, regions[boundary]):
            problems.append(f"{e['id']} is drawn outside its boundary {boundary}")
    for rid, region in regions.items():
        if rid not in own and _overlap(rect, region):
            problems.append(f"{e['id']} is drawn inside {rid}, not its boundary")
    return problems


def test_the_check_catches_what_breaks_the_rules() -> None:
    """The check itself, without a browser."""
    box = {"left": 10.0, "top": 10.0, "right": 30.0, "bottom": 20.0}
    good = {
        "regions": [
            {"id": "a", "x": 0, "y": 0, "w": 100, "h": 100, "parent": None},
            {"id": "n", "x": 5, "y": 5, "w": 50, "h": 50, "parent": "a"},
            {"id": "b", "x": 100, "y": 0, "w": 100, "h": 100, "parent": None},
        ],
        "elements": [{"id": "e", "x": 20, "y": 15, "boundary": "n", "box": box}],
    }
    assert container_problems(good) == []
    bad = json.loads(json.dumps(good))
    bad["regions"][2]["x"] = 90  # b over a
    bad["regions"][1]["w"] = 200  # n out of a (and over b)
    bad["elements"].append({"id": "x", "x": 0, "y": 0, "boundary": None, "box": box})
    bad["elements"].append({"id": "y", "x": 0, "y": 0, "boundary": "b", "box": box})
    problems = container_problems(bad)
    for expected in (
        "a and b overlap",
        "n is not drawn inside a",
        "x is drawn inside a, not its boundary",
        "y is drawn outside its boundary b",
        "y is drawn inside n, not its boundary",
    ):
        assert expected in problems, problems


# ------------------------------------------------------------------ helpers
def _write_notebook(folder: Path, cells: list[str], stem: str) -> str:
    nbformat: Any = importlib.import_module("nbformat")  # untyped
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    name = f"{stem}-{uuid.uuid4().hex[:8]}.ipynb"
    nbformat.write(nb, folder / name)
    return name


def _state(page: Page) -> dict[str, Any]:
    """Run the state cell and return the live model it printed."""
    run_cell(page, STATE_CELL)
    assert not cell_errors(page), "a cell failed:\n" + "\n".join(cell_errors(page))
    text = page.locator(CODE_CELL).nth(STATE_CELL).locator(STDOUT).inner_text()
    state: dict[str, Any] = json.loads(text[text.index("STATE ") + len("STATE ") :])
    return state


def _drawing(page: Page) -> dict[str, Any]:
    drawing: dict[str, Any] = _atw(page, "drawing")
    return drawing


def _positions(drawing: dict[str, Any]) -> dict[str, tuple[float, float]]:
    return {e["id"]: (e["x"], e["y"]) for e in drawing["elements"]}


def _assert_rules(page: Page, when: str) -> dict[str, Any]:
    drawing = _drawing(page)
    problems = container_problems(drawing)
    assert not problems, f"{when}: " + "; ".join(problems)
    return drawing


def _toward(mover: Rect, target: Rect, into: float = 40.0) -> tuple[float, float]:
    """The page offset that moves rectangle ``mover`` ``into`` pixels over ``target``
    along the axis on which they are apart (both are page rectangles)."""
    gaps = {
        (1, 0): target["x"] - (mover["x"] + mover["w"]),  # target to the right
        (-1, 0): mover["x"] - (target["x"] + target["w"]),
        (0, 1): target["y"] - (mover["y"] + mover["h"]),  # target below
        (0, -1): mover["y"] - (target["y"] + target["h"]),
    }
    (sx, sy), gap = max(gaps.items(), key=lambda kv: kv[1])
    assert gap >= 0, "the two regions overlap already"
    return sx * (gap + into), sy * (gap + into)


def _undo_by_keyboard(page: Page, canvas: Locator) -> None:
    _focus_canvas(page)
    rev = canvas.get_attribute("data-rev") or ""
    page.keyboard.press("Control+z")
    _wait_rev_after(canvas, rev)


# ------------------------------------------------------------------ tests
@pytest.mark.browser
@pytest.mark.slow
def test_boundaries_are_containers_when_dragged_dropped_and_undone(
    jupyter_lab: JupyterLab, page: Page, guard: PageGuard, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    name = _write_notebook(jupyter_lab.root_dir, [SETUP, STATE], "canvas-containers")
    canvas = open_workbench(page, jupyter_lab, name)
    expect(canvas).to_have_attribute("data-node-count", "6")
    expect(canvas).to_have_attribute("data-boundary-count", "4")
    canvas.scroll_into_view_if_needed()
    start = _assert_rules(page, "after load")
    canvas.screenshot(path=artifacts / "containers-0-load.png")

    # (a) Drag the cloud boundary by its label until it reaches over another boundary.
    cloud = _atw(page, "boundaryRegion", "cloud")
    others = [_atw(page, "boundaryRegion", b) for b in ("internet", "partner")]
    dx, dy = min((_toward(cloud, other) for other in others), key=lambda d: abs(d[0]) + abs(d[1]))
    label = _atw(page, "boundaryLabelPosition", "cloud")
    assert label is not None, "the cloud boundary's label is not drawn"
    page.mouse.move(label["x"], label["y"])  # the label is a handle: the pointer says so
    expect(canvas).to_have_class(re.compile(r"\batw-over-label\b"))
    before_page = {i: drawn_at(page, i) for i in CLOUD}
    rev = canvas.get_attribute("data-rev") or ""
    _drag(page, label, {"x": label["x"] + dx, "y": label["y"] + dy})
    _wait_rev_after(canvas, rev)
    assert _atw(page, "selectedBoundary") == "cloud"
    dragged = _assert_rules(page, "after dragging the cloud boundary")
    canvas.screenshot(path=artifacts / "containers-1-boundary-dragged.png")
    # every member followed the pointer (the view did not pan), all by one offset
    for i in CLOUD:
        at = drawn_at(page, i)
        assert at["x"] - before_page[i]["x"] == pytest.approx(dx, abs=2), i
        assert at["y"] - before_page[i]["y"] == pytest.approx(dy, abs=2), i
    old, new = _positions(start), _positions(dragged)
    offsets = {(new[i][0] - old[i][0], new[i][1] - old[i][1]) for i in CLOUD}
    assert len({(round(x, 6), round(y, 6)) for x, y in offsets}) == 1, offsets
    # something that was in the way was pushed aside, as one piece with its boundary
    pushed = [i for i in old if i not in CLOUD and old[i] != new[i]]
    assert pushed, "the boundary was dragged over another one, but nothing moved aside"
    # the model holds what is drawn
    state = _state(page)
    for i in old:
        assert state["positions"][i] == pytest.approx(list(new[i]), abs=1e-6), i
    assert state["members"] == {e["id"]: e["boundary"] for e in start["elements"]}
    assert (state["can_undo"], state["can_redo"]) == (True, False)

    # One undo puts every element back, the pushed ones too.
    _undo_by_keyboard(page, canvas)
    undone = _assert_rules(page, "after undoing the boundary drag")
    for i, p in _positions(undone).items():
        assert p == pytest.approx(old[i], abs=1e-6), i
    state = _state(page)
    assert (state["can_undo"], state["can_redo"]) == (False, True)

    # (b) Drop the customer into the app tier's region (nested in the cloud).
    region = _atw(page, "boundaryRegion", "app")
    target = {"x": region["x"] + 14, "y": region["y"] + region["h"] - 14}
    rev = canvas.get_attribute("data-rev") or ""
    _drag(page, drawn_at(page, "customer"), target)
    _wait_rev_after(canvas, rev)
    dropped = _assert_rules(page, "after dropping the customer into the app tier")
    canvas.screenshot(path=artifacts / "containers-2-dropped.png")
    assert _state(page)["members"]["customer"] == "app"
    assert {e["id"]: e["boundary"] for e in dropped["elements"]}["customer"] == "app"

    _undo_by_keyboard(page, canvas)
    restored = _assert_rules(page, "after undoing the drop")
    assert _state(page)["members"]["customer"] == "internet"
    for i, p in _positions(restored).items():
        assert p == pytest.approx(old[i], abs=1e-6), i
    print(f"screenshots: {artifacts}")
    guard.assert_clean()


def _outside_the_view(page: Page, model: ThreatModel) -> list[str]:
    """Elements whose centre a new drawing leaves outside the visible canvas (a model
    replaced from Python, or laid out anew, is fitted into view)."""
    box = page.locator(".atw-canvas .vis-network").first.bounding_box()
    assert box is not None
    out = []
    for e in model.elements:
        p = page.evaluate(
            "(id) => document.querySelector('.atw-canvas').atw.pagePosition(id)", e.id
        )
        inside = (
            p is not None
            and box["x"] <= p["x"] <= box["x"] + box["width"]
            and box["y"] <= p["y"] <= box["y"] + box["height"]
        )
        if not inside:
            out.append(f"{e.id} drawn outside the view")
    return out


@pytest.mark.browser
@pytest.mark.slow
def test_every_starter_is_drawn_as_containers(
    jupyter_lab: JupyterLab, page: Page, guard: PageGuard, artifacts: Path
) -> None:
    """Each starter as the browser draws it after load: with its stored positions, and
    without any (laid out by workbench.layout)."""
    from playwright.sync_api import expect

    cells = [STARTER_SETUP % STARTERS[0][0]]
    cells += [f"canvas.model = starter({n!r}, positions={p})" for n, p in STARTERS]
    name = _write_notebook(jupyter_lab.root_dir, cells, "canvas-starters")
    canvas = open_workbench(page, jupyter_lab, name)
    failures = []
    for index, (starter, positions) in enumerate(STARTERS, start=1):
        model = load_template(starter)
        rev = canvas.get_attribute("data-rev") or ""
        run_cell(page, index)
        assert not cell_errors(page), "a cell failed:\n" + "\n".join(cell_errors(page))
        if index > 1 or not positions:  # the first one is drawn already
            _wait_rev_after(canvas, rev)
        expect(canvas).to_have_attribute("data-node-count", str(len(model.elements)))
        drawing = _drawing(page)
        held = {e.boundary for e in model.elements} - {None}
        assert held <= {r["id"] for r in drawing["regions"]}, starter
        how = "stored positions" if positions else "laid out"
        failures += [f"{starter} ({how}): {p}" for p in container_problems(drawing)]
        canvas.screenshot(path=artifacts / f"starter-{starter}-{how.replace(' ', '-')}.png")
        failures += [f"{starter} ({how}): {p}" for p in _outside_the_view(page, model)]
    assert not failures, "\n".join(failures)
    guard.assert_clean()
