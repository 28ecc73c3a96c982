"""The notebooks in ``notebooks/`` (and ``notebooks/solutions/``) run top to bottom and are
committed without outputs.

Each notebook runs once per test session with nbclient in a temporary copy of the folder
(``tests/notebook_support.py``), so files a notebook writes (``my_model.yaml``,
``quickstart_report.html`` ...) never land in the repository; the per-notebook tests below,
and the workshop tests, share that run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.notebook_support import NOTEBOOKS_DIR, RunNotebook

NOTEBOOKS = sorted(p for p in NOTEBOOKS_DIR.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
IDS = [p.relative_to(NOTEBOOKS_DIR).as_posix() for p in NOTEBOOKS]
QUICKSTART = "01-quickstart.ipynb"
TUTORIALS = [f"0{n}-" for n in range(1, 6)]


def test_quickstart_is_there():
    assert (NOTEBOOKS_DIR / QUICKSTART).is_file()


def test_every_tutorial_and_the_solutions_are_there():
    names = [p.name for p in NOTEBOOKS]
    for prefix in TUTORIALS:
        assert any(n.startswith(prefix) for n in names), prefix
    assert "solutions/03-workshop-exercises-solutions.ipynb" in IDS


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.name[:3] in {t[:3] for t in TUTORIALS}])
def test_notebook_says_what_it_teaches_and_how_long(path: Path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    intro = "".join(nb["cells"][0]["source"])
    assert nb["cells"][0]["cell_type"] == "markdown"
    assert intro.startswith("# ")
    assert "minutes" in intro


def test_quickstart_has_fewer_than_ten_cells():
    nb = json.loads((NOTEBOOKS_DIR / QUICKSTART).read_text(encoding="utf-8"))
    assert len(nb["cells"]) < 10


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_committed_without_outputs(path: Path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert "widgets" not in nb["metadata"], "saved widget state: clear it before committing"
    dirty = [
        i
        for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code"
        and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, (
        f"{path.name}: code cells {dirty} have outputs or an execution count; "
        "clear them (Edit > Clear Outputs of All Cells, or nbstripout) before committing"
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", IDS)
def test_notebook_runs_top_to_bottom(name: str, notebook_runs: RunNotebook):
    run = notebook_runs(name)
    outputs = run.outputs
    assert not [o for o in outputs if o.output_type == "error"]
    stderr = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stderr")
    assert "Traceback" not in stderr
    assert "Warning" not in stderr, f"{name} shows a warning:\n{stderr}"


@pytest.mark.slow
def test_quickstart_shows_the_workbench_and_writes_report_and_model(notebook_runs: RunNotebook):
    run = notebook_runs(QUICKSTART)
    widget = [
        o for o in run.outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert widget, "the Workbench widget is displayed"
    html = run.text("text/html")
    assert "threat-workbench-model" in html
    assert "Support knowledge assistant (RAG)" in html
    if shutil.which("dot"):
        assert "<svg" in html
    stdout = run.text()
    assert "AITW-RAG-001@f_vectors_to_app: mitigated" in stdout
    assert "AITW-RAG-004@vector_store: accepted" in stdout
    assert "Same model: True" in stdout
    report = (run.workdir / "quickstart_report.html").read_text(encoding="utf-8")
    assert report.lstrip().lower().startswith("<!doctype html")
    assert "AITW-RAG-001@f_vectors_to_app" in report
    assert "Head of support engineering" in report  # the accepted risk's owner
    saved = (run.workdir / "my_model.yaml").read_text(encoding="utf-8")
    assert "AITW-RAG-004@vector_store" in saved


@pytest.mark.slow
def test_session_writes_report_model_card_and_model(notebook_runs: RunNotebook):
    run = notebook_runs("02-threat-modeling-session.ipynb")
    for name in ("session_report.html", "model_card.md", "agent_model.yaml"):
        assert (run.workdir / name).stat().st_size > 0, name
    assert "calendar_tool" in (run.workdir / "agent_model.yaml").read_text(encoding="utf-8")
    assert (run.workdir / "model_card.md").read_text(encoding="utf-8").startswith("---\n")
    assert "AITW-AGT-003@calendar_tool" in run.text()


@pytest.mark.slow
def test_custom_catalog_threat_fires_and_is_mitigated(notebook_runs: RunNotebook):
    stdout = notebook_runs("04-custom-catalog.ipynb").text()
    assert "ACME-LLM-001@llm_api [" in stdout
    assert "ACME-LLM-001@llm_api: mitigated" in stdout
    assert "Problems: none" in stdout


@pytest.mark.slow
def test_ci_notebook_gates_and_writes_sarif_and_review(notebook_runs: RunNotebook):
    run = notebook_runs("05-ci-and-review.ipynb")
    sarif = json.loads((run.workdir / "findings.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert results
    assert any(r.get("suppressions") for r in results)  # the decided finding
    assert "exit codes: 1 1" in run.text()
    review = (run.workdir / "review.md").read_text(encoding="utf-8")
    assert "web_search" in review or "Web search tool" in review
