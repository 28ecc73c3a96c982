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

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import is_, itemgetter
from typing import TYPE_CHECKING, Any, Literal

from ..catalog import Catalog
from ..catalog.predicates import All, Missing, Prop
from ..model import Element, Flow, ThreatModel
from .risk import Scored

if TYPE_CHECKING:
    from .analysis import Finding

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
    return sorted(findings, key=lambda f: (-f.score, f.id))


def group_findings(
    model: ThreatModel, catalog: Catalog, findings: Sequence[Finding]
) -> tuple[FindingGroup, ...]:
    """Group ``findings`` by cause (see the module's documentation)."""
    return Grouper(catalog).group(model, findings)


class Grouper:
    """Groups findings by cause with one catalog, reusing what its previous call built
    for the same element and findings, the same members of a threat and the same single
    finding (compared by identity): after an edit only what the edit changed is grouped
    again (the analyses of one :class:`~workbench.engine.Analyzer` share one)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._fixes = _fixes_by_property(catalog)
        self._by_element: dict[str, tuple[Element, tuple[Finding, ...], _Missing]] = {}
        self._by_threat: dict[str, tuple[tuple[Finding, ...], _Keyed]] = {}

    def group(self, model: ThreatModel, findings: Sequence[Finding]) -> tuple[FindingGroup, ...]:
        """Group ``findings`` (sorted by ID) of an analysis of ``model``."""
        on: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            on[f.target].append(f)
        keyed: list[_Keyed] = []
        taken: set[str] = set()
        by_element = {}
        old = self._by_element
        for e in model.elements:
            fs = tuple(on.get(e.id, ()))
            hit = old.get(e.id)
            if hit is None or hit[0] is not e or not _same(hit[1], fs):
                hit = (e, fs, self._missing_controls(e, fs))
            by_element[e.id] = hit
            if hit[2][0]:
                keyed += hit[2][0]
                taken |= hit[2][1]
        self._by_element = by_element
        by_threat: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            if f.id not in taken:
                by_threat[f.threat_id].append(f)
        cache = {}
        for tid, members in by_threat.items():
            ms = tuple(members)
            got = self._by_threat.get(tid)
            if got is None or not _same(got[0], ms):
                got = (ms, _keyed(self._threat_group(tid, ms)))
            cache[tid] = got
            keyed.append(got[1])
        self._by_threat = cache
        keyed.sort(key=itemgetter(0))
        return tuple(g for _, g in keyed)

    def _threat_group(self, tid: str, members: Sequence[Finding]) -> FindingGroup:
        """The group of one threat on two or more targets, or of a single finding."""
        first = members[0]
        if len(members) == 1:
            fix = next((m for m in first.mitigations if m not in first.in_place), "")
            return _group(f"finding:{first.id}", "single", first.title, fix, self.catalog, members)
        fix = next((m for m in first.mitigations if not _in_place_everywhere(m, members)), "")
        title = f"{first.title} — on {len(members)} targets: {_names(members)}"
        fix = fix or (first.mitigations[0] if first.mitigations else "")
        return _group(f"threat:{tid}", "threat", title, fix, self.catalog, members)

    def _missing_controls(self, element: Element, findings: Sequence[Finding]) -> _Missing:
        """Groups of two or more findings on one element caused by one missing property,
        and the findings they take."""
        fixes = self._fixes
        by_cause: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            threat = self.catalog.threats.get(f.threat_id)
            if threat is None:
                continue
            for name in missing_properties(threat.applies_to, element):
                if name in fixes:
                    by_cause[name].append(f)
        groups = []
        taken: set[str] = set()
        for name, members in sorted(by_cause.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            free = [m for m in members if m.id not in taken]
            if len(free) < 2:
                continue
            wanted = {mid for m in free for mid in m.mitigations}
            fix = next((m for m in fixes[name] if m in wanted), fixes[name][0])
            shown = "unknown" if _value(element, name) is None else "false"
            title = f"{element.name}: {name.replace('_', ' ')} is {shown}"
            gid = f"missing:{element.id}:{name}"
            groups.append(_keyed(_group(gid, "missing_control", title, fix, self.catalog, free)))
            taken |= {m.id for m in free}
        return groups, taken


_Keyed = tuple[tuple[int, int, str], FindingGroup]
"""A group with its place in the order: worst first, then larger, then by ID."""


def _keyed(g: FindingGroup) -> _Keyed:
    return (-g.score, -len(g.members), g.id), g


def _same(a: tuple[Finding, ...], b: tuple[Finding, ...]) -> bool:
    """Whether two tuples hold the same finding objects (an edit keeps the objects of
    what it did not change)."""
    return len(a) == len(b) and all(map(is_, a, b))


_Missing = tuple[list[_Keyed], set[str]]
"""An element's missing-control groups and the IDs of the findings they take."""


def _in_place_everywhere(mitigation: str, members: Sequence[Finding]) -> bool:
    return all(mitigation in f.in_place for f in members)


def _names(members: Sequence[Finding]) -> str:
    shown = [f.target_name for f in _worst_first(members)][:4]
    more = len(members) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _group(
    gid: str,
    cause: Cause,
    title: str,
    fix: str,
    catalog: Catalog,
    members: Sequence[Finding],
) -> FindingGroup:
    ordered = _worst_first(members)
    worst = ordered[0]
    m = catalog.mitigations.get(fix)
    return FindingGroup(
        id=gid,
        cause=cause,
        title=title,
        fix=fix,
        fix_title=m.title if m is not None else "",
        members=tuple(f.id for f in ordered),
        targets=tuple(dict.fromkeys(f.target for f in ordered)),
        likelihood=worst.likelihood,
        impact=worst.impact,
    )
