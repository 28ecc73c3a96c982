"""The machine-readable registers carry decisions, owners and residual risk (issue 5 §4)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import SHARED
from workbench import Decision, ThreatModel
from workbench.catalog import load_catalog
from workbench.engine import analyze
from workbench.export import to_csv, to_json, to_sarif

CATALOG = Path(__file__).resolve().parent / "fixtures" / "engine_catalog"
SARIF_SCHEMA = SHARED / "reference" / "sarif" / "sarif-schema-2.1.0.json"


@pytest.fixture
def decided(minimal: ThreatModel) -> object:
    model = minimal.set_decision(
        Decision(
            finding="TEST-PI-001@bot",
            status="accepted",
            owner="=cmd|' /C calc'!A0",
            rationale="Compensating controls at the gateway.",
            due=dt.date(2026, 3, 1),
            ticket="SEC-42",
            residual_likelihood=2,
            residual_impact=3,
        )
    )
    return analyze(model, load_catalog(CATALOG, builtin=False))


def test_json_carries_the_decision(decided: object) -> None:
    doc = json.loads(to_json(decided))  # type: ignore[arg-type]
    f = next(x for x in doc["findings"] if x["id"] == "TEST-PI-001@bot")
    assert f["status"] == "accepted"
    assert f["residual_likelihood"] == 2
    assert f["residual_risk"] == "medium"
    d = f["decision"]
    assert d["rationale"] == "Compensating controls at the gateway."
    assert d["due"] == "2026-03-01"
    assert d["ticket"] == "SEC-42"
    other = next(x for x in doc["findings"] if x["id"] != "TEST-PI-001@bot")
    assert other["decision"] is None


def test_csv_carries_rationale_due_ticket_and_neutralises_formulas(decided: object) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(decided))))  # type: ignore[arg-type]
    row = next(r for r in rows if r["id"] == "TEST-PI-001@bot")
    assert row["rationale"] == "Compensating controls at the gateway."
    assert row["due"] == "2026-03-01"
    assert row["ticket"] == "SEC-42"
    assert row["residual_impact"] == "3"
    assert row["owner"].startswith("'=")


def test_sarif_carries_owner_and_decision(decided: object) -> None:
    doc = json.loads(to_sarif(decided))  # type: ignore[arg-type]
    results = doc["runs"][0]["results"]
    r = next(x for x in results if x["partialFingerprints"]["findingId"] == "TEST-PI-001@bot")
    assert r["properties"]["owner"].startswith("=cmd")
    assert r["properties"]["decision"]["rationale"].startswith("Compensating")
    assert r["suppressions"][0]["justification"].startswith("Compensating")
    if SARIF_SCHEMA.is_file():
        jsonschema.validate(doc, json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
