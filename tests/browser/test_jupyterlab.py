"""End to end: the quickstart notebook runs in a real JupyterLab and shows the workbench.

Also the notebook helpers the other browser tests share: open a notebook in JupyterLab or
Notebook 7, wait for its kernel, run one cell or all of them.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from .conftest import JupyterLab, PageGuard

QUICKSTART = "01-quickstart.ipynb"
QUICKSTART_REPORT = "quickstart_report.html"
RUN_TIMEOUT = 120_000  # ms for Run All Cells to finish
FILE_TIMEOUT = 60.0  # s for a file a notebook writes to appear

IDLE_INDICATOR = ".jp-Notebook-ExecutionIndicator[data-status='idle']"
CODE_CELL = ".jp-Notebook .jp-CodeCell"
CODE_PROMPTS = ".jp-Notebook .jp-CodeCell .jp-InputArea-prompt"
STDOUT = ".jp-RenderedText[data-mime-type='application/vnd.jupyter.stdout']"
# Error outputs (tracebacks) render with the stderr MIME type too.
STDERR = ".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']"
MODEL = ".jp-OutputArea-output .threat-workbench-model"
CANVAS_PAINTED = ".atw-canvas[data-painted='true']"
FINDINGS_PANEL = ".atw-findings-panel"

# True once Run All has finished: no cell is queued or running ("[*]:") and either every
# code cell has an execution count or a cell failed (Run All stops at an error).
RUN_FINISHED = """([prompts, stderr]) => {
    const texts = [...document.querySelectorAll(prompts)].map((p) => p.textContent.trim());
    if (texts.length === 0 || texts.some((t) => t.includes("*"))) return false;
    const failed = [...document.querySelectorAll(stderr)].some(
        (o) => o.textContent.includes("Traceback"));
    return failed || texts.every((t) => /^\\[\\d+\\]:$/.test(t));
}"""

# True once the code cell ``index`` shows an execution count other than ``before``.
CELL_FINISHED = """([cells, index, before]) => {
    const cell = document.querySelectorAll(cells)[index];
    const prompt = cell && cell.querySelector(".jp-InputArea-prompt");
    const text = prompt ? prompt.textContent.trim() : "";
    return /^\\[\\d+\\]:$/.test(text) && text !== before;
}"""


@dataclass(frozen=True)
class Frontend:
    """How a Jupyter frontend opens a notebook and shows that its kernel is ready.

    Both JupyterLab 4 and Notebook 7 show the execution indicator, but it reads "idle"
    before a kernel is attached, so each also names an element whose text says the
    kernel is there (``kernel_item`` matching ``kernel_ready``)."""

    name: str
    url: Callable[[JupyterLab, str], str]
    kernel_item: str
    kernel_ready: re.Pattern[str]


JUPYTERLAB = Frontend(
    "JupyterLab",
    lambda server, name: server.notebook_url(name),
    "#jp-main-statusbar .jp-StatusBar-TextItem",  # "Python 3 (ipykernel) | Idle"
    re.compile(r"\|\s*Idle\s*$"),
)
NOTEBOOK7 = Frontend(
    "Notebook 7",
    lambda server, name: server.notebook7_url(name),
    ".jp-Toolbar-kernelName",  # "No Kernel", then "Python 3 (ipykernel)"
    re.compile(r"ipykernel"),
)


def wait_for_idle_kernel(page: Page, frontend: Frontend = JUPYTERLAB) -> None:
    """Wait until the notebook's kernel is attached and idle."""
    page.locator(frontend.kernel_item, has_text=frontend.kernel_ready).first.wait_for()
    page.locator(IDLE_INDICATOR).first.wait_for()


def open_notebook(page: Page, server: JupyterLab, name: str, frontend: Frontend) -> None:
    """Open ``name`` in ``frontend`` and wait for an idle kernel."""
    page.goto(frontend.url(server, name))
    wait_for_idle_kernel(page, frontend)


