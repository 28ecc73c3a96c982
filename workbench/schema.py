"""Renamed: JSON Schema generation is :mod:`workbench.json_schema` (this module still
imports, and ``python -m workbench.schema`` still regenerates, for one release)."""

from typing import Any

from . import json_schema as _json_schema


def __getattr__(name: str) -> Any:
    return getattr(_json_schema, name)


if __name__ == "__main__":  # pragma: no cover
    _json_schema.regenerate()
