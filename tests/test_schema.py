"""The committed JSON Schema matches the models, and describes real files."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from workbench.json_schema import (
    catalog_schema,
    catalog_schema_path,
    kinds_path,
    model_schema,
    render,
    render_kinds,
    schema_path,
)
from workbench.resources import catalogs_dir, starters_dir
from workbench.starters import names


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
    doc = yaml.safe_load((starters_dir() / f"{name}.yaml").read_text())
    jsonschema.Draft202012Validator(json.loads(schema_path().read_text())).validate(doc)


def test_schema_rejects_unknown_kind() -> None:
    validator = jsonschema.Draft202012Validator(model_schema())
    doc = {"system": {"name": "x"}, "elements": [{"id": "a", "kind": "vectorstore", "name": "A"}]}
    assert not validator.is_valid(doc)


def test_committed_catalog_schema_and_kinds_are_current() -> None:
    assert catalog_schema_path().read_text(encoding="utf-8") == render(catalog_schema()), (
        "catalogs/schema/catalog.schema.json is stale: run `make schema`"
    )
    assert kinds_path().read_text(encoding="utf-8") == render_kinds(), (
        "catalogs/schema/kinds.yaml is stale: run `make schema`"
    )


def test_catalog_files_validate_against_the_catalog_schema() -> None:
    validator = jsonschema.Draft202012Validator(catalog_schema())
    files = sorted((catalogs_dir() / "threats").glob("*.yaml"))
    files += sorted((catalogs_dir() / "mitigations").glob("*.yaml"))
    assert files
    for path in files:
        errors = list(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8"))))
        assert errors == [], f"{path.name}: {errors[0].message if errors else ''}"
