"""The analysis engine: ``analyze(model, catalog) -> Analysis``.

Pure and deterministic: the same model and catalog always give the same findings in the
same order. A finding's ID is ``THREAT-ID@target-id`` (an element or a flow), so decisions
recorded against it survive re-analysis.

PASTA stages covered here:

4. threat analysis: every catalog threat whose rule holds on an element or flow;
5. weakness analysis: catalog threats of stage 5 (a needed control is missing);
6. attack paths: bounded, directed paths from untrusted actors to crown jewels, with the
   findings along each typed step and a score (see :mod:`workbench.engine.paths`);
7. risk: likelihood x impact per finding, raised by exposure and by the business
   objectives the target serves (see :func:`score`); residual risk and tolerance are joined
   in :mod:`workbench.register`.

The analysis pauses the cyclic garbage collector while it builds its objects
(:func:`workbench.io.gc_paused`, as loading does): with a model and its previous analysis
alive, as in a notebook or on the canvas, the collector's passes over that heap took
about 45 % of the analysis of 1,000 elements.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain
from operator import attrgetter
from typing import Any, Literal

from pydantic import BaseModel

from ..catalog import Catalog, Threat
from ..catalog.predicates import (
    Downstream,
    Upstream,
)
from ..graph import ModelGraph, breadth_first
from ..io import gc_paused
from ..model import Element, Flow, ThreatModel
from ..model.kinds import KINDS
from ..model.types import CLASSIFICATION_RANK
from .groups import FindingGroup, Grouper, by_target
from .matchers import NEVER, Kinds, Test, kinds_of, matcher
from .paths import AttackPath, Route, ScoredRoutes, attack_paths, path_routes
from .risk import Scored
from .rules import Facts, evaluate
from .scoring import Context, InPlace, narrowed, objective_impact, origins_of, score

TargetType = Literal["element", "flow"]


@dataclass(frozen=True)
class Finding(Scored):
    """A threat that applies to one element or flow, with why and how risky."""

    id: str
    """``THREAT-ID@target-id``."""
    threat_id: str
    """The catalog threat."""
    target: str
    """The element or flow ID."""
    target_type: TargetType
    """Whether the target is an element or a flow."""
    target_name: str
    """Display name of the target."""
    title: str
    """The threat's title."""
    stride: tuple[str, ...]
    """STRIDE letters."""
    pasta_stage: int
    """4 (threat) or 5 (weakness)."""
    layer: str
    """Layer of the target (a flow: of its target element)."""
    why: tuple[str, ...]
    """Why the threat was suggested: the clauses of its rule that held."""
    likelihood: int
    """Likelihood 1..5 after adjustment for exposure."""
    impact: int
    """Impact 1..5 after adjustment for business objectives."""
    scoring: tuple[str, ...]
    """How likelihood and impact were adjusted from the catalog defaults."""
    mitigations: tuple[str, ...]
    """Catalog mitigations that address the threat."""
    references: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Framework IDs (ATLAS, OWASP ...) describing the threat."""
    in_place: tuple[str, ...] = ()
    """Mitigations of the threat that the model shows in place on the target (they
    lowered the likelihood; see ``scoring``)."""

    @property
    def atlas(self) -> tuple[str, ...]:
        """MITRE ATLAS technique IDs."""
        return self.references.get("atlas", ())

    @property
    def owasp(self) -> tuple[str, ...]:
        """OWASP IDs (LLM Top 10, ML Top 10, Agentic)."""
        r = self.references
        return r.get("owasp_llm", ()) + r.get("owasp_ml", ()) + r.get("owasp_agentic", ())


@dataclass
class _Routes:
    """The routes of a model's attack paths (:func:`path_routes`), computed on first use
    and handed on to the analysis of an edit that keeps the model's shape."""

    routes: tuple[Route, ...] | None = None


