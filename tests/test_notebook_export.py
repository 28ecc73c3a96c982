"""The notebook's *File → Save and Export Notebook As → Risk assessment* finds the model a
notebook shows: recorded in an output where a model or the workbench widget is displayed,
updated by the widget's Save, read by the ``risk_html`` / ``risk_pdf`` exporters (which the
menu and ``jupyter nbconvert --to risk_html`` run)."""

from __future__ import annotations

import subprocess
import sys
from html import escape as html_escape
from pathlib import Path
from typing import Any

import pytest

from tests.notebook_support import NOTEBOOKS_DIR, RunNotebook
from workbench import ThreatModel
from workbench.export.report import NotebookModelError
from workbench.export.report.notebook import (
    METADATA_KEY,
    MODEL_MIMETYPE,
    model_from_notebook,
    model_record,
)

nbformat: Any = pytest.importorskip("nbformat")

NOTEBOOKS = sorted(
    p.relative_to(NOTEBOOKS_DIR).as_posix()
    for p in NOTEBOOKS_DIR.rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts
)


def _with_outputs(*records: dict[str, Any]) -> Any:
    nb = nbformat.v4.new_notebook()
    for record in records:
        cell = nbformat.v4.new_code_cell("wb")
        cell.outputs = [
            nbformat.v4.new_output(
                "display_data", data={"text/plain": "kept", MODEL_MIMETYPE: record}
            )
        ]
        nb.cells.append(cell)
    return nb


def test_a_shown_model_is_recorded_and_read_back(minimal: ThreatModel) -> None:
    bundle = minimal._repr_mimebundle_()
    assert bundle[MODEL_MIMETYPE]["model"]["system"]["name"] == minimal.system.name
    nb = _with_outputs(bundle[MODEL_MIMETYPE])
    model, _, builtin = model_from_notebook(nb)
    assert model == minimal
    assert builtin


def test_the_last_record_wins_and_metadata_wins_over_records(
    minimal: ThreatModel, tmp_path: Path
) -> None:
    renamed = minimal.replace(system=minimal.system.model_copy(update={"name": "Renamed"}))
    nb = _with_outputs(model_record(minimal), model_record(renamed))
    assert model_from_notebook(nb)[0].system.name == "Renamed"
    minimal.save(tmp_path / "m.yaml", backup=False)
    nb.metadata[METADATA_KEY] = {"model_path": "m.yaml"}
    assert model_from_notebook(nb, tmp_path)[0].system.name == minimal.system.name


def test_a_saved_record_names_its_file_and_stays_in_the_folder(
    minimal: ThreatModel, tmp_path: Path
) -> None:
    minimal.save(tmp_path / "m.yaml", backup=False)
    record = model_record(minimal, "m.yaml")
    assert record["model_path"] == "m.yaml"
    del record["model"]  # a model too large to keep is recorded by its file
    assert model_from_notebook(_with_outputs(record), tmp_path)[0] == minimal
    outside = {"format": 1, "model_path": "../elsewhere/m.yaml"}
    with pytest.raises(NotebookModelError, match="outside the notebook's folder"):
        model_from_notebook(_with_outputs(outside), tmp_path)


def test_a_notebook_without_a_model_gets_one_line(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("print('hi')"))
    with pytest.raises(NotebookModelError) as info:
        model_from_notebook(nb, tmp_path)
    assert "holds no threat model" in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_shipped_notebook_exports_as_run(name: str, notebook_runs: RunNotebook) -> None:
    """What the Export menu does with each shipped notebook once it has run and been saved:
    the notebook holds its model, and the risk assessment is built from it."""
    pytest.importorskip("nbconvert")
    from workbench.export.exporters import RiskHTMLExporter

    run = notebook_runs(name)
    saved = nbformat.reads(nbformat.writes(run.nb), as_version=4)  # as written to disk
    model, _, _ = model_from_notebook(saved, run.workdir)
    html, resources = RiskHTMLExporter().from_notebook_node(
        saved, resources={"metadata": {"path": str(run.workdir)}}
    )
    assert resources["output_extension"] == ".html"
    assert html_escape(model.system.name) in html
    assert "sec-summary" in html


@pytest.mark.slow
def test_the_widgets_save_updates_its_record(notebook_runs: RunNotebook) -> None:
    """The quickstart shows the workbench, records decisions and saves with ``wb.save``:
    the line under the widget then holds the saved model and names its file."""
    run = notebook_runs("01-quickstart.ipynb")
    records = [
        o
        for o in run.outputs
        if o.output_type == "display_data" and MODEL_MIMETYPE in o.get("data", {})
    ]
    widget_record = records[0]  # shown under the widget, updated in place by the Save
    assert widget_record.data["text/plain"] == (
        "Threat model kept in this notebook (as saved to my_model.yaml) for File → Save and "
        "Export Notebook As → Risk assessment."
    )
    record = widget_record.data[MODEL_MIMETYPE]
    assert record["model_path"] == "my_model.yaml"
    saved = ThreatModel.load(run.workdir / "my_model.yaml")
    assert {d["finding"] for d in record["model"]["decisions"]} == {
        d.finding for d in saved.decisions
    }


def test_nbconvert_says_in_one_line_that_a_notebook_holds_no_model(tmp_path: Path) -> None:
    """``jupyter nbconvert --to risk_html`` on a notebook without a model: one line, exit
    status 1, no traceback."""
    pytest.importorskip("nbconvert")
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("print(1)"))
    nbformat.write(nb, tmp_path / "plain.ipynb")
    done = subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", "risk_html", "plain.ipynb"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1, done.stderr
    assert "this notebook holds no threat model" in errors[0]
    assert not (tmp_path / "plain.html").exists()
