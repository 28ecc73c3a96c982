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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
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


_State = tuple[str, str | None]


_Edge = tuple[str, StepKind, Direction]  # flow, step kind, direction


def _state_key(state: _State) -> tuple[str, bool, str]:
    return state[0], state[1] is not None, state[1] or ""


class StepGraph:
    """The directed graph of attacker states and typed steps of one model: for each
    state, the states one step away, each with the flow used (the first flow by ID
    between two states stands for the others)."""

    def __init__(self, graph: ModelGraph) -> None:
        self.graph = graph
        self.succ: dict[_State, dict[_State, _Edge]] = {}
        self._persisting = graph.persisting
        self._stores = frozenset(n for n in graph.nodes if graph.is_store(n))
        self._out = graph.outflows
        inflows: dict[str, list[tuple[Flow, str, bool, str]]] = {n: [] for n in graph.nodes}
        for x in sorted(self._out):
            for row in self._out[x]:
                inflows[row[1]].append(row)
        self._in = {n: sorted(rows, key=lambda r: r[0].id) for n, rows in inflows.items()}
        for e in graph.model.elements:
            self.succ[(e.id, None)] = {}
        for x in sorted(graph.nodes):
            for srv in self._states_of(x):
                self._expand((x, srv))

    def _states_of(self, x: str) -> list[str | None]:
        states: list[str | None] = [None]
        keeps = x in self._persisting
        for f, _, _, starter in self._in[x]:
            if starter == f.source and not keeps:
                states.append(f.source)  # x serves a request from f.source
        for f, _, _, starter in self._out[x]:
            if starter == f.target and not keeps:
                states.append(f.target)  # x called by f.target (access step)
        if x in self._stores:
            states.append(_READ)
        return sorted(set(states), key=lambda s: (s is not None, s or ""))

    def _expand(self, state: _State) -> None:
        x, srv = state
        self.succ.setdefault(state, {})
        if srv == _READ:
            return
        keeps = x in self._persisting
        for f, y, query, starter in self._out[x]:
            if query:
                continue
            if starter != x and srv is not None and srv != y and not keeps:
                continue  # a reply to another caller does not carry this request
            nxt: _State = (y, x) if starter == x and y not in self._persisting else (y, None)
            self._edge(state, nxt, (f.id, "send", "forward"))
        for f, _, _, starter in self._in[x]:
            if starter != x:
                continue
            z = f.source
            served = None if z in self._persisting else x
            nxt = (z, _READ) if z in self._stores else (z, served)
            self._edge(state, nxt, (f.id, "access", "reverse"))

    def _edge(self, a: _State, b: _State, edge: _Edge) -> None:
        out = self.succ[a]
        if b not in out:  # the first flow (by ID) between two states stands for the others
            out[b] = edge
            self.succ.setdefault(b, {})

    @cached_property
    def pred(self) -> dict[_State, list[_State]]:
        """For each state, the states one step before it."""
        out: dict[_State, list[_State]] = {s: [] for s in self.succ}
        for a, nexts in self.succ.items():
            for b in nexts:
                out[b].append(a)
        return out

    @cached_property
    def ordered(self) -> dict[_State, list[_State]]:
        """For each state, the states one step after it, in order of their IDs."""
        return {s: sorted(nexts, key=_state_key) for s, nexts in self.succ.items()}

    @cached_property
    def states(self) -> dict[str, list[_State]]:
        """Each element's attacker states."""
        out: dict[str, list[_State]] = defaultdict(list)
        for n in self.succ:
            out[n[0]].append(n)
        return out

    def steps_to(self, target: str, max_length: int) -> dict[_State, int]:
        """For every state that can reach ``target`` in at most ``max_length`` steps,
        the fewest steps it takes."""
        return breadth_first(self.states.get(target, ()), self.pred, max_length)

    def routes(
        self,
        source: str,
        target: str,
        *,
        max_length: int,
        steps_to: dict[_State, int] | None = None,
    ) -> Iterator[list[tuple[str, str, str, str]]]:
        """Routes from ``source`` to ``target``, shortest first (then in the order of the
        states' IDs), each visiting an element at most once: lists of (flow, kind,
        direction, element reached). ``steps_to``: :meth:`steps_to` of ``target``, when
        the caller already has it."""
        dist = steps_to if steps_to is not None else self.steps_to(target, max_length)
        start: _State = (source, None)
        if start not in dist or source == target:
            return
        succ, ordered = self.succ, self.ordered

        def walk(
            state: _State, left: int, seen: set[str], trail: list[_State]
        ) -> Iterator[list[_State]]:
            for nxt in ordered[state]:
                element = nxt[0]
                if element in seen or dist.get(nxt, max_length + 1) > left - 1:
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
                yield [(*succ[a][b], b[0]) for a, b in itertools.pairwise(states)]


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
    to_target: dict[str, dict[_State, int]] = {}
    ordered_targets = sorted(set(targets))
    for source in sorted(set(sources)):
        start: _State = (source, None)
        for target in ordered_targets:
            if source == target:
                continue
            if target not in to_target:  # one search back from each target serves all
                to_target[target] = steps_graph.steps_to(target, max_length)
            if start not in to_target[target]:  # the target is out of reach
                continue
            routes = steps_graph.routes(
                source, target, max_length=max_length, steps_to=to_target[target]
            )
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
