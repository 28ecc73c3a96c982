"""Triage that matches how teams decide (issue 16, part 3): every status's effect on residual
risk and on the CI gate, review dates and their expiry, decisions on a threat in a scope,
old files, and where statuses show (CLI, registers, SARIF, report, OTM, Threat Dragon)."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import REFERENCE
from tests.test_cli import run
from workbench import Decision, ThreatModel
from workbench.catalog import Catalog, load_catalog
from workbench.engine import Analysis, analyze
from workbench.errors import ModelFileError
from workbench.export import to_csv, to_json, to_sarif, to_table
from workbench.io import load_warnings, loads_model
from workbench.json_schema import model_schema
from workbench.model import DecisionScope
from workbench.model.statuses import STATUS_RULES, STATUSES, TODAY_ENV, today
from workbench.register import build_register, diff_registers

HERE = Path(__file__).resolve().parent
CATALOG = HERE / "fixtures" / "engine_catalog"
SARIF_SCHEMA = REFERENCE / "sarif" / "sarif-schema-2.1.0.json"
TODAY = dt.date(2026, 12, 1)

# Findings of this model with the test catalog (inherent likelihood x impact):
#   TEST-DOS-001 on gw, bot, svc, ext (5x2 = 10, high)
#   TEST-PI-001 on gw, bot (4x3 = 12, high)
#   TEST-FLOW-001 on f1 (customer -> gw), f2 (gw -> bot), f4 (svc -> ext) (medium)
MODEL = """\
system: {name: Triage demo}
risk_tolerance: {accept_up_to: low, review_cadence_days: 30}
boundaries:
  - {id: inet, name: Internet, trust: untrusted}
  - {id: corp, name: Corporate}
  - {id: dmz, name: DMZ, parent: corp}
  - {id: app, name: App zone, parent: corp}
elements:
  - {id: customer, kind: user, name: Customer, boundary: inet}
  - {id: gw, kind: llm_app, name: Gateway, boundary: dmz, properties: {exposure: internet}}
  - {id: bot, kind: agent, name: Bot, boundary: app, properties: {exposure: internet}}
  - {id: svc, kind: process, name: Service, boundary: app, properties: {exposure: internet}}
  - {id: ext, kind: process, name: Partner API, properties: {exposure: internet}}
flows:
  - {id: f1, source: customer, target: gw}
  - {id: f2, source: gw, target: bot}
  - {id: f3, source: bot, target: svc}
  - {id: f4, source: svc, target: ext}
