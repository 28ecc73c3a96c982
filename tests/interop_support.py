"""What the interchange tests share: where the reference samples and our fixtures are,
the skip mark for a missing reference, and JSON Schema checking."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests import conftest

REFERENCE = conftest.REFERENCE / "interop"
"""The interchange samples and schemas, read in place (never copied into the repo)."""
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "interop"
needs_reference = conftest.needs_reference("interop")


def schema_errors(doc: dict[str, Any], schema_path: Path) -> list[str]:
    """Every way ``doc`` breaks the JSON Schema (draft 7) at ``schema_path``, sorted."""
    from jsonschema import Draft7Validator

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    errors = Draft7Validator(schema).iter_errors(doc)
    return sorted(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def offline_errors(doc: Any, schema_path: Path) -> list[str]:
    """Every way ``doc`` breaks the JSON Schema at ``schema_path`` (its own draft, formats
    checked where the checker can), sorted. References resolve inside the schema only: a
    reference to another file fails instead of being fetched (no network)."""
    from jsonschema import Draft7Validator, Draft202012Validator
    from jsonschema.validators import validator_for
    from referencing import Registry
    from referencing.exceptions import NoSuchResource

    def retrieve(uri: str) -> Any:
        raise NoSuchResource(ref=uri)  # type: ignore[call-arg]

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    draft = str(schema.get("$schema", ""))
    cls = (
        Draft7Validator
        if "draft-07" in draft
        else validator_for(schema, default=Draft202012Validator)
    )
    registry: Any = Registry(retrieve=retrieve)  # type: ignore[call-arg]
    validator = cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)
    errors = validator.iter_errors(doc)
    return sorted(f"{list(e.absolute_path)}: {e.message}" for e in errors)
