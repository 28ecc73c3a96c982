"""Attacker influence: which content written by outsiders can reach each element, and how.

Content enters at untrusted actors, at elements that take in outsiders' content
(``accepts_untrusted_content``) and on flows marked ``untrusted_content``. It moves along
flows in their direction:

* through processes, pipelines, gateways, plugin hosts and tools: an element that was
  *called* with outsiders' content (a request it serves) acts on it — it may call its own
  dependencies with it — but its answers go back only to the caller: a shared
  third-party API does not relay one caller's content to another;
* it persists in stores (and in elements with persistent memory or online learning) and
  comes out to every later reader: stored injection, poisoned corpora;
* a query into a store (a similarity search) writes nothing there;
* it is screened, not stopped, at a declared defence: a guardrail, an element that
  validates its input. Routes are ranked: routes from
  an untrusted actor before those that start where the model only declares outsiders'
  content, then by the number of screens they pass, then by length — the route reported
  is the one an attacker would pick.

The result is deterministic: ties are broken by the route's element IDs.
"""

from __future__ import annotations

import heapq
import operator
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..graph import ModelGraph
from ..model.kinds import KINDS, DfdType
from .frozen import mutable_twin


@dataclass(frozen=True, slots=True)
class Reach:
    """How outsiders' content reaches one element."""

    route: tuple[str, ...]
    """Element IDs from where the content enters to the element, both included."""
    flows: tuple[str, ...]
    """The flows taken along the route."""
    screens: tuple[str, ...]
    """Defences on the route before the element (guardrails, input validation, output
    filtering), in route order."""
    via_store: bool
    """Whether the content rested in a store (or a persistent memory) on the way."""
    declared: bool = False
    """Whether the route starts where the model only *declares* outsiders' content (an
    element that accepts it, a flow marked as carrying it) rather than at an untrusted
    actor. Routes from actors are preferred: they say who the outsider is."""

    @property
    def origin(self) -> str:
        """Where the content entered."""
        return self.route[0]


_ReachTwin = mutable_twin(Reach)
"""Makes routes quickly (see :mod:`workbench.engine.frozen`)."""


def _reach(
    route: tuple[str, ...],
    flows: tuple[str, ...],
    screens: tuple[str, ...],
    via_store: bool,
    declared: bool,
) -> Reach:
    r = _ReachTwin(route, flows, screens, via_store, declared)
    r.__class__ = Reach
    return r  # type: ignore[no-any-return]


_State = tuple[str, str | None, bool]  # element, the caller it serves, via a store


def is_screen(graph: ModelGraph, element_id: str) -> bool:
    """Whether the element screens content that passes through it: a guardrail (unless
    it declares both input validation and output filtering ``false``), or an element that
    validates its inputs. Another element's output filtering is about what it renders or
    hands on as its own output, not about content passing through, so it is no screen."""
    p = graph.element(element_id).properties
    if graph.kind(element_id) == "guardrail":
        return not (p.input_validation is False and p.output_filtering is False)
    return bool(p.input_validation)