def run_all_cells(page: Page, frontend: Frontend = JUPYTERLAB) -> None:
    """Run > Run All Cells (the same menu in JupyterLab and Notebook 7), until done."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function(RUN_FINISHED, arg=[CODE_PROMPTS, STDERR], timeout=RUN_TIMEOUT)
    wait_for_idle_kernel(page, frontend)


def run_cell(page: Page, index: int, frontend: Frontend = JUPYTERLAB) -> None:
    """Run code cell ``index`` (0-based, code cells only) with Shift+Enter, until done."""
    cell = page.locator(CODE_CELL).nth(index)
    before = cell.locator(".jp-InputArea-prompt").inner_text().strip()
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    page.wait_for_function(CELL_FINISHED, arg=[CODE_CELL, index, before], timeout=RUN_TIMEOUT)
    wait_for_idle_kernel(page, frontend)


def cell_errors(page: Page) -> list[str]:
    """Tracebacks shown in the notebook."""
    return [t for t in page.locator(STDERR).all_inner_texts() if "Traceback" in t]


def copy_notebook(server: JupyterLab, source: str, name: str) -> str:
    """Copy notebook ``source`` to ``name`` in the server's folder (a notebook of its own
    has a kernel of its own, so tests do not share state) and return ``name``."""
    shutil.copyfile(server.root_dir / source, server.root_dir / name)
    return name


def wait_for_file(path: Path, timeout: float = FILE_TIMEOUT) -> bool:
    """Whether ``path`` exists within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not path.is_file():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)
    return True


def _system_name() -> str:
    from workbench import ThreatModel

    return ThreatModel.from_template("rag_assistant").system.name


def _run_quickstart(page: Page, server: JupyterLab, artifacts: Path) -> None:
    from playwright.sync_api import Error as PlaywrightError

    try:
        open_notebook(page, server, QUICKSTART, JUPYTERLAB)
        run_all_cells(page)
    except PlaywrightError as exc:
        shot = artifacts / "failure.png"
        page.screenshot(path=shot)
        pytest.fail(
            f"JupyterLab did not run the notebook: {exc}\nscreenshot: {shot}\n"
            f"server log:\n{server.log_tail()}"
        )


def _check_report(page: Page, server: JupyterLab, artifacts: Path, guard: PageGuard) -> None:
    """Open the report the quickstart wrote, as Jupyter serves it, and screenshot it."""
    from playwright.sync_api import expect

    assert wait_for_file(server.root_dir / QUICKSTART_REPORT), (
        f"the quickstart did not write {QUICKSTART_REPORT}"
    )
    report = page.context.new_page()
    guard.watch(report)
    response = report.goto(server.files_url(QUICKSTART_REPORT), wait_until="load")
    assert response is not None
    assert response.ok, f"GET {QUICKSTART_REPORT}: {response.status}"
    expect(report.get_by_text("Executive summary").first).to_be_visible()
    expect(report.locator("body")).to_contain_text(_system_name())
    report.screenshot(path=artifacts / "3-report.png")  # the first screen
    report.close()


@pytest.mark.browser
@pytest.mark.slow
def test_quickstart_runs_in_jupyterlab(
    jupyter_lab: JupyterLab, page: Page, guard: PageGuard, artifacts: Path
):
    from playwright.sync_api import expect

    _run_quickstart(page, jupyter_lab, artifacts)
    stderr = page.locator(STDERR).all_inner_texts()
    errors = [t for t in stderr if "Traceback" in t]
    assert not errors, "a cell failed:\n" + "\n".join(errors)
    warnings = [t for t in stderr if "Warning" in t]
    assert not warnings, "the notebook shows warnings:\n" + "\n".join(warnings)
    prompts = page.locator(CODE_PROMPTS).all_inner_texts()
    assert prompts == [f"[{n}]:" for n in range(1, len(prompts) + 1)]

    # The workbench: the canvas paints the model, the threat panel lists its findings.
    canvas = page.locator(CANVAS_PAINTED)
    expect(canvas).to_have_count(1)
    expect(canvas.locator(".atw-graph canvas")).to_be_visible()
    assert int(canvas.get_attribute("data-node-count") or 0) > 0
    canvas.scroll_into_view_if_needed()
    canvas.screenshot(path=artifacts / "1-canvas.png")
    panel = page.locator(FINDINGS_PANEL)
    expect(panel.locator("tr[data-finding]").first).to_be_visible()
    # The quickstart records decisions in Python; the panel shows them.
    expect(panel.locator("tr[data-finding]:not([data-status='open'])").first).to_be_attached()
    panel.scroll_into_view_if_needed()
    panel.screenshot(path=artifacts / "2-threat-panel.png")
    page.screenshot(path=artifacts / "0-notebook.png", full_page=True)

    _check_report(page, jupyter_lab, artifacts, guard)
    print(f"screenshots: {artifacts}")
    guard.assert_clean()
