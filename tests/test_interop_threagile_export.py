"""Threagile export: the model as Threagile YAML that Threagile's own schema accepts (read
in place from ``../shared/reference/interop/threagile``; those tests skip when it is
absent), that keeps the rules Threagile checks beyond its schema, and that the Threagile
importer reads back as far as Threagile has fields (see
:mod:`workbench.interop.threagile` for the list of what is lost)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
import yaml

from tests import conftest
from workbench import ThreatModel
from workbench.catalog import Catalog
from workbench.engine import Analysis, analyze
from workbench.interop import export_model, import_text
from workbench.interop.threagile import (
    ThreagileIds,
    from_threagile,
    link_id,
    threagile_id,
)
from workbench.register import build_register
from workbench.starters import names

from .interop_support import REFERENCE, offline_errors

SCHEMA = REFERENCE / "threagile" / "threagile-schema.json"
needs_schema = conftest.needs_reference("interop", "threagile", "threagile-schema.json")
THREAGILE_ID = re.compile(r"^[a-zA-Z0-9\-]+$")


def exported(model: ThreatModel, analysis: Analysis | None = None) -> dict[str, Any]:
    """The export as Threagile would read it: the YAML text parsed back."""
    data: dict[str, Any] = yaml.safe_load(export_model(model, "threagile", analysis))
    return data


def as_json(doc: Any) -> Any:
    """``doc`` as JSON data (YAML dates become strings), for the JSON Schema."""
    return json.loads(json.dumps(doc, default=str))


def threagile_problems(doc: dict[str, Any]) -> list[str]:
    """What Threagile's model parser refuses beyond its schema (its ``ParseModel`` checks):
    ID syntax and uniqueness, tags not in ``tags_available``, references to technical and
    data assets, an asset in two trust boundaries, missing nested boundaries, individual
    risks naming unknown assets or links; and risk tracking entries that match no risk."""
    problems = _id_problems(doc)
    links, found = _asset_problems(doc)
    return problems + found + _boundary_problems(doc) + _risk_problems(doc, links)


def _tags(doc: dict[str, Any]) -> set[str]:
    return {t.lower() for t in doc["tags_available"]}


def _id_problems(doc: dict[str, Any]) -> list[str]:
    problems = []
    for section in ("data_assets", "technical_assets", "trust_boundaries"):
        ids = [x["id"] for x in doc[section].values()]
        problems += [f"{section}: bad id {i!r}" for i in ids if not THREAGILE_ID.match(i)]
        if len(ids) != len(set(ids)):
            problems.append(f"{section}: duplicate ids")
    return problems


def _asset_problems(doc: dict[str, Any]) -> tuple[set[str], list[str]]:
    tags = _tags(doc)
    data_ids = {a["id"] for a in doc["data_assets"].values()}
    tech_ids = {a["id"] for a in doc["technical_assets"].values()}
    problems: list[str] = []
    links: set[str] = set()
    for title, a in doc["technical_assets"].items():
        problems += [f"{title}: tag {t}" for t in a["tags"] or [] if t.lower() not in tags]
        for key in ("data_assets_processed", "data_assets_stored"):
            problems += [f"{title}: {key} {d}" for d in a[key] or [] if d not in data_ids]
        for link_title, link in (a["communication_links"] or {}).items():
            lid = link_id(a["id"], link_title)
            if lid in links:
                problems.append(f"duplicate link id {lid}")
            links.add(lid)
            if link["target"] not in tech_ids:
                problems.append(f"{title}/{link_title}: target {link['target']}")
            problems += [
                f"{link_title}: tag {t}" for t in link["tags"] or [] if t.lower() not in tags
            ]
            sent = link["data_assets_sent"] or []
            problems += [f"{link_title}: data {d}" for d in sent if d not in data_ids]
    return links, problems


def _boundary_problems(doc: dict[str, Any]) -> list[str]:
    tags = _tags(doc)
    tech_ids = {a["id"] for a in doc["technical_assets"].values()}
    tb_ids = {b["id"] for b in doc["trust_boundaries"].values()}
    problems = []
    placed: set[str] = set()
    for title, b in doc["trust_boundaries"].items():
        for inside in b["technical_assets_inside"] or []:
            if inside in placed or inside not in tech_ids:
                problems.append(f"{title}: technical asset {inside}")
            placed.add(inside)
        nested = b["trust_boundaries_nested"] or []
        problems += [f"{title}: nested {n}" for n in nested if n not in tb_ids]
        problems += [f"{title}: tag {t}" for t in b["tags"] or [] if t.lower() not in tags]
    return problems


def _risk_problems(doc: dict[str, Any], links: set[str]) -> list[str]:
    """Risks naming unknown assets or links; tracking entries that match no risk (the
    synthetic ID Threagile gives an individual risk: ``CATEGORY@ASSET@LINK``)."""
    tech_ids = {a["id"] for a in doc["technical_assets"].values()}
    problems = []
    synthetic = set()
    for cat in (doc.get("individual_risk_categories") or {}).values():
        if not THREAGILE_ID.match(cat["id"]):
            problems.append(f"bad category id {cat['id']}")
        for risk in cat["risks_identified"].values():
            asset = risk["most_relevant_technical_asset"]
            link = risk["most_relevant_communication_link"]
            if asset and asset not in tech_ids:
                problems.append(f"risk asset {asset}")
            if link and link not in links:
                problems.append(f"risk link {link}")
            synthetic.add("@".join([cat["id"], *(x for x in (asset, link) if x)]))
    tracking = doc.get("risk_tracking") or {}
    return problems + [f"orphaned risk tracking {k}" for k in tracking if k not in synthetic]


# --------------------------------------------------------------------------- schema
@needs_schema
@pytest.mark.parametrize("name", [*names(), "rich"])
def test_export_is_accepted_by_threagiles_schema_and_rules(
    name: str, catalog: Catalog, rich: ThreatModel
) -> None:
    model = rich if name == "rich" else ThreatModel.from_template(name)
    analysis = analyze(model, catalog)
    doc = exported(model, analysis)
    assert offline_errors(as_json(doc), SCHEMA) == []
    assert threagile_problems(doc) == []
    decided = [e for e in build_register(analysis).entries if e.decision is not None]
    assert len(doc["risk_tracking"]) == len(decided)
    assert sum(len(c["risks_identified"]) for c in doc["individual_risk_categories"].values()) == (
        len(analysis.findings)
    )


@needs_schema
def test_the_checks_can_fail(rich: ThreatModel, catalog: Catalog) -> None:
    doc = exported(rich, analyze(rich, catalog))
    bad = copy.deepcopy(doc)
    first = next(iter(bad["technical_assets"].values()))
    first["technology"] = "quantum-computer"
    first["id"] = "bad_id"
    bad["risk_tracking"]["nothing@here"] = dict(next(iter(bad["risk_tracking"].values())))
    assert any("quantum-computer" in e for e in offline_errors(as_json(bad), SCHEMA))
    problems = threagile_problems(bad)
    assert "technical_assets: bad id 'bad_id'" in problems
    assert "orphaned risk tracking nothing@here" in problems


def test_architecture_only_export(rich: ThreatModel) -> None:
    doc = yaml.safe_load(export_model(rich, "threagile", threats=False))
    assert "individual_risk_categories" not in doc
    assert "risk_tracking" not in doc
    assert threagile_problems(doc) == []


# --------------------------------------------------------------------------- mapping
def test_ids_become_threagile_ids_without_clashes() -> None:
    assert threagile_id("training_dataset") == "training-dataset"
    assert threagile_id("a.b__c") == "a-b-c"
    assert threagile_id("___") == "id"
    ids = ThreagileIds(["a_b", "a-b", "a.b"])
    assert sorted(ids.map.values()) == ["a-b", "a-b-2", "a-b-3"]
    assert link_id("app", "Calls the LLM (v2)!") == "app>calls-the-llm-v2"


def test_rich_model_fields(rich: ThreatModel, catalog: Catalog) -> None:
    analysis = analyze(rich, catalog)
    doc = exported(rich, analysis)
    assert doc["title"] == rich.system.name
    assert doc["author"] == {"name": "ML Platform", "homepage": "https://example.com/repo"}
    assert doc["contributors"] == [{"name": "Security, Risk & Compliance"}]
    assert doc["business_criticality"] == "mission-critical"  # the objective's severe impact
    weights = doc["data_assets"]["Model weights"]
    assert (weights["confidentiality"], weights["integrity"]) == (
        "strictly-confidential",
        "mission-critical",
    )
    assert doc["data_assets"]["User prompts"]["tags"] == ["pii"]
    app = doc["technical_assets"]["Assistant service"]
    assert (app["type"], app["technology"], app["internet"], app["out_of_scope"]) == (
        "process",
        "web-service-rest",
        True,
        True,
    )
    assert app["tags"] == ["core"]
    links = app["communication_links"]
    assert set(links) == {"to Vector store", "prompt", "trace", "call tool"}
    assert links["to Vector store"]["protocol"] == "binary"  # not encrypted, no protocol
    assert links["prompt"]["authentication"] == "none"
    user = doc["technical_assets"]["Customer <img src=x onerror=alert(1)>"]
    assert user["communication_links"]["question"]["protocol"] == "https"
    assert user["communication_links"]["question"]["data_assets_sent"] == ["prompts"]
    tb = doc["trust_boundaries"]
    assert tb["Internet"]["tags"] == ["untrusted"]
    assert tb["Model provider"]["tags"] == ["partner"]
    assert tb["VPC"]["trust_boundaries_nested"] == ["data"]
    assert sorted(tb["Data subnet"]["technical_assets_inside"]) == ["keys", "logs", "v"]
    tracking = doc["risk_tracking"]
    assert tracking["AITW-LLM-013@app"] == {
        "status": "accepted",
        "justification": "Behind SSO.",
        "ticket": "SEC-1",
        "date": None,
        "checked_by": "Jane",
    }
    assert tracking["AITW-STRIDE-010@v"]["justification"] == (
        "Transferred: The vendor's access layer owns this."
    )
    assert tracking["AITW-STRIDE-011@v"]["date"] == "2025-01-02"
    flow_risks = [
        r
        for c in doc["individual_risk_categories"].values()
        for r in c["risks_identified"].values()
        if r["most_relevant_communication_link"]
    ]
    assert flow_risks
    assert all(
        r["most_relevant_communication_link"].startswith(r["most_relevant_technical_asset"] + ">")
        for r in flow_risks
    )


# --------------------------------------------------------------------------- round trip
@pytest.mark.parametrize("name", [*names(), "rich"])
def test_round_trip_through_threagile(name: str, catalog: Catalog, rich: ThreatModel) -> None:
    """Ours → Threagile → ours keeps what Threagile has fields for, field by field (the
    list of what is lost is in :mod:`workbench.interop.threagile`)."""
    model = rich if name == "rich" else ThreatModel.from_template(name)
    analysis = analyze(model, catalog)
    ids = ThreagileIds(model.ids()).map
    result = from_threagile(exported(model, analysis), "back.yaml")
    back = result.model
    s, b = model.system, back.system
    assert (b.name, b.description, b.owners, b.repository, b.version) == (
        s.name,
        s.description,
        s.owners,
        s.repository,
        "",
    )
    assert back.scope.description == model.scope.description
    assert back.risk_tolerance.statement == model.risk_tolerance.statement
    assert back.objectives == []
    for a in model.assets:
        got = back.asset(ids[a.id])
        assert (got.classification, got.pii, got.crown_jewel) == (
            a.classification,
            a.pii,
            a.crown_jewel,
        )
        assert got.description == (a.description or a.name)
    for bd in model.boundaries:
        got_b = back.boundary(ids[bd.id])
        assert (got_b.parent, got_b.trust) == (ids[bd.parent] if bd.parent else None, bd.trust)
    generic = {"external_entity", "process", "data_store", "inference_endpoint", "secrets_store"}
    for e in model.elements:
        got_e = back.element(ids[e.id])
        assert got_e.boundary == (ids[e.boundary] if e.boundary else None)
        assert got_e.assets == [ids[x] for x in e.assets]
        assert got_e.owner == e.owner
        tags = [t for t in e.tags if t != "out-of-scope"]
        assert got_e.tags == tags + (["out-of-scope"] if "out-of-scope" in e.tags else [])
        assert got_e.kind in generic
        if e.kind in ("inference_endpoint", "foundation_model_api", "agent"):
            assert got_e.kind == "inference_endpoint"
        elif e.kind == "secrets_store":
            assert got_e.kind == "secrets_store"
        p, q = e.properties, got_e.properties
        assert q.exposure == ("internet" if p.exposure == "internet" else "internal")
        assert q.multi_tenant is bool(p.multi_tenant)
        assert q.data_classification == (p.data_classification or "internal")
        if got_e.kind in ("data_store", "secrets_store"):
            assert q.encrypted_at_rest is bool(p.encrypted_at_rest)
    flows_back = {(f.source, f.target, f.name): f for f in back.flows}
    assert len(flows_back) == len(back.flows) == len(model.flows)
    names_by_id = {e.id: e.name for e in model.elements}
    for f in model.flows:
        title = f.name or f"to {names_by_id[f.target]}"
        got_f = flows_back[(ids[f.source], ids[f.target], title)]
        assert got_f.data == [ids[x] for x in f.data]
        assert got_f.tags == f.tags
        assert got_f.authenticated is bool(f.authenticated)
        if f.encrypted is not None:  # unknown comes back from the protocol's name
            assert got_f.encrypted == f.encrypted
    decided = {e.finding.id: e.decision for e in build_register(analysis).entries if e.decision}
    by_key = {d.key: d for d in back.decisions}
    flow_ids = {
        f.id: got
        for f in model.flows
        for got in [
            flows_back[(ids[f.source], ids[f.target], f.name or f"to {names_by_id[f.target]}")]
        ]
    }
    assert len(by_key) == len(
        [
            d
            for d in decided.values()
            if d is not None
            and not (d.status == "open" and not (d.owner or d.rationale or d.ticket or d.decided))
        ]
    )
    for finding, d in decided.items():
        assert d is not None
        threat, target = finding.rsplit("@", 1)
        new_target = ids.get(target) or flow_ids[target].id
        got_d = by_key.get(f"{threat}@{new_target}")
        if got_d is None:
            continue
        assert (got_d.status, got_d.owner, got_d.rationale, got_d.ticket, got_d.decided) == (
            d.status,
            d.owner,
            d.rationale,
            d.ticket,
            d.decided or got_d.decided,
        )
    assert result.threats == ()
    unexpected = [w for w in result.warnings if "accepted without a review date" not in w.message]
    assert unexpected == []


def test_import_of_threagile_tracking_edited_elsewhere(rich: ThreatModel, catalog: Catalog) -> None:
    doc = exported(rich, analyze(rich, catalog))
    doc["risk_tracking"]["AITW-LLM-001@app"]["status"] = "false-positive"
    doc["risk_tracking"]["AITW-LLM-001@app"]["justification"] = "Not reachable."
    doc["risk_tracking"]["other-rule@app"] = {"status": "mitigated", "justification": "x"}
    result = from_threagile(doc)
    decision = result.model.decision("AITW-LLM-001@app")
    assert decision is not None
    assert (decision.status, decision.rationale, decision.owner) == (
        "false_positive",
        "Not reachable.",
        "Bob",
    )
    assert [t.title for t in result.threats] == ["other-rule@app"]
    assert "section 'risk_tracking'" in result.unmapped


def test_cli_export_to_threagile(tmp_path: Any) -> None:
    from tests.test_interop_cli import FIXTURES, run

    model = tmp_path / "model.yaml"
    model.write_text((FIXTURES / "rich.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "threagile.yaml"
    code, _, err = run("export", model, "--to", "threagile", "-o", out)
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Threagile model exported by ai-threat-workbench")
    assert import_text(text, filename="t.yaml").format == "threagile"
    code, _, err = run("export", model, "--to", "threagile", "-o", tmp_path / "t.json")
    assert code == 2
    assert "Threagile files are YAML" in err
