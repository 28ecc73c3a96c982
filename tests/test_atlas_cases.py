"""The ATLAS case-study benchmark: its drawings, its technique lists and its scoring.

The case models live in ``benchmarks/atlas_cases``; ``benchmarks/bench_atlas.py`` scores them.
Checks against ATLAS.yaml read ``../shared/reference`` in place and skip when it is absent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks.bench_atlas import (
    CASES_FILE,
    DEFAULT_ATLAS,
    Case,
    CaseTechnique,
    cites,
    is_counted,
    load_atlas_tactics,
    load_cases,
    main,
    parent,
    score_case,
)
from tests.conftest import reference_missing
from workbench import ThreatModel

CASES = load_cases(CASES_FILE)
CASE_IDS = [c.id for c in CASES]
ATTACK_WORDS = re.compile(r"attacker|adversar|malicious|poison|exploit|evil", re.IGNORECASE)
needs_atlas = pytest.mark.skipif(
    not DEFAULT_ATLAS.is_file(), reason=reference_missing("mitre-atlas", DEFAULT_ATLAS.name)
)


@cache
def _model(path: Path) -> ThreatModel:
    return ThreatModel.load(path)


@cache
def _atlas() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEFAULT_ATLAS.read_text(encoding="utf-8"))
    return data


@cache
def _atlas_tactics() -> dict[str, tuple[str, ...]]:
    return load_atlas_tactics(DEFAULT_ATLAS)


def test_at_least_twenty_cases() -> None:
    assert len(CASES) >= 20
    assert len(set(CASE_IDS)) == len(CASE_IDS), "a case is listed twice"


def test_every_model_file_is_listed() -> None:
    files = {p.name for p in CASES_FILE.parent.glob("AML.CS*.yaml")}
    assert files == {c.model.name for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_case_model_loads_and_says_where_it_comes_from(case: Case) -> None:
    model = _model(case.model)
    assert case.id in model.system.description
    assert model.scope.assumptions, "state what was assumed"
    assert any(b.trust == "untrusted" for b in model.boundaries), "no Internet boundary"
    assert 6 <= len(model.elements) <= 15


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_on_ids_exist_in_the_model(case: Case) -> None:
    model = _model(case.model)
    known = {e.id for e in model.elements} | {f.id for f in model.flows}
    unknown = {t.id: sorted(set(t.on) - known) for t in case.techniques if set(t.on) - known}
    assert not unknown, f"{case.id}: `on` names IDs not in {case.model.name}: {unknown}"


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_counted_techniques_say_where_they_landed(case: Case) -> None:
    missing = [t.id for t in case.techniques if is_counted(t.tactics) and not t.on]
    assert not missing, f"{case.id}: counted techniques without `on`: {missing}"


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_no_attack_words_in_ids_or_names(case: Case) -> None:
    model = _model(case.model)
    parts: list[tuple[str, str]] = [(e.id, e.name) for e in model.elements]
    parts += [(f.id, f.name) for f in model.flows]
    parts += [(b.id, b.name) for b in model.boundaries]
    parts += [(a.id, a.name) for a in model.assets]
    bad = [f"{i} ({n})" for i, n in parts if ATTACK_WORDS.search(i) or ATTACK_WORDS.search(n)]
    assert not bad, f"{case.id}: named after the attack: {bad}"


@needs_atlas
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_techniques_match_the_case_study_procedure(case: Case) -> None:
    atlas = _atlas()
    studies = {c["id"]: c for c in atlas["case-studies"]}
    known = {t["id"] for t in atlas["matrices"][0]["techniques"]}
    listed = [t.id for t in case.techniques]
    assert not set(listed) - known, f"not ATLAS techniques: {sorted(set(listed) - known)}"
    assert case.id in studies
    assert case.title == studies[case.id]["name"]
    procedure = [p["technique"] for p in studies[case.id]["procedure"]]
    assert sorted(set(listed)) == sorted(set(procedure))


@needs_atlas
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_recorded_tactics_match_atlas(case: Case) -> None:
    tactics = _atlas_tactics()
    wrong = {t.id: t.tactics for t in case.techniques if t.tactics != tactics[t.id]}
    assert not wrong, f"{case.id}: recorded tactics differ from ATLAS.yaml: {wrong}"
    assert all(t.tactic in t.tactics for t in case.techniques)


# --- scoring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeFinding:
    target: str
    target_type: str
    atlas: tuple[str, ...]


def test_parent_and_cites() -> None:
    assert parent("AML.T0051.001") == "AML.T0051"
    assert parent("AML.T0051") == "AML.T0051"
    assert cites("AML.T0051.001", "AML.T0051.001")
    assert cites("AML.T0051.001", "AML.T0051")  # the parent
    assert cites("AML.T0051", "AML.T0051.002")  # a sub-technique
    assert not cites("AML.T0048.004", "AML.T0048.001")  # a sibling
    assert not cites("AML.T0005", "AML.T0051")  # a prefix is not a parent


TINY = Case(
    id="AML.CS9999",
    title="tiny",
    model=Path("unused.yaml"),
    techniques=(
        CaseTechnique("AML.T0000", (), "Reconnaissance", ("Reconnaissance",)),
        CaseTechnique("AML.T0051.001", ("bot",), "Execution", ("Execution",)),
        CaseTechnique("AML.T0024", ("api",), "Exfiltration", ("Exfiltration",)),
        CaseTechnique("AML.T0048.004", ("model",), "Impact", ("Impact",)),
        CaseTechnique("AML.T0015", ("api",), "Impact", ("Initial Access", "Impact")),
        CaseTechnique(
            "AML.T0020", ("data",), "Persistence", ("Resource Development", "Persistence")
        ),
    ),
)
TINY_FLOWS = {"f_user_api": ("user", "api"), "f_store_bot": ("store", "bot")}
TINY_FINDINGS = [
    FakeFinding("bot", "element", ("AML.T0051",)),  # parent, on the element it touched
    FakeFinding("f_user_api", "flow", ("AML.T0024.002",)),  # child, on a flow into `api`
    FakeFinding("model", "element", ("AML.T0048.001",)),  # sibling: no match
    FakeFinding("store", "element", ("AML.T0015", "AML.T0000")),  # right ID, wrong place
    FakeFinding("f_store_bot", "flow", ("AML.T0020",)),  # flow touches neither `data` end
]


def test_score_case_on_a_hand_built_case() -> None:
    r = score_case(TINY, TINY_FINDINGS, TINY_FLOWS)
    assert r.excluded == ("AML.T0000",)
    assert r.counted == ("AML.T0051.001", "AML.T0024", "AML.T0048.004", "AML.T0015", "AML.T0020")
    assert r.suggested == ("AML.T0051.001", "AML.T0024", "AML.T0015", "AML.T0020")
    assert r.located == ("AML.T0051.001", "AML.T0024")
    assert r.missed == ("AML.T0048.004",)
    assert r.not_located == ("AML.T0015", "AML.T0020")
    assert r.recall == pytest.approx(4 / 5)
    assert r.located_recall == pytest.approx(2 / 5)
    assert r.recall_all == pytest.approx(5 / 6)
    assert r.findings == 5


def test_score_case_prefers_atlas_tactics_over_recorded_ones() -> None:
    atlas = {"AML.T0051.001": ("Reconnaissance",)}  # pretend ATLAS says otherwise
    r = score_case(TINY, TINY_FINDINGS, TINY_FLOWS, atlas)
    assert "AML.T0051.001" in r.excluded
    assert r.recall == pytest.approx(3 / 4)


def test_score_case_without_findings() -> None:
    r = score_case(TINY, [], TINY_FLOWS)
    assert r.recall == 0
    assert r.located_recall == 0
    assert len(r.missed) == 5


def test_load_cases_accepts_a_bare_on_key(tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(
        "cases:\n"
        "  - id: AML.CS0001\n    model: m.yaml\n    techniques:\n"
        "      - {id: AML.T0015, on: [api]}\n"
        '      - {id: AML.T0015, "on": [api, f1]}\n',
        encoding="utf-8",
    )
    (case,) = load_cases(path)
    assert case.model == tmp_path / "m.yaml"
    assert case.techniques == (CaseTechnique("AML.T0015", ("api", "f1")),)


def test_bench_runs_one_case(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--case", "AML.CS0016", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    (result,) = payload["cases"]
    assert result["case"] == "AML.CS0016"
    assert result["findings"] == len(result["finding_list"]) > 0
    assert 0 <= result["recall"] <= 1
    assert payload["overall"]["techniques_counted"] == len(result["counted"])
