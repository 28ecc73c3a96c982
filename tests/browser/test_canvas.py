"""End to end: work on the workbench in a real JupyterLab, then read the model back in
Python and from the saved file; and a change made in Python shows on the canvas.

Through the UI only: run the smoke notebook's first cell, wait for the canvas to paint,
add an agent from the palette, draw a flow to it, give the agent a property in the
inspector, see the new finding this causes in the threat panel, accept it with an owner
and a rationale, save, and run the next cell, which prints what Python sees. Screenshots
go to ``$ATW_ARTIFACTS`` (or the test's temporary folder); no console error and no request
beyond 127.0.0.1 are allowed. The helpers here are shared with the Notebook 7 test.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from .test_jupyterlab import (
    JUPYTERLAB,
    STDOUT,
    Frontend,
    cell_errors,
    copy_notebook,
    open_notebook,
    run_cell,
)

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

    from workbench import ThreatModel
    from workbench.engine import Finding

    from .conftest import JupyterLab, PageGuard

SMOKE = "06-widget-smoke.ipynb"
SAVED = "smoke_model.yaml"  # where the smoke notebook's Save writes
# Code cells of the smoke notebook (0-based): build the workbench, read it back, edit it
# from Python.
BUILD_CELL, READBACK_CELL, PYTHON_EDIT_CELL = 0, 1, 2
TEMPLATE = "rag_assistant"
PAINTED = ".atw-canvas[data-painted='true']"
PANEL = ".atw-findings-panel"
# The Workbench's status line (the canvas has a ``span.atw-status`` of its own).
SAVE_STATUS = ".atw-save-status"

# The edit the UI test makes: a new agent fed by the LLM app, then one property that makes
# the engine report a threat it did not report before.
AGENT = "agent-1"
AGENT_NAME = "Agent 1"
FLOW = f"llm_app-to-{AGENT}"
PROPERTY, PROPERTY_VALUE = "privilege", "write"
OWNER = "Security <team> & 'ML'"  # typed text reaches HTML: it must come back unchanged
RATIONALE = "Writes go through the ticket API only; reviewed in the Q3 threat review."

# The Python-side edit (code cell PYTHON_EDIT_CELL of the smoke notebook).
ADDED, RENAMED_FROM, RENAMED_TO = "web_search", "output_guard", "response_filter"
RENAMED_NAME = "Response filter"


@dataclass(frozen=True)
class Expected:
    """What the UI edits should produce, worked out in Python with the engine."""

    elements: int
    flows: int
    new_finding: Finding  # caused by setting PROPERTY on the agent


def template() -> ThreatModel:
    from workbench import ThreatModel

    return ThreatModel.from_template(TEMPLATE)


def analyze(model: ThreatModel) -> list[Finding]:
    from workbench.catalog import load_catalog
    from workbench.engine import Analyzer

    return list(Analyzer(load_catalog()).analyze(model).findings)


def expected_after_ui_edits() -> Expected:
    """Apply the UI test's edits with the edit API and find the finding the property adds
    (the test fails here, not in the browser, if the catalog stops producing one)."""
    from workbench.model import Element, Flow

    model = template().add_element(Element(id=AGENT, kind="agent", name=AGENT_NAME))
    model = model.add_flow(Flow(id=FLOW, source="llm_app", target=AGENT))
    before = {f.id for f in analyze(model)}
    model = model.update_element(AGENT, properties={PROPERTY: PROPERTY_VALUE})
    new = [f for f in analyze(model) if f.id not in before and f.target == AGENT]
    assert new, f"{PROPERTY}={PROPERTY_VALUE} on an agent no longer adds a finding"
    return Expected(len(model.elements), len(model.flows), new[0])


# ------------------------------------------------------------------ canvas helpers
def page_position(page: Page, element_id: str) -> dict[str, float] | None:
    """Where the canvas draws ``element_id`` in page coordinates (``None``: not drawn)."""
    pos = page.evaluate(
        "(id) => document.querySelector('.atw-canvas').atw.pagePosition(id)", element_id
    )
    return None if pos is None else {"x": float(pos["x"]), "y": float(pos["y"])}


def drawn_at(page: Page, element_id: str) -> dict[str, float]:
    pos = page_position(page, element_id)
    assert pos is not None, f"{element_id} is not drawn"
    return pos


def open_workbench(
    page: Page, server: JupyterLab, name: str, frontend: Frontend = JUPYTERLAB
) -> Locator:
    """Open notebook ``name``, run its first cell and return the painted canvas."""
    from playwright.sync_api import expect

    open_notebook(page, server, name, frontend)
    run_cell(page, BUILD_CELL, frontend)
    assert not cell_errors(page), "a cell failed:\n" + "\n".join(cell_errors(page))
    canvas = page.locator(PAINTED)
    expect(canvas).to_have_count(1)
    expect(canvas.locator(".atw-graph canvas")).to_be_visible()
    return canvas


def expect_counts(page: Page, canvas: Locator, elements: int, flows: int) -> None:
    from playwright.sync_api import expect

    expect(canvas).to_have_attribute("data-node-count", str(elements))
    expect(canvas).to_have_attribute("data-edge-count", str(flows))
    expect(canvas.locator("span.atw-status")).to_have_text(f"{elements} elements · {flows} flows")


def add_from_palette(page: Page, canvas: Locator, kind: str) -> None:
    """Pick ``kind`` in the palette and click an empty spot of the canvas."""
    from playwright.sync_api import expect

    from workbench.model import KINDS

    label = KINDS[kind].label
    count = int(canvas.get_attribute("data-node-count") or 0)
    page.locator(f".atw-kind[data-kind='{kind}']").click()
    expect(page.locator(".atw-hint")).to_contain_text(label)
    stage = page.locator(".atw-stage").bounding_box()
    assert stage is not None
    page.mouse.click(stage["x"] + 40, stage["y"] + stage["height"] - 40)
    expect(canvas).to_have_attribute("data-node-count", str(count + 1))


def draw_flow(page: Page, canvas: Locator, source: str, target: str) -> None:
    """Press Draw flow, drag from ``source`` onto ``target``, leave flow mode."""
    from playwright.sync_api import expect

    count = int(canvas.get_attribute("data-edge-count") or 0)
    button = page.locator(".atw-btn[data-action='flow']")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    start, end = drawn_at(page, source), drawn_at(page, target)
    page.mouse.move(start["x"], start["y"])
    page.mouse.down()
    page.mouse.move(end["x"], end["y"], steps=12)
    page.mouse.up()
    expect(canvas).to_have_attribute("data-edge-count", str(count + 1))
    assert canvas.get_attribute("data-notice") is None
    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")


def select_on_canvas(page: Page, element_id: str, name: str) -> None:
    """Click ``element_id`` on the canvas; the inspector then shows it."""
    from playwright.sync_api import expect

    pos = drawn_at(page, element_id)
    page.mouse.click(pos["x"], pos["y"])
    expect(page.locator(".atw-inspector").locator("b").first).to_have_text(name)


# ------------------------------------------------------------------ form helpers
def set_property(page: Page, name: str, value: str) -> None:
    """Choose ``value`` for element property ``name`` in the inspector."""
    from playwright.sync_api import expect

    field = page.locator(f".atw-inspector .atw-field-properties-{name.replace('_', '-')} select")
    field.select_option(value)
    expect(field).to_have_value(value)


def choose(select: Locator, word: str) -> None:
    """Choose the one option of ``select`` whose label starts with ``word`` (labels may
    carry a hint after the value, such as "open (reopen)")."""
    labels = [" ".join(t.split()) for t in select.locator("option").all_text_contents()]
    matches = [i for i, label in enumerate(labels) if label.lower().startswith(word)]
    assert len(matches) == 1, f"no single option for {word!r} in {labels}"
    select.select_option(index=matches[0])


def finding_row(page: Page, finding_id: str) -> Locator:
    return page.locator(f"{PANEL} tr[data-finding='{finding_id}']")


def decide(page: Page, finding: Finding, status: str, owner: str, rationale: str) -> None:
    """Record a decision on ``finding`` in the threat panel's decision editor."""
    from playwright.sync_api import expect

    label = f"{finding.risk}: {finding.title} @ {finding.target_name}"
    choice = page.locator(f"{PANEL} .atw-decision-finding select")
    choice.select_option(label)
    expect(choice).to_have_value(label)
    choose(page.locator(f"{PANEL} .atw-decision-status select"), status)
    page.locator(f"{PANEL} .atw-decision-owner input").fill(owner)
    page.locator(f"{PANEL} .atw-decision-rationale textarea").fill(rationale)
    expect(page.locator(f"{PANEL} .atw-decision-owner input")).to_have_value(owner)
    page.locator(f"{PANEL} .atw-decision-apply").click()
    expect(page.locator(f"{PANEL} .atw-decision-message")).to_contain_text(
        f"Recorded: {finding.id} is {status}"
    )
    expect(finding_row(page, finding.id)).to_have_attribute("data-status", status)


