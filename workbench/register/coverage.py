"""What a threat model covers: control frameworks addressed by the chosen mitigations, the
5x5 risk matrix, and which PASTA stages are done and what is still missing.

Pure computations over a :class:`~workbench.register.Register` (and its catalog), shared
by the HTML report (:mod:`workbench.export.report`) and the notebook widgets, so both
always show the same numbers.

Vocabulary
----------
recommended
    the catalog lists the mitigation for a finding's threat;
chosen (planned)
    a decision that is not ``mitigated`` names the mitigation;
implemented
    a ``mitigated`` decision names the mitigation.

A control is *addressed* (in place) when a ``mitigated`` decision names a mitigation that
maps to it, or names the control itself in its ``controls`` list.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from ..engine.risk import at_least
from ..model import RiskTolerance, ThreatModel
from ..model.statuses import STATUSES
from ..model.types import RISK_RANK

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..engine import Analysis
    from . import Entry, Register

CONTROL_FRAMEWORKS: tuple[str, ...] = ("nist_ai_rmf", "iso42001", "sp800_53", "atlas_mitigation")
"""Control frameworks a mitigation maps to (fields of the catalog's ``ControlRefs``)."""

FRAMEWORK_LABELS: dict[str, str] = {
    "nist_ai_rmf": "NIST AI RMF",
    "iso42001": "ISO/IEC 42001",
    "sp800_53": "SP 800-53",
    "atlas_mitigation": "ATLAS",
}
"""Short display names of :data:`CONTROL_FRAMEWORKS`."""

CONTROL_PREFIXES: dict[str, str] = {
    "AIRMF": "nist_ai_rmf",
    "NISTAIRMF": "nist_ai_rmf",
    "ISO42001": "iso42001",
    "ISOIEC42001": "iso42001",
    "SP80053": "sp800_53",
    "NISTSP80053": "sp800_53",
    "80053": "sp800_53",
    "ATLAS": "atlas_mitigation",
}
"""Prefixes of control references in decisions (upper case, punctuation removed)."""

MitigationStatus = Literal["implemented", "planned", "recommended"]


def parse_control(ref: str) -> tuple[str | None, str]:
    """Split a control reference of a decision into framework and control ID.

    Parameters
    ----------
    ref
        A reference such as ``'SP800-53:AC-6'`` or ``'ISO42001:A.6.2.6'``.

    Returns
    -------
    tuple
        ``('sp800_53', 'AC-6')``; the framework is ``None`` when the prefix is missing or
        unknown.
    """
    prefix, sep, rest = ref.partition(":")
    if not sep:
        return None, ref.strip()
    key = re.sub(r"[^A-Z0-9]", "", prefix.upper())
    fw = CONTROL_PREFIXES.get(key)
    if fw is None:
        return None, ref.strip()
    return fw, rest.strip()


# ============================================================================ mitigations
@dataclass(frozen=True)
class MitigationUse:
    """How one mitigation is used by the findings of a register."""

    recommended: tuple[Entry, ...] = ()
    """Entries whose threat the catalog recommends the mitigation for."""
    chosen: tuple[Entry, ...] = ()
    """Entries whose (not yet mitigated) decision names it."""
    implemented: tuple[Entry, ...] = ()
    """Entries whose mitigated decision names it."""

    @property
    def status(self) -> MitigationStatus:
        """implemented, planned (chosen only) or recommended."""
        if self.implemented:
            return "implemented"
        if self.chosen:
            return "planned"
        return "recommended"


def mitigation_use(register: Register) -> dict[str, MitigationUse]:
    """Per mitigation ID: the entries it is recommended for, chosen by and implemented by.

    Mitigations appear in the order the register first mentions them."""
    lists: dict[str, dict[str, list[Entry]]] = {}
    for e in register.entries:
        for mid in e.finding.mitigations:
            _slot(lists, mid)["recommended"].append(e)
        if e.decision is not None:
            key = "implemented" if e.status == "mitigated" else "chosen"
            for mid in e.decision.mitigations:
                _slot(lists, mid)[key].append(e)
    return {
        mid: MitigationUse(**{k: tuple(v) for k, v in use.items()}) for mid, use in lists.items()
    }


def _slot(lists: dict[str, dict[str, list[Entry]]], mid: str) -> dict[str, list[Entry]]:
    return lists.setdefault(mid, {"recommended": [], "chosen": [], "implemented": []})


def suggested_mitigations(entry: Entry, catalog: Catalog) -> list[str]:
    """Mitigation IDs to offer for a finding: those the catalog recommends for its threat
    first (in the catalog's order), then every other catalog mitigation by ID; IDs its
    decision already names but the catalog does not know are kept at the end."""
    first = [m for m in entry.finding.mitigations if m in catalog.mitigations]
    rest = sorted(set(catalog.mitigations) - set(first))
    chosen = entry.decision.mitigations if entry.decision else []
    unknown = [m for m in chosen if m not in catalog.mitigations]
    return first + rest + unknown


def controls_of(mitigation_ids: Iterable[str], catalog: Catalog) -> dict[str, list[str]]:
    """The controls the given mitigations map to, per framework (sorted, no repeats);
    frameworks without any are left out."""
    out: dict[str, set[str]] = {}
    for mid in mitigation_ids:
        m = catalog.mitigations.get(mid)
        if m is None:
            continue
        for fw in CONTROL_FRAMEWORKS:
            ids = getattr(m.controls, fw)
            if ids:
                out.setdefault(fw, set()).update(ids)
    return {fw: sorted(out[fw]) for fw in CONTROL_FRAMEWORKS if fw in out}


# ============================================================================ controls
def declared_controls(model: ThreatModel, catalog: Catalog) -> dict[str, dict[str, set[str]]]:
    """Controls named in mitigated decisions' ``controls`` lists: per framework, per control,
    the finding IDs declaring it. A reference without a known prefix counts for every
    framework whose catalog entries contain its ID."""
    known = {
        fw: {x.id for x in catalog.frameworks[fw].entries}
        for fw in CONTROL_FRAMEWORKS
        if fw in catalog.frameworks
    }
    out: dict[str, dict[str, set[str]]] = {}
    for d in model.decisions:
        if d.status != "mitigated":
            continue
        for ref in d.controls:
            fw, cid = parse_control(ref)
            frameworks = [fw] if fw is not None else [n for n, ids in known.items() if cid in ids]
            for name in frameworks:
                out.setdefault(name, {}).setdefault(cid, set()).add(d.key)
    return out


@dataclass(frozen=True)
class ControlCoverage:
    """One control of one framework: who recommends it and who addresses it."""

    framework: str
    """Framework ID, e.g. ``sp800_53``."""
    control: str
    """The framework's control ID, e.g. ``AC-6``."""
    title: str
    """The framework's title for the control ('' when the catalog does not list it)."""
    mitigations: tuple[str, ...]
    """Recommended mitigations mapping to the control."""
    findings: tuple[str, ...]
    """Findings those mitigations are recommended for."""
    addressed_by: tuple[str, ...]
    """Findings whose mitigated decision names a mitigation mapping to the control, or the
    control itself."""
    planned_by: tuple[str, ...]
    """Findings whose not yet mitigated decision names a mitigation mapping to it."""
    declared: bool
    """Whether a mitigated decision names the control in its ``controls``."""

    @property
    def in_place(self) -> bool:
        """Whether the control is addressed by at least one mitigated decision."""
        return bool(self.addressed_by)


@dataclass(frozen=True)
class FrameworkCoverage:
    """The controls of one framework that a register's mitigations touch."""

    framework: str
    """Framework ID."""
    name: str
    """Full name of the framework (its ID when the catalog does not describe it)."""
    controls: tuple[ControlCoverage, ...]
    """Controls recommended, planned or addressed, sorted by ID."""

    @property
    def in_place(self) -> int:
        """How many controls are in place."""
        return sum(c.in_place for c in self.controls)

    @property
    def addressed(self) -> tuple[ControlCoverage, ...]:
        """The controls in place."""
        return tuple(c for c in self.controls if c.in_place)

    @property
    def percent(self) -> float | None:
        """Share of the listed controls in place, in percent (``None`` when none listed)."""
        return 100 * self.in_place / len(self.controls) if self.controls else None


@dataclass
class _Tally:
    mitigations: set[str] = field(default_factory=set)
    findings: set[str] = field(default_factory=set)
    addressed: set[str] = field(default_factory=set)
    planned: set[str] = field(default_factory=set)


def _tally(
    fw: str, use: dict[str, MitigationUse], declared: dict[str, set[str]], catalog: Catalog
) -> dict[str, _Tally]:
    tally: dict[str, _Tally] = {}
    for mid, u in use.items():
        m = catalog.mitigations.get(mid)
        if m is None:
            continue
        for cid in getattr(m.controls, fw):
            t = tally.setdefault(cid, _Tally())
            if u.recommended:
                t.mitigations.add(mid)
                t.findings.update(e.id for e in u.recommended)
            t.addressed.update(e.id for e in u.implemented)
            t.planned.update(e.id for e in u.chosen)
    for cid, findings in declared.items():
        tally.setdefault(cid, _Tally()).addressed.update(findings)
    return tally


def framework_coverage(
    analysis: Analysis,
    register: Register,
    framework: str,
    *,
    use: dict[str, MitigationUse] | None = None,
) -> FrameworkCoverage:
    """:class:`FrameworkCoverage` of one framework.

    Parameters
    ----------
    analysis
        The analysis (its model's decisions and its catalog are read).
    register
        The analysis's register.
    framework
        One of :data:`CONTROL_FRAMEWORKS`.
    use
        :func:`mitigation_use` of the register, when already computed.
    """
    catalog = analysis.catalog
    use = use if use is not None else mitigation_use(register)
    declared = declared_controls(analysis.model, catalog).get(framework, {})
    tally = _tally(framework, use, declared, catalog)
    controls = tuple(
        ControlCoverage(
            framework=framework,
            control=cid,
            title=catalog.title(framework, cid),
            mitigations=tuple(sorted(t.mitigations)),
            findings=tuple(sorted(t.findings)),
            addressed_by=tuple(sorted(t.addressed)),
            planned_by=tuple(sorted(t.planned - t.addressed)),
            declared=cid in declared,
        )
        for cid, t in sorted(tally.items())
    )
    fw = catalog.frameworks.get(framework)
    return FrameworkCoverage(framework, fw.name if fw else framework, controls)


def control_coverage(
    analysis: Analysis, register: Register | None = None
) -> tuple[FrameworkCoverage, ...]:
    """Coverage of every control framework (:data:`CONTROL_FRAMEWORKS`), in that order
    (``register``: the analysis's register, built when not given)."""
    if register is None:
        from . import build_register

        register = build_register(analysis)
    use = mitigation_use(register)
    return tuple(framework_coverage(analysis, register, fw, use=use) for fw in CONTROL_FRAMEWORKS)


# ============================================================================ risk matrix
Cell = tuple[int, int]
"""(likelihood, impact), each 1..5."""


@dataclass(frozen=True)
class RiskMatrix:
    """Number of findings per likelihood x impact cell, before and after decisions."""

    inherent: Counter[Cell]
    """Cells of the findings' inherent likelihood and impact."""
    residual: Counter[Cell]
    """Cells of the residual likelihood and impact (findings a decision closes, with no
    residual risk, have none)."""
    moved: int
    """How many findings have a lower residual than inherent score."""


def risk_matrix(entries: Sequence[Entry]) -> RiskMatrix:
    """Count ``entries`` per cell of the 5x5 matrix, inherent and residual."""
    inherent: Counter[Cell] = Counter()
    residual: Counter[Cell] = Counter()
    for e in entries:
        inherent[(e.finding.likelihood, e.finding.impact)] += 1
        if not e.closed:  # a closed finding has no residual risk: no cell
            residual[(e.residual_likelihood, e.residual_impact)] += 1
    moved = sum(e.residual_score < e.finding.score for e in entries)
    return RiskMatrix(inherent=inherent, residual=residual, moved=moved)


# ============================================================================ PASTA stages
@dataclass(frozen=True)
class StageStatus:
    """One PASTA stage: what the model already has and what is missing."""

    number: int
    """1..7."""
    title: str
    """The stage's name."""
    done: tuple[str, ...]
    """What is recorded, one short sentence each."""
    missing: tuple[str, ...]
    """What is missing or needs attention, one short sentence each."""

    @property
    def complete(self) -> bool:
        """Whether nothing is missing."""
        return not self.missing


PASTA_STAGES: tuple[str, ...] = (
    "Objectives and risk tolerance",
    "Technical scope",
    "Decomposition",
    "Threat analysis",
    "Weakness analysis",
    "Attack paths",
    "Risk and impact",
)
"""Titles of the seven PASTA stages, in order."""


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word}{'es' if word.endswith('s') else 's'}"


