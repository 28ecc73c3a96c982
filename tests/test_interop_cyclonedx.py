"""CycloneDX 2.0 threat-model BOM (TM-BOM, pre-release) export and import.

The bundled 2.0 schema and the specification's example BOMs are read in place from
``../shared/reference/cyclonedx-2.0-threat`` (never copied); tests that need them skip
when the folder is absent. Schema references resolve inside the bundled schema only (no
network).
"""

from __future__ import annotations

import copy
import json
import sys
from typing import Any

import pytest

from tests import conftest
from workbench import ThreatModel
from workbench.catalog import Catalog
from workbench.engine import Analysis, analyze
from workbench.errors import ModelFileError
from workbench.interop import detect_format, export_model, import_file, import_text
from workbench.interop.cyclonedx import (
    DATA,
    OUTSIDE_REF,
    SYSTEM_REF,
    from_cyclonedx,
    ref,
    to_cyclonedx,
)
from workbench.starters import names

from .interop_support import offline_errors

SPEC = conftest.REFERENCE / "cyclonedx-2.0-threat"
SCHEMA = SPEC / "cyclonedx-2.0-bundled.schema.json"
needs_spec = conftest.needs_reference("cyclonedx-2.0-threat", "cyclonedx-2.0-bundled.schema.json")


@pytest.fixture(scope="module")
def rich_analysis(rich: ThreatModel, catalog: Catalog) -> Analysis:
    return analyze(rich, catalog)


@pytest.fixture(scope="module")
def rich_bom(rich: ThreatModel, rich_analysis: Analysis) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(to_cyclonedx(rich, rich_analysis)))
    return doc


def by_ref(items: list[dict[str, Any]], bom_ref: str) -> dict[str, Any]:
    return next(x for x in items if x.get("bom-ref") == bom_ref)


def blueprint(doc: dict[str, Any]) -> dict[str, Any]:
    bp: dict[str, Any] = doc["blueprints"][0]
    return bp


