"""Where the data files shipped with the package live."""

from __future__ import annotations

from pathlib import Path


def catalogs_dir() -> Path:
    """The ``catalogs/`` folder: inside the wheel (``workbench/_catalogs``) or, in a source
    checkout or editable install, at the repository root."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_catalogs", here.parent / "catalogs"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the workbench's catalogs folder is missing from this install")


def starters_dir() -> Path:
    """The ``starters/`` folder of starter architectures: inside the wheel
    (``workbench/_starters``) or, in a source checkout or editable install, at the
    repository root."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_starters", here.parent / "starters"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the workbench's starters folder is missing from this install")
