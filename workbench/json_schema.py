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


def catalog_schema() -> dict[str, Any]:
    """The JSON Schema of a catalog file (threats, mitigations, frameworks)."""
    from .catalog.entries import CatalogFile

    schema = CatalogFile.model_json_schema(mode="validation")
    schema["properties"]["disabled"] = {
        "description": "IDs of threats of earlier catalogs to switch off.",
        "items": {"type": "string"},
        "type": "array",
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:ai-threat-workbench:catalog",
        **schema,
    }


def kinds_document() -> dict[str, Any]:
    """The element kinds and element properties, as a reference document."""
    from .model import KINDS, ElementProperties

    props = ElementProperties.model_json_schema()["properties"]
    return {
        "kinds": [
            {
                "id": k.name,
                "label": k.label,
                "dfd": k.dfd.value,
                "layer": k.layer.value,
                "external": k.external,
                "description": k.description,
            }
            for k in KINDS.values()
        ],
        "properties": [
            {
                "id": name,
                "description": spec.get("description", ""),
                "values": [v for o in spec.get("anyOf", [spec]) for v in o.get("enum", [])]
                or [o.get("type") for o in spec.get("anyOf", [spec]) if o.get("type") != "null"],
            }
            for name, spec in props.items()
        ],
    }


def schema_path() -> Path:
    """Where the committed schema lives."""
    return catalogs_dir() / "schema" / "threat-model.schema.json"


def catalog_schema_path() -> Path:
    """Where the committed catalog schema lives."""
    return catalogs_dir() / "schema" / "catalog.schema.json"


def kinds_path() -> Path:
    """Where the committed kinds reference lives."""
    return catalogs_dir() / "schema" / "kinds.yaml"


def render_kinds() -> str:
    """Stable text of the kinds reference (what is committed)."""
    import yaml

    header = (
        "# Element kinds and element properties of the threat-model format.\n"
        "# Generated from workbench/model by `make schema`; do not edit by hand.\n"
    )
    return header + yaml.safe_dump(kinds_document(), sort_keys=False, width=100)


def render(schema: dict[str, Any]) -> str:
    """Stable text of a schema (what is committed)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def regenerate() -> None:
    """Write the committed schemas and the kinds document again (``make schema``)."""
    schema_path().write_text(render(model_schema()), encoding="utf-8")
    catalog_schema_path().write_text(render(catalog_schema()), encoding="utf-8")
    kinds_path().write_text(render_kinds(), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - `python -m workbench.json_schema` regenerates
    regenerate()
