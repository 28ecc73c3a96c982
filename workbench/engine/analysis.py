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
(:func:`workbench.parsing.gc_paused`, as loading does): with a model and its previous analysis
alive, as in a notebook or on the canvas, the collector's passes over that heap took
about 45 % of the analysis of 1,000 elements.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from ..catalog import Catalog
from ..graph import ModelGraph
from ..model import ThreatModel
from ..parsing import gc_paused
from .facts import Facts
from .finding import FactsRef, Finding, TargetType, findings_for, index_for
from .groups import FindingGroup, Grouper, by_target
from .incremental import STEP_FIELDS, STEP_FLOW_FIELDS, Edit, Order, Redo, Scope, adopt
from .paths import AttackPath, Route, ScoredRoutes, attack_paths, path_routes
from .scoring import Context, objective_impact

__all__ = ["Analysis", "Analyzer", "Finding", "TargetType", "analyze"]


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

    @property
    def facts(self) -> Facts:
        """The graph facts the analysis computed (trust, influence routes, model types),
        for readers that explain its findings (:mod:`workbench.statements`); read-only."""
        return self._facts

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


def _jewel_impact(graph: ModelGraph, facts: Facts, element_id: str) -> int:
    e = facts.elements[element_id]
    base = {3: 5, 2: 4}.get(graph.classification(element_id), 3)
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
        self._index = index_for(catalog)
        self._last: tuple[ThreatModel, Facts, dict[str, list[Finding]], _Routes, Order] | None
        self._last = None
        self._grouper = Grouper(catalog)
        self._scored = ScoredRoutes()
        self._ref: FactsRef | None = None

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
        ctx = Context(
            objective_impact(model),
            self._index.in_place,
            self._index.references,
            self._index.shared,
        )
        per_target: dict[str, list[Finding]] = {}
        ref = self._ref = FactsRef(facts)
        plan = self._index.plan
        for e in model.elements:
            per_target[e.id] = findings_for(e, plan(e.kind), facts, ctx, ref)
        elements = facts.elements
        for fl in model.flows:
            ends = (elements[fl.source].kind, elements[fl.target].kind)  # kinds_of
            per_target[fl.id] = findings_for(fl, plan(ends), facts, ctx, ref)
        routes = _Routes()
        order = Order(per_target)
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
        edit = Edit(old_facts, facts)
        adopt(facts, old_facts, edit)
        scope = Scope(old_facts, facts, self._index.radius, edit)
        redo = Redo(self._index, scope, facts, old, objective_impact(model), self._ref)
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
            order = Order(per_target)
            delta = None
        _pin_replaced(old, per_target, old_facts)
        if self._ref is not None:  # set by the analysis this update follows
            self._ref.facts = facts  # findings carried over read their reasons from these
        same_ends = (facts.untrusted, facts.crown_jewels) == (
            old_facts.untrusted,
            old_facts.crown_jewels,
        )
        if same_ends and edit.keeps(STEP_FIELDS, STEP_FLOW_FIELDS):
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
        order: Order,
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


def _pin_replaced(
    old: dict[str, list[Finding]], new: dict[str, list[Finding]], old_facts: Facts
) -> None:
    """Old findings that an edit replaced keep reading their reasons from the facts they
    were made from (the analyser's holder moves on to the new facts)."""
    for target, before in old.items():
        after = new.get(target)
        if after is before:
            continue
        kept = {id(f) for f in after} if after else set()
        for f in before:
            if id(f) not in kept:
                f.pin(old_facts)


def analyze(model: ThreatModel, catalog: Catalog | None = None) -> Analysis:
    """Analyse ``model`` with ``catalog`` (default: the built-in catalog)."""
    if catalog is None:
        from ..catalog import load_catalog

        catalog = load_catalog()
    return Analyzer(catalog).analyze(model)
