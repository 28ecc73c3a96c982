"""The committed JSON Schema matches the models, and describes real files."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from workbench.resources import catalogs_dir
from workbench.schema import model_schema, render, schema_path
from workbench.templates import names


def test_committed_schema_is_current() -> None:
    committed = schema_path().read_text(encoding="utf-8")
    assert committed == render(model_schema()), (
        "catalogs/schema/threat-model.schema.json is stale: run `make schema`"
    )


def test_every_field_is_documented() -> None:
    schema = model_schema()
    missing = [
        f"{name}.{prop}"
        for name, definition in schema["$defs"].items()
        for prop, spec in definition.get("properties", {}).items()
        if not spec.get("description")
    ]
    missing += [p for p, s in schema["properties"].items() if not s.get("description")]
    assert missing == []


@pytest.mark.parametrize("name", names())
def test_templates_validate_against_the_schema(name: str) -> None:
    doc = yaml.safe_load((catalogs_dir() / "architectures" / f"{name}.yaml").read_text())
    jsonschema.Draft202012Validator(json.loads(schema_path().read_text())).validate(doc)


def test_schema_rejects_unknown_kind() -> None:
    validator = jsonschema.Draft202012Validator(model_schema())
    doc = {"system": {"name": "x"}, "elements": [{"id": "a", "kind": "vectorstore", "name": "A"}]}
    assert not validator.is_valid(doc)
