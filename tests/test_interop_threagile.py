"""Threagile YAML import.

The Threagile example is read in place from ``../shared/reference/interop/threagile``
(never copied); those tests skip when the folder is absent.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from workbench import ThreatModel
from workbench.catalog import load_catalog
from workbench.engine import analyze
from workbench.interop import export_model, import_file, import_text
from workbench.interop.otm import from_otm
from workbench.interop.threagile import loads_threagile

from .interop_support import FIXTURES, REFERENCE, needs_reference

EXAMPLE = REFERENCE / "threagile" / "threagile-example.yaml"


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return data


@needs_reference
def test_example_imports_with_every_asset_link_and_boundary(raw: dict[str, Any]) -> None:
    result = import_file(EXAMPLE)
    m = result.model
    assert result.format == "threagile"
    techs = raw["technical_assets"]
    links = [
        (t["id"], name, link)
        for t in techs.values()
        for name, link in (t.get("communication_links") or {}).items()
    ]
    assert (
        (len(m.elements), len(m.flows), len(m.boundaries), len(m.assets))
        == (
            len(techs),
            len(links),
            len(raw["trust_boundaries"]),
            len(raw["data_assets"]),
        )
        == (14, 20, 5, 12)
    )
    assert result.warnings == ()
    for source, name, link in links:
        flow = next(f for f in m.flows if f.source == source and f.name == name)
        assert flow.target == link["target"]
        assert flow.protocol == link["protocol"]
    for tb in raw["trust_boundaries"].values():
        for inside in tb["technical_assets_inside"] or []:
            assert m.element(inside).boundary == tb["id"]
        for nested in tb["trust_boundaries_nested"] or []:
            assert m.boundary(nested).parent == tb["id"]


@needs_reference
def test_example_field_mapping() -> None:
    m = import_file(EXAMPLE).model
    assert m.system.name == "Some Example Application"
    assert m.system.owners == ["John Doe"]
    customer = m.element("customer-client")
    assert customer.kind == "external_entity"
    assert customer.properties.exposure == "internet"
    assert customer.tags == ["out-of-scope"]
    assert "Customer Web Client: Owned and managed by end-user customer" in (m.scope.out_of_scope)
    db = m.element("sql-database")
    assert db.kind == "data_store"
    assert db.properties.encrypted_at_rest is True
    assert db.properties.data_classification == "restricted"  # strictly-confidential
    assert db.assets == [
        "db-dumps",
        "customer-accounts",
        "customer-operational-data",
        "internal-business-data",
    ]
    assert m.element("apache-webserver").properties.encrypted_at_rest is None  # a process
    assert m.asset("customer-accounts").classification == "restricted"
    assert m.asset("contract-summaries").classification == "confidential"  # restricted
    assert m.asset("erp-logs").crown_jewel is False
    assert m.asset("internal-business-data").crown_jewel is False
    assert m.asset("server-application-code").crown_jewel is True  # mission-critical
    by_name = {f.name: f for f in m.flows}
    assert by_name["Customer Traffic"].encrypted is True  # https
    assert by_name["Web Application Traffic"].encrypted is False  # http
    assert by_name["Database Traffic"].encrypted is False  # jdbc
    assert by_name["DB Update Access"].encrypted is True  # ssh
    assert by_name["CMS Content Traffic"].authenticated is False
    assert by_name["ERP Internal Access"].authenticated is True
    assert by_name["Customer Traffic"].data == [
        "customer-accounts",
        "customer-operational-data",
        "customer-contracts",
        "client-application-code",
        "marketing-material",
    ]


@needs_reference
def test_example_reports_what_was_not_mapped() -> None:
    result = import_file(EXAMPLE)
    for section in (
        "shared_runtimes",
        "risk_tracking",
        "individual_risk_categories",
        "abuse_cases",
        "security_requirements",
        "questions",
    ):
        assert f"section '{section}'" in result.unmapped
    assert any(u.startswith("technical asset fields:") and "machine" in u for u in result.unmapped)
    assert any(
        u.startswith("communication link fields:") and "authorization" in u for u in result.unmapped
    )
    titles = {t.title for t in result.threats}
    assert "untrusted-deserialization@erp-system" in titles
    tracked = next(t for t in result.threats if t.title == "untrusted-deserialization@erp-system")
    assert (tracked.status, tracked.description) == ("accepted", "Risk accepted as tolerable")
    individual = [t for t in result.threats if t.source.startswith("individual_risk")]
    assert len(individual) == 2
    assert {t.target for t in individual} == {"sql-database", "contract-file-server"}


@needs_reference
def test_example_validates_analyses_and_exports() -> None:
    m = import_file(EXAMPLE).model
    assert ThreatModel.from_yaml(m.to_yaml()) == m
    catalog = load_catalog()
    analysis = analyze(m, catalog)
    assert len(analysis.findings) > 10
    assert analysis.crown_jewels
    otm = json.loads(export_model(m, "otm", analysis))
    assert from_otm(otm).model == m


def test_auto_detected_and_hostile_parts_are_dropped_one_by_one() -> None:
    text = """\