@dataclass(frozen=True)
class Analysis:
    """The result of analysing one model with one catalog."""

    model: ThreatModel
    catalog: Catalog
    findings: tuple[Finding, ...]
    """Sorted by finding ID."""
    entry_points: tuple[str, ...]
    crown_jewels: tuple[str, ...]
    untrusted_actors: tuple[str, ...]
    _graph: ModelGraph = field(repr=False, compare=False)
    _facts: Facts = field(repr=False, compare=False)
    _routes: _Routes = field(default_factory=lambda: _Routes(), repr=False, compare=False)
    _grouper: Grouper | None = field(default=None, repr=False, compare=False)
    _scored: ScoredRoutes | None = field(default=None, repr=False, compare=False)
    _per_target: dict[str, list[Finding]] | None = field(default=None, repr=False, compare=False)
    """The findings by element or flow ID (every target has a list, maybe empty)."""
    _delta: tuple[object, frozenset[str]] | None = field(default=None, repr=False, compare=False)
    """The previous analysis's findings by target and the targets whose findings changed
    since (an edit), for the attack paths and groups to redo only those."""

    @cached_property
    def attack_paths(self) -> tuple[AttackPath, ...]:
        """PASTA stage 6, computed on first use: sorted by score (highest first), then
        length and ID."""
        facts = self._facts
        sources, targets = sorted(facts.untrusted), sorted(facts.crown_jewels)
        with gc_paused():  # see the module docstring
            if self._routes.routes is None:
                self._routes.routes = path_routes(self._graph, sources, targets)
            jewels = {t: _jewel_impact(self._graph, facts, t) for t in facts.crown_jewels}
            return attack_paths(
                self._graph,
                sources,
                targets,
                self.findings,
                jewels,
                routes=self._routes.routes,
                scored=self._scored,
                per_target=self._per_target,
                delta=self._delta,
            )

    @cached_property
    def groups(self) -> tuple[FindingGroup, ...]:
        """Findings grouped by cause, worst first (see :mod:`workbench.engine.groups`);
        computed on first use."""
        grouper = self._grouper or Grouper(self.catalog)
        with gc_paused():  # see the module docstring
            if self._per_target is None:
                return grouper.group(self._graph.elements, by_target(self.findings))
            return grouper.group(self._graph.elements, self._per_target, self._delta)

    def group_of(self, finding_id: str) -> FindingGroup:
        """The group a finding belongs to (``KeyError`` if there is no such finding)."""
        for g in self.groups:
            if finding_id in g.members:
                return g
        raise KeyError(finding_id)

    def finding(self, finding_id: str) -> Finding:
        """The finding with ``finding_id`` (``KeyError`` if there is none)."""
        for f in self.findings:
            if f.id == finding_id:
                return f
        raise KeyError(finding_id)

    def for_target(self, target_id: str) -> list[Finding]:
        """The findings on one element or flow."""
        return [f for f in self.findings if f.target == target_id]

    @property
    def weaknesses(self) -> tuple[Finding, ...]:
        """PASTA stage 5 findings."""
        return tuple(f for f in self.findings if f.pasta_stage == 5)


# ----------------------------------------------------------------------------- evaluation
Plan = list[tuple[Threat, Test]]
"""Threats to test on one kind of target, each with its matcher (see :func:`matcher`)."""


def _plan(threats: list[Threat], kind: Kinds) -> Plan:
    """The threats that may hold on targets of ``kind``, with their matchers."""
    return [(t, test) for t in threats if (test := matcher(t.applies_to, kind)) is not NEVER]


class _Index:
    """Threats grouped by the element kinds they can apply to, and how far each looks."""

    def __init__(self, catalog: Catalog) -> None:
        self.by_kind: dict[str, list[Threat]] = defaultdict(list)
        self.flow_threats: list[Threat] = []
        self.up: dict[str, int] = {}
        self.down: dict[str, int] = {}
        self.in_place: InPlace = {}
        self.references: dict[str, dict[str, tuple[str, ...]]] = {}
        for t in catalog.threats.values():
            self.references[t.id] = {k: tuple(v) for k, v in t.references.model_dump().items() if v}
            origins = origins_of(t.applies_to)  # a screen counts on the threat's own route
            rules = [
                (
                    mid,
                    narrowed(m.in_place, origins) if origins and m.in_place else m.in_place,
                    m.in_place_on_flow,
                )
                for mid in t.mitigations
                if (m := catalog.mitigations.get(mid)) is not None
                and (m.in_place is not None or m.in_place_on_flow is not None)
            ]
            self.in_place[t.id] = rules
            reaches = [_reach(t.applies_to)] + [
                _reach(r) for _, a, b in rules for r in (a, b) if r is not None
            ]
            self.up[t.id] = max(u for u, _ in reaches)
            self.down[t.id] = max(d for _, d in reaches)
            if t.target == "flow":
                self.flow_threats.append(t)
                continue
            kinds = t.applies_to.kinds()
            for k in KINDS if kinds is None else sorted(kinds):
                self.by_kind[k].append(t)
        self.radius = max([*self.up.values(), *self.down.values(), 0])
        self._plans: dict[Kinds, Plan] = {}

    def plan(self, kind: Kinds) -> Plan:
        """The threats to test on an element of ``kind`` (a flow: between elements of
        these two kinds), each with its matcher."""
        hit = self._plans.get(kind)
        if hit is None:
            threats = self.flow_threats if isinstance(kind, tuple) else self.by_kind[kind]
            hit = self._plans[kind] = _plan(threats, kind)
        return hit


