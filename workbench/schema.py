"""JSON Schemas generated from the pydantic models (for editors and other tools)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .model import ThreatModel
from .resources import catalogs_dir

SCHEMA_ID = "urn:ai-threat-workbench:threat-model"


def model_schema() -> dict[str, Any]:
    """The JSON Schema of a threat-model file."""
    schema = ThreatModel.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def schema_path() -> Path:
    """Where the committed schema lives."""
    return catalogs_dir() / "schema" / "threat-model.schema.json"


def render(schema: dict[str, Any]) -> str:
    """Stable text of a schema (what is committed)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover - `python -m workbench.schema` regenerates
    schema_path().write_text(render(model_schema()), encoding="utf-8")