threagile_version: 1.0.0
title: "<script>alert(1)</script>"
data_assets:
  Secrets: {id: secrets, confidentiality: top-secret}
  Same again: {id: secrets, confidentiality: public}
technical_assets:
  App:
    id: app
    type: process
    technology: ai
    communication_links:
      To nowhere: {target: nowhere, protocol: https}
      To vault: {target: vault, protocol: https, authentication: none}
  Vault:
    id: vault
    type: datastore
    technology: vault
    encryption: transparent
  Weird:
    id: weird
    type: blob
  NoId: {type: process}
trust_boundaries:
  A: {id: a, technical_assets_inside: [app], trust_boundaries_nested: [b]}
  B: {id: b, technical_assets_inside: [app, vault], trust_boundaries_nested: [a]}
"""
    result = import_text(text, filename="t.yaml")
    m = result.model
    assert result.format == "threagile"
    assert m.system.name == "<script>alert(1)</script>"
    assert m.element("app").kind == "inference_endpoint"
    assert m.element("vault").kind == "secrets_store"
    assert m.element("vault").properties.encrypted_at_rest is True
    assert m.element("weird").kind == "process"
    assert m.element("app").boundary == "a"
    assert m.element("vault").boundary == "b"
    assert [f.target for f in m.flows] == ["vault"]
    assert m.flows[0].authenticated is False
    assert m.asset("secrets").classification == "internal"
    assert [str(w) for w in result.warnings] == [
        "t.yaml technical_assets.NoId: has no ID; dropped",
        "t.yaml data_assets.Same again: duplicate ID 'secrets'; this data asset was dropped",
        "t.yaml data_assets.Secrets.confidentiality: 'top-secret' is not a Threagile "
        "confidentiality; read as internal",
        "t.yaml trust_boundaries.B.technical_assets_inside: 'app' is already in 'a'; kept there",
        "t.yaml technical_assets.Weird.type: type 'blob' is not external-entity, process or "
        "datastore; read as process",
        "t.yaml trust_boundaries.A.parent: boundary 'a' is inside itself; its parent was left out",
        "t.yaml technical_assets.App.communication_links.To nowhere: flow "
        "'app-To-nowhere' connects 'nowhere', which is not an imported element; this flow "
        "was dropped",
    ]


def test_not_threagile_is_refused() -> None:
    from workbench.errors import ModelFileError

    with pytest.raises(ModelFileError, match="not a Threagile model"):
        loads_threagile("title: x\n", "x.yaml")
    with pytest.raises(ModelFileError, match="expected a mapping of titles"):
        loads_threagile("threagile_version: 1\ntechnical_assets: [a, b]\n", "x.yaml")


def test_small_fixture_imports_cleanly() -> None:
    result = import_file(FIXTURES / "small-threagile.yaml")
    m = result.model
    assert result.warnings == ()
    assert [e.id for e in m.elements] == ["browser", "recommender", "shop"]
    assert m.element("recommender").kind == "inference_endpoint"
    assert m.element("recommender").boundary == "ml"
    assert m.boundary("ml").parent == "cloud"
    assert m.element("browser").boundary is None
    assert m.asset("orders").crown_jewel is True
    assert m.asset("weights").classification == "restricted"
    assert [f.id for f in m.flows] == ["browser-Shop-traffic", "shop-Recommendations"]
    assert m.flow("shop-Recommendations").data == ["orders"]
    assert "section 'shared_runtimes'" in result.unmapped
    assert [t.title for t in result.threats] == ["some-risk@shop"]
    assert analyze(m).findings
