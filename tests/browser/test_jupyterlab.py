"""End to end: the quickstart notebook runs in a real JupyterLab and shows the model."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from .conftest import JupyterLab

QUICKSTART = "01-quickstart.ipynb"
RUN_TIMEOUT = 120_000  # ms for Run All Cells to finish

# The execution indicator reads "idle" before a kernel is attached, so also wait for the
# status bar's kernel item ("Python 3 (ipykernel) | Idle").
IDLE_INDICATOR = ".jp-Notebook-ExecutionIndicator[data-status='idle']"
STATUSBAR_KERNEL = "#jp-main-statusbar .jp-StatusBar-TextItem"
CODE_PROMPTS = ".jp-Notebook .jp-CodeCell .jp-InputArea-prompt"
STDOUT = ".jp-RenderedText[data-mime-type='application/vnd.jupyter.stdout']"
# Error outputs (tracebacks) render with the stderr MIME type too.
STDERR = ".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']"
MODEL = ".jp-OutputArea-output .threat-workbench-model"

# True once Run All has finished: no cell is queued or running ("[*]:") and either every
# code cell has an execution count or a cell failed (Run All stops at an error).
RUN_FINISHED = """([prompts, stderr]) => {
    const texts = [...document.querySelectorAll(prompts)].map((p) => p.textContent.trim());
    if (texts.length === 0 || texts.some((t) => t.includes("*"))) return false;
    const failed = [...document.querySelectorAll(stderr)].some(
        (o) => o.textContent.includes("Traceback"));
    return failed || texts.every((t) => /^\\[\\d+\\]:$/.test(t));
}"""


def _wait_for_idle_kernel(page: Page) -> None:
    page.locator(STATUSBAR_KERNEL, has_text=re.compile(r"\|\s*Idle\s*$")).wait_for()
    page.locator(IDLE_INDICATOR).wait_for()


def _run_all_cells(page: Page) -> None:
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function(RUN_FINISHED, arg=[CODE_PROMPTS, STDERR], timeout=RUN_TIMEOUT)
    _wait_for_idle_kernel(page)


def _system_name() -> str:
    from workbench import ThreatModel

    return ThreatModel.from_template("rag_assistant").system.name


@pytest.mark.browser
@pytest.mark.slow
def test_quickstart_runs_in_jupyterlab(jupyter_lab: JupyterLab, page: Page, tmp_path: Path):
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect

    page.goto(jupyter_lab.notebook_url(QUICKSTART))
    try:
        _wait_for_idle_kernel(page)
        _run_all_cells(page)
    except PlaywrightError as exc:
        shot = tmp_path / "failure.png"
        page.screenshot(path=shot)
        pytest.fail(
            f"JupyterLab did not run the notebook: {exc}\nscreenshot: {shot}\n"
            f"server log:\n{jupyter_lab.log_tail()}"
        )

    stderr = page.locator(STDERR).all_inner_texts()
    errors = [t for t in stderr if "Traceback" in t]
    assert not errors, "a cell failed:\n" + "\n".join(errors)
    warnings = [t for t in stderr if "Warning" in t]
    assert not warnings, "the notebook shows warnings:\n" + "\n".join(warnings)
    prompts = page.locator(CODE_PROMPTS).all_inner_texts()
    assert prompts == [f"[{n}]:" for n in range(1, len(prompts) + 1)]

    model = page.locator(MODEL)
    expect(model).to_have_count(1)
    name = _system_name()
    assert "RAG" in name
    expect(model.locator("table")).to_contain_text(name)
    if shutil.which("dot"):
        diagram = model.locator("svg")
        expect(diagram).to_have_count(1)
        expect(diagram).to_be_visible()
        assert diagram.locator("g.node").count() > 0

    stdout = "\n".join(page.locator(STDOUT).all_inner_texts())
    for expected in (
        "Entry points:",
        "from an untrusted actor to a crown jewel",
        "Same model: True",
    ):
        assert expected in stdout
    assert (jupyter_lab.root_dir / "my_model.yaml").is_file()

    shot = tmp_path / "quickstart.png"
    model.scroll_into_view_if_needed()
    page.screenshot(path=shot)
    print(f"screenshot: {shot}")
