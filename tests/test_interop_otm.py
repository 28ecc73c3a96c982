"""Open Threat Model (OTM 0.2.0) export and import.

The OTM schema and samples are read in place from ``../shared/reference/interop`` (never
copied); tests that need them skip when the folder is absent.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from workbench import ThreatModel
from workbench.catalog import Catalog
from workbench.engine import Analysis, analyze
from workbench.interop import export_model, import_file
from workbench.interop.otm import (
    CANVAS,
    CONFIDENTIALITY,
    TRUST_RATING,
    dumps_otm,
    from_otm,
    guess_kind,
    loads_otm,
    to_otm,
)
from workbench.starters import names

from .interop_support import FIXTURES, REFERENCE, needs_reference
from .interop_support import schema_errors as interop_schema_errors


@pytest.fixture(scope="module")
def rich_doc(rich: ThreatModel, catalog: Catalog) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(dumps_otm(rich, analyze(rich, catalog)))
    return doc


def schema_errors(doc: dict[str, Any]) -> list[str]:
    return interop_schema_errors(doc, REFERENCE / "otm" / "otm_schema.json")


def component(doc: dict[str, Any], cid: str) -> dict[str, Any]:
    return next(c for c in doc["components"] if c["id"] == cid)


def instance(doc: dict[str, Any], finding: str) -> dict[str, Any]:
    target = finding.rsplit("@", 1)[1]
    items = doc["components"] + doc["dataflows"]
    owner = next(x for x in items if x["id"] == target)
    return next(t for t in owner["threats"] if t["threat"] == finding)


# --------------------------------------------------------------------------- round trip
@pytest.mark.parametrize("name", names())
def test_round_trip_of_every_starter_architecture(name: str, catalog: Catalog) -> None:
    model = ThreatModel.from_template(name)
    analysis = analyze(model, catalog)
    doc = json.loads(dumps_otm(model, analysis))
    result = from_otm(doc, "export.otm.json")
    assert result.model == model
    assert result.warnings == ()
    assert result.threats == ()
    assert result.unmapped == ()
    assert len(doc["threats"]) == len(analysis.findings)


def test_round_trip_keeps_every_field_and_decision(
    rich: ThreatModel, rich_doc: dict[str, Any]
) -> None:
    result = from_otm(copy.deepcopy(rich_doc))
    assert result.model == rich
    assert result.warnings == ()
    # the parts the model compares are really there (not both empty)
    assert len(result.model.decisions) == 5
    assert result.model.element("loose").boundary is None
    assert result.model.element("loose").position is None
    assert result.model.flow("f2").name == ""
    assert result.model.system.owners == ["ML Platform", "Security, Risk & Compliance"]


def test_round_trip_through_yaml_and_without_threats(rich: ThreatModel) -> None:
    text = dumps_otm(rich, threats=False, fmt="yaml")
    doc = yaml.safe_load(text)
    assert "threats" not in doc
    assert loads_otm(text, "x.otm.yaml").model == rich
    assert export_model(rich, "otm", threats=False, yaml=True) == text


@needs_reference
@pytest.mark.parametrize("name", names())
def test_export_validates_against_the_otm_schema(name: str, catalog: Catalog) -> None:
    model = ThreatModel.from_template(name)
    doc = json.loads(dumps_otm(model, analyze(model, catalog)))
    assert schema_errors(doc) == []


@needs_reference
def test_rich_export_validates(rich_doc: dict[str, Any]) -> None:
    assert schema_errors(rich_doc) == []


# --------------------------------------------------------------------------- export shape
def test_native_fields_carry_what_otm_has_fields_for(
    rich: ThreatModel, rich_doc: dict[str, Any]
) -> None:
    doc = rich_doc
    assert doc["otmVersion"] == "0.2.0"
    assert doc["project"]["name"] == rich.system.name
    assert doc["project"]["owner"] == "ML Platform, Security, Risk & Compliance"
    zones = {z["id"]: z for z in doc["trustZones"]}
    assert zones["internet"]["risk"]["trustRating"] == TRUST_RATING["untrusted"] == 10
    assert zones["partner"]["risk"]["trustRating"] == 50
    assert zones["data"]["parent"] == {"trustZone": "vpc"}
    assets = {a["id"]: a for a in doc["assets"]}
    assert assets["weights"]["risk"]["confidentiality"] == CONFIDENTIALITY["restricted"] == 100
    assert assets["weights"]["risk"]["integrity"] == 100  # crown jewel
    assert assets["docs"]["risk"] == {**assets["docs"]["risk"], "confidentiality": 0}
    app = component(doc, "app")
    assert app["type"] == "llm_app"
    assert app["parent"] == {"trustZone": "vpc"}
    assert app["representations"][0]["representation"] == CANVAS
    assert app["representations"][0]["position"] == {"x": 250.5, "y": -40.25}
    assert app["assets"] == {"processed": ["prompts", "notes"]}
    assert component(doc, "v")["assets"] == {"processed": ["prompts"], "stored": ["prompts"]}
    assert app["attributes"]["workbench"]["properties"]["privilege"] == "write"
    flows = {f["id"]: f for f in doc["dataflows"]}
    assert flows["f1"]["destination"] == "app"
    assert flows["f1"]["assets"] == ["prompts"]
    assert flows["f1"]["attributes"]["workbench"]["protocol"] == "HTTPS"
    assert flows["f1"]["bidirectional"] is True  # tagged 'bidirectional'
    assert flows["f2"]["bidirectional"] is False
    assert flows["f2"]["name"] == "app to v"  # OTM wants a name; ours is empty
    assert flows["f2"]["attributes"]["workbench"]["name"] == ""


def test_elements_outside_boundaries_sit_in_a_synthetic_zone(rich_doc: dict[str, Any]) -> None:
    zone = component(rich_doc, "loose")["parent"]["trustZone"]
    synthetic = next(z for z in rich_doc["trustZones"] if z["id"] == zone)
    assert synthetic["attributes"]["workbench"]["synthetic"] is True
    assert zone not in {b.id for b in from_otm(copy.deepcopy(rich_doc)).model.boundaries}


def test_findings_become_threats_with_states_and_mitigations(
    rich: ThreatModel, rich_doc: dict[str, Any], catalog: Catalog
) -> None:
    analysis: Analysis = analyze(rich, catalog)
    threats = {t["id"]: t for t in rich_doc["threats"]}
    assert set(threats) == {f.id for f in analysis.findings}
    f = analysis.finding("AITW-STRIDE-011@v")
    t = threats[f.id]
    assert t["name"] == f.title
    assert t["risk"]["likelihood"] == f.likelihood * 20
    assert t["risk"]["impact"] == f.impact * 20
    assert "Tampering" in t["categories"] or t["categories"]
    mitigated = instance(rich_doc, "AITW-STRIDE-011@v")
    assert mitigated["state"] == "mitigated"
    states = {m["mitigation"]: m["state"] for m in mitigated["mitigations"]}
    assert states["MIT-BACKUP"] == states["MIT-ENCRYPT-REST"] == "implemented"
    assert [m["mitigation"] for m in mitigated["mitigations"]][:2] == [
        "MIT-BACKUP",
        "MIT-ENCRYPT-REST",
    ]
    assert set(states.values()) == {"implemented", "recommended"}
    assert instance(rich_doc, "AITW-LLM-013@app")["state"] == "accepted"
    assert instance(rich_doc, "AITW-STRIDE-010@v")["state"] == "transferred"
    assert instance(rich_doc, "AITW-LLM-001@app")["state"] == "exposed"
    used = {
        m["mitigation"]
        for c in rich_doc["components"] + rich_doc["dataflows"]
        for t in c.get("threats", [])
        for m in t["mitigations"]
    }
    assert used == {m["id"] for m in rich_doc["mitigations"]}
    title = catalog.mitigations["MIT-BACKUP"].title
    assert {m["id"]: m["name"] for m in rich_doc["mitigations"]}["MIT-BACKUP"] == title


# --------------------------------------------------------------------------- edited files
def test_otm_fields_edited_in_another_tool_win(rich_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(rich_doc)
    app = component(doc, "app")
    app["name"] = "Renamed in IriusRisk"
    app["representations"][0]["position"] = {"x": 1, "y": 2}
    component(doc, "v")["parent"] = {"trustZone": "vpc"}
    next(z for z in doc["trustZones"] if z["id"] == "partner")["risk"]["trustRating"] = 5
    next(a for a in doc["assets"] if a["id"] == "docs")["risk"]["confidentiality"] = 70
    doc["project"]["owner"] = "Someone else"
    model = from_otm(doc).model
    assert model.element("app").name == "Renamed in IriusRisk"
    position = model.element("app").position
    assert position is not None
    assert (position.x, position.y) == (1, 2)
    assert model.element("app").properties.privilege == "write"  # attributes still apply
    assert model.element("v").boundary == "vpc"
    assert model.boundary("partner").trust == "untrusted"
    assert model.asset("docs").classification == "confidential"
    assert model.system.owners == ["Someone else"]


def test_unknown_component_type_keeps_our_kind_or_guesses_one(rich_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(rich_doc)
    component(doc, "app")["type"] = "CD-V2-SOMETHING"
    result = from_otm(doc)
    assert result.model.element("app").kind == "llm_app"
    assert result.warnings == ()
    del component(doc, "app")["attributes"]
    result = from_otm(doc)
    assert result.model.element("app").kind == "process"
    assert [w.message for w in result.warnings] == [
        "type 'CD-V2-SOMETHING' is not a workbench kind: 1 component(s) imported as "
        "'process' (Assistant service)"
    ]


@pytest.mark.parametrize(
    ("type_text", "kind"),
    [
        ("CD-MICROSOFT-AZURE-DB-POSTGRESQL", "data_store"),
        ("azure-storage", "data_store"),
        ("android-device-client", "external_entity"),
        ("web-client", "external_entity"),
        ("web-service", "process"),
        ("", "process"),
    ],
)
def test_guess_kind(type_text: str, kind: str) -> None:
    assert guess_kind(type_text) == kind


def test_state_changed_elsewhere_becomes_a_decision(rich_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(rich_doc)
    inst = instance(doc, "AITW-RAG-003@v")  # open, no decision
    inst["state"] = "mitigated"
    inst["mitigations"][0]["state"] = "implemented"
    chosen = inst["mitigations"][0]["mitigation"]
    instance(doc, "AITW-STRIDE-010@v")["state"] = "exposed"  # was transferred
    result = from_otm(doc)
    new = result.model.decision("AITW-RAG-003@v")
    assert new is not None
    assert (new.status, new.mitigations) == ("mitigated", [chosen])
    reopened = result.model.decision("AITW-STRIDE-010@v")
    assert reopened is not None
    assert (reopened.status, reopened.owner) == ("open", "Vendor")
    assert result.warnings == ()


def test_accepting_without_owner_is_refused_with_a_warning(rich_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(rich_doc)
    instance(doc, "AITW-RAG-003@v")["state"] = "accepted"
    instance(doc, "AITW-LLM-001@app")["state"] = "deferred"
    result = from_otm(doc)
    assert result.model.decision("AITW-RAG-003@v") is None
    assert result.model.decision("AITW-LLM-001@app") == ThreatModel.load(
        FIXTURES / "rich.yaml"
    ).decision("AITW-LLM-001@app")
    messages = [w.message for w in result.warnings]
    assert messages == [
        "state 'deferred' has no workbench equivalent (exposed, in-progress, mitigated, "
        "accepted, transferred, avoided, false-positive, not-applicable); decision left as "
        "it was",
        "an accepted risk needs owner; the decision was left as it was",
    ]


def test_new_states_become_decisions_with_a_rationale(rich_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(rich_doc)
    instance(doc, "AITW-RAG-003@v")["state"] = "not-applicable"
    instance(doc, "AITW-LLM-001@app")["state"] = "in-progress"
    result = from_otm(doc)
    na = result.model.decision("AITW-RAG-003@v")
    assert na is not None
    assert (na.status, na.rationale) == ("not_applicable", "OTM state 'not-applicable'.")
    progress = result.model.decision("AITW-LLM-001@app")
    assert progress is not None
    assert progress.status == "in_progress"
    assert result.warnings == ()


def test_foreign_threats_are_listed_not_decided(rich_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(rich_doc)
    doc["threats"].append(
        {"id": "T-99", "name": "SQL injection", "risk": {"likelihood": 60, "impact": 80}}
    )
    doc["threats"].append({"id": "T-100", "name": "Unattached", "risk": {"impact": 10}})
    doc["mitigations"].append({"id": "M-1", "name": "Prepared statements", "riskReduction": 90})
    component(doc, "v")["threats"].append(
        {
            "threat": "T-99",
            "state": "exposed",
            "mitigations": [{"mitigation": "M-1", "state": "recommended"}],
        }
    )
    # one of our finding IDs, attached to the wrong component: not ours to decide
    component(doc, "logs").setdefault("threats", []).append(
        {"threat": "AITW-RAG-003@v", "state": "mitigated"}
    )
    result = from_otm(doc)
    listed = {(t.title, t.target, t.status) for t in result.threats}
    assert listed == {
        ("SQL injection", "v", "exposed"),
        ("Unattached", "", ""),
        ("Retrieval ignores the caller's permissions", "logs", "mitigated"),
    }
    sql = next(t for t in result.threats if t.title == "SQL injection")
    assert sql.mitigations == ("Prepared statements (recommended)",)
    assert sql.severity == "likelihood 60, impact 80"
    assert result.model.decision("AITW-RAG-003@v") is None


# --------------------------------------------------------------------------- samples
def raw_counts(path: Path) -> tuple[int, int, int, int, int]:
    text = path.read_text(encoding="utf-8")
    doc = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    instances = sum(
        len(x.get("threats") or []) for x in (doc.get("components") or []) + doc["dataflows"]
    )
    return (
        len(doc["components"]),
        len(doc["dataflows"]),
        len(doc["trustZones"]),
        len(doc.get("assets") or []),
        instances,
    )


OTM_SAMPLES = [
    ("otm/EXAMPLE.json", (4, 2, 2, 2, 2)),
    ("otm/EXAMPLE.yaml", (4, 2, 2, 2, 2)),
    ("threat-dragon/mobile-cloud.otm.json", (4, 6, 2, 0, 43)),
]


@needs_reference
@pytest.mark.parametrize(("sample", "counts"), OTM_SAMPLES)
def test_reference_samples_import_analyse_and_re_export(
    sample: str, counts: tuple[int, ...], catalog: Catalog
) -> None:
    path = REFERENCE / sample
    assert raw_counts(path) == counts
    result = import_file(path)
    m = result.model
    assert result.format == "otm"
    got = (len(m.elements), len(m.flows), len(m.boundaries), len(m.assets), len(result.threats))
    assert got == counts
    analysis = analyze(m, catalog)
    assert analysis.findings
    doc = json.loads(dumps_otm(m, analysis))
    assert schema_errors(doc) == []
    assert from_otm(doc).model == m


@needs_reference
def test_example_maps_zones_assets_and_threats() -> None:
    result = import_file(REFERENCE / "otm" / "EXAMPLE.json")
    m = result.model
    zones = {b.name: b for b in m.boundaries}
    assert zones["Internet"].trust == "untrusted"  # trustRating 20
    assert zones["Private"].trust == "trusted"
    assert m.element("web-service").assets == ["cc-data", "public-info"]
    assert m.element("web-client").kind == "external_entity"
    assert m.element("customer-database").kind == "data_store"
    assert m.element("web-service").position is not None
    assert m.element("class-customerdatabase").position is None  # only a code representation
    assert m.asset("cc-data").classification == "restricted"
    assert m.asset("public-info").classification == "public"
    assert m.flow("cc-store-in-db").tags == ["tag1-df", "tag2-df", "bidirectional"]
    kinds = [w.message for w in result.warnings if "is not a workbench kind" in w.message]
    assert len(kinds) == 4
    assert any("'web-client'" in k and "(Web Client)" in k for k in kinds)
    threat = next(t for t in result.threats if t.target == "cc-store-in-db")
    assert threat.title == "Threat 1"
    assert threat.status == "exposed"
    assert threat.mitigations == ("This is the name of mitigation 1 (required)",)
    assert "representations: 'Application Code' (code)" in result.unmapped


@needs_reference
def test_yaml_and_json_samples_give_the_same_model() -> None:
    a = import_file(REFERENCE / "otm" / "EXAMPLE.json").model
    b = import_file(REFERENCE / "otm" / "EXAMPLE.yaml").model
    assert a == b


def test_to_otm_runs_the_builtin_analysis_by_default(rich: ThreatModel) -> None:
    doc = to_otm(rich)
    assert len(doc["threats"]) == len(analyze(rich).findings)
