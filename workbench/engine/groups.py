"""Findings grouped by cause: one title, one recommended fix, the members.

Every finding belongs to exactly one group. Groups are formed in this order:

1. **a missing control on one element**: two or more findings on the same element whose
   rules fired because the same property is false or unknown there (``authorization``
   on the vector store behind a cross-tenant leak and an over-broad read) — the fix is
   the mitigation that property stands for;
2. **one threat on several targets**: the same catalog threat on two or more elements or
   flows (indirect prompt injection along ingestion → vector store → app; five flows
   without encryption) — the fix is the threat's first mitigation not yet in place;
3. every other finding is a group of its own.

Groups are sorted by their worst member's score (highest first), then by size and ID,
so the first groups are the causes to work on first.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter, contains, itemgetter
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from ..catalog import Catalog
from ..catalog.predicates import All, Missing, Prop
from ..model import Element, Flow, ThreatModel
from .risk import Scored

if TYPE_CHECKING:
    from .finding import Finding

Cause = Literal["missing_control", "threat", "single"]


@dataclass(frozen=True)
class FindingGroup(Scored):
    """Findings that share one cause."""

    id: str
    """Stable ID: ``missing:<element>:<property>``, ``threat:<THREAT-ID>`` or
    ``finding:<finding ID>``."""
    cause: Cause
    """What the members share."""
    title: str
    """The cause in words."""
    fix: str
    """The recommended mitigation's ID (empty when the catalog names none)."""
    fix_title: str
    """The recommended mitigation's title."""
    members: tuple[str, ...]
    """Finding IDs, worst first."""
    targets: tuple[str, ...]
    """Element and flow IDs the members are on, in member order without repeats."""
    likelihood: int
    """Likelihood of the worst member."""
    impact: int
    """Impact of the worst member."""


def missing_properties(rule: Any, target: Element | Flow) -> list[str]:
    """Properties whose absence (false or unknown) made a rule hold on a target: the
    ``prop`` clauses of its top-level ``all`` that ask for ``false``/``null`` only, and
    its ``missing`` clauses."""
    out: list[str] = []
    for name, unset_only in _absences(rule):
        value = _value(target, name)
        if value is None or (not unset_only and value in (None, False)):
            out.append(name)
    return list(dict.fromkeys(out))


_ABSENCES: dict[int, tuple[Any, tuple[tuple[str, bool], ...]]] = {}


def _absences(rule: Any) -> tuple[tuple[str, bool], ...]:
    """The properties a rule asks to be absent, each with whether only "not set" counts
    (``missing``) rather than false or not set (``prop``); cached per rule object."""
    hit = _ABSENCES.get(id(rule))
    if hit is not None and hit[0] is rule:
        return hit[1]
    clauses = rule.all if isinstance(rule, All) else [rule]
    out: list[tuple[str, bool]] = []
    for c in clauses:
        if isinstance(c, Missing):
            out += [(n, True) for n in c.missing]
        elif isinstance(c, Prop):
            for name, allowed in c.prop.items():
                if allowed and all(a is None or a is False for a in allowed):
                    out.append((name, False))
    if len(_ABSENCES) >= 10_000:  # catalogs loaded again and again (a server)
        _ABSENCES.clear()
    _ABSENCES[id(rule)] = (rule, tuple(out))  # the rule is kept alive with its ID
    return tuple(out)


def _value(target: Element | Flow, name: str) -> Any:
    if isinstance(target, Flow):
        return getattr(target, name, None)
    return getattr(target.properties, name, None)


def _fixes_by_property(catalog: Catalog) -> dict[str, list[str]]:
    """Mitigations whose in-place rule is a property set to ``true`` (or a value)."""
    out: dict[str, list[str]] = defaultdict(list)
    for mid in sorted(catalog.mitigations):
        rule = catalog.mitigations[mid].in_place
        clauses = rule.all if isinstance(rule, All) else [rule] if rule is not None else []
        for c in clauses:
            if isinstance(c, Prop):
                for name in c.prop:
                    out[name].append(mid)
    return out


def _worst_first(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=_worst)


