"""Recall on real incidents: MITRE ATLAS case studies drawn as threat models.

Run: ``python benchmarks/bench_atlas.py [--json] [--case AML.CSxxxx] [--atlas PATH]``.

Each case in ``benchmarks/atlas_cases/cases.yaml`` names a threat model of the victim's system
as its owners would have drawn it before the incident, and lists the ATLAS techniques of the
case study's procedure with ``on``: the element or flow IDs of the drawing where each step
landed. The workbench's analysis (``workbench.engine.analyze``, built-in catalog) runs on
every model, and its findings are compared with the techniques.

Matching rule: a case technique counts as *suggested* when some finding cites that technique
ID, its parent technique (for ``AML.T0051.001`` the parent is ``AML.T0051``) or one of its
sub-techniques (``AML.T0051.xxx`` for ``AML.T0051``). Sibling sub-techniques do not match.

- *recall*: share of the case's counted techniques suggested by a finding anywhere in the model;
- *located recall*: share suggested by a finding whose target is one of the technique's ``on``
  elements, or a flow listed in ``on``, or a flow whose source or target is an ``on`` element.

Only techniques with at least one tactic other than Reconnaissance, Resource Development and
AI Attack Staging are counted (a sub-technique takes its parent's tactics): the others happen
on the attacker's side, before the victim's system is touched, and no threat model of that
system can be expected to suggest them. How many were excluded is printed, and so is the recall
over all techniques, for information. Tactics are read from ATLAS.yaml
(``../shared/reference/mitre-atlas/ATLAS.yaml`` from the repository root, or ``--atlas``);
without it, from the tactics recorded per technique in ``cases.yaml``.

Means are per-case averages (each case weighs the same); pooled figures (all techniques of all
cases together) are printed alongside.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CASES_DIR = ROOT / "benchmarks" / "atlas_cases"
CASES_FILE = CASES_DIR / "cases.yaml"
DEFAULT_ATLAS = ROOT.parent / "shared" / "reference" / "mitre-atlas" / "ATLAS.yaml"
EXCLUDED_TACTICS = frozenset({"Reconnaissance", "Resource Development", "AI Attack Staging"})
MATCHING_RULE = (
    "a technique is suggested when a finding cites its ID, its parent technique or one of its "
    "sub-techniques; located = cited by a finding on one of its `on` elements or flows (or on a "
    "flow touching an `on` element); counted = techniques with a tactic other than "
    "Reconnaissance, Resource Development, AI Attack Staging"
)


class FindingLike(Protocol):
    """What the scoring needs of a finding (``workbench.engine.Finding`` fits)."""

    @property
    def target(self) -> str: ...

    @property
    def target_type(self) -> str: ...

    @property
    def atlas(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class CaseTechnique:
    """One technique of a case study's procedure and where it landed in the drawing."""

    id: str
    on: tuple[str, ...] = ()
    tactic: str = ""
    """Tactic the step served in the case study's procedure."""
    tactics: tuple[str, ...] = ()
    """The technique's tactics as recorded in cases.yaml (fallback when ATLAS.yaml is absent)."""


@dataclass(frozen=True)
class Case:
    """A case study drawn as a threat model."""

    id: str
    title: str
    model: Path
    techniques: tuple[CaseTechnique, ...]


@dataclass(frozen=True)
class CaseResult:
    """How the analysis of one case's model covers the case's techniques."""

    case: str
    title: str
    findings: int
    counted: tuple[str, ...]
    excluded: tuple[str, ...]
    suggested: tuple[str, ...]
    located: tuple[str, ...]
    missed: tuple[str, ...]
    not_located: tuple[str, ...]
    """Suggested somewhere, but not on the elements or flows the technique touched."""
    suggested_all: tuple[str, ...]
    """Suggested techniques among all of the case's techniques, excluded ones included."""

    @property
    def recall(self) -> float | None:
        """Share of counted techniques suggested anywhere (None when nothing is counted)."""
        return len(self.suggested) / len(self.counted) if self.counted else None

    @property
    def located_recall(self) -> float | None:
        """Share of counted techniques suggested where they landed."""
        return len(self.located) / len(self.counted) if self.counted else None

    @property
    def recall_all(self) -> float | None:
        """Share of all the case's techniques suggested anywhere, for information."""
        total = len(self.counted) + len(self.excluded)
        return len(self.suggested_all) / total if total else None


# --- technique IDs and tactics ------------------------------------------------------------


def parent(technique: str) -> str:
    """The parent technique of a sub-technique (``AML.T0051.001`` -> ``AML.T0051``), else itself."""
    parts = technique.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else technique


def cites(technique: str, cited: str) -> bool:
    """Whether a finding citing ``cited`` suggests ``technique`` (same ID, parent or child)."""
    return cited == technique or cited == parent(technique) or parent(cited) == technique