def _stage1(model: ThreatModel) -> tuple[list[str], list[str]]:
    done: list[str] = []
    missing: list[str] = []
    if model.objectives:
        done.append(_plural(len(model.objectives), "objective") + " recorded")
        loose = [o.id for o in model.objectives if not o.elements]
        if loose:
            missing.append(f"objectives tied to no element: {', '.join(loose)}")
    else:
        missing.append("no objectives recorded")
    tol = model.risk_tolerance
    if tol == RiskTolerance():
        missing.append("no risk tolerance set (default: accept up to low)")
    else:
        done.append(f"risk tolerance: accept up to {tol.accept_up_to}")
        if not tol.statement.strip():
            missing.append("no risk appetite statement")
    return done, missing


def _stage2(model: ThreatModel) -> tuple[list[str], list[str]]:
    done: list[str] = []
    missing: list[str] = []
    checks = (
        (model.system.description.strip(), "system described", "no system description"),
        (model.system.owners, "owners named", "no owners named"),
        (model.scope.description.strip(), "scope described", "no scope description"),
        (model.scope.in_scope, "in-scope items listed", "nothing listed as in scope"),
        (model.scope.out_of_scope, "out-of-scope items listed", "nothing listed as out of scope"),
        (model.scope.assumptions, "assumptions recorded", "no assumptions recorded"),
    )
    for ok, yes, no in checks:
        if ok:
            done.append(yes)
        else:
            missing.append(no)
    return done, missing


