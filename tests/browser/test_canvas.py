"""End to end: draw on the workbench canvas in a real JupyterLab, then read the model back
in Python.

Through the UI only: run the smoke notebook, wait for the canvas to paint, add an agent
from the palette, draw a flow to it, see the flow's finding in the threat panel, and run
the next cell, which prints the live model's counts. Screenshots go to ``$ATW_ARTIFACTS``
(or the test's temporary folder); no console error and no request beyond 127.0.0.1 are
allowed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import pytest

from .test_jupyterlab import STDERR, STDOUT, _run_all_cells, _wait_for_idle_kernel

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page, Request

    from .conftest import JupyterLab

NOTEBOOK = "06-widget-smoke.ipynb"
CANVAS = ".atw-canvas"
PAINTED = ".atw-canvas[data-painted='true']"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def _artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("ATW_ARTIFACTS", tmp_path)) / "canvas"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _page_position(page: Page, element_id: str) -> dict[str, float]:
    """Where the canvas draws ``element_id``, in page coordinates."""
    pos = page.evaluate(
        "(id) => document.querySelector('.atw-canvas').atw.pagePosition(id)", element_id
    )
    assert pos is not None, f"{element_id} is not drawn"
    return {"x": float(pos["x"]), "y": float(pos["y"])}


def _template_counts() -> tuple[int, int]:
    from workbench import ThreatModel

    model = ThreatModel.from_template("rag_assistant")
    return len(model.elements), len(model.flows)


@pytest.mark.browser
@pytest.mark.slow
def test_draw_element_and_flow_then_read_the_model_in_python(
    jupyter_lab: JupyterLab, page: Page, tmp_path: Path
):
    from playwright.sync_api import expect

    artifacts = _artifacts(tmp_path)
    problems: list[str] = []
    outside: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            problems.append(f"console error: {msg.text}")

    def on_request(request: Request) -> None:
        url = urlparse(request.url)
        if url.scheme in ("data", "blob"):
            return
        if url.hostname not in LOCAL_HOSTS:
            outside.append(request.url)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("request", on_request)

    elements, flows = _template_counts()
    page.goto(jupyter_lab.notebook_url(NOTEBOOK))
    _wait_for_idle_kernel(page)
    _run_all_cells(page)
    errors = [t for t in page.locator(STDERR).all_inner_texts() if "Traceback" in t]
    assert not errors, "a cell failed:\n" + "\n".join(errors)

    # The canvas paints the starter architecture.
    canvas = page.locator(PAINTED)
    expect(canvas).to_have_count(1)
    expect(canvas).to_have_attribute("data-node-count", str(elements))
    expect(canvas).to_have_attribute("data-edge-count", str(flows))
    expect(canvas.locator(".atw-graph canvas")).to_be_visible()
    expect(page.get_by_text(f"{elements} elements · {flows} flows")).to_be_visible()
    canvas.scroll_into_view_if_needed()
    canvas.screenshot(path=artifacts / "1-painted.png")

    # Palette, then a click on an empty spot of the canvas: a new agent.
    page.locator(".atw-kind[data-kind='agent']").click()
    expect(page.locator(".atw-hint")).to_contain_text("Agent")
    stage = page.locator(".atw-stage").bounding_box()
    assert stage is not None
    page.mouse.click(stage["x"] + 40, stage["y"] + stage["height"] - 40)
    expect(canvas).to_have_attribute("data-node-count", str(elements + 1))
    # The new element is selected, so the inspector shows it.
    expect(page.locator(".atw-inspector")).to_contain_text("Agent 1")
    blank = page.evaluate(
        "() => [...document.querySelectorAll('.atw-inspector select')]"
        ".filter((s) => !s.multiple && s.offsetParent && s.selectedIndex < 0).length"
    )
    assert blank == 0, "the inspector shows empty dropdowns"

    # Draw flow: drag from the LLM app onto the new agent.
    page.locator(".atw-btn[data-action='flow']").click()
    expect(page.locator(".atw-btn[data-action='flow']")).to_have_attribute("aria-pressed", "true")
    start, end = _page_position(page, "llm_app"), _page_position(page, "agent-1")
    page.mouse.move(start["x"], start["y"])
    page.mouse.down()
    page.mouse.move(end["x"], end["y"], steps=12)
    page.mouse.up()
    expect(canvas).to_have_attribute("data-edge-count", str(flows + 1))
    assert canvas.get_attribute("data-notice") is None

    # The threat panel shows the new flow's findings (it is selected after drawing).
    row = page.locator(".atw-findings tr[data-finding$='@llm_app-to-agent-1']")
    expect(row.first).to_be_visible()
    page.screenshot(path=artifacts / "2-after-edits.png", full_page=True)

    # Python sees it: run the next cell.
    page.locator(".jp-CodeCell").nth(1).locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    out = page.locator(STDOUT, has_text=re.compile(r"elements=\d+"))
    expect(out).to_contain_text(f"elements={elements + 1} flows={flows + 1}")
    _wait_for_idle_kernel(page)
    page.screenshot(path=artifacts / "3-python-cell.png", full_page=True)
    print(f"screenshots: {artifacts}")

    assert not problems, "\n".join(problems)
    assert not outside, f"requests left 127.0.0.1: {outside}"
