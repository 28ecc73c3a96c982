"""The risk register: findings joined with the team's decisions, residual risk, tolerance,
and the difference between two analyses.

Model review — two versions of a model compared, with this risk delta — is in
:mod:`workbench.register.review` (``threat-workbench diff``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..engine import Analysis, Finding
from ..engine.risk import at_least, clamp, level
from ..model import Decision
from ..model.types import RISK_RANK, DecisionStatus, RiskLevel


@dataclass(frozen=True)
class Entry:
    """One finding with its decision and residual risk."""

    finding: Finding
    decision: Decision | None
    residual_likelihood: int
    residual_impact: int
    above_tolerance: bool
    """Residual risk is above the model's risk tolerance and the finding is still open, or
    was accepted above tolerance (which needs sign-off)."""

    @property
    def id(self) -> str:
        """The finding ID."""
        return self.finding.id

    @property
    def status(self) -> DecisionStatus:
        """open, mitigated, accepted or transferred."""
        return self.decision.status if self.decision else "open"

    @property
    def owner(self) -> str:
        """Who owns the decision ('' when none)."""
        return self.decision.owner if self.decision else ""

    @property
    def residual_score(self) -> int:
        """Residual likelihood x impact."""
        return self.residual_likelihood * self.residual_impact

    @property
    def residual_risk(self) -> RiskLevel:
        """Residual risk level."""
        return level(self.residual_score)


@dataclass(frozen=True)
class Register:
    """Every finding with its decision; decisions that match no finding."""

    entries: tuple[Entry, ...]
    orphaned: tuple[Decision, ...]
    """Decisions whose finding no longer exists (the element was removed or renamed, or the
    threat no longer applies): kept, reported, never dropped."""
    tolerance: RiskLevel
    problems: tuple[str, ...]
    """Decisions citing mitigations the catalog does not know."""

    def open_at_or_above(self, threshold: str) -> list[Entry]:
        """Open findings whose residual risk is ``threshold`` or worse."""
        return [
            e for e in self.entries if e.status == "open" and at_least(e.residual_risk, threshold)
        ]

    def above_tolerance(self) -> list[Entry]:
        """Entries flagged above the risk tolerance."""
        return [e for e in self.entries if e.above_tolerance]


def residual(finding: Finding, decision: Decision | None) -> tuple[int, int]:
    """Residual likelihood and impact after a decision.

    The team's own residual scores win. Otherwise a mitigated finding's likelihood drops
    by two steps; accepted, transferred and open findings keep their inherent risk (an
    accepted risk is still a risk)."""
    likelihood, impact = finding.likelihood, finding.impact
    if decision is None:
        return likelihood, impact
    if decision.status == "mitigated":
        likelihood = clamp(likelihood - 2)
    if decision.residual_likelihood is not None:
        likelihood = decision.residual_likelihood
    if decision.residual_impact is not None:
        impact = decision.residual_impact
    return likelihood, impact


def build_register(analysis: Analysis) -> Register:
    """Join the analysis's findings with the model's decisions."""
    model = analysis.model
    decisions = {d.finding: d for d in model.decisions}
    tolerance = model.risk_tolerance.accept_up_to
    entries = []
    for f in analysis.findings:
        d = decisions.get(f.id)
        rl, ri = residual(f, d)
        above = RISK_RANK[level(rl * ri)] > RISK_RANK[tolerance] and (
            d is None or d.status in ("open", "accepted")
        )
        entries.append(
            Entry(
                finding=f,
                decision=d,
                residual_likelihood=rl,
                residual_impact=ri,
                above_tolerance=above,
            )
        )
    found = {f.id for f in analysis.findings}
    orphaned = tuple(d for d in model.decisions if d.finding not in found)
    problems = tuple(
        f"decision for {d.finding}: '{m}' is not a mitigation of the catalog"
        for d in model.decisions
        for m in d.mitigations
        if m not in analysis.catalog.mitigations
    )
    return Register(
        entries=tuple(entries), orphaned=orphaned, tolerance=tolerance, problems=problems
    )


@dataclass(frozen=True)
class RiskChange:
    """A finding present in both analyses whose risk changed."""

    id: str
    old: Entry
    new: Entry


@dataclass(frozen=True)
class RegisterDiff:
    """What changed between two analyses, for a review of a model change."""

    added: tuple[Entry, ...]
    resolved: tuple[Entry, ...]
    changed: tuple[RiskChange, ...]
    orphaned: tuple[Decision, ...]
    """Decisions orphaned in the new model that were not orphaned before."""

    @property
    def empty(self) -> bool:
        """Whether nothing changed."""
        return not (self.added or self.resolved or self.changed or self.orphaned)


def diff_registers(old: Register, new: Register) -> RegisterDiff:
    """Findings added, resolved, and changed in (residual) risk or status."""
    before = {e.id: e for e in old.entries}
    after = {e.id: e for e in new.entries}
    added = tuple(after[i] for i in sorted(set(after) - set(before)))
    resolved = tuple(before[i] for i in sorted(set(before) - set(after)))
    changed = tuple(
        RiskChange(i, before[i], after[i])
        for i in sorted(set(before) & set(after))
        if (before[i].residual_score, before[i].status, before[i].finding.score)
        != (after[i].residual_score, after[i].status, after[i].finding.score)
    )
    was = {d.finding for d in old.orphaned}
    orphaned = tuple(d for d in new.orphaned if d.finding not in was)
    return RegisterDiff(added=added, resolved=resolved, changed=changed, orphaned=orphaned)


def diff_analyses(old: Analysis, new: Analysis) -> RegisterDiff:
    """:func:`diff_registers` of two analyses."""
    return diff_registers(build_register(old), build_register(new))


__all__ = [
    "Entry",
    "Register",
    "RegisterDiff",
    "RiskChange",
    "build_register",
    "diff_analyses",
    "diff_registers",
    "residual",
]
