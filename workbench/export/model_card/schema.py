"""Local validation of the front matter against
``catalogs/schema/model-card.schema.json`` (no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def schema_path() -> Path:
    """``catalogs/schema/model-card.schema.json``."""
    from ...resources import catalogs_dir

    return catalogs_dir() / "schema" / "model-card.schema.json"


def validate_front_matter(front: dict[str, Any]) -> None:
    """Validate front matter against our schema, locally (``ValueError`` naming every
    problem). Skipped when jsonschema is not installed."""
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema comes with nbformat
        return
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(front), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors]
        raise ValueError("model card front matter is invalid:\n" + "\n".join(lines))
