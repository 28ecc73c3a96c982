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
    _validate(front, None, "model card front matter")


def validate_risk_assessment(document: dict[str, Any]) -> None:
    """Validate a card's sidecar risk-assessment document (``{"model_name": ...,
    "risk_assessment": {...}}``) against the same schema's ``risk_assessment_document``."""
    _validate(document, "risk_assessment_document", "model card risk assessment")


def _validate(data: dict[str, Any], definition: str | None, what: str) -> None:
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema comes with nbformat
        return
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    if definition is not None:
        schema = {
            "$schema": schema["$schema"],
            "$defs": schema["$defs"],
            "$ref": f"#/$defs/{definition}",
        }
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors]
        raise ValueError(f"{what} is invalid:\n" + "\n".join(lines))