class Influence:
    """Outsider influence over one model, for one set of entry kinds.

    ``origins``: restrict where content may enter to elements of these kinds (``None``:
    anywhere it can). Query with :meth:`best` and :meth:`best_via_store`.
    """

    def __init__(self, graph: ModelGraph, origins: frozenset[str] | None = None) -> None:
        self.graph = graph
        self.origin_kinds = origins
        self._best: dict[str, _Raw] = {}
        self._via_store: dict[str, _Raw] = {}
        self._flows: dict[str, _Raw] = {}
        """Per element (best, via a store) and per flow, the route as the search kept it:
        made a :class:`Reach` when first asked (most routes of a large model never are)."""
        self._made: tuple[dict[str, Reach], dict[str, Reach], dict[str, Reach]] = ({}, {}, {})
        self._seed_kinds: frozenset[str] | None = None
        self._run()

    def best(self, element_id: str) -> Reach | None:
        """The attacker's best route to the element (fewest screens, then shortest)."""
        return _asked(self._made[0], self._best, element_id)

    def best_via_store(self, element_id: str) -> Reach | None:
        """The best route to the element that passes through a store."""
        return _asked(self._made[1], self._via_store, element_id)

    def flow(self, flow_id: str) -> Reach | None:
        """The best route by which outsiders' content travels on a flow (the route ends
        at the flow's target)."""
        return _asked(self._made[2], self._flows, flow_id)

    @property
    def reached(self) -> frozenset[str]:
        """Every trusted element that outsiders' content reaches."""
        return frozenset(e for e in self._best if not self.graph.is_untrusted(e))

    def differs_from(self, other: Influence) -> set[str]:
        """Elements whose best route (or best route via a store) is not the same in
        ``other``."""
        out = set()
        for mine, theirs in ((self._best, other._best), (self._via_store, other._via_store)):
            for e in set(mine) | set(theirs):
                if mine.get(e) != theirs.get(e):
                    out.add(e)
        return out

    def routes_through(self, elements: set[str]) -> set[str]:
        """Elements whose best routes pass any of ``elements`` (their reasons name them)."""
        if not elements:
            return set()
        return {
            e
            for table in (self._best, self._via_store)
            for e, r in table.items()
            if not elements.isdisjoint(r[0])
        }

    def flows_through(self, elements: set[str]) -> set[str]:
        """Flows whose routes pass any of ``elements``."""
        if not elements:
            return set()
        return {f for f, r in self._flows.items() if not elements.isdisjoint(r[0])}

    def flows_differ_from(self, other: Influence) -> set[str]:
        """Flows whose route is not the same in ``other``."""
        return {
            f
            for f in set(self._flows) | set(other._flows)
            if self._flows.get(f) != other._flows.get(f)
        }

    def seed_kinds(self) -> frozenset[str]:
        """The kinds of the elements where content enters (for ``origins``: a filter that
        admits all of them gives the same result as no filter)."""
        kinds = self._seed_kinds
        if kinds is None:
            kinds = frozenset(kind for kind, _, _ in self._seeds())
            self._seed_kinds = kinds
        return kinds

    # ----------------------------------------------------------------- search
    def _seeds(self) -> list[tuple[str, _State, _Raw]]:
        """Where content enters, as (the kind of the element it enters at, the state it
        is in, its route so far), for this search's origins."""
        every = _entries(self.graph)
        kinds = self.origin_kinds
        return every if kinds is None else [s for s in every if s[0] in kinds]

    def _run(self) -> None:  # noqa: C901 - one hot loop, inlined on purpose
        """Dijkstra over (element, caller served, via a store) states. States leave the
        queue in cost order, so the first state of an element to leave it carries the
        element's best route, and the first relaxation of a flow its best route.

        A cost ``(declared, screens, length, route)`` is kept as one number for its first
        three parts (:func:`_number`) and the route: the same order, compared faster. A
        route, its flows and its screens are plain tuples while searching; a
        :class:`Reach` is made only for what is kept."""
        g = self.graph
        # the queue: per cost number, the states reached at it, each as (route, state,
        # the route's entry in reach) in the order they were reached; every step costs
        # more than where it starts, so a cost's states are all known when its turn comes
        queue: dict[int, list[_Waiting]] = {}
        numbers: list[int] = []  # the cost numbers in the queue, a heap
        # per state: route, flows, screens before it, via a store, declared
        reach: dict[_State, _Raw] = {}
        costs: dict[_State, int] = {}  # per state, the cost number of its route in reach
        for _, state, r in self._seeds():
            key = _number(r[4], len(r[2]), len(r[0]))
            if state not in costs or (key, r[0]) < (costs[state], reach[state][0]):
                reach[state] = r
                costs[state] = key
                if key not in queue:
                    queue[key] = []
                    heapq.heappush(numbers, key)
                queue[key].append((r[0], state, r))
        out, screening = _search_graph(g)
        persisting = g.persisting
        best, via_store_best, flows = self._best, self._via_store, self._flows
        for state, here in _in_order(queue, numbers):
            if reach[state] is not here:
                continue  # a better route to the state came later (and went first)
            route, r_flows, r_screens, r_store, declared = here
            x, serving, via_store = state
            if x not in best:
                best[x] = here
            if r_store and x not in via_store_best:
                via_store_best[x] = here
            screens = (*r_screens, x) if len(route) > 1 and x in screening else r_screens
            keeps = x in persisting
            store = via_store or keeps
            answering = serving is not None and not keeps  # replies go to ``serving`` only
            base = (declared * _WEIGHT + len(screens)) * _WEIGHT + len(route) + 1  # _number
            for fid, y, started, arrivals in out[x]:
                if y in route:
                    continue
                if answering and not started and serving != y:
                    continue  # a reply to another caller does not carry this request
                nxt = arrivals[store]
                old = costs.get(nxt)
                if old is None:
                    better = True
                elif base > old:
                    if fid in flows:
                        continue  # a worse route, over a flow that has its route
                    better = False
                else:
                    better = base < old or (*route, y) < reach[nxt][0]
                    if not better and fid in flows:
                        continue
                new_route = (*route, y)
                new_flows = (*r_flows, fid)
                if fid not in flows:
                    flows[fid] = (new_route, new_flows, screens, store, declared)
                if better:
                    entry = reach[nxt] = (new_route, new_flows, screens, store, declared)
                    costs[nxt] = base
                    waiting = queue.get(base)
                    if waiting is None:
                        waiting = queue[base] = []
                        heapq.heappush(numbers, base)
                    waiting.append((new_route, nxt, entry))


