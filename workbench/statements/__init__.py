"""Threat statements: a finding as sentences a reader can act on.

A finding's ``why`` is rule evidence ("Vector store is a data store; authorization is
false"). A statement says **who** can do **what**, to **which assets**, **through which
route**, with **what impact**, and **what would stop it**, in the grammar of AWS Threat
Composer (threat source, prerequisites, threat action, threat impact, impacted assets)::

    {source} {prerequisites} can {action}[, via {route}], {impact}[, affecting {assets}].
    {what is in place, or that nothing is; the recommended controls}

for example: *An outsider who can put content into Ticket system can plant documents or
hidden instructions in Vector store, via Ingestion pipeline, so that the AI that reads
it repeats false information …, affecting Customer support tickets (confidential,
personal data, crown jewel). The threat model shows no control against it: nothing
screens this route; the recommended controls are “Vet, sanitise and trace documents …”,
…*

The parts come from the model and the catalog:

* the **action** and **impact** are the threat's catalog phrases
  (:attr:`~workbench.catalog.entries.Threat.action`,
  :attr:`~workbench.catalog.entries.Threat.consequence`) with the target's name put in;
* the **source** follows the threat's :data:`~workbench.catalog.entries.ThreatSource`:
  the origin of outsiders' best route to the target (the route the rule's own
  ``influenced`` clause follows, as in the finding's ``why``), the untrusted actor of the
  top attack path through it, the provider of a third-party element, the operators that
  feed it, and so on; the **route** is that route, in names;
* the **assets** are those the target holds (a flow: carries), else the crown jewels the
  attack paths through it lead to;
* the **stops** are the mitigations the model shows in place (``Finding.in_place``) and the
  first recommended ones (``Finding.mitigations``), by catalog title.

The statement is deterministic and plain text: nothing is escaped here (renderers
escape), and names from the model are inserted as they are, never interpreted (a name
holding ``{target}`` stays as it is). ``Finding.why`` stays the evidence for an appendix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..catalog.entries import Threat
from ..catalog.predicates import InfluenceSpec
from ..engine import Analysis, AttackPath, Finding
from ..engine.influence import Influence, Reach
from ..model import Element, Flow
from .parts import (
    _ACTORS,
    _SERVING,
    _SUPPLIERS,
    _USERS,
    GOALS,
    MAX_HOPS,
    MAX_RECOMMENDED,
    MAX_SUPPLIER_HOPS,
    AssetRef,
    Control,
    Statement,
    _asset_rank,
    _assets_words,
    _end,
    _facts_of,
    _listed,
    _person,
    _quoted,
    _sp,
    _Who,
)
from .sources import _PLAIN, _SOURCE_PREREQ, _auto, _influence_specs, _package

__all__ = [
    "GOALS",
    "AssetRef",
    "Control",
    "Statement",
    "StatementWriter",
    "statement",
    "statements",
]


# ----------------------------------------------------------------------------- API
def statement(analysis: Analysis, finding: Finding) -> Statement:
    """The threat statement of one finding of ``analysis``. For many findings use
    :func:`statements` or one :class:`StatementWriter` (it keeps what it looked up)."""
    return StatementWriter(analysis).statement(finding)


def statements(analysis: Analysis) -> dict[str, Statement]:
    """The threat statement of every finding of ``analysis``, by finding ID (in the
    analysis's order)."""
    writer = StatementWriter(analysis)
    return {f.id: writer.statement(f) for f in analysis.findings}


class StatementWriter:
    """Writes the threat statements of one analysis (see :func:`statement`)."""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.catalog = analysis.catalog
        self.facts = _facts_of(analysis)
        self.graph = self.facts.graph
        self._influences: dict[frozenset[str] | None, Influence] = {}
        self._assets = {a.id: a for a in analysis.model.assets}
        self._through: dict[str, list[tuple[AttackPath, int]]] | None = None

    def statement(self, finding: Finding) -> Statement:
        """The threat statement of ``finding``."""
        threat = self.catalog.threats.get(finding.threat_id)
        target: Element | Flow
        if finding.target_type == "flow":
            target = self.facts.flows[finding.target]
        else:
            target = self.facts.elements[finding.target]
        target_words = self._target_words(target)
        if threat is None:  # a finding of a threat the catalog no longer has
            action = f"realise “{finding.title}” on {target_words}"
            impact = ""
            who = self._by_exposure(target)
        else:
            action = threat.action.replace("{target}", target_words)
            impact = threat.consequence.replace("{target}", target_words)
            who = self._who(threat, target)
        assets = self._affected(target)
        stops = self._stops(finding)
        route_words = self._route_words(who, target)
        head = f"{who.source}{_sp(who.prerequisites)} can {action}"
        if route_words:
            head += f", via {route_words}"
        if impact:
            head += f", {impact}"
        if assets:
            head += f", affecting {_assets_words(assets)}"
        text = f"{_end(head)} {_end(self._stops_words(who, stops))}"
        return Statement(
            finding=finding.id,
            target=target_words,
            source_kind=who.kind,
            source=who.source,
            prerequisites=who.prerequisites,
            action=action,
            impact=impact,
            assets=assets,
            route=tuple(self._name(e) for e in who.route),
            route_ids=who.route,
            screens=tuple(self._name(e) for e in who.screens),
            stops=stops,
            goals=tuple(dict.fromkeys(GOALS[s] for s in finding.stride if s in GOALS)),
            text=text,
        )

    # ------------------------------------------------------------------ names
    def _name(self, element_id: str) -> str:
        return self.facts.elements[element_id].name

    def _target_words(self, target: Element | Flow) -> str:
        if isinstance(target, Element):
            return target.name
        ends = f"{self._name(target.source)} → {self._name(target.target)}"
        if not target.name:
            return f"the flow {ends}"
        last = target.name.split()[-1].lower()
        noun = "" if last in ("flow", "flows") else " flow"
        return f"the {target.name}{noun} ({ends})"

    def _route_words(self, who: _Who, target: Element | Flow) -> str:
        ends = {target.source, target.target} if isinstance(target, Flow) else {target.id}
        shown = [e for e in who.route if e not in who.named and e not in ends]
        return " → ".join(self._name(e) for e in shown)

    # ------------------------------------------------------------------ who
    def _who(self, threat: Threat, target: Element | Flow) -> _Who:
        kind = threat.source if threat.source != "auto" else _auto(threat, target)
        if kind == "user":
            return self._user(threat, target)
        if kind == "supplier":
            return self._supplier(target)
        if kind == "outsider":
            return self._outsider(threat, target)
        return _PLAIN[kind](self, target)

    def _outsider(self, threat: Threat, target: Element | Flow) -> _Who:
        """The origin of outsiders' best route, else of the top attack path through the
        target, else by exposure."""
        if isinstance(target, Element) and self.graph.is_untrusted(target.id):
            return self._origin("outsider", (target.id,), declared=False)
        for spec in [*_influence_specs(threat.applies_to), None]:
            reach = self._reach(spec, target)
            if reach is not None:
                return self._from_reach("outsider", reach)
        route = self._attack_route(target)
        if route:
            return self._origin("outsider", route, declared=False)
        return self._by_exposure(target)

    def _user(self, threat: Threat, target: Element | Flow) -> _Who:
        """A user (a person, a client app, an outside caller) whose requests reach the
        target, or a service it feeds; else any outsider whose content reaches a serving
        target, or a service it feeds; else as :meth:`_outsider`."""
        if isinstance(target, Element) and self.graph.is_untrusted(target.id):
            return self._outsider(threat, target)
        serving = isinstance(target, Flow) or target.kind in _SERVING
        for kind, origins, direct in (("user", _USERS, True), ("outsider", None, serving)):
            reach = self._user_reach(self._influence(origins), target, direct=direct)
            if reach is not None:
                return self._from_reach(kind, reach)
        return self._outsider(threat, target)

    def _user_reach(self, inf: Influence, target: Element | Flow, *, direct: bool) -> Reach | None:
        """The best route to the target (when ``direct``), else to the nearest service
        it feeds."""
        if direct:
            reach = inf.flow(target.id) if isinstance(target, Flow) else inf.best(target.id)
            if reach is not None:
                return reach
        start = target.target if isinstance(target, Flow) else target.id
        for e in self._downstream(start):
            reach = inf.best(e)
            if reach is not None:
                return reach
        return None

    def _supplier(self, target: Element | Flow) -> _Who:
        """The nearest public source upstream of the target (its route included)."""
        start = target.source if isinstance(target, Flow) else target.id
        route = self._upstream_supplier(start)
        if route is None:
            return _package(self, target)
        return self._origin("supplier", route, declared=False)

    def _from_reach(self, kind: str, reach: Reach) -> _Who:
        who = self._origin(kind, reach.route, declared=reach.declared)
        return _Who(
            kind=who.kind,
            source=who.source,
            prerequisites=who.prerequisites,
            route=who.route,
            named=who.named,
            screens=reach.screens,
            influence=True,
        )

    def _origin(self, kind: str, route: tuple[str, ...], *, declared: bool) -> _Who:
        """Name the outsider at the start of ``route``."""
        origin = route[0]
        e = self.facts.elements[origin]
        name = e.name
        if declared:
            how = "takes in" if len(route) == 1 else "passes on"
            return _Who(kind, "An outsider", f"whose content {name} {how}", route)
        if e.kind in _ACTORS:
            return _Who(kind, f"{_person(e.kind)} ({name})", "", route, frozenset({origin}))
        prereq = _SOURCE_PREREQ.get(e.kind)
        if prereq is not None:
            return _Who(kind, "An outsider", prereq.format(name), route, frozenset({origin}))
        feeder = self._actor_feeding(origin)
        if feeder is not None:  # "A user (Customer)" of a client app in their browser
            route = (feeder, *route)
            source = f"{_person(self.graph.kind(feeder))} ({self._name(feeder)})"
            return _Who(kind, source, "", route, frozenset({feeder}))
        if e.properties.on_device:
            runs = f"controls the device that runs {name}"
            return _Who(kind, "Whoever", runs, route, frozenset({origin}))
        return _Who(kind, "Whoever", f"controls {name}", route, frozenset({origin}))

    def _actor_feeding(self, element_id: str) -> str | None:
        """An untrusted person or outside entity with a flow into the element (the first
        by ID)."""
        for other in sorted(self.graph.pred[element_id]):
            if self.graph.kind(other) in _ACTORS and self.graph.is_untrusted(other):
                return other
        return None

    def _by_exposure(self, target: Element | Flow) -> _Who:
        """Anyone who can reach an exposed target; else an insider with access to it."""
        subject = self.facts.elements[target.source if isinstance(target, Flow) else target.id]
        exposed = subject.properties.exposure in ("internet", "partner")
        if exposed or subject.id in self.facts.entry_points:
            return _Who("anyone", "Anyone", f"who can reach {subject.name}")
        return _Who("insider", "An insider", f"with access to {subject.name}")

    # ------------------------------------------------------------------ routes
    def _influence(self, origins: frozenset[str] | None) -> Influence:
        """Outsiders' influence entering at ``origins`` kinds: the analysis's own where it
        computed it, else computed here (the analysis's facts are not extended)."""
        hit = self._influences.get(origins)
        if hit is None:
            if origins in self.facts.influenced_keys():
                hit = self.facts.influence(origins)
            else:
                hit = Influence(self.graph, origins)
            self._influences[origins] = hit
        return hit

    def _reach(self, spec: InfluenceSpec | None, target: Element | Flow) -> Reach | None:
        """Outsiders' best route to the target as one ``influenced`` clause asks for it
        (as the finding's ``why`` names it)."""
        inf = self._influence(frozenset(spec.from_) if spec and spec.from_ else None)
        is_flow = isinstance(target, Flow)
        if spec is not None and spec.via_store:
            reach = inf.flow(target.id) if is_flow else inf.best_via_store(target.id)
            return reach if reach is not None and reach.via_store else None
        reach = inf.flow(target.id) if is_flow else inf.best(target.id)
        if reach is None or spec is None:
            return reach
        if spec.via_store is False and reach.via_store:
            return None
        if spec.screened is not None and bool(reach.screens) != spec.screened:
            return None
        return reach

    def _paths_through(self, target_id: str) -> list[tuple[AttackPath, int]]:
        """The attack paths that pass an element (after their source) or take a flow, best
        first, each with where: the element's place in the path, or the number of the
        element the flow leads to."""
        if self._through is None:
            through: dict[str, list[tuple[AttackPath, int]]] = {}
            for path in self.analysis.attack_paths:
                for i, e in enumerate(path.elements[1:], start=1):
                    through.setdefault(e, []).append((path, i))
                for i, step in enumerate(path.steps, start=1):
                    through.setdefault(step.flow, []).append((path, i))
            self._through = through
        return self._through.get(target_id, [])

    def _attack_route(self, target: Element | Flow) -> tuple[str, ...]:
        """The top attack path through the target, from its untrusted actor to the target
        (element IDs; empty when no path passes it)."""
        for path, i in self._paths_through(target.id)[:1]:
            return path.elements[: i + 1]
        return ()

    def _downstream(self, start: str) -> list[str]:
        """The services the given element feeds (see :data:`_SERVING`), nearest first
        (then by ID), within :data:`MAX_HOPS` flows."""
        seen, frontier, out = {start}, [start], []
        for _ in range(MAX_HOPS):
            nxt = sorted({m for n in frontier for m in self.graph.succ[n]} - seen)
            seen.update(nxt)
            out += [
                m for m in nxt if self.graph.kind(m) in _SERVING and not self.graph.is_untrusted(m)
            ]
            frontier = nxt
        return out

    def _upstream_supplier(self, start: str) -> tuple[str, ...] | None:
        """The route from the nearest untrusted public source upstream of ``start`` (or
        ``start`` itself) to it, within :data:`MAX_SUPPLIER_HOPS` flows."""
        parent: dict[str, str] = {}
        frontier = [start]
        seen = {start}
        for _ in range(MAX_SUPPLIER_HOPS + 1):
            for n in frontier:
                if self.graph.kind(n) in _SUPPLIERS and self.graph.is_untrusted(n):
                    route = [n]
                    while route[-1] != start:
                        route.append(parent[route[-1]])
                    return tuple(route)
            nxt = []
            for n in frontier:
                for m in sorted(self.graph.pred[n]):
                    if m not in seen:
                        seen.add(m)
                        parent[m] = n
                        nxt.append(m)
            frontier = nxt
        return None

    # ------------------------------------------------------------------ assets
    def _affected(self, target: Element | Flow) -> tuple[AssetRef, ...]:
        ids = target.data if isinstance(target, Flow) else target.assets
        own = [self._asset(a) for a in ids if a in self._assets]
        if own:
            return tuple(sorted(own, key=_asset_rank))
        if isinstance(target, Element):
            p = target.properties
            if p.data_classification is not None or p.contains_pii:
                return (
                    AssetRef(
                        id="",
                        name=f"the data held in {target.name}",
                        classification=p.data_classification,
                        pii=bool(p.contains_pii),
                        crown_jewel=False,
                    ),
                )
        return self._jewels_beyond(target)

    def _asset(self, asset_id: str) -> AssetRef:
        a = self._assets[asset_id]
        return AssetRef(a.id, a.name, a.classification, a.pii, a.crown_jewel)

    def _jewels_beyond(self, target: Element | Flow) -> tuple[AssetRef, ...]:
        """The most valuable asset of each crown jewel the attack paths through the target
        lead to (each asset once, with the first jewel holding it), in path order."""
        found: dict[str, tuple[AssetRef, list[str]]] = {}
        seen: set[str] = set()
        for path, _ in self._paths_through(target.id):
            if path.target in seen or (isinstance(target, Element) and path.target == target.id):
                continue
            seen.add(path.target)
            jewel = self.facts.elements[path.target]
            held = sorted((self._asset(a) for a in jewel.assets), key=_asset_rank)
            if held:
                found.setdefault(held[0].id, (held[0], []))[1].append(jewel.name)
        out = []
        for a, holders in found.values():
            others = len(holders) - 1
            more = f" and {others} other element{'s' if others > 1 else ''}" if others else ""
            out.append(replace(a, held_in=holders[0] + more))
        return tuple(out)

    # ------------------------------------------------------------------ stops
    def _stops(self, finding: Finding) -> tuple[Control, ...]:
        in_place = [self._control(m, True) for m in finding.in_place]
        rest = [m for m in finding.mitigations if m not in finding.in_place]
        return (*in_place, *(self._control(m, False) for m in rest[:MAX_RECOMMENDED]))

    def _control(self, mitigation_id: str, in_place: bool) -> Control:
        m = self.catalog.mitigations.get(mitigation_id)
        return Control(mitigation_id, m.title if m is not None else mitigation_id, in_place)

    def _stops_words(self, who: _Who, stops: Sequence[Control]) -> str:
        in_place = [c.title for c in stops if c.in_place]
        recommended = [c.title for c in stops if not c.in_place]
        if in_place:
            verb = "is in place and lowers" if len(in_place) == 1 else "are in place and lower"
            words = f"{_quoted(in_place)} {verb} its likelihood"
            further = "the further recommended control"
        else:
            words = "The threat model shows no control against it"
            if who.influence and who.screens:
                names = _listed([self._name(e) for e in who.screens])
                verb = "screens" if len(who.screens) == 1 else "screen"
                words += f": {names} {verb} this route but cannot be counted on to stop it"
            elif who.influence:
                words += ": nothing screens this route"
            further = "the recommended control"
        if recommended:
            plural = "s are" if len(recommended) > 1 else " is"
            words += f"; {further}{plural} {_quoted(recommended)}"
        return words