def strip_our_data(value: Any) -> Any:
    """``value`` without our ``workbench:data`` properties (what a tool that drops
    properties it does not know would write)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "properties" and isinstance(v, list):
                v = [p for p in v if not (isinstance(p, dict) and p.get("name") == DATA)]
                if not v:
                    continue
            out[k] = strip_our_data(v)
        return out
    if isinstance(value, list):
        return [strip_our_data(v) for v in value]
    return value


def all_refs(value: Any) -> list[str]:
    """Every ``bom-ref`` defined anywhere in the BOM."""
    out = []
    if isinstance(value, dict):
        if isinstance(value.get("bom-ref"), str):
            out.append(value["bom-ref"])
        for v in value.values():
            out += all_refs(v)
    elif isinstance(value, list):
        for v in value:
            out += all_refs(v)
    return out


# --------------------------------------------------------------------------- schema
@needs_spec
@pytest.mark.parametrize("name", names())
def test_every_starter_exports_a_valid_bom(name: str, catalog: Catalog) -> None:
    model = ThreatModel.from_template(name)
    analysis = analyze(model, catalog)
    doc = json.loads(export_model(model, "cyclonedx", analysis))
    assert offline_errors(doc, SCHEMA) == []
    assert doc["specFormat"] == "CycloneDX"
    assert doc["specVersion"] == "2.0"
    assert len(doc["threats"]["threats"]) == len(analysis.findings)
    assert len(doc["threats"].get("attackPaths", [])) == len(analysis.attack_paths)


@needs_spec
def test_rich_model_and_architecture_only_exports_are_valid(
    rich: ThreatModel, rich_bom: dict[str, Any]
) -> None:
    assert offline_errors(rich_bom, SCHEMA) == []
    bare = to_cyclonedx(rich, threats=False)
    assert offline_errors(bare, SCHEMA) == []
    assert "threats" not in bare["threats"]
    assert offline_errors(to_cyclonedx(ThreatModel.from_yaml("system: {name: x}\n")), SCHEMA) == []


@needs_spec
def test_the_schema_check_can_fail(rich_bom: dict[str, Any]) -> None:
    bad = copy.deepcopy(rich_bom)
    blueprint(bad)["flows"][0]["type"] = "teleport"
    del bad["threats"]["threats"][0]["name"]
    errors = offline_errors(bad, SCHEMA)
    assert any("'name' is a required property" in e for e in errors)
    assert any(e.startswith("['blueprints', 0, 'flows', 0, 'type']") for e in errors)


def test_bom_refs_are_unique_and_every_reference_resolves(rich_bom: dict[str, Any]) -> None:
    refs = all_refs(rich_bom)
    assert len(refs) == len(set(refs))
    known = set(refs)
    bp = blueprint(rich_bom)
    used = [a["componentRef"] for a in bp["assets"] if "componentRef" in a]
    used += [a["zone"] for a in bp["assets"] if "zone" in a]
    used += [z for b in bp["boundaries"] for z in b["zones"]]
    used += [f[k] for f in bp["flows"] for k in ("source", "destination")]
    used += [r["ref"] for r in bp["relationships"]]
    used += [
        a for r in bp["relationships"] for k in ("contains", "associates") for a in r.get(k, [])
    ]
    tm = rich_bom["threats"]
    used += [t["boundary"] for t in tm["trustBoundaries"]]
    for t in tm["threats"]:
        used += t["affectedAssets"] + t.get("mitigations", []) + t.get("attackPatterns", [])
        used += t.get("relatedBusinessObjectives", []) + t.get("attackTrees", [])
    for p in tm["attackPaths"]:
        used += p["realizes"] + [p["actor"]]
        for s in p["steps"]:
            used += [s["source"], s["destination"]] + [s[k] for k in ("boundaryCrossed",) if k in s]
    for r in rich_bom["risks"]["risks"]:
        used += r.get("affects", []) + r.get("relatedThreats", [])
        for response in r.get("responses", []):
            used += response.get("controls", [])
    missing = sorted({u for u in used if u not in known})
    assert missing == []


# --------------------------------------------------------------------------- round trip
@pytest.mark.parametrize("name", names())
def test_round_trip_of_every_starter(name: str, catalog: Catalog) -> None:
    model = ThreatModel.from_template(name)
    doc = json.loads(json.dumps(to_cyclonedx(model, analyze(model, catalog))))
    result = from_cyclonedx(doc, "export.cdx.json")
    assert result.model == model
    assert (result.warnings, result.unmapped, result.threats) == ((), (), ())


@pytest.mark.parametrize("threats", [True, False])
def test_round_trip_keeps_every_field_and_decision(
    rich: ThreatModel, rich_analysis: Analysis, threats: bool
) -> None:
    doc = json.loads(json.dumps(to_cyclonedx(rich, rich_analysis, threats=threats)))
    result = import_text(json.dumps(doc), filename="x.cdx.json")
    assert result.format == "cyclonedx"
    assert result.model == rich
    assert result.model.decisions == rich.decisions
    assert (result.warnings, result.unmapped, result.threats) == ((), (), ())


def test_export_is_deterministic(rich: ThreatModel, rich_analysis: Analysis) -> None:
    a = export_model(rich, "cyclonedx", rich_analysis)
    assert a == export_model(rich, "cyclonedx", rich_analysis)
    doc = json.loads(a)
    assert doc["serialNumber"].startswith("urn:uuid:")
    other = rich.replace(system=rich.system.model_copy(update={"name": "Other"}))
    assert (
        json.loads(export_model(other, "cyclonedx", rich_analysis))["serialNumber"]
        != (doc["serialNumber"])
    )


# --------------------------------------------------------------------------- mapping
def test_native_fields_carry_what_cyclonedx_has_fields_for(
    rich: ThreatModel, rich_bom: dict[str, Any]
) -> None:
    meta = rich_bom["metadata"]["component"]
    assert (meta["bom-ref"], meta["name"], meta["version"]) == (SYSTEM_REF, rich.system.name, "1.2")
    assert [p["organization"]["name"] for p in meta["parties"]] == rich.system.owners
    assert meta["externalReferences"] == [{"type": "vcs", "url": "https://example.com/repo"}]
    components = {c["bom-ref"]: c for c in rich_bom["components"]}
    services = {s["bom-ref"]: s for s in rich_bom["services"]}
    assert components["v"]["type"] == "data"
    assert components["logs"]["type"] == "data"
    assert services["app"]["name"] == "Assistant service"
    assert services["app"]["tags"] == ["core", "out-of-scope"]
    assert services["llm"]["trustZone"] == "partner"
    bp = blueprint(rich_bom)
    actor = by_ref(bp["actors"], "u")
    assert actor["zone"] == "internet"
    assert actor["party"]["persona"] == {"archetype": "end-user", "scope": "external"}
    placement = by_ref(bp["assets"], ref("placement", "app"))
    assert placement == {
        "bom-ref": "placement:app",
        "componentRef": "app",
        "zone": "vpc",
        "ownership": [{"roles": [{"role": "owner"}], "organization": {"name": "Platform team"}}],
    }
    assert "zone" not in by_ref(bp["assets"], ref("placement", "loose"))
    weights = by_ref(bp["assets"], "weights")
    assert weights["classification"] == {"classification": "restricted", "criticality": "critical"}
    assert by_ref(bp["assets"], "prompts")["classification"]["categories"] == ["personal-data"]
    zones = {z["bom-ref"]: z for z in bp["zones"]}
    assert zones["data"]["parent"] == "vpc"
    assert OUTSIDE_REF in zones
    assert by_ref(bp["boundaries"], "edge:data")["zones"] == ["data", "vpc"]
    assert by_ref(bp["boundaries"], "edge:internet")["zones"] == ["internet", OUTSIDE_REF]
    levels = {t["boundary"]: t["trustLevel"] for t in rich_bom["threats"]["trustBoundaries"]}
    assert levels == {
        "edge:data": "trusted",
        "edge:internet": "untrusted",
        "edge:partner": "semi-trusted",
        "edge:vpc": "trusted",
    }
    f1 = by_ref(bp["flows"], "f1")
    assert (f1["protocols"], f1["encrypted"], f1["bidirectional"]) == (["HTTPS"], True, True)
    assert f1["authentication"] == [{"name": "authenticated"}]
    assert [o["name"] for o in f1["dataObjects"]] == ["User prompts"]
    assert by_ref(bp["flows"], "f2")["name"] == "Assistant service to Vector store"
    assert by_ref(bp["flows"], "f4")["authentication"] == ["none"]
    assert {"ref": "v", "contains": ["prompts"]} in bp["relationships"]
    assert {"ref": "app", "associates": ["prompts", "notes"]} in bp["relationships"]
    assert bp["assumptions"] == [{"description": "IAM works"}]
    assert bp["metadata"]["validityPeriod"]["reviewFrequency"] == "P30D"
    appetite = rich_bom["risks"]["riskAppetites"][0]
    assert (appetite["level"], appetite["statement"]) == (
        "cautious",
        "Low and medium may stay open.",
    )
    objective = rich_bom["definitions"]["businessObjectives"][0]
    assert (objective["bom-ref"], objective["criticality"]) == ("obj1", "critical")


def test_findings_become_threats_and_risks_with_decisions(
    rich: ThreatModel, rich_analysis: Analysis, rich_bom: dict[str, Any]
) -> None:
    threats = {t["bom-ref"]: t for t in rich_bom["threats"]["threats"]}
    assert set(threats) == {f.id for f in rich_analysis.findings}
    f = rich_analysis.finding("AITW-STRIDE-011@v")
    t = threats[f.id]
    assert t["affectedAssets"] == ["v"]
    assert {c["taxonomy"] for c in t["categories"]} == {"STRIDE"}
    assert [ref("control", m) for m in f.mitigations] == t["mitigations"]
    risks = {r["bom-ref"]: r for r in rich_bom["risks"]["risks"]}
    mitigated = risks["risk:AITW-STRIDE-011@v"]
    assert mitigated["status"] == "mitigated"
    assert mitigated["relatedThreats"] == [f.id]
    assert mitigated["inherentRisk"]["likelihood"]["score"] == f.likelihood
    assert mitigated["responses"][0]["strategy"] == "reduce"
    assert mitigated["responses"][0]["status"] == "implemented"
    assert mitigated["responses"][0]["controls"] == [
        "control:MIT-BACKUP",
        "control:MIT-ENCRYPT-REST",
    ]
    accepted = risks["risk:AITW-LLM-013@app"]
    assert accepted["status"] == "accepted"
    assert accepted["owner"] == {"roles": [{"role": "owner"}], "person": {"name": "Jane"}}
    assert accepted["responses"][0]["targetDate"] == "2025-06-30T00:00:00Z"
    assert accepted["responses"][0]["externalReferences"] == [
        {"type": "issue-tracker", "url": "SEC-1"}
    ]
    assert risks["risk:AITW-STRIDE-010@v"]["responses"][0]["strategy"] == "transfer"
    orphan = risks["risk:NOT-A-THREAT@gone"]
    assert "relatedThreats" not in orphan
    assert "affects" not in orphan
    controls = {c["bom-ref"] for c in rich_bom["controls"]}
    assert {"control:MIT-BACKUP", "control:MIT-ENCRYPT-REST"} <= controls
    statement = risks[f"risk:{rich_analysis.findings[0].id}"]["statement"]
    assert " can " in statement


def test_attack_paths_follow_the_engine(
    rich: ThreatModel, rich_analysis: Analysis, rich_bom: dict[str, Any]
) -> None:
    paths = {p["bom-ref"]: p for p in rich_bom["threats"]["attackPaths"]}
    assert len(paths) == len(rich_analysis.attack_paths) > 0
    for p in rich_analysis.attack_paths:
        out = paths[ref("path", p.id)]
        assert [s["destination"] for s in out["steps"]] == [s.element for s in p.steps]
        assert out["steps"][0]["source"] == p.source
        crossing = [s for s in out["steps"] if "boundaryCrossed" in s]
        boundary = {e.id: e.boundary for e in rich.elements}
        assert len(crossing) == sum(
            1
            for a, b in zip(p.elements, p.elements[1:], strict=False)
            if boundary[a] != boundary[b]
        )


@needs_spec
def test_attack_trees_are_exported_when_the_tree_module_is_there(
    rich: ThreatModel, rich_analysis: Analysis, rich_bom: dict[str, Any]
) -> None:
    trees_module = pytest.importorskip("workbench.attack_trees")
    trees = trees_module.attack_trees(rich_analysis, objectives=True)
    out = rich_bom["threats"].get("attackTrees", [])
    assert [t["bom-ref"] for t in out] == [ref("tree", t.goal) for t in trees]
    for tree, item in zip(trees, out, strict=True):
        nodes = {n["bom-ref"]: n for n in item["nodes"]}
        assert len(nodes) == sum(1 for _ in tree.nodes())
        assert item["root"] in nodes
        for n in item["nodes"]:
            assert all(c in nodes for c in n.get("children", []))
    assert offline_errors(rich_bom, SCHEMA) == []


def test_without_the_tree_module_the_bom_has_no_trees(
    rich: ThreatModel, rich_analysis: Analysis, monkeypatch: pytest.MonkeyPatch
) -> None:
    import workbench

    monkeypatch.setitem(sys.modules, "workbench.attack_trees", None)
    monkeypatch.delattr(workbench, "attack_trees", raising=False)
    doc = to_cyclonedx(rich, rich_analysis)
    assert "attackTrees" not in doc["threats"]
    assert all("attackTrees" not in t for t in doc["threats"]["threats"])
    assert from_cyclonedx(json.loads(json.dumps(doc))).model == rich


# --------------------------------------------------------------------------- edits and losses
def test_cyclonedx_fields_edited_in_another_tool_win(rich_bom: dict[str, Any]) -> None:
    doc = copy.deepcopy(rich_bom)
    bp = blueprint(doc)
    by_ref(doc["services"], "app")["name"] = "Renamed assistant"
    by_ref(bp["assets"], ref("placement", "app"))["zone"] = "data"
    by_ref(doc["threats"]["trustBoundaries"], "trust:vpc")["trustLevel"] = "semi-trusted"
    by_ref(bp["flows"], "f2")["encrypted"] = True
    by_ref(bp["zones"], "partner")["name"] = "Provider"
    risks = doc["risks"]["risks"]
    by_ref(risks, "risk:AITW-LLM-001@app")["status"] = "mitigated"
    by_ref(risks, "risk:AITW-STRIDE-011@v")["status"] = "retired"
    m = from_cyclonedx(doc).model
    app = m.element("app")
    assert (app.name, app.boundary, app.owner) == ("Renamed assistant", "data", "Platform team")
    assert m.boundary("vpc").trust == "partner"
    assert m.boundary("partner").name == "Provider"
    assert m.flow("f2").encrypted is True
    assert m.decision("AITW-LLM-001@app").status == "mitigated"  # type: ignore[union-attr]
    retired = m.decision("AITW-STRIDE-011@v")
    assert retired is not None
    assert (retired.status, retired.rationale) == ("avoided", "CycloneDX risk status 'retired'.")


def test_without_our_data_the_documented_fields_survive(
    rich: ThreatModel, rich_bom: dict[str, Any]
) -> None:
    result = from_cyclonedx(strip_our_data(rich_bom), "bare.json")
    m = result.model
    assert m.system.model_dump() == rich.system.model_dump()
    assert m.scope.assumptions == rich.scope.assumptions
    assert (m.risk_tolerance.accept_up_to, m.risk_tolerance.review_cadence_days) == ("medium", 30)
    assert [(b.id, b.name, b.parent, b.trust, b.description) for b in m.boundaries] == [
        (b.id, b.name, b.parent, b.trust, b.description) for b in rich.boundaries
    ]
    assert [(a.id, a.name, a.classification, a.pii, a.crown_jewel) for a in m.assets] == [
        (a.id, a.name, a.classification, a.pii, a.crown_jewel) for a in rich.assets
    ]
    kinds = {e.id: e.kind for e in m.elements}
    assert kinds == {
        "app": "process",
        "keys": "data_store",
        "llm": "process",
        "logs": "data_store",
        "loose": "process",
        "u": "user",
        "v": "data_store",
    }
    for e in rich.elements:
        got = m.element(e.id)
        assert (got.name, got.boundary, got.tags, got.assets, got.owner) == (
            e.name,
            e.boundary,
            e.tags,
            e.assets,
            e.owner,
        )
        assert got.position is None
    assert m.element("u").properties.authentication is None  # an actor: no such field
    for f in rich.flows:
        flow = m.flow(f.id)
        assert (flow.source, flow.target, flow.protocol, flow.encrypted, flow.authenticated) == (
            f.source,
            f.target,
            f.protocol,
            f.encrypted,
            f.authenticated,
        )
        assert flow.data == f.data
        assert flow.tags == (["bidirectional"] if "bidirectional" in f.tags else [])
    assert m.flow("f2").name == "Assistant service to Vector store"  # empty names get one
    assert [(o.id, o.title, o.impact, o.elements) for o in m.objectives] == [
        ("obj1", "No cross-tenant leaks", "severe", [])
    ]
    decisions = {d.key: d for d in m.decisions}
    assert decisions["AITW-STRIDE-011@v"].mitigations == ["MIT-BACKUP", "MIT-ENCRYPT-REST"]
    assert decisions["AITW-LLM-013@app"].owner == "Jane"
    assert decisions["AITW-LLM-013@app"].ticket == "SEC-1"
    assert str(decisions["AITW-LLM-013@app"].due) == "2025-06-30"
    transferred = decisions["AITW-STRIDE-010@v"]
    assert (transferred.status, transferred.owner, transferred.rationale) == (
        "transferred",
        "Vendor",
        "The vendor's access layer owns this.",
    )
    assert "AITW-LLM-001@app" not in decisions  # an open decision: status identified
    assert "NOT-A-THREAT@gone" not in decisions  # a risk that relates to no finding
    assert result.threats == ()


# --------------------------------------------------------------------------- other BOMs
@needs_spec
def test_the_specification_example_imports() -> None:
    result = import_file(SPEC / "valid-threatmodel-simple-2.0.json")
    assert result.format == "cyclonedx"
    m = result.model
    assert (len(m.elements), len(m.flows), len(m.assets)) == (0, 0, 0)
    assert [(b.id, b.name, b.trust) for b in m.boundaries] == [
        ("tb-internet-dmz", "Internet to DMZ", "untrusted")
    ]
    assert [(o.id, o.title, o.impact) for o in m.objectives] == [
        ("obj-protect-data", "Protect customer data", "major")
    ]
    assert [w.path for w in result.warnings] == ["threats.trustBoundaries[0].boundary"]
    [threat] = result.threats
    assert threat.title == "Credential theft"
    assert threat.mitigations == ("Require multi-factor authentication for operators",)
    for part in ("threats.scenarios: 1", "threats.attackTrees: 1", "threats.abuseCases: 1"):
        assert any(u.startswith(part) for u in result.unmapped), part
    assert "section 'profiles'" in result.unmapped


@needs_spec
def test_the_invalid_example_is_reported_and_the_broken_prototype_refused() -> None:
    result = import_file(SPEC / "invalid-threatmodel-missing-bomref-2.0.json")
    assert [str(w) for w in result.warnings] == [
        f"{SPEC / 'invalid-threatmodel-missing-bomref-2.0.json'} threats.scenarios[0]: "
        "has no bom-ref; dropped"
    ]
    with pytest.raises(ModelFileError) as info:
        import_file(SPEC / "cyclonedx-2.0-prototype.json", "cyclonedx")
    problem = info.value.problems[0]
    assert (problem.line, "JSON syntax error" in problem.message) == (44, True)


def test_a_bom_of_another_tool_imports_what_maps() -> None:
    doc = {
        "specFormat": "CycloneDX",
        "specVersion": "2.0",
        "metadata": {"component": {"type": "application", "name": "Shop"}},
        "components": [
            {"type": "library", "bom-ref": "lib-x", "name": "left-pad"},
            {"type": "machine-learning-model", "bom-ref": "model", "name": "Ranker"},
            {"type": "data", "bom-ref": "db", "name": "Orders"},
        ],
        "services": [{"bom-ref": "api", "name": "Shop API", "authenticated": False}],
        "blueprints": [
            {
                "name": "Shop",
                "modelTypes": ["data-flow"],
                "zones": [
                    {"bom-ref": "dmz", "name": "DMZ", "type": "network"},
                    {"bom-ref": "net", "name": "Internet", "type": "network"},
                ],
                "boundaries": [{"bom-ref": "edge", "zones": ["net", "dmz"]}],
                "assets": [
                    {"bom-ref": "p1", "componentRef": "api", "zone": "dmz"},
                    {"bom-ref": "agent", "type": "agent", "name": "Helper"},
                    {"bom-ref": "orders", "type": "data", "name": "Order data"},
                ],
                "dataStores": [{"bom-ref": "vec", "name": "Vectors", "type": "vector"}],
                "flows": [
                    {
                        "bom-ref": "fl",
                        "name": "calls",
                        "type": "data",
                        "source": "agent",
                        "destination": "api",
                        "protocols": ["https", "grpc"],
                        "dataObjects": [{"name": "Order data"}],
                    }
                ],
            }
        ],
        "threats": {
            "trustBoundaries": [
                {"bom-ref": "tb", "boundary": "edge", "trustLevel": "untrusted"},
            ],
            "threats": [{"bom-ref": "t1", "name": "Scraping", "affectedAssets": ["api"]}],
        },
        "risks": {
            "risks": [
                {
                    "bom-ref": "r1",
                    "name": "x",
                    "statement": "y",
                    "relatedThreats": ["t1"],
                    "status": "accepted",
                    "inherentRisk": {"score": {"level": "high"}},
                }
            ]
        },
    }
    result = import_text(json.dumps(doc), filename="other.json")
    m = result.model
    assert {e.id: e.kind for e in m.elements} == {
        "api": "process",
        "agent": "agent",
        "db": "data_store",
        "model": "model_artifact",
        "vec": "vector_store",
    }
    assert m.element("api").boundary == "dmz"
    assert m.element("api").properties.authentication == "none"
    assert m.boundary("net").trust == "untrusted"
    assert m.boundary("dmz").trust == "trusted"
    assert m.flow("fl").data == ["orders"]
    assert m.flow("fl").protocol == "https"
    assert [str(w.path) for w in result.warnings] == ["blueprints[0].flows[0].protocols"]
    assert any("library-like" in u for u in result.unmapped)
    [threat] = result.threats
    assert (threat.title, threat.target, threat.status, threat.severity) == (
        "Scraping",
        "api",
        "accepted",
        "high",
    )


# --------------------------------------------------------------------------- hostile input
def test_hostile_and_broken_items_are_dropped_one_by_one(rich_bom: dict[str, Any]) -> None:
    doc = copy.deepcopy(rich_bom)
    bp = blueprint(doc)
    doc["services"].append(copy.deepcopy(doc["services"][0]))  # a duplicate bom-ref
    doc["components"].append({"type": "application", "bom-ref": "../../etc/passwd", "name": "x"})
    bp["flows"].append(
        {
            "bom-ref": "ghost-flow",
            "name": "g",
            "type": "data",
            "source": "u",
            "destination": "nowhere",
        }
    )
    by_ref(doc["components"], "v")["properties"] = [{"name": DATA, "value": "{not json"}]
    bp["zones"].append({"name": "no ref", "type": "trust"})
    result = from_cyclonedx(doc, "h.json")
    text = [f"{w.path}: {w.message}" for w in result.warnings]
    dup = len(doc["services"]) - 1
    assert f"services[{dup}]: duplicate bom-ref '{doc['services'][0]['bom-ref']}'; dropped" in text
    assert f"blueprints[0].zones[{len(bp['zones']) - 1}]: has no bom-ref; dropped" in text
    assert any("ID '../../etc/passwd' changed to 'etc-passwd'" in t for t in text)
    assert any("'nowhere', which is not an imported element" in t for t in text)
    assert any("'workbench:data' is not a JSON object; left out" in t for t in text)
    m = result.model
    assert m.element("etc-passwd").name == "x"
    assert m.element("v").kind == "data_store"  # our data is gone: guessed from the type
    assert ThreatModel.from_yaml(m.to_yaml()) == m


def test_markup_in_names_is_kept_as_text(rich: ThreatModel, rich_bom: dict[str, Any]) -> None:
    text = json.dumps(rich_bom, ensure_ascii=False)
    assert '"Rich <script>alert(1)</script> model"' in text
    assert from_cyclonedx(rich_bom).model.system.name == rich.system.name


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "expected a CycloneDX BOM"),
        ({"specFormat": "SPDX"}, "not a CycloneDX BOM"),
        ({"specFormat": "CycloneDX"}, "specVersion: missing"),
        ({"specFormat": "CycloneDX", "specVersion": "2.0", "blueprints": {}}, "expected a list"),
        ({"specFormat": "CycloneDX", "specVersion": "2.0", "threats": []}, "expected an object"),
    ],
)
def test_bad_documents_are_refused_clearly(doc: Any, message: str) -> None:
    with pytest.raises(ModelFileError, match=message):
        from_cyclonedx(doc, "bad.json")


def test_format_is_detected_and_a_1x_bom_is_read_with_a_warning() -> None:
    assert detect_format({"specFormat": "CycloneDX", "specVersion": "2.0"}) == "cyclonedx"
    old = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "components": [{"type": "application", "bom-ref": "a", "name": "A"}],
    }
    result = import_text(json.dumps(old), filename="old.json")
    assert result.format == "cyclonedx"
    assert [e.id for e in result.model.elements] == ["a"]
    assert [w.path for w in result.warnings] == ["specVersion"]


# --------------------------------------------------------------------------- command line
def test_cli_export_import_and_the_pre_release_mark(tmp_path: Any, capsys: Any) -> None:
    from tests.test_interop_cli import FIXTURES, run

    model = tmp_path / "model.yaml"
    model.write_text((FIXTURES / "rich.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "model.cdx.json"
    code, _, err = run("export", model, "--to", "cyclonedx", "-o", out)
    assert code == 0, err
    assert "pre-release" in err
    back = tmp_path / "back.yaml"
    code, _, err = run("import", out, "-o", back)
    assert code == 0, err
    assert f"{out}: cyclonedx: 7 elements" in err
    assert ThreatModel.load(back) == ThreatModel.load(model)
    code, _, err = run("export", model, "--to", "cyclonedx", "-o", tmp_path / "x.yaml")
    assert code == 2
    assert "CycloneDX files are JSON" in err
    for command in ("export", "import"):
        with pytest.raises(SystemExit):
            run(command, "--help")
        assert "PRE-RELEASE" in capsys.readouterr().out


def test_foreign_names_are_fitted_to_the_model_with_warnings() -> None:
    doc = {
        "specFormat": "CycloneDX",
        "specVersion": "2.0",
        "services": [{"bom-ref": "s", "name": "Line\nbreak " + "x" * 300}],
    }
    result = from_cyclonedx(doc, "long.json")
    e = result.model.element("s")
    assert len(e.name) == 200
    assert "\n" not in e.name
    assert "Full name (shortened on import)" in e.description
    assert [w.path for w in result.warnings] == ["services[0]"]