"""


@pytest.fixture(scope="module")
def test_catalog() -> Catalog:
    return load_catalog(CATALOG, builtin=False)


def with_decisions(decisions: str) -> str:
    return MODEL + "decisions:\n" + decisions


def analysis_of(text: str, catalog: Catalog) -> Analysis:
    return analyze(loads_model(text, "m.yaml"), catalog)


def entries(text: str, catalog: Catalog, day: dt.date = TODAY) -> dict[str, Any]:
    return {e.id: e for e in build_register(analysis_of(text, catalog), today=day).entries}


def check(path: Path, *extra: str) -> tuple[int, str, str]:
    return run(
        "check", str(path), "--fail-on", "high", "--catalog", str(CATALOG), "--no-builtin", *extra
    )


# ============================================================================ statuses
# Written out here, not read from STATUS_RULES, so that a change to the rules fails a test.
EXPECTED: dict[str, tuple[tuple[int, int], str, bool]] = {
    # status: (residual likelihood x impact of TEST-DOS-001@gw, residual risk, counts for check)
    "open": ((5, 2), "high", True),
    "in_progress": ((5, 2), "high", True),
    "mitigated": ((3, 2), "medium", False),
    "accepted": ((5, 2), "high", False),
    "transferred": ((5, 2), "high", False),
    "avoided": ((0, 0), "info", False),
    "false_positive": ((0, 0), "info", False),
    "not_applicable": ((0, 0), "info", False),
}
FIELDS = "owner: Team, rationale: Because., review_by: '2027-06-30'"


def test_every_status_has_one_rule_and_one_expectation() -> None:
    assert tuple(STATUS_RULES) == STATUSES
    assert set(EXPECTED) == set(STATUSES)


@pytest.mark.parametrize("status", list(EXPECTED))
def test_each_status_sets_residual_risk_and_the_gate(
    status: str, test_catalog: Catalog, tmp_path: Path
) -> None:
    text = with_decisions(f"  - {{finding: TEST-DOS-001@gw, status: {status}, {FIELDS}}}\n")
    e = entries(text, test_catalog)["TEST-DOS-001@gw"]
    (rl, ri), risk, counts = EXPECTED[status]
    assert e.status == status
    assert (e.residual_likelihood, e.residual_impact) == (rl, ri)
    assert e.residual_risk == risk
    assert e.is_open is counts
    assert e.closed is (rl == 0)
    assert not e.expired
    p = tmp_path / "m.yaml"
    p.write_text(text, encoding="utf-8")
    code, out, _ = check(p, "--today", "2026-12-01")
    assert code == 1  # the other DOS and PI findings are open and high
    assert ("HIGH     TEST-DOS-001@gw:" in out) is counts


def test_team_residual_scores_win_except_when_the_finding_is_closed(
    test_catalog: Catalog,
) -> None:
    text = with_decisions(
        "  - {finding: TEST-DOS-001@gw, status: in_progress, residual_likelihood: 1}\n"
        "  - {finding: TEST-DOS-001@bot, status: false_positive, rationale: r,"
        " residual_likelihood: 5, residual_impact: 5}\n"
    )
    got = entries(text, test_catalog)
    assert (got["TEST-DOS-001@gw"].residual_likelihood, got["TEST-DOS-001@gw"].residual_risk) == (
        1,
        "low",
    )
    assert got["TEST-DOS-001@bot"].residual_score == 0


def test_above_tolerance_counts_open_and_accepted_not_closed(test_catalog: Catalog) -> None:
    text = with_decisions(
        f"  - {{finding: TEST-DOS-001@gw, status: accepted, {FIELDS}}}\n"
        f"  - {{finding: TEST-DOS-001@bot, status: transferred, {FIELDS}}}\n"
        f"  - {{finding: TEST-DOS-001@svc, status: not_applicable, {FIELDS}}}\n"
        "  - {finding: TEST-DOS-001@ext, status: in_progress}\n"
    )
    got = entries(text, test_catalog)
    assert got["TEST-DOS-001@gw"].above_tolerance  # accepted above tolerance: sign-off
    assert not got["TEST-DOS-001@bot"].above_tolerance
    assert not got["TEST-DOS-001@svc"].above_tolerance
    assert got["TEST-DOS-001@ext"].above_tolerance


# ============================================================================ review dates
def test_an_acceptance_past_its_review_date_counts_as_open_again(test_catalog: Catalog) -> None:
    text = with_decisions(
        "  - {finding: TEST-DOS-001@gw, status: accepted, owner: Ops, rationale: r,"
        " review_by: 2026-10-01}\n"
        "  - {finding: TEST-DOS-001@bot, status: transferred, owner: Insurer, rationale: r,"
        " review_by: 2026-11-30}\n"
        "  - {finding: TEST-DOS-001@svc, status: not_applicable, rationale: r,"
        " review_by: 2026-12-01}\n"
    )
    got = entries(text, test_catalog, TODAY)
    gw, bot, svc = (got[f"TEST-DOS-001@{x}"] for x in ("gw", "bot", "svc"))
    assert (gw.status, gw.expired, gw.is_open, gw.state) == (
        "accepted",
        True,
        True,
        "accepted (expired)",
    )
    assert gw.expiry_note() == "accepted until 2026-10-01, expired: review it"
    assert bot.expired
    assert bot.is_open
    # due on the day itself is still valid; a closed finding that expires has its risk back
    assert not svc.expired
    assert svc.residual_score == 0
    later = entries(text, test_catalog, dt.date(2026, 12, 2))["TEST-DOS-001@svc"]
    assert later.expired
    assert later.residual_risk == "high"
    earlier = entries(text, test_catalog, dt.date(2026, 9, 30))
    assert not any(e.expired for e in earlier.values())


def test_check_fails_on_an_expired_acceptance_with_one_line_each(
    test_catalog: Catalog, tmp_path: Path
) -> None:
    decided = "".join(
        f"  - {{finding: {fid}, status: mitigated}}\n"
        for fid in ("TEST-DOS-001@bot", "TEST-DOS-001@svc", "TEST-DOS-001@ext")
    )
    decided += "".join(
        f"  - {{finding: {fid}, status: false_positive, rationale: r}}\n"
        for fid in ("TEST-PI-001@gw", "TEST-PI-001@bot")
    )
    p = tmp_path / "m.yaml"
    p.write_text(
        with_decisions(
            decided + "  - {finding: TEST-DOS-001@gw, status: accepted, owner: Ops,"
            " rationale: r, review_by: 2026-10-01}\n"
        ),
        encoding="utf-8",
    )
    code, out, _ = check(p, "--today", "2026-09-01")
    assert code == 0, out
    assert "expired: review it" not in out
    assert "1 expired" not in out
    code, out, _ = check(p, "--today", "2026-12-01")
    assert code == 1
    lines = out.splitlines()
    assert (
        f"{p}: HIGH     TEST-DOS-001@gw: Exposed endpoint without rate limiting (on Gateway): "
        "accepted until 2026-10-01, expired: review it"
    ) in lines
    assert lines[-1] == (
        f"{p}: FAIL: 1 open finding(s) at or above 'high' (9 findings, 6 decided, 1 expired)"
    )


def test_expired_below_the_level_is_a_note(tmp_path: Path) -> None:
    p = tmp_path / "m.yaml"
    p.write_text(
        with_decisions(
            "  - {finding: TEST-FLOW-001@f1, status: accepted, owner: o, rationale: r,"
            " review_by: 2026-01-01}\n"
        ),
        encoding="utf-8",
    )
    _, out, _ = check(p, "--today", "2026-12-01")
    assert (
        f"{p}: note: TEST-FLOW-001@f1: accepted until 2026-01-01, expired: review it "
        "(residual risk medium, below 'high')"
    ) in out.splitlines()


def test_today_comes_from_the_option_then_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = tmp_path / "m.yaml"
    p.write_text(
        with_decisions(
            "  - {finding: TEST-DOS-001@gw, status: accepted, owner: o, rationale: r,"
            " review_by: 2026-10-01}\n"
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv(TODAY_ENV, "2026-09-01")
    assert today() == dt.date(2026, 9, 1)
    assert "expired" not in check(p)[1]
    assert "expired: review it" in check(p, "--today", "2026-10-02")[1]
    monkeypatch.setenv(TODAY_ENV, "2026-10-02")
    assert "expired: review it" in check(p)[1]
    monkeypatch.delenv(TODAY_ENV)
    assert today() == dt.date.today()
    monkeypatch.setenv(TODAY_ENV, "soon")
    with pytest.raises(ValueError, match="THREAT_WORKBENCH_TODAY: expected a date"):
        today()
    with pytest.raises(SystemExit):  # argparse: usage error, exit 2
        run("check", str(p), "--today", "2026-13-01")


def test_analyze_shows_expired_and_scoped_decisions(tmp_path: Path) -> None:
    p = tmp_path / "m.yaml"
    p.write_text(
        with_decisions(
            "  - {finding: TEST-DOS-001@gw, status: accepted, owner: o, rationale: r,"
            " review_by: 2026-10-01}\n"
            "  - {threat: TEST-PI-001, scope: all, status: false_positive, rationale: r}\n"
        ),
        encoding="utf-8",
    )
    args = ("--catalog", str(CATALOG), "--no-builtin", "--today", "2026-12-01")
    code, out, _ = run("analyze", str(p), *args)
    assert code == 0
    assert re.search(r"accepted !expired\s.*TEST-DOS-001@gw", out)
    assert re.search(r"false_positive\*\s.*TEST-PI-001@gw", out)
    assert "expired: TEST-DOS-001@gw: accepted until 2026-10-01, expired: review it" in out
    doc = json.loads(run("analyze", str(p), "--format", "json", *args)[1])
    gw = next(f for f in doc["findings"] if f["id"] == "TEST-DOS-001@gw")
    assert (gw["status"], gw["expired"], gw["review_by"]) == ("accepted", True, "2026-10-01")
    assert doc["summary"]["expired"] == 1
    assert doc["summary"]["today"] == "2026-12-01"


def test_set_decision_gives_an_acceptance_a_review_date() -> None:
    m = ThreatModel.from_yaml(MODEL)
    d = Decision(finding="TEST-DOS-001@gw", status="accepted", owner="o", rationale="r")
    got = m.set_decision(d, today=dt.date(2026, 12, 1)).decision("TEST-DOS-001@gw")
    assert got is not None
    assert (got.decided, got.review_by) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    dated = d.model_copy(update={"decided": dt.date(2026, 1, 1)})
    got = m.set_decision(dated).decision("TEST-DOS-001@gw")
    assert got is not None
    assert got.review_by == dt.date(2026, 1, 31)
    own = d.model_copy(update={"review_by": dt.date(2030, 1, 1)})
    got = m.set_decision(own).decision("TEST-DOS-001@gw")
    assert got is not None
    assert (got.decided, got.review_by) == (None, dt.date(2030, 1, 1))


# ============================================================================ scopes
SCOPED = (
    # every DOS finding inside the corporate boundary (gw in dmz, bot and svc in app)
    "  - {threat: TEST-DOS-001, scope: {boundary: corp}, status: not_applicable,"
    " rationale: behind the corporate WAF}\n"
    # the app zone is nested in corp: more specific
    "  - {threat: TEST-DOS-001, scope: {boundary: app}, status: transferred, owner: CDN,"
    " rationale: the CDN absorbs floods}\n"
    # a decision on the finding itself beats both
    "  - {finding: TEST-DOS-001@svc, status: in_progress, owner: Platform}\n"
    # flows with both ends inside corp: only f2 (f1 comes from the internet, f4 leaves)
    "  - {threat: TEST-FLOW-001, scope: {boundary: corp}, status: accepted, owner: o,"
    " rationale: internal network, review_by: 2027-06-30}\n"
    # an element and its flows
    "  - {threat: TEST-FLOW-001, scope: {element: ext}, status: avoided, rationale: mTLS now}\n"
    # everywhere
    "  - {threat: TEST-PI-001, scope: all, status: false_positive, rationale: no prompts}\n"
)


def test_a_scoped_decision_applies_to_every_matching_finding(test_catalog: Catalog) -> None:
    got = entries(with_decisions(SCOPED), test_catalog)
    applied = {i: (e.status, e.applied) for i, e in got.items()}
    assert applied == {
        "TEST-DOS-001@gw": ("not_applicable", "TEST-DOS-001@boundary:corp"),
        "TEST-DOS-001@bot": ("transferred", "TEST-DOS-001@boundary:app"),
        "TEST-DOS-001@svc": ("in_progress", "TEST-DOS-001@svc"),
        "TEST-DOS-001@ext": ("open", ""),
        "TEST-FLOW-001@f1": ("open", ""),
        "TEST-FLOW-001@f2": ("accepted", "TEST-FLOW-001@boundary:corp"),
        "TEST-FLOW-001@f4": ("avoided", "TEST-FLOW-001@element:ext"),
        "TEST-PI-001@gw": ("false_positive", "TEST-PI-001@*"),
        "TEST-PI-001@bot": ("false_positive", "TEST-PI-001@*"),
    }
    assert [e.id for e in got.values() if e.scoped] == [
        "TEST-DOS-001@bot",
        "TEST-DOS-001@gw",
        "TEST-FLOW-001@f2",
        "TEST-FLOW-001@f4",
        "TEST-PI-001@bot",
        "TEST-PI-001@gw",
    ]


def test_an_element_scope_beats_a_boundary_and_all(test_catalog: Catalog) -> None:
    text = with_decisions(
        "  - {threat: TEST-DOS-001, scope: all, status: accepted, owner: o, rationale: r,"
        " review_by: 2027-01-01}\n"
        "  - {threat: TEST-DOS-001, scope: {boundary: corp}, status: transferred, owner: o,"
        " rationale: r}\n"
        "  - {threat: TEST-DOS-001, scope: {element: bot}, status: avoided, rationale: r}\n"
        "  - {threat: TEST-FLOW-001, scope: {element: gw}, status: mitigated}\n"
        "  - {threat: TEST-FLOW-001, scope: {element: bot}, status: in_progress}\n"
    )
    got = entries(text, test_catalog)
    assert got["TEST-DOS-001@bot"].status == "avoided"
    assert got["TEST-DOS-001@gw"].status == "transferred"
    assert got["TEST-DOS-001@ext"].status == "accepted"
    assert got["TEST-FLOW-001@f1"].status == "mitigated"  # gw is f1's target
    assert got["TEST-FLOW-001@f2"].status == "mitigated"  # gw -> bot: the source end wins


def test_scoped_decisions_that_match_nothing_are_orphaned(
    test_catalog: Catalog, tmp_path: Path
) -> None:
    text = with_decisions(
        "  - {threat: TEST-STORE-001, scope: all, status: not_applicable, rationale: r}\n"
        "  - {threat: TEST-DOS-001, scope: {boundary: inet}, status: not_applicable,"
        " rationale: r}\n"
        "  - {threat: TEST-DOS-001, scope: {boundary: gone}, status: not_applicable,"
        " rationale: r}\n"
        "  - {threat: TEST-DOS-001, scope: {element: ext}, status: in_progress}\n"
        "  - {finding: TEST-DOS-001@removed, status: in_progress}\n"
    )
    register = build_register(analysis_of(text, test_catalog), today=TODAY)
    assert [d.key for d in register.orphaned] == [
        "TEST-DOS-001@boundary:gone",
        "TEST-DOS-001@boundary:inet",
        "TEST-DOS-001@removed",
        "TEST-STORE-001@*",
    ]
    p = tmp_path / "m.yaml"
    p.write_text(text, encoding="utf-8")
    out = check(p)[1].splitlines()
    assert (
        f"{p}: note: decision for TEST-DOS-001@boundary:gone matches no finding "
        "(no boundary 'gone' (removed or renamed?))"
    ) in out
    assert (
        f"{p}: note: decision for TEST-DOS-001@boundary:inet matches no finding "
        "(threat TEST-DOS-001 has no finding in boundary 'inet')"
    ) in out
    assert (
        f"{p}: note: decision for TEST-DOS-001@removed matches no finding "
        "(no element or flow 'removed' (removed or renamed?))"
    ) in out
    doc = json.loads(to_json(analysis_of(text, test_catalog)))
    assert doc["orphaned_decisions"] == [d.key for d in register.orphaned]


def test_renaming_an_element_renames_its_scope() -> None:
    m = ThreatModel.from_yaml(
        with_decisions("  - {threat: T, scope: {element: gw}, status: in_progress}\n")
    )
    renamed = m.update_element("gw", id="gateway")
    assert [d.key for d in renamed.decisions] == ["T@element:gateway"]


def test_set_decision_replaces_the_scoped_decision_with_the_same_key() -> None:
    m = ThreatModel.from_yaml(MODEL)
    m = m.set_decision(Decision(threat="T", scope="all", status="in_progress"))
    m = m.set_decision(Decision(threat="T", scope="all", status="avoided", rationale="r"))
    m = m.set_decision(
        Decision(threat="T", scope=DecisionScope(boundary="corp"), status="in_progress")
    )
    assert [(d.key, d.status) for d in m.decisions] == [
        ("T@*", "avoided"),
        ("T@boundary:corp", "in_progress"),
    ]
    d = m.decision("T@boundary:corp")
    assert d is not None
    assert d.scoped


def test_scoped_decisions_survive_saving_a_hand_written_file(tmp_path: Path) -> None:
    p = tmp_path / "m.yaml"
    text = with_decisions(
        "  # suppress in the corporate network\n"
        "  - threat: TEST-DOS-001\n"
        "    scope: {boundary: corp}  # WAF\n"
        "    status: not_applicable\n"
        "    rationale: behind the WAF\n"
    )
    p.write_text(text, encoding="utf-8")
    m = ThreatModel.load(p)
    m.set_decision(Decision(threat="TEST-PI-001", scope="all", status="in_progress")).save(p)
    saved = p.read_text(encoding="utf-8")
    assert saved.startswith(MODEL) or saved.startswith("format_version: 1\n" + MODEL)
    assert "  # suppress in the corporate network\n" in saved
    assert "    scope: {boundary: corp}  # WAF\n" in saved
    assert [d.key for d in ThreatModel.load(p).decisions] == [
        "TEST-DOS-001@boundary:corp",
        "TEST-PI-001@*",
    ]


# ============================================================================ old files
OLD_ACCEPTANCE = """\
format_version: 1
system: {name: Old}
risk_tolerance: {review_cadence_days: 45}
elements:
  - {id: a, kind: llm_app, name: A}
