"""Model cards: which elements get one, Mitchell et al. sections, front matter validated
against our schema, model-card-toolkit v0.0.2 JSON, HTML and PDF."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import REFERENCE, reference_missing
from workbench import ThreatModel
from workbench.engine import analyze
from workbench.export.model_card import (
    CARD_KINDS,
    TBC,
    build_card,
    card_elements,
    lineage,
    parse_front_matter,
    personal_data,
    schema_path,
    to_markdown,
    to_mct,
    validate_front_matter,
    validate_risk_assessment,
)
from workbench.starters import load_template, names

DATE = dt.date(2026, 1, 15)
MCT_PARTS = ("model-card-toolkit", "schema", "v0.0.2", "model_card.schema.json")
MCT_SCHEMA = REFERENCE.joinpath(*MCT_PARTS)
MITCHELL = (
    "Model details",
    "Intended use",
    "Factors",
    "Metrics",
    "Evaluation data",
    "Training data",
    "Quantitative analyses",
    "Ethical considerations",
    "Caveats and recommendations",
)


@pytest.fixture(scope="module")
def fine_tuning(catalog: Any) -> Any:
    return analyze(load_template("fine_tuning_pipeline"), catalog)


def test_schema_is_valid_json_schema() -> None:
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("name", names())
def test_every_starter_has_cards_that_validate(name: str, catalog: Any) -> None:
    analysis = analyze(load_template(name), catalog)
    elements = card_elements(analysis.model)
    assert elements, name
    assert all(e.kind in CARD_KINDS for e in elements)
    for e in elements:
        card = build_card(analysis, e.id, date=DATE)
        md = to_markdown(card)
        front = parse_front_matter(md)
        validate_front_matter(front)
        assert front["model_name"] == e.name
        # Hugging Face metadata keys only; the risk assessment is in the body and sidecar
        assert set(front) <= {"model_name", "tags", "pipeline_tag"}, set(front)
        assert md.index("# Model card") < 20 * 80  # the front matter is a few lines
        ra = card.risk_assessment
        validate_risk_assessment({"model_name": e.name, "risk_assessment": ra})
        assert ra["element"] == {"id": e.id, "kind": e.kind, "name": e.name}
        assert ra["summary"]["findings"] == len(ra["findings"])
        assert e.id in ra["scope"]
        for title in MITCHELL:
            assert f"## {title}" in md
        assert "## Risk assessment" in md
        assert f"*{TBC}*" in md


def test_fine_tuned_model_card_is_filled_from_the_model(fine_tuning: Any) -> None:
    lin = lineage(fine_tuning.model, "tuned_model")
    assert [p.id for p in lin.producers] == ["fine_tuning_job"]
    assert "training_dataset" in {d.id for d in lin.training_data}
    assert "base_model" in {b.id for b in lin.base_models}
    assert "evaluation_job" in {x.id for x in lin.evaluations}
    assert "eval_dataset" in {d.id for d in lin.evaluation_data}
    assert "inference_endpoint" in {s.id for s in lin.serving}
    card = build_card(fine_tuning, "tuned_model", date=DATE)
    md = to_markdown(card)
    assert "**Serialization format:** safetensors" in md
    assert (
        "**Privacy\\-preserving training:** no" in md or "**Privacy-preserving training:** no" in md
    )
    assert "Tuning dataset" in md
    assert "Evaluation set" in md
    front = card.risk_assessment
    targets = {f["target"] for f in front["findings"]}
    assert {"fine_tuning_job", "training_dataset"} <= targets  # its lifecycle's findings
    assert front["residual_risk"] in ("high", "critical")
    assert front["mitigations"]
    # every mitigation names its AI RMF subcategories, or says why none fits
    assert all(
        "nist_ai_rmf" in m["controls"] or len(m["controls"].get("nist_ai_rmf_none", "")) > 20
        for m in front["mitigations"]
    )


def test_stand_in_kinds_when_no_model_element(minimal: ThreatModel) -> None:
    from workbench import Element

    assert card_elements(minimal) == []
    model = minimal.add_element(
        Element(id="serve", kind="inference_endpoint", name="Scoring API", boundary="vpc")
    )
    assert [e.id for e in card_elements(model)] == ["serve"]


def test_validation_rejects_a_broken_risk_assessment(fine_tuning: Any) -> None:
    card = build_card(fine_tuning, "tuned_model", date=DATE)
    bad = json.loads(json.dumps(card.risk_assessment))
    bad["findings"][0]["status"] = "ignored"
    with pytest.raises(ValueError, match="status"):
        validate_risk_assessment({"model_name": "x", "risk_assessment": bad})
    with pytest.raises(ValueError, match="risk_assessment"):
        validate_front_matter({**card.front_matter, "risk_assessment": card.risk_assessment})


def test_card_for_any_element_on_request(fine_tuning: Any) -> None:
    card = build_card(fine_tuning, "inference_endpoint", date=DATE)
    validate_front_matter(card.front_matter)
    with pytest.raises(KeyError):
        build_card(fine_tuning, "nope")


def test_validation_rejects_a_broken_front_matter(fine_tuning: Any) -> None:
    card = build_card(fine_tuning, "tuned_model", date=DATE)
    bad = json.loads(json.dumps(card.front_matter))
    bad["tags"] = "not a list"
    del bad["model_name"]
    with pytest.raises(ValueError, match="tags") as exc:
        validate_front_matter(bad)
    assert "model_name" in str(exc.value)


@pytest.mark.skipif(not MCT_SCHEMA.is_file(), reason=reference_missing(*MCT_PARTS))
@pytest.mark.parametrize("name", names())
def test_mct_json_validates_against_model_card_toolkit_v002(name: str, catalog: Any) -> None:
    schema = json.loads(MCT_SCHEMA.read_text(encoding="utf-8"))
    analysis = analyze(load_template(name), catalog)
    for e in card_elements(analysis.model):
        doc = to_mct(build_card(analysis, e.id, date=DATE))
        jsonschema.Draft7Validator(
            schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER
        ).validate(doc)
        assert doc["schema_version"] == "0.0.2"
        assert doc["model_details"]["name"] == e.name


def test_huggingface_hub_reads_the_card_offline(fine_tuning: Any) -> None:
    hub = pytest.importorskip("huggingface_hub")
    md = to_markdown(build_card(fine_tuning, "tuned_model", date=DATE))
    card = hub.ModelCard(md)  # parses locally; card.validate() would call the network
    assert card.data.to_dict()["model_name"] == "Tuned model artifact"
    assert "risk_assessment" not in card.data.to_dict()  # in the body and the sidecar


def test_card_html_sections(fine_tuning: Any) -> None:
    from tests.test_export_report import assert_offline_and_scriptless
    from workbench.export.model_card import card_html

    html = card_html(build_card(fine_tuning, "tuned_model", date=DATE))
    dom = assert_offline_and_scriptless(html)
    for title in (*MITCHELL, "Risk assessment", "Front matter (YAML)"):
        assert title in dom.text
    assert dom.count("span", "tbc") >= 5


def test_write_card_files(fine_tuning: Any, tmp_path: Path) -> None:
    from workbench.export.model_card import write_card

    card = build_card(fine_tuning, "tuned_model", date=DATE)
    md = write_card(card, tmp_path, "md")
    js = write_card(card, tmp_path, "json")
    assert md.name == "tuned_model.model-card.md"
    assert parse_front_matter(md.read_text(encoding="utf-8"))["model_name"]
    sidecar = json.loads((tmp_path / "tuned_model.risk-assessment.json").read_text("utf-8"))
    validate_risk_assessment(sidecar)
    assert sidecar["risk_assessment"] == json.loads(json.dumps(card.risk_assessment))
    assert json.loads(js.read_text(encoding="utf-8"))["schema_version"] == "0.0.2"


# ----------------------------------------------------------------------------- facts
def _flows(model: ThreatModel) -> set[tuple[str, str]]:
    return {(f.source, f.target) for f in model.flows}


def _path(model: ThreatModel, start: str, goal: str, through: set[str], up: bool) -> bool:
    """Whether ``goal`` is reached from ``start`` along flows (against them when ``up``),
    passing only through elements of the kinds ``through``."""
    kinds = {e.id: e.kind for e in model.elements}
    edges = _flows(model)
    frontier, seen = [start], {start}
    while frontier:
        nxt = []
        for n in frontier:
            for a, b in edges:
                m = a if up and b == n else b if not up and a == n else None
                if m is None or m in seen:
                    continue
                if m == goal:
                    return True
                seen.add(m)
                if kinds[m] in through:
                    nxt.append(m)
        frontier = nxt
    return False


CARRIERS = {"model_artifact", "model_registry", "process", "evaluation_job"}


def _check_lineage(model: ThreatModel, e: Any, lin: Any) -> None:
    """Lineage only along real flows (see workbench.export.model_card.lineage)."""
    kinds = {x.id: x.kind for x in model.elements}
    flows = _flows(model)
    for p in lin.producers:  # a producer writes the model, straight or via carriers
        assert (p.id, e.id) in flows or _path(model, e.id, p.id, CARRIERS, up=True)
    for b in lin.base_models:  # a base model feeds one of the producers directly
        assert any((b.id, p.id) in flows for p in lin.producers), (e.id, b.id)
    for d in lin.training_data:
        assert any((d.id, p.id) in flows for p in lin.producers), (e.id, d.id)
    for s in lin.serving:
        if e.kind == "foundation_model_api":
            assert (s.id, e.id) in flows or (e.id, s.id) in flows
        else:
            assert _path(model, e.id, s.id, CARRIERS, up=False), (e.id, s.id)
    front = {"client_app", "process", "guardrail"}
    for u in lin.users:
        assert kinds[u.id] in ("user", "external_service", "external_entity"), u.id
        assert any(_path(model, s.id, u.id, front, up=True) for s in lin.serving), u.id
    # a sibling the model never flows through is no part of its lineage
    related = {x.id for x in lin.elements()} | {x.id for x in lin.users}
    along = CARRIERS | {"training_job", "fine_tuning_job"}
    for other in card_elements(model):
        if other.id != e.id and other.id in related:
            assert _path(model, e.id, other.id, along, up=True) or _path(
                model, e.id, other.id, along, up=False
            ), (e.id, other.id)


def _check_statements(model: ThreatModel, e: Any, lin: Any, card: Any) -> None:
    """Ownership from the element, personal data really sent, no doubled words."""
    import re

    items = {it.label: it.value for s in card.sections for it in s.items}
    owner = items["Developed and owned by"]
    if e.owner:  # the element's owner, or a third party, never the system's owners
        assert owner == e.owner
    elif owner is not None:
        assert owner.startswith("a third party"), owner
    pii_assets = {a.name for a in model.assets if a.pii}
    for fact in personal_data(model, e, lin):
        m = re.fullmatch(r"(.+) sends it (.+)", fact)
        if m:
            assert set(m.group(2).split(", ")) <= pii_assets, fact
    md = to_markdown(card)
    doubled = re.findall(r"\b([A-Za-z]{2,}) \1\b", md.split("## Risk assessment")[0])
    assert not doubled, (e.id, doubled)


@pytest.mark.parametrize("name", names())
def test_every_card_states_only_facts_of_its_model(name: str, catalog: Any) -> None:
    """Each fact a card states is checked against the model it came from: lineage only
    along real flows, ownership from the element, users who call what serves it, the
    personal data it really receives, and no doubled words."""
    analysis = analyze(load_template(name), catalog)
    for e in card_elements(analysis.model):
        lin = lineage(analysis.model, e.id)
        _check_lineage(analysis.model, e, lin)
        _check_statements(analysis.model, e, lin, build_card(analysis, e.id, date=DATE))


def test_rag_cards_name_no_sibling_and_no_system_owner(catalog: Any) -> None:
    """The issue's example: the chat API's card named the embedding API as its base
    model and the platform team as its developer."""
    analysis = analyze(load_template("rag_assistant"), catalog)
    for eid in ("llm_api", "embedding_api"):
        card = build_card(analysis, eid, date=DATE)
        items = {it.label: it.value for s in card.sections for it in s.items}
        assert items["Base models"] is None
        assert (items["Developed and owned by"] or "").startswith("a third party")
        assert items["Primary intended users"] == analysis.model.element("customer").name
        assert "Operator" not in (items["Primary intended users"] or "")
    tags = {
        e: build_card(analysis, e, date=DATE).front_matter.get("pipeline_tag")
        for e in ("llm_api", "embedding_api")
    }
    assert tags == {"llm_api": "text-generation", "embedding_api": "feature-extraction"}
