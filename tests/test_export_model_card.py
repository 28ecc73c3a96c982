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
    schema_path,
    to_markdown,
    to_mct,
    validate_front_matter,
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
        ra = front["risk_assessment"]
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
    front = card.front_matter["risk_assessment"]
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


def test_card_for_any_element_on_request(fine_tuning: Any) -> None:
    card = build_card(fine_tuning, "inference_endpoint", date=DATE)
    validate_front_matter(card.front_matter)
    with pytest.raises(KeyError):
        build_card(fine_tuning, "nope")


def test_validation_rejects_a_broken_front_matter(fine_tuning: Any) -> None:
    card = build_card(fine_tuning, "tuned_model", date=DATE)
    bad = json.loads(json.dumps(card.front_matter))
    bad["risk_assessment"]["findings"][0]["status"] = "ignored"
    del bad["model_name"]
    with pytest.raises(ValueError, match="status") as exc:
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
    assert "risk_assessment" in card.data.to_dict()


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
    assert json.loads(js.read_text(encoding="utf-8"))["schema_version"] == "0.0.2"