def load_atlas_tactics(path: Path) -> dict[str, tuple[str, ...]]:
    """Tactic names per technique and sub-technique (sub-techniques take their parent's)."""
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    matrix = data["matrices"][0]
    names = {t["id"]: t["name"] for t in matrix["tactics"]}
    techniques = {t["id"]: t for t in matrix["techniques"]}
    result: dict[str, tuple[str, ...]] = {}
    for tid, tech in techniques.items():
        own = tech.get("tactics") or techniques.get(tech.get("subtechnique-of", ""), {}).get(
            "tactics", []
        )
        result[tid] = tuple(names.get(x, x) for x in own)
    return result


def technique_tactics(
    tech: CaseTechnique, atlas_tactics: Mapping[str, tuple[str, ...]] | None
) -> tuple[str, ...]:
    """Tactics of a case technique: ATLAS's when known, else those recorded in cases.yaml."""
    if atlas_tactics is not None and tech.id in atlas_tactics:
        return atlas_tactics[tech.id]
    if tech.tactics:
        return tech.tactics
    return (tech.tactic,) if tech.tactic else ()


def is_counted(tactics: Iterable[str]) -> bool:
    """Whether a technique with these tactics counts: some tactic is outside the excluded ones.
    A technique whose tactics are unknown is counted."""
    listed = list(tactics)
    return not listed or any(t not in EXCLUDED_TACTICS for t in listed)


# --- cases --------------------------------------------------------------------------------


def _on(entry: Mapping[Any, Any]) -> tuple[str, ...]:
    # YAML 1.1 reads a bare `on` key as the boolean true; accept both spellings.
    value = entry.get("on", entry.get(True, []))
    return tuple(str(v) for v in value or [])


def load_cases(path: Path = CASES_FILE) -> list[Case]:
    """Read the case list; model paths are resolved next to the list."""
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    cases = []
    for raw in data["cases"]:
        techniques: dict[str, CaseTechnique] = {}
        for t in raw["techniques"]:
            tech = CaseTechnique(
                id=str(t["id"]),
                on=_on(t),
                tactic=str(t.get("tactic", "")),
                tactics=tuple(str(x) for x in t.get("tactics", [])),
            )
            if tech.id in techniques:  # a technique used twice: merge where it landed
                old = techniques[tech.id]
                merged = old.on + tuple(x for x in tech.on if x not in old.on)
                tech = CaseTechnique(old.id, merged, old.tactic, old.tactics)
            techniques[tech.id] = tech
        cases.append(
            Case(
                id=str(raw["id"]),
                title=str(raw.get("title", "")),
                model=path.parent / str(raw["model"]),
                techniques=tuple(techniques.values()),
            )
        )
    return cases


# --- scoring ------------------------------------------------------------------------------


def is_located(
    finding: FindingLike, on: Sequence[str], flows: Mapping[str, tuple[str, str]]
) -> bool:
    """Whether a finding sits where a technique landed: on an ``on`` element or flow, or on a
    flow whose source or target is an ``on`` element."""
    if finding.target in on:
        return True
    if finding.target_type == "flow" and finding.target in flows:
        source, target = flows[finding.target]
        return source in on or target in on
    return False


def score_case(
    case: Case,
    findings: Sequence[FindingLike],
    flows: Mapping[str, tuple[str, str]],
    atlas_tactics: Mapping[str, tuple[str, ...]] | None = None,
) -> CaseResult:
    """Score one case: which of its techniques the findings suggest, and where.

    Parameters
    ----------
    case
        The case and its techniques.
    findings
        Findings of the analysis of the case's model.
    flows
        Source and target element of every flow of the model, by flow ID.
    atlas_tactics
        Tactics per technique from ATLAS.yaml; None to use those recorded in the case.
    """
    counted, excluded, suggested, located, missed, not_located, suggested_all = (
        [] for _ in range(7)
    )
    for tech in case.techniques:
        citing = [f for f in findings if any(cites(tech.id, a) for a in f.atlas)]
        if citing:
            suggested_all.append(tech.id)
        if not is_counted(technique_tactics(tech, atlas_tactics)):
            excluded.append(tech.id)
            continue
        counted.append(tech.id)
        if not citing:
            missed.append(tech.id)
            continue
        suggested.append(tech.id)
        if any(is_located(f, tech.on, flows) for f in citing):
            located.append(tech.id)
        else:
            not_located.append(tech.id)
    return CaseResult(
        case=case.id,
        title=case.title,
        findings=len(findings),
        counted=tuple(counted),
        excluded=tuple(excluded),
        suggested=tuple(suggested),
        located=tuple(located),
        missed=tuple(missed),
        not_located=tuple(not_located),
        suggested_all=tuple(suggested_all),
    )


def summarize(results: Sequence[CaseResult]) -> dict[str, Any]:
    """Overall figures: per-case means and pooled shares."""

    def mean(values: Iterable[float | None]) -> float | None:
        present = [v for v in values if v is not None]
        return statistics.fmean(present) if present else None

    counted = sum(len(r.counted) for r in results)
    excluded = sum(len(r.excluded) for r in results)
    return {
        "cases": len(results),
        "techniques_counted": counted,
        "techniques_excluded": excluded,
        "mean_recall": mean(r.recall for r in results),
        "mean_located_recall": mean(r.located_recall for r in results),
        "mean_recall_all_techniques": mean(r.recall_all for r in results),
        "pooled_recall": sum(len(r.suggested) for r in results) / counted if counted else None,
        "pooled_located_recall": (
            sum(len(r.located) for r in results) / counted if counted else None
        ),
        "pooled_recall_all_techniques": (
            sum(len(r.suggested_all) for r in results) / (counted + excluded)
            if counted + excluded
            else None
        ),
        "mean_findings": mean(float(r.findings) for r in results),
    }


