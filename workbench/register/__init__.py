"""The risk register: findings joined with the team's decisions, residual risk, tolerance,
and the difference between two analyses.

Model review — two versions of a model compared, with this risk delta — is in
:mod:`workbench.register.review` (``threat-workbench diff``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..engine import Analysis, Finding
from ..engine.risk import at_least, clamp, level
from ..model import Decision, DecisionScope, ThreatModel
from ..model.references import boundary_chain
from ..model.statuses import STATUS_RULES
from ..model.statuses import today as current_date
from ..model.types import RISK_RANK, DecisionStatus, RiskLevel


@dataclass(frozen=True)
class Entry:
    """One finding with the decision that applies to it and its residual risk."""

    finding: Finding
    decision: Decision | None
    """The decision that applies: the one on this finding, else the most specific scoped
    decision whose threat and scope match (see :func:`applicable`)."""
    residual_likelihood: int
    """Residual likelihood (1..5); 0 when the decision closes the finding."""
    residual_impact: int
    """Residual impact (1..5); 0 when the decision closes the finding."""
    above_tolerance: bool
    """Residual risk is above the model's risk tolerance and the finding counts as open, or
    was accepted above tolerance (which needs sign-off)."""
    expired: bool = False
    """The decision's review date (``review_by``) has passed: the recorded status is kept,
    and the finding counts as open again until the team reviews it."""

    @property
    def id(self) -> str:
        """The finding ID."""
        return self.finding.id

    @property
    def status(self) -> DecisionStatus:
        """The recorded status (``open`` when no decision applies); see :attr:`expired`."""
        return self.decision.status if self.decision else "open"

    @property
    def state(self) -> str:
        """The status as shown: the recorded status, with ``(expired)`` after it when the
        review date has passed."""
        return f"{self.status} (expired)" if self.expired else self.status

    @property
    def is_open(self) -> bool:
        """Whether the finding counts as open: for the CI gate, the tolerance and the
        open counts (``open``, ``in_progress``, or an expired decision)."""
        return self.expired or STATUS_RULES[self.status].gate

    @property
    def closed(self) -> bool:
        """Whether a (valid) decision closes the finding with no residual risk: avoided,
        false_positive or not_applicable."""
        return not self.expired and STATUS_RULES[self.status].closes

    @property
    def scoped(self) -> bool:
        """Whether the decision that applies is a scoped one (on a threat in a scope)."""
        return self.decision is not None and self.decision.scoped

    @property
    def applied(self) -> str:
        """The key of the decision that applies ('' when none): the finding ID, or
        ``THREAT@boundary:ID``, ``THREAT@element:ID``, ``THREAT@*``."""
        return self.decision.key if self.decision else ""

    @property
    def review_by(self) -> dt.date | None:
        """The decision's review date, if any."""
        return self.decision.review_by if self.decision else None

    @property
    def owner(self) -> str:
        """Who owns the decision ('' when none)."""
        return self.decision.owner if self.decision else ""

    @property
    def residual_score(self) -> int:
        """Residual likelihood x impact (0 when the finding is closed)."""
        return self.residual_likelihood * self.residual_impact

    @property
    def residual_risk(self) -> RiskLevel:
        """Residual risk level (``info`` when the finding is closed)."""
        return "info" if self.residual_score == 0 else level(self.residual_score)

    def expiry_note(self) -> str:
        """``accepted until 2026-10-01, expired: review it`` ('' when not expired)."""
        if not self.expired:
            return ""
        d = self.decision
        until = d.review_by if d is not None else None
        if until is None and d is not None and d.decided is not None:
            return f"{self.status} on {d.decided.isoformat()}, past the review cadence: review it"
        return f"{self.status} until {until.isoformat() if until else '?'}, expired: review it"


@dataclass(frozen=True)
class Register:
    """Every finding with its decision; decisions that match no finding."""

    entries: tuple[Entry, ...]
    orphaned: tuple[Decision, ...]
    """Decisions that match no finding: a finding that no longer exists (the element was
    removed or renamed, or the threat no longer applies), or a scoped decision whose
    threat has no finding in its scope. Kept, reported, never dropped."""
    tolerance: RiskLevel
    problems: tuple[str, ...]
    """Decisions citing mitigations the catalog does not know."""
    today: dt.date = field(default_factory=current_date)
    """The date review dates were compared with."""

    def open_at_or_above(self, threshold: str) -> list[Entry]:
        """Findings that count as open (open, in progress, or expired) whose residual risk
        is ``threshold`` or worse: what fails ``threat-workbench check``."""
        return [e for e in self.entries if e.is_open and at_least(e.residual_risk, threshold)]

    def above_tolerance(self) -> list[Entry]:
        """Entries flagged above the risk tolerance."""
        return [e for e in self.entries if e.above_tolerance]

    def expired(self) -> list[Entry]:
        """Entries whose decision is past its review date."""
        return [e for e in self.entries if e.expired]


