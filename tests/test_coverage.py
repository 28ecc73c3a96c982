"""workbench.register.coverage: mitigation use, control coverage, risk matrix, PASTA status."""

from __future__ import annotations

import pytest

from workbench import ThreatModel
from workbench.engine import analyze
from workbench.model import Decision, Objective, RiskTolerance
from workbench.register import build_register
from workbench.register.coverage import (
    CONTROL_FRAMEWORKS,
    control_coverage,
    controls_of,
    mitigation_use,
    parse_control,
    pasta_status,
    risk_matrix,
    suggested_mitigations,
)

from .test_widgets_canvas import SMALL

FINDING = "AITW-LLM-013@bot"
MITIGATION = "MIT-RATE-LIMIT"


@pytest.fixture
def model() -> ThreatModel:
    return ThreatModel.from_yaml(SMALL)


def _in_place(model: ThreatModel, catalog) -> dict[str, set[str]]:
    analysis = analyze(model, catalog)
    return {
        fc.framework: {c.control for c in fc.controls if c.in_place}
        for fc in control_coverage(analysis)
    }


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("SP800-53:AC-6", ("sp800_53", "AC-6")),
        ("NIST SP 800-53: SC-7", ("sp800_53", "SC-7")),
        ("ISO42001:A.6.2.6", ("iso42001", "A.6.2.6")),
        ("AIRMF:MANAGE 2.4", ("nist_ai_rmf", "MANAGE 2.4")),
        ("NIST AI RMF: GOVERN 1.1", ("nist_ai_rmf", "GOVERN 1.1")),
        ("ATLAS:AML.M0004", ("atlas_mitigation", "AML.M0004")),
        ("A.6.2.6", (None, "A.6.2.6")),
        ("Foo:bar", (None, "Foo:bar")),
    ],
)
def test_parse_control(ref, expected):
    assert parse_control(ref) == expected


def test_mitigation_use_splits_recommended_chosen_implemented(model, catalog):
    other = "AITW-LLM-012@bot"
    model = model.set_decision(
        Decision(finding=FINDING, status="mitigated", mitigations=[MITIGATION])
    ).set_decision(Decision(finding=other, mitigations=["MIT-MONITOR"]))
    register = build_register(analyze(model, catalog))
    use = mitigation_use(register)
    expected = [e.id for e in register.entries if MITIGATION in e.finding.mitigations]
    assert expected  # the catalog recommends rate limiting for some findings here
    assert [e.id for e in use[MITIGATION].recommended] == expected
    assert [e.id for e in use[MITIGATION].implemented] == [FINDING]
    assert use[MITIGATION].status == "implemented"
    assert [e.id for e in use["MIT-MONITOR"].chosen] == [other]
    assert use["MIT-MONITOR"].status == "planned"
    untouched = next(m for m, u in use.items() if not u.chosen and not u.implemented)
    assert use[untouched].status == "recommended"


def test_a_control_is_in_place_only_after_a_mitigated_decision_maps_to_it(model, catalog):
    assert _in_place(model, catalog) == {fw: set() for fw in CONTROL_FRAMEWORKS}
    planned = model.set_decision(Decision(finding=FINDING, mitigations=[MITIGATION]))
    assert _in_place(planned, catalog) == {fw: set() for fw in CONTROL_FRAMEWORKS}
    cov = control_coverage(analyze(planned, catalog))
    sp = next(fc for fc in cov if fc.framework == "sp800_53")
    assert {c.control for c in sp.controls if c.planned_by} == set(
        catalog.mitigations[MITIGATION].controls.sp800_53
    )
    done = model.set_decision(
        Decision(finding=FINDING, status="mitigated", mitigations=[MITIGATION])
    )
    in_place = _in_place(done, catalog)
    expected = controls_of([MITIGATION], catalog)
    assert in_place == {fw: set(expected.get(fw, [])) for fw in CONTROL_FRAMEWORKS}
    assert "SC-5" in in_place["sp800_53"]
    sc5 = next(
        c
        for fc in control_coverage(analyze(done, catalog))
        for c in fc.controls
        if c.control == "SC-5"
    )
    assert sc5.addressed_by == (FINDING,)
    assert MITIGATION in sc5.mitigations
    assert FINDING in sc5.findings


def test_declared_controls_count_only_for_mitigated_decisions(model, catalog):
    refs = ["SP800-53:AU-9", "A.6.2.6"]  # the second has no prefix: matched by catalog ID
    accepted = model.set_decision(
        Decision(finding=FINDING, status="accepted", owner="o", rationale="r", controls=refs)
    )
    assert _in_place(accepted, catalog)["sp800_53"] == set()
    mitigated = model.set_decision(Decision(finding=FINDING, status="mitigated", controls=refs))
    in_place = _in_place(mitigated, catalog)
    assert in_place["sp800_53"] == {"AU-9"}
    assert in_place["iso42001"] == {"A.6.2.6"}
    cov = control_coverage(analyze(mitigated, catalog))
    au9 = next(c for fc in cov for c in fc.controls if c.control == "AU-9")
    assert au9.declared
    assert au9.addressed_by == (FINDING,)