def _reach(pred: object) -> tuple[int, int]:
    """How many flows a rule looks upstream and downstream of its target (0: only the
    target and its direct flows)."""
    up = pred.upstream.max_hops if isinstance(pred, Upstream) else 0
    down = pred.downstream.max_hops if isinstance(pred, Downstream) else 0
    for value in getattr(pred, "__dict__", {}).values():
        children = value if isinstance(value, list) else [value]
        for child in children:
            if isinstance(child, BaseModel):
                u, d = _reach(child)
                up, down = max(up, u), max(down, d)
    return up, down


def _findings_for(target: Element | Flow, plan: Plan, facts: Facts, ctx: Context) -> list[Finding]:
    out = []
    is_flow = isinstance(target, Flow)
    for t, test in plan:
        if not test(facts, target):
            continue
        m = evaluate(t.applies_to, facts, target)
        likelihood, impact, notes, in_place = score(t, target, facts, ctx)
        name, layer = _describe(target, facts)
        refs = ctx.references[t.id]
        out.append(
            Finding(
                id=f"{t.id}@{target.id}",
                threat_id=t.id,
                target=target.id,
                target_type="flow" if is_flow else "element",
                target_name=name,
                title=t.title,
                stride=tuple(t.stride),
                pasta_stage=t.pasta_stage,
                layer=layer,
                why=_dedupe(m.reasons),
                likelihood=likelihood,
                impact=impact,
                scoring=notes,
                mitigations=tuple(t.mitigations),
                references=refs,
                in_place=in_place,
            )
        )
    return out


def _describe(target: Element | Flow, facts: Facts) -> tuple[str, str]:
    """Display name and layer of a target (a flow's layer is its target's)."""
    if isinstance(target, Flow):
        src, dst = facts.elements[target.source], facts.elements[target.target]
        return target.name or f"{src.name} → {dst.name}", KINDS[dst.kind].layer.value
    return target.name, KINDS[target.kind].layer.value


def _dedupe(reasons: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(reasons))


def _jewel_impact(graph: ModelGraph, facts: Facts, element_id: str) -> int:
    e = facts.elements[element_id]
    ranks = [facts.assets[a][0] for a in e.assets]
    if e.properties.data_classification is not None:
        ranks.append(CLASSIFICATION_RANK[e.properties.data_classification])
    base = {3: 5, 2: 4}.get(max(ranks, default=0), 3)
    if any(a.crown_jewel for a in graph.model.assets if a.id in e.assets):
        base = max(base, 4)
    return base


