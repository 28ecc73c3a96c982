"""OWASP Threat Dragon v2 export and import.

The Threat Dragon schema and sample models are read in place from
``../shared/reference/interop/threat-dragon`` (never copied); tests that need them skip
when the folder is absent.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from workbench import Element, ThreatModel
from workbench.catalog import Catalog
from workbench.engine import analyze
from workbench.interop import import_file
from workbench.interop.diff import diff_models
from workbench.interop.threat_dragon import (
    dumps_threat_dragon,
    from_threat_dragon,
    loads_threat_dragon,
    to_threat_dragon,
)
from workbench.model import Decision
from workbench.model.kinds import KINDS
from workbench.starters import names

from .interop_support import REFERENCE, needs_reference
from .interop_support import schema_errors as interop_schema_errors

TD = REFERENCE / "threat-dragon"


@pytest.fixture(scope="module")
def rich_doc(rich: ThreatModel, catalog: Catalog) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(dumps_threat_dragon(rich, analyze(rich, catalog)))
    return doc


def schema_errors(doc: dict[str, Any]) -> list[str]:
    return interop_schema_errors(doc, TD / "threat-dragon-v2.schema.json")


def cells(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for d in doc["detail"]["diagrams"] for c in d["cells"]]


def cell(doc: dict[str, Any], cid: str) -> dict[str, Any]:
    return next(c for c in cells(doc) if c["id"] == cid)


def threat(doc: dict[str, Any], finding: str) -> dict[str, Any]:
    return next(
        t for c in cells(doc) for t in c["data"].get("threats", []) if t["threatId"] == finding
    )


def xy(e: Element) -> tuple[float, float]:
    assert e.position is not None
    return (e.position.x, e.position.y)


def strip_workbench(value: Any) -> Any:
    """What a tool that drops unknown keys would keep."""
    if isinstance(value, dict):
        return {k: strip_workbench(v) for k, v in value.items() if k != "workbench"}
    if isinstance(value, list):
        return [strip_workbench(v) for v in value]
    return value


# --------------------------------------------------------------------------- round trip
@pytest.mark.parametrize("name", names())
def test_round_trip_of_every_starter_architecture(name: str, catalog: Catalog) -> None:
    model = ThreatModel.from_template(name)
    analysis = analyze(model, catalog)
    doc = json.loads(dumps_threat_dragon(model, analysis))
    result = from_threat_dragon(doc, "export.json")
    assert result.model == model
    assert result.warnings == ()
    assert result.threats == ()
    found = [t for c in cells(doc) for t in c["data"].get("threats", [])]
    assert len(found) == len(analysis.findings) == doc["detail"]["threatTop"]


def test_round_trip_keeps_every_field_and_decision(
    rich: ThreatModel, rich_doc: dict[str, Any]
) -> None:
    result = from_threat_dragon(copy.deepcopy(rich_doc))
    assert result.model == rich
    assert result.warnings == ()
    assert len(result.model.decisions) == 5
    assert result.model.element("loose").position is None
    assert result.model.element("u").name == "Customer <img src=x onerror=alert(1)>"


def test_round_trip_without_threats(rich: ThreatModel) -> None:
    doc = to_threat_dragon(rich, threats=False)
    assert doc["detail"]["threatTop"] == 0
    assert loads_threat_dragon(json.dumps(doc)).model == rich


@needs_reference
@pytest.mark.parametrize("name", names())
def test_export_validates_against_the_threat_dragon_schema(name: str, catalog: Catalog) -> None:
    model = ThreatModel.from_template(name)
    assert schema_errors(json.loads(dumps_threat_dragon(model, analyze(model, catalog)))) == []


@needs_reference
def test_rich_export_validates(rich_doc: dict[str, Any]) -> None:
    assert schema_errors(rich_doc) == []


# --------------------------------------------------------------------------- export shape
def test_cells_use_threat_dragon_fields(rich_doc: dict[str, Any]) -> None:
    doc = rich_doc
    assert doc["summary"]["title"] == "Rich <script>alert(1)</script> model"
    shapes = Counter(c["shape"] for c in cells(doc))
    assert shapes == {"actor": 1, "process": 3, "store": 3, "flow": 7, "trust-boundary-box": 4}
    u = cell(doc, "u-cell")  # Threat Dragon needs IDs of two characters or more
    assert u["data"]["workbench"]["id"] == "u"
    assert u["data"]["providesAuthentication"] is True
    app = cell(doc, "app")
    assert app["position"] == {"x": 250.5, "y": -40.25}
    assert app["data"]["privilegeLevel"] == "write"
    assert app["data"]["outOfScope"] is True
    v = cell(doc, "v-cell")
    assert (v["data"]["isEncrypted"], v["data"]["isSigned"]) == (False, True)
    assert cell(doc, "logs")["data"]["isALog"] is True
    assert cell(doc, "keys")["data"]["storesCredentials"] is True
    f1 = cell(doc, "f1")
    assert (f1["source"], f1["target"]) == ({"cell": "u-cell"}, {"cell": "app"})
    assert f1["data"]["protocol"] == "HTTPS"
    assert f1["data"]["isEncrypted"] is True
    assert f1["data"]["isBidirectional"] is True
    assert f1["data"]["isPublicNetwork"] is True  # the user sits in an untrusted boundary
    # every member's shape lies inside its boundary's box, nested boxes inside their parent
    box = {
        c["data"]["workbench"]["id"]: c for c in cells(doc) if c["shape"] == "trust-boundary-box"
    }

    def inside(inner: dict[str, Any], outer: dict[str, Any]) -> bool:
        (ix, iy), (ox, oy) = inner["position"].values(), outer["position"].values()
        return bool(
            ox <= ix
            and oy <= iy
            and ix + inner["size"]["width"] <= ox + outer["size"]["width"]
            and iy + inner["size"]["height"] <= oy + outer["size"]["height"]
        )

    assert inside(cell(doc, "v-cell"), box["data"])
    assert inside(box["data"], box["vpc"])


def test_threats_carry_status_severity_and_mitigation_text(
    rich: ThreatModel, rich_doc: dict[str, Any], catalog: Catalog
) -> None:
    analysis = analyze(rich, catalog)
    f = analysis.finding("AITW-STRIDE-011@v")
    t = threat(rich_doc, f.id)
    assert (t["title"], t["status"], t["modelType"]) == (f.title, "Mitigated", "STRIDE")
    assert t["severity"] in ("High", "Medium", "Low")
    assert t["mitigation"].startswith("Mitigated")
    assert catalog.mitigations["MIT-BACKUP"].title in t["mitigation"]
    assert threat(rich_doc, "AITW-LLM-013@app")["status"] == "Accepted"
    assert "Behind SSO." in threat(rich_doc, "AITW-LLM-013@app")["mitigation"]
    assert threat(rich_doc, "AITW-STRIDE-010@v")["status"] == "Transferred"
    assert threat(rich_doc, "AITW-LLM-001@app")["status"] == "Open"
    assert threat(rich_doc, "AITW-RAG-003@v")["mitigation"].startswith("Suggested: ")
    assert cell(doc := rich_doc, "app")["data"]["hasOpenThreats"] is True
    assert len({t["number"] for c in cells(doc) for t in c["data"].get("threats", [])}) == len(
        analysis.findings
    )


# --------------------------------------------------------------------------- edited files
def test_threat_dragon_fields_edited_in_the_app_win(rich_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(rich_doc)
    app = cell(doc, "app")
    app["data"]["name"] = "Renamed"
    app["position"] = {"x": 5, "y": 6}
    app["data"]["outOfScope"] = False
    app["data"]["privilegeLevel"] = "admin"
    v = cell(doc, "v-cell")
    v["data"]["isEncrypted"] = True
    v["data"]["isSigned"] = False
    cell(doc, "keys")["data"]["storesCredentials"] = False
    cell(doc, "f2")["data"]["isEncrypted"] = True
    cell(doc, "f2")["data"]["protocol"] = "gRPC"
    cell(doc, "f1")["data"]["isBidirectional"] = False
    threat(doc, "AITW-RAG-003@v")["status"] = "Mitigated"
    threat(doc, "AITW-STRIDE-010@v")["status"] = "Open"
    doc["summary"]["owner"] = "New owner"
    result = from_threat_dragon(doc)
    m = result.model
    assert result.warnings == ()
    assert m.element("app").name == "Renamed"
    assert xy(m.element("app")) == (5, 6)
    assert m.element("app").tags == ["core"]
    assert m.element("app").properties.privilege == "admin"
    assert m.element("app").properties.accepts_untrusted_content is True  # from our data
    assert m.element("v").properties.encrypted_at_rest is True
    assert m.element("v").properties.artifacts_signed is False
    assert m.element("keys").kind == "data_store"
    assert (m.flow("f2").encrypted, m.flow("f2").protocol) == (True, "gRPC")
    assert m.flow("f1").tags == []
    assert m.decision("AITW-RAG-003@v") == Decision(finding="AITW-RAG-003@v", status="mitigated")
    reopened = m.decision("AITW-STRIDE-010@v")
    assert reopened is not None
    assert (reopened.status, reopened.owner) == ("open", "Vendor")
    assert m.system.owners == ["New owner"]


def test_accepting_in_threat_dragon_needs_an_owner(rich_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(rich_doc)
    threat(doc, "AITW-RAG-003@v")["status"] = "Accepted"
    threat(doc, "AITW-LLM-001@app")["status"] = "Deferred"
    result = from_threat_dragon(doc)
    assert result.model.decision("AITW-RAG-003@v") is None
    assert [w.message for w in result.warnings] == [
        "status 'Deferred' has no workbench equivalent; the decision was left as it was",
        "an accepted risk needs owner; the decision was left as it was",
    ]


def test_na_and_avoided_in_threat_dragon_close_findings_with_a_rationale(
    rich_doc: dict[str, Any],
) -> None:
    doc = copy.deepcopy(rich_doc)
    threat(doc, "AITW-RAG-003@v")["status"] = "NA"
    threat(doc, "AITW-LLM-001@app")["status"] = "Eliminated"
    result = from_threat_dragon(doc)
    na = result.model.decision("AITW-RAG-003@v")
    assert na is not None
    assert (na.status, na.rationale) == ("not_applicable", "Threat Dragon status 'NA'.")
    avoided = result.model.decision("AITW-LLM-001@app")
    assert avoided is not None
    assert avoided.status == "avoided"
    assert avoided.rationale  # kept from our data, or Threat Dragon's status
    assert result.warnings == ()


# --------------------------------------------------------------------------- lossy path
def test_without_our_data_exactly_the_documented_fields_survive(catalog: Catalog) -> None:
    """A tool that drops the ``workbench`` objects keeps what Threat Dragon has fields for;
    this pins the list in the module docstring of ``workbench.interop.threat_dragon``."""
    model = (
        ThreatModel.from_template("rag_assistant")
        .replace(decisions=[])
        .set_decision(
            Decision(finding="AITW-RAG-003@vector_store", status="mitigated", owner="Ann")
        )
    )
    doc = strip_workbench(json.loads(dumps_threat_dragon(model, analyze(model, catalog))))
    result = from_threat_dragon(doc)
    got = result.model
    assert result.threats == ()
    # what survives
    assert (got.system.name, got.system.description) == (
        model.system.name,
        model.system.description,
    )
    assert got.system.owners == [", ".join(model.system.owners)]
    assert [e.id for e in got.elements] == [e.id for e in model.elements]
    assert [b.id for b in got.boundaries] == [b.id for b in model.boundaries]
    assert [f.id for f in got.flows] == [f.id for f in model.flows]
    for old in model.elements:
        new = got.element(old.id)
        assert (new.name, new.description, new.position) == (
            old.name,
            old.description,
            old.position,
        )
        assert KINDS[new.kind].dfd == KINDS[old.kind].dfd
        assert new.kind in ("external_entity", "process", "data_store", "log_store")
        assert (new.kind == "log_store") == (old.kind == "log_store")
        assert new.properties.privilege == old.properties.privilege
        assert new.properties.encrypted_at_rest in (True, None)
        assert (new.properties.encrypted_at_rest is True) == (
            old.properties.encrypted_at_rest is True
        )
    for old_f in model.flows:
        new_f = got.flow(old_f.id)
        assert (new_f.source, new_f.target, new_f.name, new_f.description, new_f.protocol) == (
            old_f.source,
            old_f.target,
            old_f.name,
            old_f.description,
            old_f.protocol,
        )
        assert new_f.encrypted in (True, None)
        assert (new_f.encrypted is True) == (old_f.encrypted is True)
    assert got.decisions == [Decision(finding="AITW-RAG-003@vector_store", status="mitigated")]
    # what is lost, and nothing else
    d = diff_models(model, got, risk=False)
    changed = {
        s.name: {c.field.split(".")[0] for ch in s.changed for c in ch.changes} for s in d.sections
    }
    assert changed["elements"] <= {"kind", "properties", "assets", "owner", "tags", "boundary"}
    assert changed["flows"] <= {"encrypted", "authenticated", "untrusted_content", "data", "tags"}
    assert changed["boundaries"] <= {"parent", "trust"}
    assert changed["decisions"] == {"owner"}
    assert [i.id for i in d.assets.removed] == [a.id for a in model.assets]
    assert [i.id for i in d.section("objectives").removed] == [o.id for o in model.objectives]
    assert not any(s.added for s in d.sections)
    assert {c.field.split(".")[0] for c in d.model} == {"system", "scope", "risk_tolerance"}
    assert {c.field for c in d.model if c.field.startswith("system")} == {
        "system.owners",
        "system.version",
    }
    assert got.boundary("internet").trust == "untrusted"  # read from the name
    assert [w.message for w in result.warnings] == [
        "boundary 'Internet' read as untrusted (from its name)"
    ]


# --------------------------------------------------------------------------- samples
def td_counts(path: Path) -> tuple[int, int, int, int]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    shapes = Counter(c["shape"] for d in doc["detail"]["diagrams"] for c in d["cells"])
    threats = sum(
        len(c.get("data", {}).get("threats") or [])
        for d in doc["detail"]["diagrams"]
        for c in d["cells"]
    )
    return (
        shapes["actor"] + shapes["process"] + shapes["store"],
        shapes["flow"],
        shapes["trust-boundary-box"] + shapes["trust-boundary-curve"],
        threats,
    )


TD_SAMPLES = [
    ("v2-threat-model.json", (7, 10, 3, 14)),
    ("three-tier-web-app.json", (3, 3, 2, 2)),
    ("generic-cms.json", (5, 5, 1, 0)),
]


@needs_reference
def test_every_v2_sample_is_covered() -> None:
    v2 = sorted(
        p.name
        for p in TD.glob("*.json")
        if "schema" not in p.name
        and "detail" in (doc := json.loads(p.read_text(encoding="utf-8")))
        and not any("diagramJson" in d for d in doc["detail"]["diagrams"])
    )
    assert v2 == sorted(name for name, _ in TD_SAMPLES)


@needs_reference
@pytest.mark.parametrize(("sample", "counts"), TD_SAMPLES)
def test_v2_samples_import_analyse_and_re_export(
    sample: str, counts: tuple[int, int, int, int], catalog: Catalog
) -> None:
    path = TD / sample
    assert td_counts(path) == counts
    result = import_file(path)
    m = result.model
    assert result.format == "threat-dragon"
    assert (len(m.elements), len(m.flows), len(m.boundaries), len(result.threats)) == counts
    analysis = analyze(m, catalog)
    assert analysis.findings
    doc = json.loads(dumps_threat_dragon(m, analysis))
    assert schema_errors(doc) == []
    assert from_threat_dragon(doc).model == m


@needs_reference
def test_v2_sample_details() -> None:
    result = import_file(TD / "v2-threat-model.json")
    m = result.model
    db = m.element("936557f9-22e2-4bac-bb70-0089c5c2fbe1")
    assert (db.name, db.kind) == ("Database", "log_store")  # isALog
    worker_config = m.element("a25bbb4e-093f-4238-a620-31efdee452dc")
    assert worker_config.properties.data_classification == "restricted"  # storesCredentials
    assert m.element("b394f9f7-07ca-42bc-b616-ad77c6fbfcce").kind == "external_entity"
    web = m.element("0d9909ea-1398-4898-be81-cf1c808324dc")
    assert web.name == "Web Application"  # "Web\nApplication" in the file: one line now
    joined = [
        w.path
        for w in result.warnings
        if w.message == "name: line breaks and tabs replaced by spaces"
    ]
    assert len(joined) == 3
    assert xy(web) == (210, 180)
    request = m.flow("2d84bfae-f1ed-49e5-8542-10a02f4a1c57")
    assert (request.name, request.protocol, request.encrypted) == ("Web Request", "HTTP/S", True)
    assert request.source == "b394f9f7-07ca-42bc-b616-ad77c6fbfcce"
    assert m.flow("7e039c91-9a2e-4ded-890a-0d9bf06c8b47").tags == ["out-of-scope"]
    config = m.element("bdd3e115-4b92-4020-90b7-c3351dba292b")
    assert config.tags == ["out-of-scope"]
    statuses = Counter(t.status for t in result.threats)
    assert statuses == {"Open": 10, "Mitigated": 4}
    fake = next(t for t in result.threats if t.title.startswith("Fake messages"))
    assert fake.target == "ec574fb4-87e7-494b-88dc-2a3c99172067"
    assert fake.severity == "High"
    assert fake.mitigations
    assert fake.mitigations[0].startswith("Restrict access")
    assert all(b.name.startswith("Trust boundary line") for b in m.boundaries)
    assert any("trust-boundary-curve" in w.message for w in result.warnings)


@needs_reference
def test_box_boundaries_take_their_members_from_the_geometry() -> None:
    m = import_file(TD / "three-tier-web-app.json").model
    internet = next(b for b in m.boundaries if b.name == "Internet")
    cloud = next(b for b in m.boundaries if b.name == "Public Cloud")
    assert internet.trust == "untrusted"
    assert cloud.trust == "trusted"
    members = {e.name: e.boundary for e in m.elements}
    assert members == {"Web UI": internet.id, "Web Service": cloud.id, "PostgresSQL": cloud.id}
    assert "bidirectional" in m.flow("91ccf804-a9b8-45ca-ab35-992337903633").tags
    assert any(u.startswith("text block:") for u in import_file(TD / "generic-cms.json").unmapped)


@needs_reference
def test_v1_sample_is_upgraded_analysed_and_re_exported_as_v2(catalog: Catalog) -> None:
    path = TD / "demo-threat-model.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    cells = [c for d in raw["detail"]["diagrams"] for c in d["diagramJson"]["cells"]]
    types = Counter(c["type"] for c in cells)
    threats = sum(len(c.get("threats") or []) for c in cells)
    result = import_file(path)
    m = result.model
    assert result.format == "threat-dragon"
    assert any("Threat Dragon v1 model" in w.message for w in result.warnings)
    assert len(m.elements) == types["tm.Actor"] + types["tm.Process"] + types["tm.Store"] == 7
    assert len(m.flows) == types["tm.Flow"] == 10
    assert len(m.boundaries) == types["tm.Boundary"] == 4
    assert len(result.threats) == threats == 14
    names = {e.name: e for e in m.elements}
    assert names["Web Application"].kind == "process"  # "Web\nApplication" in v1
    assert names["Database"].kind == "log_store"  # isALog
    assert names["Browser"].kind == "external_entity"
    assert names["Web Application"].position == m.element(names["Web Application"].id).position
    web = next(f for f in m.flows if f.name == "Web Response")
    assert (web.encrypted, web.protocol) == (True, "HTTP/S")
    assert any(
        o.startswith("Flow Read web app config: This data flow") for o in m.scope.out_of_scope
    )
    assert any(
        t.title == "Accessing DB credentials" and t.severity == "High" for t in result.threats
    )
    doc = json.loads(dumps_threat_dragon(m, analyze(m, catalog)))
    assert schema_errors(doc) == []
    assert from_threat_dragon(doc).model == m


def test_v1_cells_with_broken_ends_are_dropped_with_a_warning() -> None:
    doc = {
        "summary": {"title": "v1"},
        "detail": {
            "diagrams": [
                {
                    "id": 0,
                    "title": "d",
                    "diagramJson": {
                        "cells": [
                            {"type": "tm.Process", "id": "p", "attrs": {"text": {"text": "P"}}},
                            {
                                "type": "tm.Flow",
                                "id": "f",
                                "source": {"id": "p"},
                                "target": {"x": 1, "y": 2},
                            },
                            "not a cell",
                        ]
                    },
                }
            ]
        },
    }
    result = from_threat_dragon(doc)
    assert [e.name for e in result.model.elements] == ["P"]
    assert result.model.flows == []
    text = " ".join(w.message for w in result.warnings)
    assert "not connected at its target" in text
    assert "expected a cell object" in text


def test_unknown_cell_types_map_to_the_nearest_generic_kind() -> None:
    doc = {
        "version": "2.3.0",
        "summary": {"title": "Unknowns"},
        "detail": {
            "contributors": [],
            "diagramTop": 1,
            "reviewer": "",
            "threatTop": 0,
            "diagrams": [
                {
                    "id": 0,
                    "title": "d",
                    "diagramType": "STRIDE",
                    "thumbnail": "",
                    "version": "2.3.0",
                    "cells": [
                        {
                            "id": "db1",
                            "shape": "database",
                            "zIndex": 1,
                            "data": {"type": "tm.Database", "name": "Orders DB"},
                        },
                        {
                            "id": "svc",
                            "shape": "microservice",
                            "zIndex": 2,
                            "data": {"type": "tm.Service", "name": "Orders"},
                        },
                        {
                            "id": "lnk",
                            "shape": "arrow",
                            "zIndex": 3,
                            "source": {"cell": "svc"},
                            "target": {"cell": "db1"},
                            "data": {},
                        },
                    ],
                }
            ],
        },
    }
    result = from_threat_dragon(doc)
    m = result.model
    assert m.element("db1").kind == "data_store"
    assert m.element("svc").kind == "process"
    assert (m.flow("lnk").source, m.flow("lnk").target) == ("svc", "db1")
    messages = sorted(w.message for w in result.warnings)
    assert messages == [
        "cell type 'arrow' read as a flow (it connects two cells)",
        "cell type 'database' is not a Threat Dragon element type: 1 cell(s) imported as "
        "the nearest generic kind (Orders DB)",
        "cell type 'microservice' is not a Threat Dragon element type: 1 cell(s) imported "
        "as the nearest generic kind (Orders)",
    ]
