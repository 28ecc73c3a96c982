"""PASTA stage 6: directed attack paths from untrusted actors to crown jewels.

A path is a sequence of typed steps, each over one flow:

* **send**: the attacker's content travels along a flow in its direction — a request
  the element makes, a write to a store, a reply to whoever called;
* **access**: the attacker uses the access of an element it already influences over a
  flow that element *initiates*, against the flow's direction — the reader of a store can
  read it, the caller of an API can call it (see :meth:`ModelGraph.initiator`).

Like outsider influence (:mod:`workbench.engine.influence`), a called service answers
only its caller: no step relays content through a shared third-party API from one caller
to another, unless the service keeps what it is sent (a store, a persistent memory,
online learning). A store reached by an access step can be read, not written: no step
leaves it.

A defence on the path (a guardrail, an element that validates its input, a human
approval) lowers the path's likelihood by one, unless a finding on that defence says how
to get past it (a threat-analysis finding citing an evasion technique, :data:`EVASION`).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from ..graph import ModelGraph, breadth_first, same_items
from ..model import Flow
from .influence import is_screen
from .risk import Scored, clamp

if TYPE_CHECKING:
    from .finding import Finding

StepKind = Literal["send", "access"]
Direction = Literal["forward", "reverse"]

_READ = "#read"


@dataclass(frozen=True)
class PathStep:
    """One step of an attack path: the flow used, how, and the element reached."""

    flows: tuple[str, ...]
    """The flow the step uses (a one-item tuple, kept for readers of earlier versions)."""
    element: str
    """The element reached."""
    findings: tuple[str, ...]
    """Finding IDs on the flow and on the element reached."""
    likelihood: int
    """How likely an attacker gets through this step (the likeliest finding on it, 1 when
    nothing is known to be weak)."""
    kind: StepKind = "send"
    """``send``: content along the flow's direction; ``access``: the previous element
    uses a flow it initiates, against its direction (reads a store, calls an API)."""
    direction: Direction = "forward"
    """Whether the step walks the flow in its direction."""

    @property
    def flow(self) -> str:
        """The flow the step uses."""
        return self.flows[0]


@dataclass(frozen=True)
class AttackPath(Scored):
    """PASTA stage 6: a route from an untrusted actor to a crown jewel."""

    id: str
    source: str
    target: str
    steps: tuple[PathStep, ...]
    likelihood: int
    """The weakest link (the least likely step), lowered by defences on the path."""
    impact: int
    """What reaching the crown jewel costs."""
    notes: tuple[str, ...] = ()
    """How the likelihood was adjusted (defences on the path, bypasses)."""

    @property
    def elements(self) -> tuple[str, ...]:
        """Every element on the path, source first."""
        return (self.source, *(s.element for s in self.steps))


_Edge = tuple[str, StepKind, Direction]  # flow, step kind, direction


class StepGraph:
    """The directed graph of attacker states and typed steps of one model: for each
    state, the states one step away, each with the flow used (the first flow by ID
    between two states stands for the others).

    States are numbered in the order of their IDs (element, then the caller served), so
    that the searches run over numbers and sorting numbers sorts states. An element's
    states and steps are worked out when a search first comes to it: the searches for
    attack paths start from a few attackers and look a few steps ahead, so most of a
    large model's are never needed."""

    def __init__(self, graph: ModelGraph) -> None:
        self.graph = graph
        self._persisting = graph.persisting
        self._stores = graph.stores
        self._out, self._ins = graph.outflows, graph.inflows
        self._ids = ids = sorted(graph.nodes)
        self._rank = {x: i for i, x in enumerate(ids)}
        self._stride = len(graph.model.flows) + 2
        """More than any element has states (itself, each caller, a reader): an element's
        states are numbered from its rank times this, in order."""
        self._positions: dict[str, dict[str | None, int]] = {}
        self._edges: dict[int, dict[int, _Edge]] = {}
        self._ordered: dict[int, list[int]] = {}

    def number(self, element_id: str, serving: str | None) -> int | None:
        """The number of the element's state serving ``serving`` (``None``: as itself),
        if it has one."""
        rank = self._rank.get(element_id)
        if rank is None:
            return None
        position = self._serving(element_id).get(serving)
        return None if position is None else rank * self._stride + position

    def element(self, state: int) -> str:
        """The element of a state."""
        return self._ids[state // self._stride]

    def states(self, element_id: str) -> list[int]:
        """The element's states, in order."""
        rank = self._rank.get(element_id)
        if rank is None:
            return []
        first = rank * self._stride
        return [first + i for i in range(len(self._serving(element_id)))]

    def _serving(self, x: str) -> dict[str | None, int]:
        """The callers served by the element's states, each with its place among them."""
        hit = self._positions.get(x)
        if hit is None:
            serving = _states_of(
                x, self._ins[x], self._out[x], x in self._persisting, x in self._stores
            )
            ordered = sorted(serving, key=_serving_key)
            hit = self._positions[x] = {s: i for i, s in enumerate(ordered)}
        return hit

    def _state(self, element_id: str, serving: str | None) -> int:
        return self._rank[element_id] * self._stride + self._serving(element_id)[serving]

    def steps(self, state: int) -> dict[int, _Edge]:
        """The states one step after ``state``, each with the flow used, in the order the
        steps were found (flows out of the state's element by ID, then flows it initiates
        into it by ID)."""
        hit = self._edges.get(state)
        if hit is None:
            x = self.element(state)
            first = self._rank[x] * self._stride
            numbered = [(first + i, srv) for srv, i in self._serving(x).items()]
            sends, accesses = _candidates(
                x, self._ins[x], self._out[x], self._persisting, self._stores, self._state
            )
            for (i, _), edges in zip(numbered, _steps(numbered, sends, accesses), strict=True):
                self._edges[i] = edges
            hit = self._edges[state]
        return hit

    def ordered(self, state: int) -> list[int]:
        """The states one step after ``state``, in order of their IDs (sorted when first
        asked: a search for routes visits few states)."""
        hit = self._ordered.get(state)
        if hit is None:
            hit = self._ordered[state] = sorted(self.steps(state))
        return hit

    def reach_of(self, source: str, max_length: int) -> Reachable | None:
        """The states ``source`` (an attacker) reaches within ``max_length`` steps, or
        ``None`` if it has no state of its own."""
        start = self.number(source, None)
        if start is None:
            return None
        return Reachable(self, start, max_length)

    def routes(
        self,
        source: str,
        target: str,
        *,
        max_length: int,
        reach: Reachable | None = None,
    ) -> Iterator[list[tuple[str, str, str, str]]]:
        """Routes from ``source`` to ``target``, shortest first (then in the order of the
        states' IDs), each visiting an element at most once: lists of (flow, kind,
        direction, element reached). ``reach``: :meth:`reach_of` ``source``, when the
        caller already has it."""
        if reach is None:
            reach = self.reach_of(source, max_length)
        if reach is None or source == target:
            return
        dist = reach.steps_to(target)
        start = reach.start
        far = max_length + 1
        if dist.get(start, far) > max_length:
            return
        steps, ordered, element_of = self.steps, self.ordered, self.element

        def walk(state: int, left: int, seen: set[str], trail: list[int]) -> Iterator[list[int]]:
            for nxt in ordered(state):
                element = element_of(nxt)
                if element in seen or dist.get(nxt, far) > left - 1:
                    continue
                if element == target:
                    if left == 1:
                        yield [*trail, nxt]
                    continue
                seen.add(element)
                yield from walk(nxt, left - 1, seen, [*trail, nxt])
                seen.discard(element)

        for length in range(dist[start], max_length + 1):
            for states in walk(start, length, {source}, [start]):
                yield [(*steps(a)[b], element_of(b)) for a, b in itertools.pairwise(states)]


class Reachable:
    """What one attacker reaches in a step graph within ``max_length`` steps: a search
    forward from its state (:func:`~workbench.graph.breadth_first`), then, per target, a
    search back from the target that goes only through states that can lie on a route
    of at most ``max_length`` steps (within ``max_length - d`` steps of the attacker,
    ``d`` steps from the target: a bound that depends on the depth, which the shared
    search does not take, and which keeps it a few times cheaper). The distances it
    finds are exact for every such state, and every other state is too far to be on a
    route, so a search for routes prunes the same states as with distances over the
    whole graph."""

    def __init__(self, graph: StepGraph, start: int, max_length: int) -> None:
        self.start = start
        self.max_length = max_length
        self.elements: set[str] = set()
        """The elements reached (within ``max_length`` steps)."""
        near = breadth_first([start], graph.steps, max_length)
        back: dict[int, list[int]] = defaultdict(list)  # the steps among them, reversed
        element_of, steps = graph.element, graph.steps
        for a, d in near.items():
            if d < max_length:
                for b in steps(a):
                    back[b].append(a)
        self.elements.update(element_of(s) for s in near)
        self._near = near
        self._back = back
        self._states = graph.states

    def reaches(self, target: str) -> bool:
        """Whether the attacker reaches ``target`` within ``max_length`` steps."""
        return target in self.elements

    def steps_to(self, target: str) -> dict[int, int]:
        """For every state that can lie on a route to ``target`` of at most
        ``max_length`` steps, the fewest steps it takes to reach ``target`` (a state not
        listed is too far)."""
        near, back, limit = self._near, self._back, self.max_length
        frontier = [s for s in self._states(target) if s in near]
        dist = dict.fromkeys(frontier, 0)
        d = 0
        while frontier and d < limit:  # breadth first, keeping only states that fit
            d += 1
            nxt = []
            for s in frontier:
                for p in back.get(s, ()):
                    if p not in dist and near[p] + d <= limit:
                        dist[p] = d
                        nxt.append(p)
            frontier = nxt
        return dist


_Row = tuple[Flow, str, bool, str]  # a flow, its target, whether a query, its initiator


def _states_of(
    x: str, ins: Sequence[_Row], outs: Sequence[_Row], keeps: bool, store: bool
) -> set[str | None]:
    """The callers served by the attacker states of element ``x``: none (as itself),
    each caller whose requests it answers, and (a store) someone with access reading it."""
    states: set[str | None] = {None}
    if not keeps:
        for f, _, _, starter in ins:
            if starter == f.source:
                states.add(f.source)  # x serves a request from f.source
        for f, _, _, starter in outs:
            if starter == f.target:
                states.add(f.target)  # x called by f.target (access step)
    if store:
        states.add(_READ)
    return states


def _serving_key(srv: str | None) -> str:
    """The order of an element's states: as itself first, then by the caller served (no
    ID is empty)."""
    return srv or ""


_Send = tuple[int, _Edge, str, bool]  # next state, edge, target, a reply to a caller
_Access = tuple[int, _Edge]  # next state, edge


def _candidates(
    x: str,
    ins: Sequence[_Row],
    outs: Sequence[_Row],
    persisting: frozenset[str],
    stores: frozenset[str],
    number: Callable[[str, str | None], int],
) -> tuple[list[_Send], list[_Access]]:
    """The steps any state of element ``x`` may take: sends along its flows (a reply is
    taken only by the state serving that caller) and accesses over flows it initiates."""
    keeps = x in persisting
    sends: list[_Send] = []
    for f, y, query, starter in outs:
        if not query:
            nxt = number(y, x) if starter == x and y not in persisting else number(y, None)
            sends.append((nxt, (f.id, "send", "forward"), y, starter != x and not keeps))
    accesses: list[_Access] = []
    for f, _, _, starter in ins:
        if starter == x:
            z = f.source
            served = None if z in persisting else x
            nxt = number(z, _READ) if z in stores else number(z, served)
            accesses.append((nxt, (f.id, "access", "reverse")))
    return sends, accesses


def _steps(
    states: list[tuple[int, str | None]], sends: list[_Send], accesses: list[_Access]
) -> list[dict[int, _Edge]]:
    """The steps from each of an element's ``states`` (number, caller served): to each
    next state (by number), the first flow (by ID) that takes it there."""
    out: list[dict[int, _Edge]] = []
    every: dict[int, _Edge] | None = None  # the steps of a state that serves no one
    for _, srv in states:
        if srv == _READ:
            out.append({})
            continue
        if srv is None and every is not None:
            out.append(every)
            continue
        steps: dict[int, _Edge] = {}
        for nxt, edge, y, reply in sends:
            if reply and srv is not None and srv != y:
                continue  # a reply to another caller does not carry this request
            if nxt not in steps:
                steps[nxt] = edge
        for nxt, edge in accesses:
            if nxt not in steps:
                steps[nxt] = edge
        if srv is None:
            every = steps
        out.append(steps)
    return out


def _defends(graph: ModelGraph, element_id: str) -> bool:
    """Whether an element on a path stands in an attacker's way: a guardrail, an element
    that validates its input, a human approval."""
    p = graph.element(element_id).properties
    if graph.kind(element_id) == "guardrail":
        return is_screen(graph, element_id)
    return bool(p.input_validation) or bool(p.human_in_the_loop)


EVASION = frozenset({"AML.T0015", "AML.T0043", "AML.T0054", "AML.T0068"})
"""ATLAS techniques that get content past a screen: evading a model (a guardrail is one),
crafting adversarial data, jailbreaking, obfuscating a prompt."""


def _bypassed(findings: Iterable[Finding]) -> list[Finding]:
    """Findings on a defence that say how to get past it: threat-analysis findings that
    cite an evasion technique (see :data:`EVASION`), sub-techniques included."""
    return [
        f
        for f in findings
        if f.pasta_stage == 4
        and any(a.split(".")[0] + "." + a.split(".")[1] in EVASION for a in f.atlas)
    ]


Route = tuple[str, str, int, tuple[tuple[str, str, str, str], ...]]
"""One route of the step graph: source, target, its rank for the pair (1 = shortest) and
its steps as (flow, kind, direction, element reached)."""


def path_routes(
    graph: ModelGraph,
    sources: Sequence[str],
    targets: Sequence[str],
    *,
    max_length: int = 6,
    per_pair: int = 3,
    limit: int = 200,
) -> tuple[Route, ...]:
    """The routes attack paths follow: per source and target (in ID order), the
    ``per_pair`` shortest of at most ``max_length`` steps, ``limit`` in all. They depend
    only on the model's shape (see :class:`StepGraph`), not on findings: an edit that
    keeps the shape keeps them."""
    steps_graph = StepGraph(graph)
    out: list[Route] = []
    ordered_targets = sorted(set(targets))
    for source in sorted(set(sources)):
        reach = steps_graph.reach_of(source, max_length)
        if reach is None:
            continue
        for target in ordered_targets:
            if source == target or not reach.reaches(target):
                continue  # the target is out of reach
            routes = steps_graph.routes(source, target, max_length=max_length, reach=reach)
            for n, route in enumerate(itertools.islice(routes, per_pair), start=1):
                out.append((source, target, n, tuple(route)))
                if len(out) >= limit:
                    return tuple(out)
    return tuple(out)


def attack_paths(
    graph: ModelGraph,
    sources: Sequence[str],
    targets: Sequence[str],
    findings: Sequence[Finding],
    jewel_impact: dict[str, int],
    *,
    routes: Sequence[Route] | None = None,
    scored: ScoredRoutes | None = None,
    per_target: Mapping[str, Sequence[Finding]] | None = None,
    delta: tuple[object, frozenset[str]] | None = None,
) -> tuple[AttackPath, ...]:
    """Directed attack paths from ``sources`` to ``targets``, sorted by score (highest
    first), then length and ID. ``routes``: :func:`path_routes` of the same model, when
    the caller has them; ``per_target``: ``findings`` by target (every element and flow
    has a list); ``scored``: the paths an earlier call made, reused where the route's
    elements and the lists of findings on it are the same objects (an edit keeps those
    of every target it did not touch); ``delta``: the findings by target of an earlier
    analysis and the targets whose findings changed since then (routes that touch none of
    them keep their paths when ``scored`` was made from that analysis)."""
    if per_target is None:
        listed: dict[str, list[Finding]] = defaultdict(list)
        for f in findings:
            listed[f.target].append(f)
        per_target = listed
    if routes is None:
        routes = path_routes(graph, sources, targets)
    old = {} if scored is None else scored.paths
    since = None  # the targets whose findings changed since the scored paths, if known
    if scored is not None and delta is not None and scored.seen is delta[0]:
        since = delta[1]
    new: dict[Route, _ScoredPath] = {}
    out = []
    element, on = graph.elements.__getitem__, per_target.__getitem__
    for route in routes:
        hit = old.get(route)
        if hit is not None and since is not None and since.isdisjoint(hit[2]):
            new[route] = hit  # nothing on the route changed
            out.append(hit[1])
            continue
        source, target, n, steps = route
        key = (
            jewel_impact.get(target),
            *(element(e) for _, _, _, e in steps),
            *(on(flow) for flow, _, _, _ in steps),
            *(on(e) for _, _, _, e in steps),
        )
        if hit is None or not same_items(hit[0], key):
            path = _path(graph, source, target, n, steps, per_target, jewel_impact)
            touched = frozenset(x for flow, _, _, e in steps for x in (flow, e))
            hit = (key, path, touched)
        new[route] = hit
        out.append(hit[1])
    if scored is not None:
        scored.paths, scored.seen = new, per_target
    return _sorted(out)


_ScoredPath = tuple[tuple[object, ...], "AttackPath", frozenset[str]]
"""A path with what it was scored from and the flows and elements it touches."""


@dataclass
class ScoredRoutes:
    """Attack paths by route, with what each was scored from (see :func:`attack_paths`)."""

    paths: dict[Route, _ScoredPath] = field(default_factory=dict)
    seen: object = None
    """The findings by target the paths were scored from."""


def _sorted(paths: list[AttackPath]) -> tuple[AttackPath, ...]:
    return tuple(sorted(paths, key=lambda a: (-a.score, len(a.steps), a.id)))


def _path(
    graph: ModelGraph,
    source: str,
    target: str,
    n: int,
    route: Sequence[tuple[str, str, str, str]],
    by_target: Mapping[str, Sequence[Finding]],
    jewel_impact: dict[str, int],
) -> AttackPath:
    steps = []
    for flow, kind, direction, element in route:
        hop = [*by_target[flow], *by_target[element]]
        steps.append(
            PathStep(
                flows=(flow,),
                element=element,
                findings=tuple(sorted(f.id for f in hop)),
                likelihood=max((f.likelihood for f in hop), default=1),
                kind="access" if kind == "access" else "send",
                direction="reverse" if direction == "reverse" else "forward",
            )
        )
    likelihood = min(s.likelihood for s in steps)
    notes = []
    for s in steps[:-1]:
        e = graph.element(s.element)
        if not _defends(graph, e.id):
            continue
        bypass = _bypassed(by_target[e.id])
        if bypass:
            notes.append(f"{e.name} is on the path, but {bypass[0].title.lower()} gets past it")
        elif likelihood > 1:
            likelihood -= 1
            notes.append(f"likelihood lowered: {e.name} stands on the path")
        else:
            notes.append(f"{e.name} stands on the path")
    impact = max([jewel_impact.get(target, 3), *(f.impact for f in by_target[target])])
    return AttackPath(
        id=f"{source}->{target}#{n}",
        source=source,
        target=target,
        steps=tuple(steps),
        likelihood=clamp(likelihood),
        impact=impact,
        notes=tuple(notes),
    )
