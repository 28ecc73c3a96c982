"""The built-in catalog covers the frameworks it claims to cover.

- every ATLAS technique an attacker uses against the system itself (the 76 top-level
  techniques outside Reconnaissance, Resource Development and AI Attack Staging) is cited by at
  least one threat; citing one of its sub-techniques counts;
- every OWASP Top 10 for LLM Applications 2025 entry, every OWASP ML Security Top 10 entry and
  every OWASP Top 10 for Agentic Applications 2026 entry is cited by at least one threat;
- every CSA MAESTRO layer is cited by at least one threat;
- every CoSAI risk and every OWASP AI Exchange threat is cited by a threat or listed under
  ``out_of_scope`` with a reason;
- on the real incidents of the ATLAS benchmark (benchmarks/atlas_cases), the findings suggest
  at least 90% of each case's techniques on average, 70% where the step landed.

Failures name exactly the IDs that are missing. The framework checks are skipped when
../shared/reference is absent; the benchmark falls back to the tactics recorded per case.
"""

from __future__ import annotations

import pytest

from tests.test_catalog_reference import (
    aix_of_kind,
    atlas_attack_techniques,
    atlas_techniques,
    cosai,
    titles,
)
from workbench.catalog import Catalog


def cited_by_threats(catalog: Catalog, fid: str) -> set[str]:
    """IDs of ``fid`` that at least one threat cites."""
    out: set[str] = set()
    for t in catalog.threats.values():
        refs: dict[str, list[str]] = t.references.model_dump()
        out.update(refs.get(fid, []))
    return out


def listing(ids: list[str], names: dict[str, str]) -> str:
    return "\n".join(f"  {i}  {names.get(i, '')}" for i in ids)


def test_atlas_attack_techniques_are_cited(catalog: Catalog) -> None:
    cited = cited_by_threats(catalog, "atlas")
    covered = cited | {c.split(".")[0] + "." + c.split(".")[1] for c in cited if c.count(".") == 2}
    expected = atlas_attack_techniques()
    missing = [t for t in expected if t not in covered]
    assert not missing, (
        f"{len(missing)} of {len(expected)} ATLAS techniques are cited by no threat:\n"
        + listing(missing, atlas_techniques())
    )


@pytest.mark.parametrize(
    ("fid", "prefix"), [("owasp_llm", "LLM"), ("owasp_ml", "ML"), ("owasp_agentic", "ASI")]
)
def test_owasp_top10_entries_are_cited(catalog: Catalog, fid: str, prefix: str) -> None:
    cited = cited_by_threats(catalog, fid)
    expected = [f"{prefix}{n:02d}" for n in range(1, 11)]
    missing = [i for i in expected if i not in cited]
    assert not missing, f"{fid}: cited by no threat:\n" + listing(missing, titles(fid))


def test_maestro_layers_are_cited(catalog: Catalog) -> None:
    cited = cited_by_threats(catalog, "maestro")
    missing = [f"L{n}" for n in range(1, 8) if f"L{n}" not in cited]
    assert not missing, "MAESTRO layers cited by no threat:\n" + listing(missing, titles("maestro"))


@pytest.mark.parametrize("fid", ["cosai", "aix"])
def test_risks_are_cited_or_out_of_scope(catalog: Catalog, fid: str) -> None:
    names = cosai("risks") if fid == "cosai" else aix_of_kind("threat")
    cited = cited_by_threats(catalog, fid)
    excluded = catalog.out_of_scope.get(fid, {})
    missing = [i for i in names if i not in cited and i not in excluded]
    what = "CoSAI risks" if fid == "cosai" else "AI Exchange threats"
    assert not missing, (
        f"{len(missing)} of {len(names)} {what} are neither cited by a threat nor listed "
        f"under out_of_scope.{fid}:\n" + listing(missing, names)
    )
    both = sorted(set(excluded) & cited)
    assert not both, f"{fid}: listed as out of scope yet cited by a threat: {both}"


def test_atlas_case_studies_are_found_where_they_landed(catalog: Catalog) -> None:
    """The benchmark of real incidents (benchmarks/bench_atlas.py) stays above its floors:
    the built-in catalog suggests at least 90% of each case's techniques on average, and at
    least 70% on the elements or flows where the step landed. Techniques missed are named."""
    from benchmarks.bench_atlas import (
        CASES_FILE,
        DEFAULT_ATLAS,
        load_atlas_tactics,
        load_cases,
        score_case,
        summarize,
    )
    from workbench import ThreatModel
    from workbench.engine import analyze

    tactics = load_atlas_tactics(DEFAULT_ATLAS) if DEFAULT_ATLAS.is_file() else None
    results = []
    for case in load_cases(CASES_FILE):
        model = ThreatModel.load(case.model)
        findings = analyze(model, catalog).findings
        flows = {f.id: (f.source, f.target) for f in model.flows}
        results.append(score_case(case, findings, flows, tactics))
    s = summarize(results)
    missed = {r.case: r.missed for r in results if r.missed}
    assert s["mean_recall"] >= 0.9, f"mean recall {s['mean_recall']:.0%}; missed: {missed}"
    assert s["mean_located_recall"] >= 0.7, f"mean located recall {s['mean_located_recall']:.0%}"