def save(page: Page, path: str | None = None) -> None:
    """Type ``path`` into the File field (when given) and press Save."""
    from playwright.sync_api import expect

    if path is not None:
        field = page.locator(".atw-path input")
        field.fill(path)
        field.press("Enter")
    page.locator(".atw-save").click()
    expect(page.locator(SAVE_STATUS)).to_contain_text(f"Saved {Path(path or SAVED).name}")


def read_saved(path: Path) -> dict[str, Any]:
    """The saved model file, read the safe way."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def by_id(items: list[dict[str, Any]], key: str = "id") -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items}


def readback_output(page: Page, frontend: Frontend = JUPYTERLAB) -> str:
    """Run the smoke notebook's read-back cell and return what it printed."""
    run_cell(page, READBACK_CELL, frontend)
    out = page.locator(".jp-CodeCell").nth(READBACK_CELL).locator(STDOUT)
    return "\n".join(out.all_inner_texts())


# ------------------------------------------------------------------ tests
def _check_saved_ui_edits(path: Path, finding_id: str) -> None:
    data = read_saved(path)
    agent = by_id(data["elements"])[AGENT]
    assert agent["kind"] == "agent"
    assert agent["name"] == AGENT_NAME
    assert agent["properties"] == {PROPERTY: PROPERTY_VALUE}
    flow = by_id(data["flows"])[FLOW]
    assert (flow["source"], flow["target"]) == ("llm_app", AGENT)
    decision = by_id(data["decisions"], "finding")[finding_id]
    assert decision["status"] == "accepted"
    assert decision["owner"] == OWNER
    assert decision["rationale"] == RATIONALE