def group_findings(
    model: ThreatModel, catalog: Catalog, findings: Sequence[Finding]
) -> tuple[FindingGroup, ...]:
    """Group ``findings`` by cause (see the module's documentation)."""
    return Grouper(catalog).group({e.id: e for e in model.elements}, by_target(findings))


def by_target(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """Findings by the element or flow they are on."""
    out: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        out[f.target].append(f)
    return dict(out)


class Grouper:
    """Groups findings by cause with one catalog, keeping what it built for the previous
    call: given the findings by target, it regroups only the targets whose list of
    findings is not the same object as before, or whose element changed (the analyses
    of one :class:`~workbench.engine.Analyzer` share one, and an edit keeps the lists of
    every target it did not touch); groups and members stay sorted as they change."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._fixes = _fixes_by_property(catalog)
        self._absences: dict[str, tuple[tuple[str, bool], ...]] = {}
        self._seen: Mapping[str, Sequence[Finding]] = {}
        """The findings by target of the previous call."""
        self._elements: Mapping[str, Element] = {}
        self._missing: dict[str, _Missing] = {}
        """Per element, its missing-control groups and the findings they take."""
        self._members: dict[str, _Sorted[Finding]] = defaultdict(_Sorted)
        """Per threat, its findings that no missing-control group takes, worst first."""
        self._threat: dict[str, FindingGroup] = {}
        """Per threat, the group of its members (one threat on several targets, or a
        single finding)."""
        self._groups: _Sorted[FindingGroup] = _Sorted()
        """Every group: worst first, then larger, then by ID."""

    def group(
        self,
        elements: Mapping[str, Element],
        findings: Mapping[str, Sequence[Finding]],
        delta: tuple[object, frozenset[str]] | None = None,
    ) -> tuple[FindingGroup, ...]:
        """Group the findings of an analysis, given by target, of a model with
        ``elements`` (by ID). ``delta``: the findings by target of an earlier analysis and
        the targets whose findings or element changed since (used when this grouper's
        previous call grouped that analysis)."""
        seen, before = self._seen, self._elements
        if not seen and not before:
            return self._first(elements, findings)
        if delta is not None and delta[0] is seen:
            changed = list(delta[1])
        else:
            changed = [t for t, fs in findings.items() if seen.get(t) is not fs]
            changed += [t for t in seen if t not in findings]
            changed += [eid for eid, e in elements.items() if before.get(eid) is not e]
            changed += [eid for eid in before if eid not in elements]
        current = elements
        dirty: set[str] = set()
        for t in dict.fromkeys(changed):
            self._regroup(t, seen.get(t, ()), findings.get(t, ()), current.get(t), dirty)
        for tid in dirty:
            old = self._threat.pop(tid, None)
            if old is not None:
                self._groups.discard(_order(old))
            members = self._members.get(tid)
            if members and members.items:
                g = self._threat_group(tid, members.items)
                self._threat[tid] = g
                self._groups.add(_order(g), g)
            else:
                self._members.pop(tid, None)
        self._seen, self._elements = findings, current
        return tuple(self._groups.items)

    def _first(
        self, elements: Mapping[str, Element], findings: Mapping[str, Sequence[Finding]]
    ) -> tuple[FindingGroup, ...]:
        """The first call: every target grouped at once, each list sorted once (the same
        groups as adding them one by one)."""
        members: dict[str, list[tuple[tuple[int, str], Finding]]] = defaultdict(list)
        everything: list[tuple[tuple[int, int, str], FindingGroup]] = []
        for target, fs in findings.items():
            if not fs:
                continue
            element = elements.get(target)
            taken: set[str] | frozenset[str] = _NONE
            if element is not None:
                groups, taken = self._missing_controls(element, fs)
                if groups:
                    self._missing[target] = (groups, taken)
                    everything += [(_order(g), g) for g in groups]
            for f in fs:
                if f.id not in taken:  # _worst, inlined
                    members[f.threat_id].append(((-(f.likelihood * f.impact), f.id), f))
        for tid, pairs in members.items():
            pairs.sort(key=_first_item)
            kept = self._members[tid]
            kept.keys = [k for k, _ in pairs]
            kept.items = [f for _, f in pairs]
            g = self._threat_group(tid, kept.items)
            self._threat[tid] = g
            everything.append((_order(g), g))
        everything.sort(key=_first_item)
        self._groups.keys = [k for k, _ in everything]
        self._groups.items = [g for _, g in everything]
        self._seen, self._elements = findings, elements
        return tuple(self._groups.items)

    def _regroup(
        self,
        target: str,
        before: Sequence[Finding],
        after: Sequence[Finding],
        element: Element | None,
        dirty: set[str],
    ) -> None:
        """Take a target's findings ``before`` out of the groups and put ``after`` in."""
        old = self._missing.pop(target, None)
        taken: set[str] = set()
        if old is not None:
            taken = old[1]
            for g in old[0]:
                self._groups.discard(_order(g))
        for f in before:
            if f.id not in taken:
                self._members[f.threat_id].discard(_worst(f))
                dirty.add(f.threat_id)
        taken = set()
        if element is not None:
            groups, taken = self._missing_controls(element, after)
            if groups:
                self._missing[target] = (groups, taken)
                for g in groups:
                    self._groups.add(_order(g), g)
        for f in after:
            if f.id not in taken:
                self._members[f.threat_id].add(_worst(f), f)
                dirty.add(f.threat_id)

    def _threat_group(self, tid: str, ordered: Sequence[Finding]) -> FindingGroup:
        """The group of one threat on two or more targets, or of a single finding;
        ``ordered``: its members, worst first."""
        first = ordered[0]
        if len(ordered) == 1:
            fix = next((m for m in first.mitigations if m not in first.in_place), "")
            return _group(f"finding:{first.id}", "single", first.title, fix, self.catalog, ordered)
        fix = next((m for m in first.mitigations if not _in_place_everywhere(m, ordered)), "")
        title = f"{first.title} — on {len(ordered)} targets: {_names(ordered)}"
        fix = fix or (first.mitigations[0] if first.mitigations else "")
        return _group(f"threat:{tid}", "threat", title, fix, self.catalog, ordered)

    def _absent(self, threat_id: str) -> tuple[tuple[str, bool], ...]:
        """The properties a threat's rule asks to be absent (see :func:`_absences`) that a
        mitigation's in-place rule sets, each once; kept per threat."""
        hit = self._absences.get(threat_id)
        if hit is None:
            threat = self.catalog.threats.get(threat_id)
            found = _absences(threat.applies_to) if threat is not None else ()
            unset_only: dict[str, bool] = {}  # False counts when any ask admits it
            for name, unset in found:
                unset_only[name] = unset_only.get(name, True) and unset
            hit = tuple((n, u) for n, u in unset_only.items() if n in self._fixes)
            self._absences[threat_id] = hit
        return hit

    def _missing_controls(self, element: Element, findings: Sequence[Finding]) -> _Missing:
        """Groups of two or more findings on one element caused by one missing property,
        and the findings they take."""
        fixes, absences = self._fixes, self._absences
        by_cause: dict[str, list[Finding]] = defaultdict(list)
        props = element.properties
        for f in findings:
            absent = absences.get(f.threat_id)
            if absent is None:
                absent = self._absent(f.threat_id)
            for name, unset_only in absent:  # as missing_properties
                value = getattr(props, name, None)
                if value is None or (not unset_only and value in (None, False)):
                    by_cause[name].append(f)
        shared = [(name, members) for name, members in by_cause.items() if len(members) > 1]
        if not shared:
            return [], set()
        groups = []
        taken: set[str] = set()
        for name, members in sorted(shared, key=lambda kv: (-len(kv[1]), kv[0])):
            free = [m for m in members if m.id not in taken]
            if len(free) < 2:
                continue
            wanted = {mid for m in free for mid in m.mitigations}
            fix = next((m for m in fixes[name] if m in wanted), fixes[name][0])
            title = _missing_title(element, name)
            gid = f"missing:{element.id}:{name}"
            ordered = _worst_first(free)
            groups.append(_group(gid, "missing_control", title, fix, self.catalog, ordered))
            taken |= {m.id for m in free}
        return groups, taken


_CONTROL_WORDS: dict[str, tuple[str, str]] = {
    "adversarially_tested": ("has not been adversarially tested", "was adversarially tested"),
    "artifacts_signed": ("has unsigned artifacts", "signs its artifacts"),
    "authentication": ("has no authentication", "authenticates callers"),
    "authorization": ("has no authorization", "authorizes each request"),
    "egress_restricted": ("has unrestricted egress", "restricts egress"),
    "encrypted_at_rest": ("is not encrypted at rest", "is encrypted at rest"),
    "input_validation": ("does not validate its input", "validates its input"),
    "monitored": ("is not monitored", "is monitored"),
    "output_filtering": ("does not filter its output", "filters its output"),
    "privacy_preserving_training": (
        "trains without privacy protection",
        "trains with privacy protection",
    ),
    "provenance_tracked": ("does not track provenance", "tracks provenance"),
    "rate_limited": ("is not rate limited", "is rate limited"),
    "sandboxed": ("is not sandboxed", "is sandboxed"),
    "versions_pinned": ("does not pin versions", "pins versions"),
}
"""How a missing control reads in a group's title: (when set to false, when not set)."""


def _missing_title(element: Element, name: str) -> str:
    """'Vector store has no authorization' ('... does not say whether it authorizes each
    request' when the property is not set): the cause; its members name the threats."""
    value = _value(element, name)
    words = _CONTROL_WORDS.get(name)
    label = name.replace("_", " ")
    if words is None:
        head = f"{element.name}: {label} is {'not set' if value is None else value}"
    elif value is None:
        head = f"{element.name} does not say whether it {words[1]}"
    else:
        head = f"{element.name} {words[0]}"
    return head


_Missing = tuple[list[FindingGroup], set[str]]
"""An element's missing-control groups and the IDs of the findings they take."""

T = TypeVar("T")


class _Sorted(Generic[T]):
    """Items kept sorted by unique keys as they come and go."""

    __slots__ = ("items", "keys")

    def __init__(self) -> None:
        self.keys: list[Any] = []
        self.items: list[T] = []

    def add(self, key: Any, item: T) -> None:
        i = bisect_left(self.keys, key)
        self.keys.insert(i, key)
        self.items.insert(i, item)

    def discard(self, key: Any) -> None:
        i = bisect_left(self.keys, key)
        if i < len(self.keys) and self.keys[i] == key:
            del self.keys[i]
            del self.items[i]


_ID, _TARGET, _IN_PLACE = attrgetter("id"), attrgetter("target"), attrgetter("in_place")
_first_item = itemgetter(0)
_NONE: frozenset[str] = frozenset()


def _worst(f: Finding) -> tuple[int, str]:
    """A finding's place among others: worst first, then by ID."""
    return -f.score, f.id


def _order(g: FindingGroup) -> tuple[int, int, str]:
    """A group's place among others: worst first, then larger, then by ID."""
    return -g.score, -len(g.members), g.id


def _in_place_everywhere(mitigation: str, members: Sequence[Finding]) -> bool:
    return all(map(contains, map(_IN_PLACE, members), repeat(mitigation)))


def _names(ordered: Sequence[Finding]) -> str:
    """The first four targets' names (``ordered``: worst first) and how many more."""
    shown = [f.target_name for f in ordered[:4]]
    more = len(ordered) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _group(
    gid: str,
    cause: Cause,
    title: str,
    fix: str,
    catalog: Catalog,
    ordered: Sequence[Finding],
) -> FindingGroup:
    """A group of ``ordered`` (worst first)."""
    worst = ordered[0]
    m = catalog.mitigations.get(fix)
    return FindingGroup(
        id=gid,
        cause=cause,
        title=title,
        fix=fix,
        fix_title=m.title if m is not None else "",
        members=tuple(map(_ID, ordered)),
        # a threat is found once per target; missing-control groups are on one element
        targets=tuple(map(_TARGET, ordered)) if cause == "threat" else (worst.target,),
        likelihood=worst.likelihood,
        impact=worst.impact,
    )
