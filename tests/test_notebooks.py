"""The notebooks in ``notebooks/`` run top to bottom and are committed without outputs.

Each notebook runs with nbclient in a temporary copy of the folder, so files a notebook
writes (``my_model.yaml`` in the quickstart) never land in the repository.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
QUICKSTART = "01-quickstart.ipynb"
CELL_TIMEOUT = 120  # seconds per cell


def _outputs(nb: Any) -> list[Any]:
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]


def test_quickstart_is_there():
    assert (NOTEBOOKS_DIR / QUICKSTART).is_file()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
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
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path: Path, tmp_path: Path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")

    workdir = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, workdir)
    nb = nbformat.read(workdir / path.name, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, if a cell fails

    outputs = _outputs(nb)
    assert not [o for o in outputs if o.output_type == "error"]
    stderr = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stderr")
    assert "Traceback" not in stderr
    assert "Warning" not in stderr, f"{path.name} shows a warning:\n{stderr}"

    if path.name == QUICKSTART:
        html = "".join(o.data.get("text/html", "") for o in outputs if "data" in o)
        assert "threat-workbench-model" in html
        assert "Support knowledge assistant (RAG)" in html
        if shutil.which("dot"):
            assert "<svg" in html
        # The notebook saves into its own working directory, i.e. the temporary copy.
        assert (workdir / "my_model.yaml").is_file()