@pytest.mark.browser
@pytest.mark.slow
def test_draw_set_property_decide_save_then_read_in_python(
    jupyter_lab: JupyterLab, page: Page, guard: PageGuard, artifacts: Path
):
    from playwright.sync_api import expect

    expected = expected_after_ui_edits()
    new = expected.new_finding
    start = template()
    notebook = copy_notebook(jupyter_lab, SMOKE, "smoke-ui.ipynb")
    saved = jupyter_lab.root_dir / SAVED
    saved.unlink(missing_ok=True)

    canvas = open_workbench(page, jupyter_lab, notebook)
    expect_counts(page, canvas, len(start.elements), len(start.flows))
    canvas.scroll_into_view_if_needed()
    canvas.screenshot(path=artifacts / "1-painted.png")

    add_from_palette(page, canvas, "agent")
    # The new element is selected, so the inspector shows it, with no blank dropdown.
    expect(page.locator(".atw-inspector")).to_contain_text(AGENT_NAME)
    blank = page.evaluate(
        "() => [...document.querySelectorAll('.atw-inspector select')]"
        ".filter((s) => !s.multiple && s.offsetParent && s.selectedIndex < 0).length"
    )
    assert blank == 0, "the inspector shows empty dropdowns"

    draw_flow(page, canvas, "llm_app", AGENT)
    expect_counts(page, canvas, expected.elements, expected.flows)
    # The threat panel shows the new flow's findings (it is selected after drawing).
    expect(page.locator(f"{PANEL} tr[data-finding$='@{FLOW}']").first).to_be_visible()

    # Select the agent, give it a property: the threat panel shows the finding it causes.
    select_on_canvas(page, AGENT, AGENT_NAME)
    expect(finding_row(page, new.id)).to_have_count(0)
    set_property(page, PROPERTY, PROPERTY_VALUE)
    row = finding_row(page, new.id)
    expect(row).to_be_visible()
    expect(row).to_have_attribute("data-status", "open")
    page.screenshot(path=artifacts / "2-new-finding.png", full_page=True)

    decide(page, new, "accepted", OWNER, RATIONALE)
    expect(row).to_contain_text(OWNER)
    save(page)
    page.screenshot(path=artifacts / "3-decided-and-saved.png", full_page=True)

    # Python sees all of it: run the next cell.
    text = readback_output(page)
    assert f"elements={expected.elements} flows={expected.flows} decisions=1" in text
    assert f"new element {AGENT}: kind=agent properties={{'{PROPERTY}': '{PROPERTY_VALUE}'}}" in (
        text
    )
    assert f"new flow {FLOW}: llm_app -> {AGENT}" in text
    assert f"decision {new.id}: status=accepted owner={OWNER!r} rationale={RATIONALE!r}" in text
    page.screenshot(path=artifacts / "4-python-cell.png", full_page=True)

    # And so does the saved file.
    _check_saved_ui_edits(saved, new.id)
    print(f"screenshots: {artifacts}")
    guard.assert_clean()