def _stage3(analysis: Analysis) -> tuple[list[str], list[str]]:
    m = analysis.model
    done = [
        f"{_plural(len(m.elements), 'element')}, {_plural(len(m.flows), 'flow')}, "
        f"{len(m.boundaries)} trust boundar{'y' if len(m.boundaries) == 1 else 'ies'}",
        f"{_plural(len(analysis.entry_points), 'untrusted entry point')}: "
        + (", ".join(analysis.entry_points) or "none"),
        f"{_plural(len(analysis.crown_jewels), 'crown jewel')}: "
        + (", ".join(analysis.crown_jewels) or "none"),
    ]
    missing = []
    if not m.elements:
        missing.append("no elements drawn")
    if not m.boundaries:
        missing.append("no trust boundaries")
    if not analysis.crown_jewels:
        missing.append("no crown jewels (classify data or mark an asset as crown jewel)")
    if not analysis.untrusted_actors:
        missing.append("no untrusted actors (users, data sources, the internet)")
    return done, missing


def _undecided(entries: Iterable[Entry], threshold: str) -> list[Entry]:
    return [e for e in entries if e.is_open and at_least(e.finding.risk, threshold)]


def _findings_stage(entries: Sequence[Entry], what: str) -> tuple[list[str], list[str]]:
    decided = sum(not e.is_open for e in entries)
    done = [f"{_plural(len(entries), what)}, {decided} decided"]
    high = _undecided(entries, "high")
    missing = [f"{_plural(len(high), f'high {what}')} without a decision"] if high else []
    return done, missing