_Raw = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], bool, bool]
"""A route while searching: elements, flows, screens before its end, via a store,
declared."""

_WEIGHT = 1 << 20
"""How :func:`_number` packs a cost's first three parts: fewer screens and shorter routes
than this (a model of a million elements)."""


_Waiting = tuple[tuple[str, ...], _State, _Raw]
"""A state in the search's queue: its route, the state, the route's entry."""


def _in_order(
    queue: dict[int, list[_Waiting]], numbers: list[int]
) -> Iterator[tuple[_State, _Raw]]:
    """The queue's states by cost: cost number, then route, then the order they came in
    (a stable sort by route). A cost's list is sorted when its turn comes (the search
    adds only dearer states)."""
    while numbers:
        waiting = queue.pop(heapq.heappop(numbers))
        waiting.sort(key=_route_of)
        for _, state, entry in waiting:
            yield state, entry


_route_of = operator.itemgetter(0)


def _asked(made: dict[str, Reach], raw: dict[str, _Raw], key: str) -> Reach | None:
    """The route kept in ``raw`` for ``key`` as a :class:`Reach`, made once."""
    hit = made.get(key)
    if hit is None:
        found = raw.get(key)
        if found is None:
            return None
        hit = made[key] = _reach(*found)
    return hit


def _number(declared: bool, screens: int, length: int) -> int:
    """``(declared, screens, length)`` as one number, in the same order."""
    return (declared * _WEIGHT + screens) * _WEIGHT + length


_Step = tuple[str, str, bool, tuple[_State, _State]]
"""A flow outsiders' content can take from an element: the flow, its target, whether the
element starts the exchange, and the state content arrives in (not via a store, via a
store)."""


def _search_graph(g: ModelGraph) -> tuple[dict[str, list[_Step]], frozenset[str]]:
    """Per element, the flows outsiders' content can take from it (no queries, nothing
    into an outsider, see :data:`_Step`); and the elements that screen content. Made once
    per graph and shared by every influence search on it."""
    hit = g.__dict__.get("_influence_search")
    if hit is None:
        untrusted = frozenset(g.untrusted_actors())
        persisting = g.persisting
        out = {
            x: [
                (f.id, y, start == x, _arrivals(x, y, start == x and y not in persisting))
                for f, y, query, start in rows
                if not (query or y in untrusted)
            ]
            for x, rows in g.outflows.items()
        }
        hit = (out, frozenset(n for n in g.nodes if is_screen(g, n)))
        g.__dict__["_influence_search"] = hit
    return hit


def _arrivals(x: str, y: str, serves: bool) -> tuple[_State, _State]:
    """The states in which content from ``x`` arrives at ``y`` (not via a store, via a
    store): ``serves``, ``y`` answers a request of ``x``'s."""
    if serves:
        return (y, x, False), (y, x, True)
    return (y, None, False), (y, None, True)


def _entries(g: ModelGraph) -> list[tuple[str, _State, _Raw]]:
    """Where outsiders' content enters the model, from any origin (see
    :meth:`Influence._seeds`): untrusted elements and elements that accept outsiders'
    content, in model order, then flows marked as carrying it (to where they take it).
    Made once per graph."""
    hit = g.__dict__.get("_influence_entries")
    if hit is None:
        hit = []
        untrusted, persisting = frozenset(g.untrusted_actors()), g.persisting
        for e in g.model.elements:
            if e.id in untrusted:
                hit.append((e.kind, (e.id, None, False), ((e.id,), (), (), False, False)))
            elif e.properties.accepts_untrusted_content:
                hit.append((e.kind, (e.id, None, False), ((e.id,), (), (), False, True)))
        for f in g.model.flows:
            x, y = f.source, f.target
            if not f.untrusted_content or y in untrusted or g.is_query(f):
                continue
            store = x in persisting
            state = (
                (y, x, store) if g.initiator(f) == x and y not in persisting else (y, None, store)
            )
            hit.append((g.kind(x), state, ((x, y), (f.id,), (), store, True)))
        g.__dict__["_influence_entries"] = hit
    return hit


def stores_on(graph: ModelGraph, route: Iterable[str]) -> list[str]:
    """The stores (by DFD type) on a route, in order."""
    return [e for e in route if KINDS[graph.kind(e)].dfd is DfdType.DATA_STORE]