# ----------------------------------------------------------------------------- API
class Analyzer:
    """Analyses models with one catalog; :meth:`update` re-analyses only what an edit can
    change (the edited elements and flows, their neighbourhood up to the furthest any rule
    looks, and every target whose graph facts — trust, entry point, crown jewel,
    reachability, boundary crossing — changed)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._index = _Index(catalog)
        self._last: tuple[ThreatModel, Facts, dict[str, list[Finding]], _Routes, _Order] | None
        self._last = None
        self._grouper = Grouper(catalog)
        self._scored = ScoredRoutes()

    def analyze(self, model: ThreatModel) -> Analysis:
        """Analyse ``model`` from scratch."""
        with gc_paused():  # see the module docstring
            return self._analyze(model)

    def update(self, model: ThreatModel) -> Analysis:
        """Re-analyse after an edit to the previously analysed model."""
        with gc_paused():  # see the module docstring
            return self._update(model)

    def _analyze(self, model: ThreatModel) -> Analysis:
        graph = model.graph()
        facts = Facts(graph)
        ctx = Context(objective_impact(model), self._index.in_place, self._index.references)
        per_target: dict[str, list[Finding]] = {}
        for e in model.elements:
            per_target[e.id] = _findings_for(e, self._index.plan(e.kind), facts, ctx)
        for fl in model.flows:
            per_target[fl.id] = _findings_for(fl, self._index.plan(kinds_of(fl, facts)), facts, ctx)
        routes = _Routes()
        order = _Order(per_target)
        self._last = (model, facts, per_target, routes, order)
        return self._result(model, graph, facts, per_target, routes, order)

    def _update(self, model: ThreatModel) -> Analysis:
        if self._last is None:
            return self._analyze(model)
        old_model, old_facts, old, old_routes, order = self._last
        if (
            model.objectives != old_model.objectives
            or model.assets != old_model.assets
            or model.boundaries != old_model.boundaries
        ):
            return self.analyze(model)
        graph = ModelGraph(model, old_facts.graph)
        facts = Facts(graph, old_facts)
        edit = _Edit(old_facts, facts)
        _adopt(facts, old_facts, edit)
        scope = _Scope(old_facts, facts, self._index.radius, edit)
        redo = _Redo(self._index, scope, facts, old, objective_impact(model))
        if edit.keeps((), ()):  # the same elements and flows: visit only what is near
            per_target = dict(old)
            near = scope.near | scope.down_of.keys() | scope.up_of.keys()
            flows = set(scope.flows)
            for eid in near:
                per_target[eid] = redo.element(facts.elements[eid])
                flows.update(f.id for f in facts.incoming[eid])
                flows.update(f.id for f in facts.outgoing[eid])
            for fid in flows:
                per_target[fid] = redo.flow(facts.flows[fid])
            changed = frozenset(t for t in (*near, *flows) if per_target[t] is not old[t])
            for t in changed:
                order.replace(old[t], per_target[t])
            delta: tuple[object, frozenset[str]] | None = (old, changed)
        else:
            per_target = {}
            far = scope.far
            for e in model.elements:
                keep = e.id in far and e.id in old  # nothing any rule reads changed near it
                per_target[e.id] = old[e.id] if keep else redo.element(e)
            for fl in model.flows:
                keep = (
                    fl.source in far
                    and fl.target in far
                    and fl.id in old
                    and fl.id not in scope.flows
                )
                per_target[fl.id] = old[fl.id] if keep else redo.flow(fl)
            order = _Order(per_target)
            delta = None
        same_ends = (facts.untrusted, facts.crown_jewels) == (
            old_facts.untrusted,
            old_facts.crown_jewels,
        )
        if same_ends and edit.keeps(_STEP_FIELDS, _STEP_FLOW_FIELDS):
            routes = old_routes  # attack paths follow the same routes (scored anew)
        else:
            routes = _Routes()
        self._last = (model, facts, per_target, routes, order)
        return self._result(model, graph, facts, per_target, routes, order, delta)

    def _result(
        self,
        model: ThreatModel,
        graph: ModelGraph,
        facts: Facts,
        per_target: dict[str, list[Finding]],
        routes: _Routes,
        order: _Order,
        delta: tuple[object, frozenset[str]] | None = None,
    ) -> Analysis:
        return Analysis(
            model=model,
            catalog=self.catalog,
            findings=tuple(order.findings),
            _graph=graph,
            _facts=facts,
            _routes=routes,
            _grouper=self._grouper,
            _scored=self._scored,
            _per_target=per_target,
            _delta=delta,
            entry_points=facts.ordered("entry_points"),
            crown_jewels=facts.ordered("crown_jewels"),
            untrusted_actors=facts.ordered("untrusted"),
        )


class _Order:
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


_FAR = 1 << 30

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
_STEP_FIELDS = ("kind", "persistent_memory", "online_learning")
"""What the attack paths' step graph reads of an element (with who initiates a flow)."""
_STEP_FLOW_FIELDS = ("source", "target", "query", "initiated_by")