def residual(finding: Finding, decision: Decision | None) -> tuple[int, int]:
    """Residual likelihood and impact after a decision (see
    :mod:`workbench.model.statuses`).

    A decision that closes the finding (avoided, false_positive, not_applicable) leaves
    no residual risk: ``(0, 0)``. Otherwise the team's own residual scores win; failing
    them, a mitigated finding's likelihood drops by two steps, and every other status
    keeps the inherent risk (an accepted risk is still a risk). Expiry is the caller's
    business: an expired decision counts as ``open``."""
    likelihood, impact = finding.likelihood, finding.impact
    if decision is None:
        return likelihood, impact
    rule = STATUS_RULES[decision.status]
    if rule.closes:
        return 0, 0
    if rule.residual == "reduced":
        likelihood = clamp(likelihood - 2)
    if decision.residual_likelihood is not None:
        likelihood = decision.residual_likelihood
    if decision.residual_impact is not None:
        impact = decision.residual_impact
    return likelihood, impact


def is_expired(decision: Decision, today: dt.date, cadence_days: int) -> bool:
    """Whether ``decision`` is past its review date on ``today``. An acceptance without
    ``review_by`` (only code can make one: files and :meth:`ThreatModel.set_decision`
    give every acceptance a date) is due ``cadence_days`` after ``decided``; with no date
    at all there is nothing to compare, and it does not expire (saving it writes a file
    that does not load until it has a review date)."""
    review_by = decision.review_by
    if review_by is None and decision.status == "accepted" and decision.decided is not None:
        review_by = decision.decided + dt.timedelta(days=cadence_days)
    if review_by is None or STATUS_RULES[decision.status].gate:
        return False
    return today > review_by


class ScopeIndex:
    """Which scoped decision matches which finding, on one model: the boundaries each
    element sits in (innermost first) and the ends of each flow."""

    def __init__(self, model: ThreatModel) -> None:
        parent = {b.id: b.parent for b in model.boundaries}
        self.chains: dict[str, tuple[str, ...]] = {
            e.id: boundary_chain(parent, e.boundary)[0] if e.boundary else ()
            for e in model.elements
        }
        self.ends: dict[str, tuple[str, str]] = {f.id: (f.source, f.target) for f in model.flows}

    def rank(self, decision: Decision, finding: Finding) -> tuple[int, int] | None:
        """How specifically ``decision`` matches ``finding`` (lower is more specific), or
        ``None`` when it does not: the finding itself (0), the element or one end of the
        flow (1; the source end before the target end), a boundary holding the element
        or both ends of the flow (2; the innermost first), all (3)."""
        if decision.finding is not None:
            return (0, 0) if decision.finding == finding.id else None
        if decision.threat != finding.threat_id:
            return None
        scope = decision.scope
        if not isinstance(scope, DecisionScope):
            return (3, 0)
        target = finding.target
        flow = self.ends.get(target) if finding.target_type == "flow" else None
        if scope.element is not None:
            if flow is None:
                return (1, 0) if target == scope.element else None
            return (1, flow.index(scope.element)) if scope.element in flow else None
        if flow is None:
            chain = self.chains.get(target, ())
            return (2, chain.index(scope.boundary)) if scope.boundary in chain else None
        source, dest = (self.chains.get(end, ()) for end in flow)
        if scope.boundary in source and scope.boundary in dest:
            return (2, source.index(scope.boundary))
        return None


def applicable(
    finding: Finding, decisions: Iterable[Decision], index: ScopeIndex
) -> Decision | None:
    """The decision that applies to ``finding``: the one on the finding itself, else the
    most specific matching scoped decision (element, then the innermost boundary, then
    all; ties by key)."""
    best: tuple[tuple[int, int], str, Decision] | None = None
    for d in decisions:
        r = index.rank(d, finding)
        if r is not None and (best is None or (r, d.key) < best[:2]):
            best = (r, d.key, d)
    return best[2] if best else None


class Decider:
    """Which decision applies to a finding of one model, and whether the finding counts as
    open — what :func:`build_register` decides, without residual risk, for views that ask
    about many findings (the canvas's badges, the threat panel's counts and filter)."""

    def __init__(self, model: ThreatModel, *, today: dt.date | str | None = None) -> None:
        self.day = current_date(today)
        self.cadence = model.risk_tolerance.review_cadence_days
        self.by_finding = {d.finding: d for d in model.decisions if d.finding is not None}
        self.by_threat: dict[str, list[Decision]] = {}
        for scoped in model.decisions:
            if scoped.scoped:
                self.by_threat.setdefault(scoped.threat_id, []).append(scoped)
        self.index = ScopeIndex(model) if self.by_threat else None

    def decision(self, f: Finding) -> Decision | None:
        """The decision that applies to ``f`` (see :func:`applicable`), if any."""
        d = self.by_finding.get(f.id)
        if d is None and self.index is not None and f.threat_id in self.by_threat:
            d = applicable(f, self.by_threat[f.threat_id], self.index)
        return d

    def status(self, f: Finding) -> DecisionStatus:
        """The recorded status of the decision that applies (``open`` without one)."""
        d = self.decision(f)
        return d.status if d is not None else "open"

    def is_open(self, f: Finding) -> bool:
        """Whether ``f`` counts as open: no decision, ``open`` or ``in_progress``, or a
        decision past its review date (as :attr:`Entry.is_open`)."""
        d = self.decision(f)
        return d is None or STATUS_RULES[d.status].gate or is_expired(d, self.day, self.cadence)


