"""End to end in Notebook 7: the workbench works there as it does in JupyterLab.

A Jupyter server started like the ``jupyter_lab`` fixture's, but of its own, serves
Notebook 7 (the ``notebook`` package) at ``/notebooks/NAME.ipynb``. Through the UI
only: open the smoke notebook, Run All Cells from Notebook 7's menu (which includes the
cell that edits the model from Python), see the canvas paint the edited model, add an
agent from the palette, see the threat panel list its findings, type a file name and
save; then check the saved file.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .conftest import notebook_server
from .test_canvas import (
    ADDED,
    AGENT,
    AGENT_NAME,
    PAINTED,
    PANEL,
    RENAMED_FROM,
    RENAMED_TO,
    SMOKE,
    add_from_palette,
    analyze,
    by_id,
    drawn_at,
    expect_counts,
    page_position,
    python_edit_expectations,
    read_saved,
    save,
)
from .test_jupyterlab import (
    NOTEBOOK7,
    STDOUT,
    cell_errors,
    copy_notebook,
    open_notebook,
    run_all_cells,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from .conftest import PageGuard
    from .servers import JupyterLab

SAVED = "nb7_model.yaml"
# Notebook 7.6.5 throws this while it starts, from its keyboard-shortcuts settings
# handler (``t.plugins[id].schema`` of a plugin it has not loaded), with or without this
# project's widgets and with an empty settings folder. It is forgiven only when thrown by
# Notebook 7's own bundle, before any cell runs.
NOTEBOOK7_STARTUP_BUG = "Cannot read properties of undefined (reading 'schema')"
NOTEBOOK7_BUNDLE = "/static/notebook/notebook_core."


@pytest.fixture(scope="module")
def notebook7(
    browser_requirements: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JupyterLab]:
    """A Jupyter server of its own for Notebook 7 (skips unless Notebook 7 is installed).

    Notebook 7 on the server that JupyterLab already used fails to load a font (403) and
    calls ``filebrowser:open-path``, which it lacks; a first visit is clean."""
    if importlib.util.find_spec("notebook") is None:
        pytest.skip("the notebook package (Notebook 7) is not installed")
    with notebook_server(tmp_path_factory, "notebook7") as server:
        yield server


@pytest.mark.browser
@pytest.mark.slow
def test_workbench_in_notebook7(
    notebook7: JupyterLab, page: Page, guard: PageGuard, artifacts: Path
):
    from playwright.sync_api import expect

    from workbench import ThreatModel

    model, findings = python_edit_expectations()
    name = copy_notebook(notebook7, SMOKE, "smoke-nb7.ipynb")
    (notebook7.root_dir / SAVED).unlink(missing_ok=True)

    open_notebook(page, notebook7, name, NOTEBOOK7)
    guard.forgive(NOTEBOOK7_STARTUP_BUG, NOTEBOOK7_BUNDLE)
    expect(page.locator("#main-panel .jp-NotebookPanel")).to_have_count(1)
    assert page.locator("#jp-main-statusbar").count() == 0, "this is not Notebook 7"
    run_all_cells(page, NOTEBOOK7)
    assert not cell_errors(page), "a cell failed:\n" + "\n".join(cell_errors(page))
    expect(page.locator(STDOUT).first).to_contain_text("elements=")

    # The canvas shows the model as the last cell left it (edited from Python).
    canvas = page.locator(PAINTED)
    expect(canvas).to_have_count(1)
    expect_counts(page, canvas, len(model.elements), len(model.flows))
    drawn_at(page, ADDED)
    drawn_at(page, RENAMED_TO)
    assert page_position(page, RENAMED_FROM) is None
    panel = page.locator(PANEL)
    expect(panel.locator("tr[data-finding]")).to_have_count(len(findings))
    canvas.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "1-run-all.png")

    # An agent from the palette: drawn, selected, and its findings in the threat panel.
    add_from_palette(page, canvas, "agent")
    drawn_at(page, AGENT)
    expect(page.locator(".atw-inspector")).to_contain_text(AGENT_NAME)
    rows = panel.locator(f"tr[data-finding$='@{AGENT}']")
    expect(rows.first).to_be_visible()
    page.screenshot(path=artifacts / "2-agent-added.png")

    save(page, SAVED)
    path = notebook7.root_dir / SAVED
    data = read_saved(path)
    elements = by_id(data["elements"])
    assert elements[AGENT]["kind"] == "agent"
    assert {ADDED, RENAMED_TO} <= elements.keys()
    assert RENAMED_FROM not in elements
    # The panel listed exactly what the engine finds for the agent in the saved model.
    expected = sorted(f.id for f in analyze(ThreatModel.load(path)) if f.target == AGENT)
    assert expected
    assert sorted(r.get_attribute("data-finding") or "" for r in rows.all()) == expected
    page.screenshot(path=artifacts / "3-saved.png")
    print(f"screenshots: {artifacts}")
    guard.assert_clean()
