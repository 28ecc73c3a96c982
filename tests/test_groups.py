"""Findings grouped by cause."""

from __future__ import annotations

import pytest

from workbench import ThreatModel
from workbench.engine import analyze
from workbench.engine.groups import missing_properties

STARTERS = ["rag_assistant", "llm_agent_tools", "fine_tuning_pipeline", "fraud_classifier"]


@pytest.mark.parametrize("name", STARTERS)
def test_every_finding_is_in_exactly_one_group(name: str) -> None:
    a = analyze(ThreatModel.from_template(name))
    members = [m for g in a.groups for m in g.members]
    assert sorted(members) == sorted(f.id for f in a.findings)
    assert len(members) == len(set(members))
    assert len(a.groups) < len(a.findings)  # something was grouped
    scores = [g.score for g in a.groups]
    assert scores == sorted(scores, reverse=True)
    for g in a.groups:
        worst = max(a.finding(m).score for m in g.members)
        assert g.score == worst
        assert a.group_of(g.members[0]) is g


def test_one_missing_control_on_one_element_is_one_group() -> None:
    a = analyze(ThreatModel.from_template("rag_assistant"))
    g = next(g for g in a.groups if g.id == "missing:vector_store:authorization")
    assert g.cause == "missing_control"
    assert g.title == "Vector store has no authorization"
    assert g.fix == "MIT-AUTHZ"
    assert len(g.members) >= 2
    for fid in g.members:
        f = a.finding(fid)
        assert f.target == "vector_store"
        threat = a.catalog.threats[f.threat_id]
        assert "authorization" in missing_properties(
            threat.applies_to, a.model.element("vector_store")
        )


def test_one_threat_on_several_targets_is_one_group() -> None:
    a = analyze(ThreatModel.from_template("llm_agent_tools"))
    threat_groups = [g for g in a.groups if g.cause == "threat"]
    assert threat_groups
    for g in threat_groups:
        tids = {a.finding(m).threat_id for m in g.members}
        assert len(tids) == 1
        assert g.id == f"threat:{tids.pop()}"
        assert len(g.targets) == len(g.members) >= 2
        assert f"on {len(g.members)} targets" in g.title
        assert g.fix in a.catalog.mitigations


def test_a_group_s_fix_is_not_already_in_place_everywhere() -> None:
    for name in STARTERS:
        a = analyze(ThreatModel.from_template(name))
        for g in a.groups:
            if g.fix:
                assert not all(g.fix in a.finding(m).in_place for m in g.members), g.id
