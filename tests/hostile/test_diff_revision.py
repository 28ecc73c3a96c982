"""Issue 11, point 17: a revision given to `diff` is never read as a git option."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from workbench.errors import ModelFileError
from workbench.interop.diff import load_model_spec

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def test_a_revision_that_looks_like_an_option_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "written"
    spec = f"--output={target}:model.yaml"
    with pytest.raises(ModelFileError) as err:
        load_model_spec(spec, cwd=tmp_path)
    assert "is not a revision" in str(err.value)
    assert not target.exists()