def python_edit_expectations() -> tuple[ThreatModel, list[Finding]]:
    """The model after the smoke notebook's Python edit, and its findings."""
    from workbench.model import Element, Flow

    tool = Element(id=ADDED, kind="tool", name="Web search tool", boundary="app_subnet")
    call = Flow(id=f"f_app_to_{ADDED}", source="llm_app", target=ADDED)
    model = (
        template()
        .add_element(tool)
        .add_flow(call)
        .update_element(RENAMED_FROM, id=RENAMED_TO, name=RENAMED_NAME)
    )
    return model, analyze(model)


@pytest.mark.browser
@pytest.mark.slow
def test_python_side_change_shows_on_canvas_and_threat_panel(
    jupyter_lab: JupyterLab, page: Page, guard: PageGuard, artifacts: Path
):
    from playwright.sync_api import expect

    start = template()
    model, findings = python_edit_expectations()
    notebook = copy_notebook(jupyter_lab, SMOKE, "smoke-python.ipynb")
    canvas = open_workbench(page, jupyter_lab, notebook)
    expect_counts(page, canvas, len(start.elements), len(start.flows))
    assert page_position(page, ADDED) is None
    assert page_position(page, RENAMED_FROM) is not None
    panel = page.locator(PANEL)
    expect(panel.locator("tr[data-finding]")).to_have_count(len(analyze(start)))
    canvas.scroll_into_view_if_needed()
    canvas.screenshot(path=artifacts / "1-before.png")

    run_cell(page, PYTHON_EDIT_CELL)
    assert not cell_errors(page), "a cell failed:\n" + "\n".join(cell_errors(page))
    expect_counts(page, canvas, len(model.elements), len(model.flows))
    drawn_at(page, ADDED)
    drawn_at(page, RENAMED_TO)
    assert page_position(page, RENAMED_FROM) is None, f"{RENAMED_FROM} is still drawn"

    # Nothing is selected, so the threat panel lists every finding of the new model.
    expect(panel.locator("tr[data-finding]")).to_have_count(len(findings))
    ids = sorted(f.id for f in findings if f.target == ADDED)
    assert ids, f"the engine reports nothing for {ADDED}"
    shown = panel.locator(f"tr[data-finding$='@{ADDED}']")
    expect(shown).to_have_count(len(ids))
    assert sorted(r.get_attribute("data-finding") or "" for r in shown.all()) == ids
    canvas.scroll_into_view_if_needed()
    canvas.screenshot(path=artifacts / "2-after.png")
    page.screenshot(path=artifacts / "3-panel.png", full_page=True)

    # The renamed element is the one drawn under its new ID, with its new name.
    select_on_canvas(page, RENAMED_TO, RENAMED_NAME)
    expect(page.locator(".atw-inspector .atw-field-id input")).to_have_value(RENAMED_TO)

    text = readback_output(page)
    assert re.search(rf"elements={len(model.elements)} flows={len(model.flows)} ", text)
    assert f"new element {ADDED}: kind=tool" in text
    assert f"new element {RENAMED_TO}: kind=guardrail" in text
    print(f"screenshots: {artifacts}")
    guard.assert_clean()
