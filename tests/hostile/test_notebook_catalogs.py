"""Issue 11, point 14: catalog folders named in a received notebook's metadata stay
inside the notebook's folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.export.report import NotebookModelError, model_from_notebook

MODEL = "system: {name: Bot}\nelements: [{id: a, kind: process, name: A}]\n"


def _nb(catalogs: object) -> dict[str, object]:
    return {"metadata": {"threat_workbench": {"model_path": "m.yaml", "catalogs": catalogs}}}


@pytest.mark.parametrize("entry", ["/", "..", "../elsewhere", "sub/../../x"])
def test_catalogs_outside_the_notebook_folder_are_refused(tmp_path: Path, entry: str) -> None:
    (tmp_path / "m.yaml").write_text(MODEL, encoding="utf-8")
    with pytest.raises(NotebookModelError, match="outside the notebook's folder"):
        model_from_notebook(_nb([entry]), tmp_path)


def test_a_catalog_inside_is_used_and_a_bad_list_is_refused(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text(MODEL, encoding="utf-8")
    (tmp_path / "org").mkdir()
    _, catalogs, _ = model_from_notebook(_nb(["org"]), tmp_path)
    assert catalogs == [(tmp_path / "org").resolve()]
    with pytest.raises(NotebookModelError, match="must be a list of folders"):
        model_from_notebook(_nb("/"), tmp_path)