def build_register(analysis: Analysis, *, today: dt.date | str | None = None) -> Register:
    """Join the analysis's findings with the model's decisions.

    ``today``: the date review dates are compared with (default: the
    ``THREAT_WORKBENCH_TODAY`` environment variable, else the machine's date)."""
    model = analysis.model
    day = current_date(today)
    cadence = model.risk_tolerance.review_cadence_days
    by_finding = {d.finding: d for d in model.decisions if d.finding is not None}
    by_threat: dict[str, list[Decision]] = {}
    for scoped in model.decisions:
        if scoped.scoped:
            by_threat.setdefault(scoped.threat_id, []).append(scoped)
    index = ScopeIndex(model)
    tolerance = model.risk_tolerance.accept_up_to
    used: set[str] = set()
    entries = []
    for f in analysis.findings:
        d: Decision | None = by_finding.get(f.id)
        if d is None and f.threat_id in by_threat:
            d = applicable(f, by_threat[f.threat_id], index)
        if d is not None:
            used.add(d.key)
        expired = d is not None and is_expired(d, day, cadence)
        rl, ri = residual(f, None if expired else d)
        counts_open = d is None or expired or STATUS_RULES[d.status].gate
        above = (
            rl * ri > 0
            and RISK_RANK[level(rl * ri)] > RISK_RANK[tolerance]
            and (counts_open or (d is not None and d.status == "accepted"))
        )
        entries.append(
            Entry(
                finding=f,
                decision=d,
                residual_likelihood=rl,
                residual_impact=ri,
                above_tolerance=above,
                expired=expired,
            )
        )
    orphaned = tuple(d for d in model.decisions if d.key not in used)
    problems = tuple(
        f"decision for {d.key}: '{m}' is not a mitigation of the catalog"
        for d in model.decisions
        for m in d.mitigations
        if m not in analysis.catalog.mitigations
    )
    return Register(
        entries=tuple(entries),
        orphaned=orphaned,
        tolerance=tolerance,
        problems=problems,
        today=day,
    )


def orphan_reason(decision: Decision, model: ThreatModel) -> str:
    """Why a decision matches no finding, in a few words: ``no element or flow 'x'``,
    ``no boundary 'b'``, or that its threat has no finding there."""
    if decision.finding is not None:
        target = decision.finding.rsplit("@", 1)[1]
        known = {e.id for e in model.elements} | {f.id for f in model.flows}
        if target not in known:
            return f"no element or flow '{target}' (removed or renamed?)"
        return f"threat {decision.threat_id} no longer applies to '{target}'"
    scope = decision.scope
    if isinstance(scope, DecisionScope):
        if scope.boundary is not None and scope.boundary not in {b.id for b in model.boundaries}:
            return f"no boundary '{scope.boundary}' (removed or renamed?)"
        if scope.element is not None and scope.element not in {e.id for e in model.elements}:
            return f"no element '{scope.element}' (removed or renamed?)"
        where = f"boundary '{scope.boundary}'" if scope.boundary else f"element '{scope.element}'"
        return f"threat {decision.threat_id} has no finding in {where}"
    return f"threat {decision.threat_id} has no finding"


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
        if _compared(before[i]) != _compared(after[i])
    )
    was = {d.key for d in old.orphaned}
    orphaned = tuple(d for d in new.orphaned if d.key not in was)
    return RegisterDiff(added=added, resolved=resolved, changed=changed, orphaned=orphaned)


def _compared(e: Entry) -> tuple[int, str, int, bool, str]:
    return (e.residual_score, e.status, e.finding.score, e.expired, e.applied)


def diff_analyses(
    old: Analysis, new: Analysis, *, today: dt.date | str | None = None
) -> RegisterDiff:
    """:func:`diff_registers` of two analyses (review dates compared with ``today``)."""
    day = current_date(today)
    return diff_registers(build_register(old, today=day), build_register(new, today=day))


__all__ = [
    "Decider",
    "Entry",
    "Register",
    "RegisterDiff",
    "RiskChange",
    "ScopeIndex",
    "applicable",
    "build_register",
    "diff_analyses",
    "diff_registers",
    "is_expired",
    "orphan_reason",
    "residual",
]
