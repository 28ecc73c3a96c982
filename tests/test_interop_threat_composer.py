"""AWS Threat Composer (``.tc.json``) export and import.

The workspace schema and the example workspaces are read in place from
``../shared/reference/interop/threat-composer`` (never copied); tests that need them skip
when the folder is absent.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests import conftest
from workbench import ThreatModel
from workbench.catalog import Catalog
from workbench.engine import Analysis, analyze
from workbench.errors import ModelFileError
from workbench.interop import detect_format, export_model, import_file, import_text
from workbench.interop.threat_composer import (
    FINDING_KEY,
    MODEL_HEADING,
    from_threat_composer,
    md,
    to_threat_composer,
)
from workbench.register import build_register
from workbench.starters import names
from workbench.statements import statements

from .interop_support import REFERENCE, offline_errors

TC = REFERENCE / "threat-composer"
SCHEMA = TC / "threat-composer-v1.schema.json"
needs_tc = conftest.needs_reference("interop", "threat-composer", "threat-composer-v1.schema.json")


@pytest.fixture(scope="module")
def rich_analysis(rich: ThreatModel, catalog: Catalog) -> Analysis:
    return analyze(rich, catalog)


@pytest.fixture(scope="module")
def rich_tc(rich: ThreatModel, rich_analysis: Analysis) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(to_threat_composer(rich, rich_analysis)))
    return doc


def threat_of(doc: dict[str, Any], finding: str) -> dict[str, Any]:
    return next(
        t for t in doc["threats"] if {"key": FINDING_KEY, "value": finding} in t.get("metadata", [])
    )


# --------------------------------------------------------------------------- schema
@needs_tc
@pytest.mark.parametrize("name", [*names(), "rich"])
def test_export_validates_and_round_trips(name: str, catalog: Catalog, rich: ThreatModel) -> None:
    model = rich if name == "rich" else ThreatModel.from_template(name)
    analysis = analyze(model, catalog)
    doc = json.loads(export_model(model, "threat-composer", analysis))
    assert offline_errors(doc, SCHEMA) == []
    assert len(doc["threats"]) == len(analysis.findings)
    result = from_threat_composer(doc, "x.tc.json")
    assert result.model == model
    assert (result.warnings, result.unmapped, result.threats) == ((), (), ())


@needs_tc
def test_architecture_only_and_the_check_can_fail(rich: ThreatModel) -> None:
    bare = to_threat_composer(rich, threats=False)
    assert offline_errors(bare, SCHEMA) == []
    assert bare["threats"] == []
    assert from_threat_composer(json.loads(json.dumps(bare))).model == rich
    bad = copy.deepcopy(bare)
    bad["assumptions"][0]["content"] = "x" * 1001
    bad["threats"] = [{"id": "1", "numericId": 1, "status": "threatMaybe"}]
    errors = offline_errors(bad, SCHEMA)
    assert any(e.startswith("['assumptions', 0, 'content']") for e in errors)
    assert any("threatMaybe" in e for e in errors)


# --------------------------------------------------------------------------- grammar
def test_findings_are_threat_grammar_statements(
    rich: ThreatModel, rich_analysis: Analysis, rich_tc: dict[str, Any]
) -> None:
    said = statements(rich_analysis)
    for entry in build_register(rich_analysis).entries:
        f = entry.finding
        s = said[f.id]
        t = threat_of(rich_tc, f.id)
        assert s.source.lower().endswith(t["threatSource"].lower())
        assert not t["threatSource"].lower().startswith(("a ", "an ", "the "))
        assert (t["prerequisites"], t["threatAction"]) == (s.prerequisites, s.action)
        assert s.impact.endswith(t["threatImpact"])
        assert t["impactedAssets"] == [a.name for a in s.assets]
        assert t["impactedGoal"] == list(s.goals)
        assert t["statement"] == s.text
        meta = {m["key"]: m["value"] for m in t["metadata"]}
        assert meta["STRIDE"] == list(f.stride)
        assert meta["custom:status"] == entry.status
        assert meta["Priority"] in ("High", "Medium", "Low")
    assert threat_of(rich_tc, "AITW-STRIDE-011@v")["status"] == "threatResolved"
    assert threat_of(rich_tc, "AITW-LLM-013@app")["status"] == "threatIdentified"


def test_mitigations_and_their_links(rich_analysis: Analysis, rich_tc: dict[str, Any]) -> None:
    by_id = {m["id"]: m for m in rich_tc["mitigations"]}
    meta = {
        next(x["value"] for x in m["metadata"] if x["key"] == "custom:mitigation"): m
        for m in by_id.values()
    }
    assert meta["MIT-BACKUP"]["status"] == "mitigationResolved"  # a mitigated decision chose it
    threat = threat_of(rich_tc, "AITW-STRIDE-011@v")
    linked = {
        next(
            x["value"]
            for x in by_id[link["mitigationId"]]["metadata"]
            if x["key"] == "custom:mitigation"
        )
        for link in rich_tc["mitigationLinks"]
        if link["linkedId"] == threat["id"]
    }
    f = rich_analysis.finding("AITW-STRIDE-011@v")
    assert linked == {*f.mitigations, "MIT-BACKUP", "MIT-ENCRYPT-REST"}
    assert all(len(link["mitigationId"]) == 36 for link in rich_tc["mitigationLinks"])


def test_descriptions_are_markdown_with_names_escaped(
    rich: ThreatModel, rich_tc: dict[str, Any]
) -> None:
    arch = rich_tc["architecture"]["description"]
    assert re.search(r"(?<!\\)<img", arch.split(MODEL_HEADING)[0]) is None
    assert md("Customer <img src=x onerror=alert(1)>") in arch
    assert "### Trust boundaries" in arch
    assert "- **Data subnet** (trusted, inside VPC)" in arch
    flows = rich_tc["dataflow"]["description"]
    assert "Assistant service → Hosted model: **prompt** (not authenticated)" in flows
    assert rich_tc["applicationInfo"]["name"] == rich.system.name
    assert (
        "- Owners: ML Platform, Security, Risk & Compliance"
        in md(rich_tc["applicationInfo"]["description"])
        or "Owners:" in rich_tc["applicationInfo"]["description"]
    )
    assert md("a *b* `c` <d>") == "a \\*b\\* \\`c\\` \\<d\\>"


def test_a_fence_in_a_name_cannot_end_the_model_block(rich: ThreatModel) -> None:
    model = rich.update_element("app", description="```\nsystem: evil\n``````\n~~~")
    doc = json.loads(json.dumps(to_threat_composer(model, threats=False)))
    back = from_threat_composer(doc).model
    assert back == model


# --------------------------------------------------------------------------- edits
def test_statuses_changed_in_threat_composer_become_decisions(rich_tc: dict[str, Any]) -> None:
    doc = copy.deepcopy(rich_tc)
    threat_of(doc, "AITW-LLM-001@app")["status"] = "threatResolved"
    threat_of(doc, "AITW-STRIDE-011@v")["status"] = "threatResolvedNotUseful"
    threat_of(doc, "AITW-LLM-013@app")["status"] = "threatIdentified"  # unchanged: accepted
    doc["assumptions"].append({"id": "new", "numericId": 9, "content": "Backups are tested"})
    result = from_threat_composer(doc)
    m = result.model
    resolved = m.decision("AITW-LLM-001@app")
    assert resolved is not None
    assert (resolved.status, resolved.owner) == ("mitigated", "Bob")
    not_useful = m.decision("AITW-STRIDE-011@v")
    assert not_useful is not None
    assert (not_useful.status, not_useful.rationale) == (
        "false_positive",
        "Threat Composer status 'threatResolvedNotUseful'.",
    )
    assert m.decision("AITW-LLM-013@app").status == "accepted"  # type: ignore[union-attr]
    assert m.scope.assumptions == ["IAM works", "Backups are tested"]


def test_without_the_embedded_model(rich: ThreatModel, rich_tc: dict[str, Any]) -> None:
    doc = copy.deepcopy(rich_tc)
    doc["architecture"]["description"] = doc["architecture"]["description"].split(MODEL_HEADING)[0]
    result = from_threat_composer(doc, "cut.tc.json")
    m = result.model
    assert (m.system.name, len(m.elements), m.scope.assumptions) == (
        rich.system.name,
        0,
        ["IAM works"],
    )
    assert m.system.description.startswith("Line one.")
    assert "Architecture:" in m.scope.description
    assert m.decisions == []
    assert len(result.threats) == len(doc["threats"])


# --------------------------------------------------------------------------- other workspaces
@needs_tc
@pytest.mark.parametrize(
    ("sample", "threats", "assumptions"),
    [("GenAIChatbot.tc.json", 37, 13), ("ThreatComposer.tc.json", 20, 5)],
)
def test_example_workspaces_import(sample: str, threats: int, assumptions: int) -> None:
    raw = json.loads((TC / sample).read_text(encoding="utf-8"))
    result = import_file(TC / sample)
    assert result.format == "threat-composer"
    m = result.model
    assert m.system.name == raw["applicationInfo"]["name"].strip()
    assert len(m.scope.assumptions) == assumptions
    assert len(result.threats) == threats
    assert result.warnings == ()
    first = result.threats[0]
    assert first.title == raw["threats"][0]["statement"]
    assert first.severity in ("High", "Medium", "Low")
    assert "architecture: image" in result.unmapped
    linked = [t for t in result.threats if t.mitigations]
    assert linked
    assert analyze(m) is not None


# --------------------------------------------------------------------------- hostile input
@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"schema": 1, "threats": {}}, "threats: expected a list"),
        ({"schema": 1, "applicationInfo": []}, "applicationInfo: expected an object"),
    ],
)
def test_bad_workspaces_are_refused(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(ModelFileError, match=message):
        from_threat_composer(doc, "bad.tc.json")


def test_not_a_workspace_is_refused() -> None:
    with pytest.raises(ModelFileError, match="not a Threat Composer workspace"):
        from_threat_composer({"schema": True, "threats": []}, "x")
    assert detect_format({"schema": 1, "threats": []}) == "threat-composer"
    assert detect_format({"schema": 1}) is None


def test_a_broken_or_hostile_model_block_is_left_out_with_a_warning(
    rich_tc: dict[str, Any],
) -> None:
    doc = copy.deepcopy(rich_tc)
    head = doc["architecture"]["description"].split(MODEL_HEADING)[0]
    doc["architecture"]["description"] = (
        f"{head}{MODEL_HEADING}\n\n```yaml\nsystem: !!python/object:os.system {{}}\n```\n"
    )
    result = from_threat_composer(doc, "evil.tc.json")
    assert [w.path for w in result.warnings] == ["architecture.description"]
    assert "is not valid" in result.warnings[0].message
    assert result.model.elements == []
    doc["architecture"]["description"] = f"{MODEL_HEADING}\n\nno block"
    assert "has no YAML" in from_threat_composer(doc).warnings[0].message


def test_items_of_the_wrong_shape_are_dropped(rich_tc: dict[str, Any]) -> None:
    doc = copy.deepcopy(rich_tc)
    doc["threats"].append("not a threat")
    doc["assumptions"].append(7)
    doc["threats"].append(
        {
            "id": "x",
            "numericId": 1,
            "status": "threatMaybe",
            "metadata": [{"key": FINDING_KEY, "value": "AITW-LLM-001@app"}],
        }
    )
    result = from_threat_composer(doc, "w.tc.json")
    paths = [w.path for w in result.warnings]
    n = len(rich_tc["threats"])
    assert paths == [
        f"assumptions[{len(rich_tc['assumptions'])}]",
        f"threats[{n}]",
        f"threats[{n + 1}].status",
    ]
    assert result.model.decision("AITW-LLM-001@app") is not None


def test_cli_round_trip_and_refusals(tmp_path: Path) -> None:
    from tests.test_interop_cli import FIXTURES, run

    model = tmp_path / "model.yaml"
    model.write_text((FIXTURES / "rich.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "model.tc.json"
    code, _, err = run("export", model, "--to", "threat-composer", "-o", out)
    assert code == 0, err
    back = tmp_path / "back.yaml"
    code, _, err = run("import", out, "-o", back)
    assert code == 0, err
    assert "threat-composer:" in err
    assert ThreatModel.load(back) == ThreatModel.load(model)
    code, _, err = run("export", model, "--to", "threat-composer", "-o", tmp_path / "x.yaml")
    assert code == 2
    assert "Threat Composer files are JSON" in err
    assert import_text(out.read_text(encoding="utf-8")).format == "threat-composer"