decisions:
  - finding: T1@a
    status: accepted
    owner: CISO
    rationale: Low value target.
    decided: "2026-01-10"
  - {finding: T2@a, status: mitigated}
"""


def test_an_old_acceptance_gets_its_review_date_with_a_warning(tmp_path: Path) -> None:
    p = tmp_path / "old.yaml"
    p.write_text(OLD_ACCEPTANCE, encoding="utf-8")
    m = ThreatModel.load(p)
    d = m.decision("T1@a")
    assert d is not None
    assert (d.status, d.owner, d.decided, d.review_by) == (
        "accepted",
        "CISO",
        dt.date(2026, 1, 10),
        dt.date(2026, 2, 24),  # decided + 45 days
    )
    assert [str(w) for w in load_warnings(m)] == [
        f"{p}:7:5 decisions[0].review_by: set to 2026-02-24 (decided 2026-01-10 + the review "
        "cadence of 45 days): an accepted risk needs a review date; save the model to keep it, "
        "or write your own"
    ]
    code, _out, err = run("validate", str(p))
    assert code == 0
    assert err.startswith(f"warning: {p}:7:5 decisions[0].review_by: set to 2026-02-24")
    m.save(p)
    assert p.read_text(encoding="utf-8") == OLD_ACCEPTANCE.replace(
        '    decided: "2026-01-10"\n', "    decided: \"2026-01-10\"\n    review_by: '2026-02-24'\n"
    )
    again = ThreatModel.load(p)
    assert load_warnings(again) == ()
    assert again == m


def test_an_old_acceptance_without_any_date_is_an_error_with_the_fix(tmp_path: Path) -> None:
    p = tmp_path / "old.yaml"
    p.write_text(OLD_ACCEPTANCE.replace('    decided: "2026-01-10"\n', ""), encoding="utf-8")
    with pytest.raises(ModelFileError) as info:
        ThreatModel.load(p)
    [problem] = info.value.problems
    assert (problem.line, problem.column, problem.path) == (7, 5, "decisions[0].review_by")
    assert problem.message.startswith(
        "an accepted risk needs a review date: add 'review_by: YYYY-MM-DD' (e.g. 2027-01-15, "
        "today plus the model's review cadence of 45 days)"
    )
    code, _, err = run("validate", str(p))
    assert code == 1
    assert f"{p}:7:5 decisions[0].review_by: an accepted risk needs a review date" in err


def test_old_files_with_the_four_statuses_load_unchanged() -> None:
    text = MODEL + (
        "decisions:\n"
        "  - {finding: TEST-DOS-001@gw, status: open}\n"
        "  - {finding: TEST-DOS-001@bot, status: mitigated, mitigations: [MIT-TEST]}\n"
        "  - {finding: TEST-DOS-001@svc, status: transferred, owner: o, rationale: r}\n"
    )
    m = loads_model(text)
    assert load_warnings(m) == ()
    assert [(d.key, d.status) for d in m.decisions] == [
        ("TEST-DOS-001@bot", "mitigated"),
        ("TEST-DOS-001@gw", "open"),
        ("TEST-DOS-001@svc", "transferred"),
    ]


def test_the_readme_example_loads() -> None:
    readme = (HERE.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Decisions: statuses, review dates and scopes", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block is not None
    m = loads_model("system: {name: R}\n" + block.group(1))
    assert [d.key for d in m.decisions] == [
        "AITW-LLM-001@llm_app",
        "AITW-OPS-005@*",
        "AITW-STRIDE-001@boundary:internet",
    ]
    assert "| `false_positive` |" in readme


# ============================================================================ exports
@pytest.fixture(scope="module")
def triaged(test_catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> Analysis:
    p = tmp_path_factory.mktemp("triage") / "model.yaml"
    p.write_text(
        with_decisions(
            SCOPED + "  - {finding: TEST-DOS-001@ext, status: accepted, owner: Ops,"
            " rationale: partner SLA, review_by: 2026-10-01}\n"
        ),
        encoding="utf-8",
    )
    return analyze(ThreatModel.load(p), test_catalog)


def test_sarif_suppressions_are_external_with_the_justification(triaged: Analysis) -> None:
    doc = json.loads(to_sarif(triaged, build_register(triaged, today=TODAY)))
    results = {r["partialFingerprints"]["findingId"]: r for r in doc["runs"][0]["results"]}
    scoped = results["TEST-DOS-001@gw"]["suppressions"]
    assert scoped == [
        {
            "kind": "external",
            "status": "accepted",
            "justification": "behind the corporate WAF (not applicable; decision on "
            "TEST-DOS-001 in scope boundary:corp)",
            "location": {
                "physicalLocation": {
                    "artifactLocation": {"uri": "model.yaml"},
                    "region": {"startLine": 20},  # the scoped decision's line
                }
            },
            "properties": {
                "decision": "TEST-DOS-001@boundary:corp",
                "status": "not_applicable",
                "scoped": True,
                "owner": "",
                "review_by": None,
                "expired": False,
            },
        }
    ]
    # in progress: no suppression; expired: under review, which does not suppress
    assert "suppressions" not in results["TEST-DOS-001@svc"]
    [expired] = results["TEST-DOS-001@ext"]["suppressions"]
    assert expired["status"] == "underReview"
    assert expired["justification"] == (
        "accepted until 2026-10-01, expired: review it. partner SLA (accepted)"
    )
    assert results["TEST-DOS-001@ext"]["properties"]["expired"] is True
    assert results["TEST-PI-001@gw"]["level"] == "note"  # closed: no residual risk
    if SARIF_SCHEMA.is_file():
        jsonschema.validate(doc, json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))


def test_json_and_csv_name_the_decision_that_applied(triaged: Analysis) -> None:
    register = build_register(triaged, today=TODAY)
    doc = json.loads(to_json(triaged, register))
    bot = next(f for f in doc["findings"] if f["id"] == "TEST-DOS-001@bot")
    assert (bot["decision_key"], bot["scoped"]) == ("TEST-DOS-001@boundary:app", True)
    assert bot["decision"]["scope"] == {"boundary": "app"}
    assert bot["decision"]["finding"] is None
    assert bot["decision"]["threat"] == "TEST-DOS-001"
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(to_csv(triaged, register)))}
    assert rows["TEST-DOS-001@ext"]["expired"] == "True"
    assert rows["TEST-DOS-001@ext"]["review_by"] == "2026-10-01"
    assert rows["TEST-PI-001@gw"]["decision_key"] == "TEST-PI-001@*"
    assert rows["TEST-DOS-001@svc"]["decision_key"] == "TEST-DOS-001@svc"
    table = to_table(triaged, register)
    assert "status*: a decision on the threat in a scope applies" in table


def test_diff_reports_an_expiry_and_a_status_change(triaged: Analysis) -> None:
    before = build_register(triaged, today=dt.date(2026, 9, 1))
    after = build_register(triaged, today=TODAY)
    d = diff_registers(before, after)
    assert [(c.id, c.old.state, c.new.state) for c in d.changed] == [
        ("TEST-DOS-001@ext", "accepted", "accepted (expired)")
    ]


def test_cli_diff_takes_today(tmp_path: Path) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(with_decisions("  - {finding: TEST-DOS-001@gw, status: open}\n"))
    new.write_text(with_decisions(SCOPED))
    args = ("--catalog", str(CATALOG), "--no-builtin", "--today", "2026-12-01")
    code, out, _ = run("diff", str(old), str(new), *args)
    assert code == 0
    assert "~ TEST-DOS-001@gw: high → info (score 10 → 0, open → not_applicable)" in out
    assert "+ TEST-PI-001@*: false_positive" in out


def test_report_lists_expired_and_closed_decisions(triaged: Analysis) -> None:
    from workbench.export.report import ReportOptions
    from workbench.export.report.accepted import render as accepted
    from workbench.export.report.context import ReportContext
    from workbench.export.report.summary import render as summary

    ctx = ReportContext(triaged, options=ReportOptions(date=TODAY))
    html = str(accepted(ctx))
    assert "accepted until 2026-10-01, expired: review it" in html
    assert "Closed without residual risk (4)" in html
    assert "scope: boundary:corp" in html
    assert "review by 2027-06-30" in html
    lead = str(summary(ctx))
    assert "Decisions past their review date (1)" in lead
    assert "2 false positive, 1 not applicable, 1 avoided" not in lead  # fixed order:
    assert "1 avoided, 2 false positive, 1 not applicable (closed, no residual risk)" in lead
    # the report's date is the day review dates are compared with
    early = ReportContext(triaged, options=ReportOptions(date=dt.date(2026, 9, 1)))
    assert "expired: review it" not in str(accepted(early))


# ============================================================================ interchange
def test_otm_states_and_a_round_trip_with_scoped_decisions(triaged: Analysis) -> None:
    from workbench.interop.otm import dumps_otm, from_otm

    model = triaged.model
    doc = json.loads(dumps_otm(model, triaged))
    states = {
        t["threat"]: t["state"]
        for x in doc["components"] + doc["dataflows"]
        for t in x.get("threats", [])
    }
    assert states["TEST-DOS-001@gw"] == "not-applicable"
    assert states["TEST-DOS-001@svc"] == "in-progress"
    assert states["TEST-FLOW-001@f4"] == "avoided"
    assert states["TEST-PI-001@bot"] == "false-positive"
    result = from_otm(copy.deepcopy(doc))
    assert result.model == model
    assert result.warnings == ()


def test_threat_dragon_statuses_and_a_round_trip_with_scoped_decisions(
    triaged: Analysis,
) -> None:
    from workbench.interop.threat_dragon import dumps_threat_dragon, from_threat_dragon

    model = triaged.model
    doc = json.loads(dumps_threat_dragon(model, triaged))
    statuses = {
        t["threatId"]: t["status"]
        for d in doc["detail"]["diagrams"]
        for c in d["cells"]
        for t in c.get("data", {}).get("threats", [])
    }
    assert statuses["TEST-DOS-001@gw"] == "NA"
    assert statuses["TEST-DOS-001@svc"] == "Open"  # in progress: Threat Dragon has no such
    assert statuses["TEST-FLOW-001@f4"] == "Avoided"
    assert statuses["TEST-PI-001@bot"] == "NA"
    result = from_threat_dragon(copy.deepcopy(doc))
    assert result.model == model
    assert result.warnings == ()


# ============================================================================ schema
def test_the_schema_takes_scoped_decisions_and_the_new_statuses() -> None:
    validator = jsonschema.Draft202012Validator(model_schema())
    base: dict[str, Any] = {"system": {"name": "S"}}
    good = [
        {"finding": "T@a", "status": "in_progress"},
        {"threat": "T", "scope": "all", "status": "false_positive", "rationale": "r"},
        {"threat": "T", "scope": {"boundary": "b"}, "status": "not_applicable"},
        {"threat": "T", "scope": {"element": "a"}, "status": "avoided"},
        {"finding": "T@a", "status": "accepted", "review_by": "2027-01-01"},
    ]
    for d in good:
        assert validator.is_valid({**base, "decisions": [d]}), d
    bad = [
        {"status": "open"},  # neither a finding nor a threat with a scope
        {"threat": "T", "status": "open"},
        {"threat": "T", "scope": "everywhere"},
        {"finding": "T@a", "status": "wontfix"},
    ]
    for d in bad:
        assert not validator.is_valid({**base, "decisions": [d]}), d