def _stage6(analysis: Analysis) -> tuple[list[str], list[str]]:
    paths = analysis.attack_paths
    if not paths:
        return ["no path from an untrusted actor to a crown jewel"], []
    severe = [p for p in paths if at_least(p.risk, "high")]
    done = [f"{_plural(len(paths), 'attack path')}; worst: {paths[0].id} ({paths[0].risk})"]
    missing = [f"{_plural(len(severe), 'high-risk attack path')} to review"] if severe else []
    return done, missing


def _stage7(register: Register) -> tuple[list[str], list[str]]:
    entries = register.entries
    status: Counter[str] = Counter(e.status for e in entries)
    expired = len(register.expired())
    usual = ("mitigated", "accepted", "transferred")
    counts = [f"{status[s]} {s}" for s in usual]
    counts += [
        f"{status[s]} {s.replace('_', ' ')}"
        for s in STATUSES
        if status[s] and s not in (*usual, "open")
    ]
    done = [
        ", ".join([*counts, f"{status['open']} open"]),
        f"risk tolerance: accept up to {register.tolerance}",
    ]
    above = register.above_tolerance()
    missing = [f"{_plural(len(above), 'finding')} above the risk tolerance"] if above else []
    if expired:
        missing.append(f"{_plural(expired, 'decision')} past the review date")
    worst = max((RISK_RANK[e.residual_risk] for e in entries), default=0)
    if worst >= RISK_RANK["critical"]:
        missing.append("critical residual risk remains")
    return done, missing


def pasta_status(analysis: Analysis, register: Register) -> tuple[StageStatus, ...]:
    """What is done and what is missing in each of the seven PASTA stages.

    Parameters
    ----------
    analysis
        The analysis of the model.
    register
        Its register (:func:`~workbench.register.build_register`).
    """
    threats = [e for e in register.entries if e.finding.pasta_stage == 4]
    weaknesses = [e for e in register.entries if e.finding.pasta_stage == 5]
    parts = (
        _stage1(analysis.model),
        _stage2(analysis.model),
        _stage3(analysis),
        _findings_stage(threats, "threat"),
        _findings_stage(weaknesses, "weakness"),
        _stage6(analysis),
        _stage7(register),
    )
    return tuple(
        StageStatus(i, title, tuple(done), tuple(missing))
        for i, (title, (done, missing)) in enumerate(zip(PASTA_STAGES, parts, strict=True), 1)
    )


__all__ = [
    "CONTROL_FRAMEWORKS",
    "CONTROL_PREFIXES",
    "FRAMEWORK_LABELS",
    "PASTA_STAGES",
    "ControlCoverage",
    "FrameworkCoverage",
    "MitigationUse",
    "RiskMatrix",
    "StageStatus",
    "control_coverage",
    "controls_of",
    "declared_controls",
    "framework_coverage",
    "mitigation_use",
    "parse_control",
    "pasta_status",
    "risk_matrix",
    "suggested_mitigations",
]
