"""Incremental re-analysis after an edit: which elements and flows changed (by identity
first), what the edit cannot have changed and may be reused, which targets lie near
enough to be evaluated again, and the findings kept sorted as they change.
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import chain
from operator import attrgetter
from typing import Any

from ..graph import breadth_first
from ..model import Element, Flow
from .facts import Facts
from .finding import FactsRef, Finding, Index, Plan, findings_for
from .matchers import kinds_of
from .scoring import Context


class Order:
    """An analysis's findings sorted by ID, kept sorted as targets' findings change
    (the analyzer's own lists: each analysis gets a copy)."""

    def __init__(self, per_target: dict[str, list[Finding]]) -> None:
        self.findings = sorted(chain.from_iterable(per_target.values()), key=attrgetter("id"))
        self.ids = [f.id for f in self.findings]

    def replace(self, before: list[Finding], after: list[Finding]) -> None:
        """Take ``before`` out and put ``after`` in (one target's findings)."""
        ids, findings = self.ids, self.findings
        for f in before:
            i = bisect_left(ids, f.id)
            del ids[i]
            del findings[i]
        for f in after:
            i = bisect_left(ids, f.id)
            ids.insert(i, f.id)
            findings.insert(i, f)


FAR = 1 << 30

_INFLUENCE_FIELDS = (
    "kind",
    "boundary",
    "trusted",
    "accepts_untrusted_content",
    "persistent_memory",
    "online_learning",
    "input_validation",
    "output_filtering",
)
"""What outsider influence reads of an element (with the boundaries, compared apart)."""
_INFLUENCE_FLOW_FIELDS = ("source", "target", "untrusted_content", "query", "initiated_by")
"""What outsider influence reads of a flow."""
_SHAPE_FIELDS = ("kind", "model_type", "boundary")
"""What the neighbourhood searches, inherited model types and boundary crossings read of
an element."""
_SHAPE_FLOW_FIELDS = ("source", "target")
_STANDING_FIELDS = ("kind", "boundary", "trusted", "exposure", "data_classification", "assets")
"""What untrusted actors, entry points and crown jewels read of an element (with the
boundaries and assets, compared apart)."""
STEP_FIELDS = ("kind", "persistent_memory", "online_learning")
"""What the attack paths' step graph reads of an element (with who initiates a flow)."""
STEP_FLOW_FIELDS = ("source", "target", "query", "initiated_by")


class Redo:
    """Findings of a target near an edit: every rule evaluated again on the edited
    elements and flows and their neighbours, only the rules that look far enough on
    targets further up- or downstream of a change."""

    def __init__(
        self,
        index: Index,
        scope: Scope,
        facts: Facts,
        old: dict[str, list[Finding]],
        impact: dict[str, Any],
        ref: FactsRef | None = None,
    ) -> None:
        self.index, self.scope, self.facts, self.old = index, scope, facts, old
        self.ctx = Context(impact, index.in_place, index.references, index.shared)
        self.ref = ref

    def element(self, e: Element) -> list[Finding]:
        """The element's findings: every rule evaluated again when it is near the edit or new, else
        only the rules that look far enough up- or downstream to see a change."""
        idx, scope = self.index, self.scope
        plan = idx.plan(e.kind)
        if e.id in scope.near or e.id not in self.old:
            return findings_for(e, plan, self.facts, self.ctx, self.ref)
        fu, fd = scope.down_of.get(e.id, FAR), scope.up_of.get(e.id, FAR)
        redo = [p for p in plan if fu <= idx.up[p[0].id] or fd <= idx.down[p[0].id]]
        return _partial(self.old[e.id], redo, e, self.facts, self.ctx, self.ref)

    def flow(self, fl: Flow) -> list[Finding]:
        """The flow's findings: every rule evaluated again when the flow changed or is new or an end
        of it is near the edit, else only the rules that look far enough up- or downstream to see a
        change."""
        idx, scope, facts = self.index, self.scope, self.facts
        plan = idx.plan(kinds_of(fl, facts))
        if fl.id in scope.flows or fl.id not in self.old or {fl.source, fl.target} & scope.near:
            return findings_for(fl, plan, facts, self.ctx, self.ref)
        fu = min(scope.down_of.get(fl.source, FAR), scope.down_of.get(fl.target, FAR))
        fd = min(scope.up_of.get(fl.source, FAR), scope.up_of.get(fl.target, FAR))
        redo = [p for p in plan if fu <= idx.up[p[0].id] or fd <= idx.down[p[0].id]]
        return _partial(self.old[fl.id], redo, fl, facts, self.ctx, self.ref)


def adopt(facts: Facts, old: Facts, edit: Edit) -> None:
    """Let ``facts`` reuse what ``old`` computed and the edit cannot have changed."""
    if edit.keeps(_INFLUENCE_FIELDS, _INFLUENCE_FLOW_FIELDS, allow=edit.isolated_inert()):
        facts.adopt_influence(old)  # the edit cannot move outsiders' content
    if edit.keeps(_SHAPE_FIELDS, _SHAPE_FLOW_FIELDS):
        facts.adopt_shape(old)  # nor change what lies near what
    if edit.keeps(_STANDING_FIELDS, _SHAPE_FLOW_FIELDS):
        facts.adopt_standing(old)  # nor who is an outsider, an entry point, a jewel
    if not edit.flows and edit.keeps(STEP_FIELDS, ()):
        facts.adopt_flows(old)  # nor any flow or who starts it


class Edit:
    """The elements and flows an edit changed: found by identity first (an edited model
    shares every unchanged element and flow object with the model before), then by
    value."""

    def __init__(self, old: Facts, new: Facts) -> None:
        self.old, self.new = old, new
        self.elements = _differing(old.elements, new.elements)
        self.flows = set() if old.flows is new.flows else _differing(old.flows, new.flows)

    def keeps(
        self,
        element_fields: tuple[str, ...],
        flow_fields: tuple[str, ...],
        *,
        allow: frozenset[str] = frozenset(),
    ) -> bool:
        """Whether every changed element and flow exists before and after and keeps
        these fields (element fields may be properties). ``allow``: elements that may be
        added or removed all the same."""
        for eid in self.elements:
            a, b = self.old.elements.get(eid), self.new.elements.get(eid)
            if a is None or b is None:
                if eid in allow:
                    continue
                return False
            if any(_field(a, n) != _field(b, n) for n in element_fields):
                return False
        for fid in self.flows:
            fa, fb = self.old.flows.get(fid), self.new.flows.get(fid)
            if fa is None or fb is None:
                return False
            if any(getattr(fa, n) != getattr(fb, n) for n in flow_fields):
                return False
        return True

    def isolated_inert(self) -> frozenset[str]:
        """Elements added or removed without a flow, in a model without other flow
        changes, that let no outsider's content in (not untrusted, not accepting it): the
        canvas's "add an element" before it is connected. Outsiders' influence cannot
        reach them or pass through them, so it stays as it was."""
        if self.flows:
            return frozenset()
        out = set()
        for eid in self.elements:
            a, b = self.old.elements.get(eid), self.new.elements.get(eid)
            if (a is None) == (b is None):
                continue  # changed, not added or removed
            facts, e = (self.new, b) if b is not None else (self.old, a)
            if e is None or (
                facts.graph.succ.get(eid)
                or facts.graph.pred.get(eid)
                or facts.graph.is_untrusted(eid)
                or e.properties.accepts_untrusted_content
            ):
                continue
            out.add(eid)
        return frozenset(out)


def _field(element: Element, name: str) -> object:
    if name in ("kind", "boundary", "name", "assets"):
        return getattr(element, name)
    return getattr(element.properties, name)


def _differing(old: dict[str, Any], new: dict[str, Any]) -> set[str]:
    """IDs whose items differ between two mappings (present in one only, or unequal)."""
    out = {k for k in old.keys() ^ new.keys()}
    for k, a in old.items():
        b = new.get(k)
        if b is not None and a is not b and a != b:
            out.add(k)
    return out


def _partial(
    old: list[Finding],
    redo: Plan,
    target: Element | Flow,
    facts: Facts,
    ctx: Context,
    ref: FactsRef | None = None,
) -> list[Finding]:
    """Old findings of a target, with the threats in ``redo`` evaluated again."""
    if not redo:
        return old
    ids = {p[0].id for p in redo}
    kept = [f for f in old if f.threat_id not in ids]
    return kept + findings_for(target, redo, facts, ctx, ref)


def _changed_elements(old: Facts, new: Facts, edit: Edit) -> tuple[set[str], set[str]]:
    """Elements that changed, and those whose change can reach far: upstream/downstream
    rules read only the graph's shape and the kinds and names of elements."""
    changed: set[str] = set()
    structural: set[str] = set()
    for eid in edit.elements:
        before, after = old.elements.get(eid), new.elements.get(eid)
        changed.add(eid)
        if (
            before is None
            or after is None
            or (before.kind, before.name) != (after.kind, after.name)
        ):
            structural.add(eid)
    return changed, structural


class Scope:
    """What an edit can affect.

    ``near``: changed elements (including those whose trust, entry-point, crown-jewel or
    reachability facts changed, and the ends of flows that changed or now cross a boundary
    differently) and their direct neighbours: every rule is evaluated again there.
    ``down_of`` / ``up_of``: distance, along flows, downstream / upstream of an element
    whose kind or name changed or that gained or lost flows, in the old or the new graph:
    a rule that looks N flows upstream (downstream) is evaluated again on targets at most
    N flows downstream (upstream) of such a change.
    """

    def __init__(self, old: Facts, new: Facts, radius: int, edit: Edit) -> None:
        self.flows: set[str] = set()
        changed, structural = _changed_elements(old, new, edit)
        for fid in edit.flows:
            before, after = old.flows.get(fid), new.flows.get(fid)
            self.flows.add(fid)
            ends = {f.source for f in (before, after) if f} | {
                f.target for f in (before, after) if f
            }
            changed |= ends
            if (
                before is None
                or after is None
                or (before.source, before.target)
                != (
                    after.source,
                    after.target,
                )
            ):
                structural |= ends
        for name in ("untrusted", "entry_points", "crown_jewels", "reachable"):
            changed |= set(getattr(old, name) ^ getattr(new, name))
        # influence routes and inherited model types reach far: compare them outright;
        # a route's words name its elements and the stores among them
        worded = structural | (old.graph.persisting ^ new.graph.persisting)
        for key in list(old.influenced_keys()):
            a, b = old.influence(key), new.influence(key)
            if a is b:  # adopted: only renames can change what its routes say
                changed |= b.routes_through(worded)
                self.flows |= b.flows_through(worded)
                continue
            changed |= a.differs_from(b) | b.routes_through(worded)
            self.flows |= a.flows_differ_from(b) | b.flows_through(worded)
        mt_old, mt_new = old.model_types, new.model_types
        if mt_old is not mt_new:
            changed |= {e for e in mt_old.keys() | mt_new.keys() if mt_old.get(e) != mt_new.get(e)}
        for fid in old.crossing ^ new.crossing:
            self.flows.add(fid)
            f = new.flows.get(fid) or old.flows[fid]
            changed |= {f.source, f.target}
        self.near = set(changed)
        for facts in (old, new):
            for n in changed:
                for f in (*facts.incoming.get(n, ()), *facts.outgoing.get(n, ())):
                    self.near |= {f.source, f.target}
        self.down_of = _distances(structural, radius, old, new, forward=True)
        self.up_of = _distances(structural, radius, old, new, forward=False)
        self.far = _Far(self)


class _Far:
    """Membership test: element IDs out of every reach of an edit (not near it, nor
    within any rule's reach up- or downstream of a structural change)."""

    def __init__(self, scope: Scope) -> None:
        self._near = scope.near
        self._down = scope.down_of
        self._up = scope.up_of

    def __contains__(self, element_id: object) -> bool:
        return (
            element_id not in self._near
            and element_id not in self._down
            and element_id not in self._up
        )


def _distances(
    starts: set[str], limit: int, old: Facts, new: Facts, *, forward: bool
) -> dict[str, int]:
    """Flows from the nearest of ``starts``, along (``forward``) or against flows of the
    old or the new model, up to ``limit``."""

    def neighbours(n: str) -> list[str]:
        out = []
        for facts in (old, new):
            flows = (facts.outgoing if forward else facts.incoming).get(n, ())
            out += [f.target if forward else f.source for f in flows]
        return out

    return breadth_first(starts, neighbours, limit)
