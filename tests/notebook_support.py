"""What the notebook tests share: one nbclient run of each notebook in ``notebooks/`` per
test session, in a temporary copy of the folder.

``tests/test_notebooks.py`` and ``tests/test_workshop.py`` both read the runs (through the
``notebook_runs`` fixture of ``tests/conftest.py``), so a notebook that both check is
executed once. Files a notebook writes (``my_model.yaml``, ``quickstart_report.html`` ...)
land in the copy, never in the repository.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS_DIR = Path(__file__).resolve().parent.parent / "notebooks"
CELL_TIMEOUT = 120  # seconds per cell


@dataclass(frozen=True)
class Run:
    """An executed notebook and the folder it ran in."""

    nb: Any
    workdir: Path

    @property
    def outputs(self) -> list[Any]:
        return [o for cell in self.nb.cells if cell.cell_type == "code" for o in cell.outputs]

    def text(self, mime: str = "text/plain") -> str:
        """Everything the notebook printed (stdout) or displayed as ``mime``."""
        parts = [o.text for o in self.outputs if o.output_type == "stream" and o.name == "stdout"]
        parts += [o.data.get(mime, "") for o in self.outputs if "data" in o]
        return "\n".join(parts)


def execute(path: Path, base: Path) -> Run:
    """Run ``path`` top to bottom in a copy of ``notebooks/`` under ``base``."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    workdir = base / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, workdir)
    copy = workdir / path.relative_to(NOTEBOOKS_DIR)
    nb = nbformat.read(copy, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(copy.parent)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, if a cell fails
    return Run(nb=nb, workdir=copy.parent)


RunNotebook = Callable[[str], Run]
"""The ``notebook_runs`` fixture: a notebook's name (relative to ``notebooks/``) -> its run."""


def run_once(tmp_path_factory: pytest.TempPathFactory) -> RunNotebook:
    """A function that runs the notebook ``name`` (relative to ``notebooks/``) on first use
    and gives every later caller the same run. A failed run is remembered too: each caller
    sees the same error, and the notebook is not executed again."""
    done: dict[str, Run | Exception] = {}

    def get(name: str) -> Run:
        if name not in done:
            base = tmp_path_factory.mktemp(Path(name).stem)
            try:
                done[name] = execute(NOTEBOOKS_DIR / name, base)
            except Exception as exc:
                done[name] = exc
        result = done[name]
        if isinstance(result, Exception):
            raise result
        return result

    return get