class _Redo:
    """Findings of a target near an edit: every rule evaluated again on the edited
    elements and flows and their neighbours, only the rules that look far enough on
    targets further up- or downstream of a change."""

    def __init__(
        self,
        index: _Index,
        scope: _Scope,
        facts: Facts,
        old: dict[str, list[Finding]],
        impact: dict[str, Any],
    ) -> None:
        self.index, self.scope, self.facts, self.old = index, scope, facts, old
        self.ctx = Context(impact, index.in_place, index.references)

    def element(self, e: Element) -> list[Finding]:
        idx, scope = self.index, self.scope
        plan = idx.plan(e.kind)
        if e.id in scope.near or e.id not in self.old:
            return _findings_for(e, plan, self.facts, self.ctx)
        fu, fd = scope.down_of.get(e.id, _FAR), scope.up_of.get(e.id, _FAR)
        redo = [p for p in plan if fu <= idx.up[p[0].id] or fd <= idx.down[p[0].id]]
        return _partial(self.old[e.id], redo, e, self.facts, self.ctx)

    def flow(self, fl: Flow) -> list[Finding]:
        idx, scope, facts = self.index, self.scope, self.facts
        plan = idx.plan(kinds_of(fl, facts))
        if fl.id in scope.flows or fl.id not in self.old or {fl.source, fl.target} & scope.near:
            return _findings_for(fl, plan, facts, self.ctx)
        fu = min(scope.down_of.get(fl.source, _FAR), scope.down_of.get(fl.target, _FAR))
        fd = min(scope.up_of.get(fl.source, _FAR), scope.up_of.get(fl.target, _FAR))
        redo = [p for p in plan if fu <= idx.up[p[0].id] or fd <= idx.down[p[0].id]]
        return _partial(self.old[fl.id], redo, fl, facts, self.ctx)


def _adopt(facts: Facts, old: Facts, edit: _Edit) -> None:
    """Let ``facts`` reuse what ``old`` computed and the edit cannot have changed."""
    if edit.keeps(_INFLUENCE_FIELDS, _INFLUENCE_FLOW_FIELDS):
        facts.adopt_influence(old)  # the edit cannot move outsiders' content
    if edit.keeps(_SHAPE_FIELDS, _SHAPE_FLOW_FIELDS):
        facts.adopt_shape(old)  # nor change what lies near what
    if edit.keeps(_STANDING_FIELDS, _SHAPE_FLOW_FIELDS):
        facts.adopt_standing(old)  # nor who is an outsider, an entry point, a jewel
    if not edit.flows and edit.keeps(_STEP_FIELDS, ()):
        facts.adopt_flows(old)  # nor any flow or who starts it


class _Edit:
    """The elements and flows an edit changed: found by identity first (an edited model
    shares every unchanged element and flow object with the model before), then by
    value."""

    def __init__(self, old: Facts, new: Facts) -> None:
        self.old, self.new = old, new
        self.elements = _differing(old.elements, new.elements)
        self.flows = set() if old.flows is new.flows else _differing(old.flows, new.flows)

    def keeps(self, element_fields: tuple[str, ...], flow_fields: tuple[str, ...]) -> bool:
        """Whether every changed element and flow exists before and after and keeps
        these fields (element fields may be properties)."""
        for eid in self.elements:
            a, b = self.old.elements.get(eid), self.new.elements.get(eid)
            if a is None or b is None:
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
) -> list[Finding]:
    """Old findings of a target, with the threats in ``redo`` evaluated again."""
    if not redo:
        return old
    ids = {t.id for t, _ in redo}
    return [f for f in old if f.threat_id not in ids] + _findings_for(target, redo, facts, ctx)


def _changed_elements(old: Facts, new: Facts, edit: _Edit) -> tuple[set[str], set[str]]:
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


class _Scope:
    """What an edit can affect.

    ``near``: changed elements (including those whose trust, entry-point, crown-jewel or
    reachability facts changed, and the ends of flows that changed or now cross a boundary
    differently) and their direct neighbours: every rule is evaluated again there.
    ``down_of`` / ``up_of``: distance, along flows, downstream / upstream of an element
    whose kind or name changed or that gained or lost flows, in the old or the new graph:
    a rule that looks N flows upstream (downstream) is evaluated again on targets at most
    N flows downstream (upstream) of such a change.
    """

    def __init__(self, old: Facts, new: Facts, radius: int, edit: _Edit) -> None:
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

    def __init__(self, scope: _Scope) -> None:
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


def analyze(model: ThreatModel, catalog: Catalog | None = None) -> Analysis:
    """Analyse ``model`` with ``catalog`` (default: the built-in catalog)."""
    if catalog is None:
        from ..catalog import load_catalog

        catalog = load_catalog()
    return Analyzer(catalog).analyze(model)