def test_framework_percent_matches_counts(model, catalog):
    done = model.set_decision(
        Decision(finding=FINDING, status="mitigated", mitigations=[MITIGATION])
    )
    for fc in control_coverage(analyze(done, catalog)):
        assert fc.controls
        assert fc.in_place == len(fc.addressed)
        assert fc.percent == pytest.approx(100 * fc.in_place / len(fc.controls))


def test_suggested_mitigations_come_first(model, catalog):
    entry = next(e for e in build_register(analyze(model, catalog)).entries if e.id == FINDING)
    offered = suggested_mitigations(entry, catalog)
    n = len(entry.finding.mitigations)
    assert offered[:n] == list(entry.finding.mitigations)
    assert sorted(offered) == sorted(catalog.mitigations)
    assert offered[n:] == sorted(offered[n:])


def test_controls_of_unions_per_framework(catalog):
    a, b = "MIT-RATE-LIMIT", "MIT-MONITOR"
    out = controls_of([a, b, "MIT-NOT-THERE"], catalog)
    for fw in ("nist_ai_rmf", "iso42001", "sp800_53"):
        ma = getattr(catalog.mitigations[a].controls, fw)
        mb = getattr(catalog.mitigations[b].controls, fw)
        assert out[fw] == sorted(set(ma) | set(mb))
    assert controls_of([], catalog) == {}


def test_risk_matrix_counts_inherent_and_residual(model, catalog):
    register = build_register(analyze(model, catalog))
    matrix = risk_matrix(register.entries)
    assert sum(matrix.inherent.values()) == len(register.entries)
    assert matrix.inherent == matrix.residual
    assert matrix.moved == 0
    f = next(e.finding for e in register.entries if e.id == FINDING)
    done = model.set_decision(Decision(finding=FINDING, status="mitigated"))
    after = risk_matrix(build_register(analyze(done, catalog)).entries)
    assert after.moved == 1
    assert after.residual[(f.likelihood, f.impact)] == matrix.residual[(f.likelihood, f.impact)] - 1
    assert after.residual[(f.likelihood - 2, f.impact)] == (
        matrix.residual[(f.likelihood - 2, f.impact)] + 1
    )
    assert after.inherent == matrix.inherent


def _stages(model: ThreatModel, catalog):
    analysis = analyze(model, catalog)
    return pasta_status(analysis, build_register(analysis))


def test_pasta_status_follows_the_model(model, catalog):
    stages = _stages(model, catalog)
    assert [s.number for s in stages] == list(range(1, 8))
    assert "no objectives recorded" in stages[0].missing
    assert any(m.startswith("no risk tolerance") for m in stages[0].missing)
    high = [m for m in stages[3].missing if "without a decision" in m]
    assert high
    n_high = int(high[0].split()[0])

    objective = Objective(id="o1", title="No data leaks", impact="major", elements=["bot"])
    tolerance = RiskTolerance(accept_up_to="medium", statement="moderate appetite")
    better = model.replace(objectives=[objective], risk_tolerance=tolerance)
    stages = _stages(better, catalog)
    assert stages[0].complete
    assert "1 objective recorded" in stages[0].done
    assert "risk tolerance: accept up to medium" in stages[0].done
    # the objective raises some impacts, so count the undecided high risks again
    high = [m for m in stages[3].missing if "without a decision" in m]
    n_high = int(high[0].split()[0])

    threat = next(
        e.finding.id
        for e in build_register(analyze(better, catalog)).entries
        if e.finding.pasta_stage == 4 and e.finding.risk in ("high", "critical")
    )
    decided = better.set_decision(Decision(finding=threat, status="mitigated"))
    stages = _stages(decided, catalog)
    remaining = [m for m in stages[3].missing if "without a decision" in m]
    assert (int(remaining[0].split()[0]) if remaining else 0) == n_high - 1
    assert stages[6].done[0].startswith("1 mitigated")


def test_pasta_status_reports_attack_paths(catalog):
    model = ThreatModel.from_template("rag_assistant")
    analysis = analyze(model, catalog)
    stage6 = pasta_status(analysis, build_register(analysis))[5]
    assert stage6.done[0].startswith(f"{len(analysis.attack_paths)} attack paths")
    assert analysis.attack_paths[0].id in stage6.done[0]
