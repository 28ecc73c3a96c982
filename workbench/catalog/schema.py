"""Renamed: the catalog's entry types are :mod:`workbench.catalog.entries` (this module
still imports for one release)."""

from typing import Any

from . import entries as _entries


def __getattr__(name: str) -> Any:
    return getattr(_entries, name)