# --- running ------------------------------------------------------------------------------


def run_case(
    case: Case, atlas_tactics: Mapping[str, tuple[str, ...]] | None
) -> tuple[CaseResult, list[Any]]:
    """Load the case's model, analyse it with the built-in catalog and score it."""
    from workbench import ThreatModel
    from workbench.engine import analyze

    model = ThreatModel.load(case.model)
    findings = list(analyze(model).findings)
    flows = {f.id: (f.source, f.target) for f in model.flows}
    return score_case(case, findings, flows, atlas_tactics), findings


def _pct(value: float | None) -> str:
    return "   -" if value is None else f"{100 * value:3.0f}%"


def print_table(results: Sequence[CaseResult], atlas_source: str) -> None:
    """Print the per-case table and the overall figures."""
    print("MITRE ATLAS case studies: recall of the workbench's findings")
    print(f"Matching rule: {MATCHING_RULE}.")
    print(f"Tactics from: {atlas_source}")
    print()
    header = f"{'case':<11} {'counted':>7} {'excl':>4} {'recall':>6} {'located':>7} {'all':>4} "
    print(header + f"{'findings':>8}  missed")
    for r in results:
        print(
            f"{r.case:<11} {len(r.counted):>7} {len(r.excluded):>4} {_pct(r.recall):>6} "
            f"{_pct(r.located_recall):>7} {_pct(r.recall_all):>4} {r.findings:>8}  "
            f"{' '.join(r.missed) or '-'}"
        )
    s = summarize(results)
    print()
    print(
        f"{s['cases']} cases; {s['techniques_counted']} techniques counted, "
        f"{s['techniques_excluded']} excluded (Reconnaissance / Resource Development / "
        "AI Attack Staging only)"
    )
    print(
        f"mean recall {_pct(s['mean_recall']).strip()}, "
        f"mean located recall {_pct(s['mean_located_recall']).strip()}, "
        f"mean findings per model {s['mean_findings']:.1f}"
    )
    print(
        f"pooled recall {_pct(s['pooled_recall']).strip()}, "
        f"pooled located recall {_pct(s['pooled_located_recall']).strip()}"
    )
    print(
        "for information, recall over all techniques (excluded ones too): "
        f"mean {_pct(s['mean_recall_all_techniques']).strip()}, "
        f"pooled {_pct(s['pooled_recall_all_techniques']).strip()}"
    )
    not_located = [f"{r.case}:{t}" for r in results for t in r.not_located]
    if not_located:
        print("suggested but not where the step landed: " + " ".join(not_located))


def print_findings(findings: Sequence[Any]) -> None:
    """List every finding of one case: ID, target and ATLAS IDs."""
    print()
    print(f"{len(findings)} findings:")
    for f in sorted(findings, key=lambda f: f.id):
        print(f"  {f.id:<48} {f.target_type:<7} {f.target:<24} {' '.join(f.atlas) or '-'}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print machine-readable results")
    parser.add_argument("--case", metavar="ID", help="run one case and list its findings")
    parser.add_argument("--atlas", type=Path, default=DEFAULT_ATLAS, help="path to ATLAS.yaml")
    parser.add_argument("--cases", type=Path, default=CASES_FILE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    cases = load_cases(args.cases)
    if args.case:
        cases = [c for c in cases if c.id == args.case]
        if not cases:
            print(f"unknown case {args.case}", file=sys.stderr)
            return 2
    if args.atlas.is_file():
        atlas_tactics: dict[str, tuple[str, ...]] | None = load_atlas_tactics(args.atlas)
        atlas_source = str(args.atlas)
    else:
        atlas_tactics, atlas_source = None, "cases.yaml (ATLAS.yaml not found)"

    runs = [run_case(c, atlas_tactics) for c in cases]
    results = [r for r, _ in runs]
    if args.json:
        payload = {
            "matching_rule": MATCHING_RULE,
            "tactics_from": atlas_source,
            "cases": [
                {
                    **asdict(r),
                    "recall": r.recall,
                    "located_recall": r.located_recall,
                    "recall_all_techniques": r.recall_all,
                    **(
                        {
                            "finding_list": [
                                {"id": f.id, "target": f.target, "atlas": list(f.atlas)}
                                for f in sorted(fs, key=lambda f: f.id)
                            ]
                        }
                        if args.case
                        else {}
                    ),
                }
                for r, fs in runs
            ],
            "overall": summarize(results),
        }
        print(json.dumps(payload, indent=2))
        return 0
    print_table(results, atlas_source)
    if args.case:
        print_findings(runs[0][1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
