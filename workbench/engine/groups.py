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
    taken: set[str] = set()
    groups = _missing_controls(model, catalog, findings, taken)
    groups += _same_threat(catalog, findings, taken)
    for f in findings:
        if f.id not in taken:
            fix = next((m for m in f.mitigations if m not in f.in_place), "")
            groups.append(_group(f"finding:{f.id}", "single", f.title, fix, catalog, [f]))
    return tuple(sorted(groups, key=lambda g: (-g.score, -len(g.members), g.id)))


def _missing_controls(
    model: ThreatModel, catalog: Catalog, findings: Sequence[Finding], taken: set[str]
) -> list[FindingGroup]:
    """Groups of two or more findings on one element caused by one missing property."""
    elements = {e.id: e for e in model.elements}
    fixes = _fixes_by_property(catalog)
    by_cause: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        threat = catalog.threats.get(f.threat_id)
        target = elements.get(f.target)
        if threat is None or target is None:
            continue
        for name in missing_properties(threat.applies_to, target):
            if name in fixes:
                by_cause[(f.target, name)].append(f)
    groups = []
    for (eid, name), members in sorted(by_cause.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        free = [m for m in members if m.id not in taken]
        if len(free) < 2:
            continue
        wanted = {mid for m in free for mid in m.mitigations}
        fix = next((m for m in fixes[name] if m in wanted), fixes[name][0])
        shown = "unknown" if _value(elements[eid], name) is None else "false"
        title = f"{elements[eid].name}: {name.replace('_', ' ')} is {shown}"
        groups.append(_group(f"missing:{eid}:{name}", "missing_control", title, fix, catalog, free))
        taken |= {m.id for m in free}
    return groups


def _same_threat(
    catalog: Catalog, findings: Sequence[Finding], taken: set[str]
) -> list[FindingGroup]:
    """Groups of one threat on two or more targets."""
    by_threat: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        if f.id not in taken:
            by_threat[f.threat_id].append(f)
    groups = []
    for tid in sorted(by_threat):
        members = by_threat[tid]
        if len(members) < 2:
            continue
        first = members[0]
        fix = next((m for m in first.mitigations if not _in_place_everywhere(m, members)), "")
        title = f"{first.title} — on {len(members)} targets: {_names(members)}"
        fix = fix or (first.mitigations[0] if first.mitigations else "")
        groups.append(_group(f"threat:{tid}", "threat", title, fix, catalog, members))
        taken |= {m.id for m in members}
    return groups


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
