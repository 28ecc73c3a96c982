"""A graph view of a threat model, with the queries the analysis needs.

Nodes are element IDs, edges are flows. The analysis walks plain adjacency mappings
(:attr:`ModelGraph.succ`, :attr:`ModelGraph.pred`); :attr:`ModelGraph.g` is the same graph
as a :class:`networkx.MultiDiGraph` (``key`` = flow ID; node attributes ``element``,
``kind``, ``layer``, ``dfd``, ``boundary``; edge attribute ``flow``), built on first use.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import is_
from typing import TypeVar

import networkx as nx

from .model import Element, Flow, ThreatModel
from .model.kinds import KINDS, DfdType
from .model.references import boundary_chain
from .model.types import CLASSIFICATION_RANK

Node = TypeVar("Node", bound=Hashable)

SENSITIVE = CLASSIFICATION_RANK["confidential"]

_INITIATIVE = {
    "user": 4,
    "operator": 4,
    "external_entity": 3,
    "client_app": 3,
    "tool": 1,
    "foundation_model_api": 1,
    "inference_endpoint": 1,
    "external_service": 1,
    "model_hub": 1,
    "guardrail": 1,
    "data_source": 1,
}
"""Who calls whom in a request/response pair of flows (higher calls lower; others 2)."""

_FETCHED = {"data_source", "model_hub", "external_service", "foundation_model_api"}
"""Kinds whose data the system fetches when a flow comes from them alone."""


def same_items(a: Sequence[object], b: Sequence[object]) -> bool:
    """Whether two sequences hold the same objects, in the same order."""
    return a is b or (len(a) == len(b) and all(map(is_, a, b)))


@dataclass(frozen=True)
class Path:
    """A path through the graph: the elements visited and the flows taken."""

    elements: tuple[str, ...]
    flows: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.flows)


def breadth_first(
    starts: Iterable[Node],
    neighbours: Mapping[Node, Iterable[Node]] | Callable[[Node], Iterable[Node]],
    max_hops: int | None = None,
) -> dict[Node, int]:
    """The one breadth-first search of the workbench: for every node reached from the
    nearest of ``starts`` through ``neighbours`` within ``max_hops`` steps, how many steps
    it takes. Elements along or against flows (:meth:`ModelGraph.distances`), attacker
    states along or against steps (:class:`workbench.engine.paths.StepGraph`)."""
    step = neighbours.__getitem__ if isinstance(neighbours, Mapping) else neighbours
    dist = dict.fromkeys(starts, 0)
    frontier = list(dist)
    d = 0
    while frontier and (max_hops is None or d < max_hops):
        d += 1
        nxt = []
        for n in frontier:
            for m in step(n):
                if m not in dist:
                    dist[m] = d
                    nxt.append(m)
        frontier = nxt
    return dist


class ModelGraph:
    """Graph queries over one (frozen) :class:`ThreatModel`."""

    def __init__(self, model: ThreatModel, previous: ModelGraph | None = None) -> None:
        """``previous``: the graph of a model this one was edited from; its flow
        mappings are shared when the two models hold the same flow objects."""
        self.model = model
        self._elements = {e.id: e for e in model.elements}
        self.flows_kept = previous is not None and same_items(model.flows, previous.model.flows)
        """Whether ``previous`` was given and holds the same flow objects."""
        self.succ: Mapping[str, Mapping[str, Mapping[str, Flow]]]
        """Per element, the elements its flows go to, each with those flows by ID."""
        self.pred: Mapping[str, Mapping[str, Mapping[str, Flow]]]
        """Per element, the elements whose flows come to it, each with those flows by ID."""
        if self.flows_kept and previous is not None and self._elements.keys() == previous.nodes:
            self.succ, self.pred = previous.succ, previous.pred
        else:
            self._build_flows(model)
        self._parent = {b.id: b.parent for b in model.boundaries}
        self._chains: dict[str, tuple[str, ...]] = {}
        self._trust = {b.id: b.trust for b in model.boundaries}
        self._marks: dict[str, str | None] = {}

    def _build_flows(self, model: ThreatModel) -> None:
        succ: dict[str, dict[str, dict[str, Flow]]] = {n: {} for n in self._elements}
        pred: dict[str, dict[str, dict[str, Flow]]] = {n: {} for n in self._elements}
        for f in model.flows:
            out = succ[f.source].get(f.target)
            if out is None:
                out = succ[f.source][f.target] = pred[f.target][f.source] = {}
            out[f.id] = f
        self.succ = succ
        self.pred = pred

    def adopt_trust(self, other: ModelGraph) -> None:
        """Reuse ``other``'s untrusted elements (the caller knows that no element changed
        kind, boundary or trust, and the boundaries are the same)."""
        if "_untrusted" in other.__dict__:
            self.__dict__["_untrusted"] = other.__dict__["_untrusted"]

    def adopt_flows(self, other: ModelGraph) -> None:
        """Reuse ``other``'s flow initiators, queries and persisting elements (the caller
        knows that no flow changed and no element changed kind, persistent memory or
        online learning)."""
        for name in ("_initiators", "_flow_rows", "outflows", "inflows", "persisting"):
            if name in other.__dict__:
                self.__dict__[name] = other.__dict__[name]

    @property
    def elements(self) -> dict[str, Element]:
        """Elements by ID, in the model's order (shared: never change it)."""
        return self._elements

    @property
    def nodes(self) -> Iterable[str]:
        """Element IDs, in the model's order."""
        return self._elements.keys()

    @cached_property
    def g(self) -> nx.MultiDiGraph:
        """The model as a networkx multigraph, built on first use (the analysis walks
        :attr:`succ` and :attr:`pred`, which cost a tenth to build)."""
        g = nx.MultiDiGraph()
        for e in self.model.elements:
            info = KINDS[e.kind]
            g.add_node(
                e.id,
                element=e,
                kind=e.kind,
                layer=info.layer.value,
                dfd=info.dfd.value,
                boundary=e.boundary,
            )
        for f in self.model.flows:
            g.add_edge(f.source, f.target, key=f.id, flow=f)
        return g

    # ------------------------------------------------------------ boundaries
    def boundary_chain(self, element_id: str) -> tuple[str, ...]:
        """Boundaries around the element, innermost first."""
        b = self.element(element_id).boundary
        return () if b is None else self._chain(b)

    def _chain(self, boundary: str) -> tuple[str, ...]:
        cache = self._chains
        if boundary not in cache:
            cache[boundary] = boundary_chain(self._parent, boundary)[0]
        return cache[boundary]

    def crosses_boundary(self, flow: Flow) -> bool:
        """Whether ``flow`` leaves or enters a trust boundary: its ends' chains of
        boundaries differ, which is when their innermost boundaries differ."""
        elements = self._elements
        return elements[flow.source].boundary != elements[flow.target].boundary

    def boundary_crossings(self) -> list[Flow]:
        """Flows that cross at least one trust boundary, in ID order."""
        elements = self._elements
        return [
            f
            for f in self.model.flows
            if elements[f.source].boundary != elements[f.target].boundary
        ]

    # ------------------------------------------------------------ trust
    def element(self, element_id: str) -> Element:
        """The element with ``element_id``."""
        return self._elements[element_id]

    def is_untrusted(self, element_id: str) -> bool:
        """Whether the element is an untrusted actor or system.

        In order: an explicit ``properties.trusted`` wins; an element inside an
        ``untrusted`` boundary is untrusted and one inside a ``partner`` boundary is not
        (the innermost such boundary decides); an external actor kind (user, data source,
        model hub, external service, external entity) is untrusted. Third-party processes
        such as a foundation model API are not attackers by default: they are a
        supply-chain concern, and the catalog treats them as such.
        """
        return element_id in self._untrusted

    @cached_property
    def _untrusted(self) -> frozenset[str]:
        out = set()
        for n, e in self._elements.items():
            if e.properties.trusted is not None:
                if not e.properties.trusted:
                    out.add(n)
                continue
            # the innermost boundary that says something decides: a partner inside the
            # internet is a partner, not an attacker
            marked = self._marked(e.boundary) if e.boundary is not None else None
            if marked is not None:
                if marked == "untrusted":
                    out.add(n)
                continue
            info = KINDS[e.kind]
            if info.external and info.dfd is DfdType.EXTERNAL_ENTITY:
                out.add(n)
        return frozenset(out)

    def _marked(self, boundary: str) -> str | None:
        """The trust ("untrusted" or "partner") of the innermost boundary around and
        including ``boundary`` that says either, kept per boundary."""
        cache = self._marks
        if boundary not in cache:
            trust = (self._trust.get(b) for b in self._chain(boundary))
            cache[boundary] = next((t for t in trust if t in ("untrusted", "partner")), None)
        return cache[boundary]

    def untrusted_actors(self) -> list[str]:
        """IDs of untrusted elements, sorted."""
        return sorted(self._untrusted)

    def entry_points(self) -> list[str]:
        """The system's own elements that untrusted actors can reach: those receiving a flow
        from an untrusted element, and those exposed to the internet. Third-party and
        untrusted elements are not entry points of the system. Sorted."""
        points = set()
        untrusted = self._untrusted
        for n, e in self._elements.items():
            if n in untrusted or KINDS[e.kind].external:
                continue
            exposed = e.properties.exposure == "internet"
            if exposed or not untrusted.isdisjoint(self.pred[n]):
                points.add(n)
        return sorted(points)

    # ------------------------------------------------------------ crown jewels
    @cached_property
    def _assets(self) -> dict[str, tuple[int, bool, bool]]:
        return {
            a.id: (CLASSIFICATION_RANK[a.classification], a.crown_jewel, a.pii)
            for a in self.model.assets
        }

    def classification(self, element_id: str) -> int:
        """The highest classification rank of what the element holds (its assets and its
        ``data_classification``; see :data:`CLASSIFICATION_RANK`), -1 when nothing says."""
        e = self.element(element_id)
        ranks = [self._assets[a][0] for a in e.assets]
        if e.properties.data_classification is not None:
            ranks.append(CLASSIFICATION_RANK[e.properties.data_classification])
        return max(ranks, default=-1)

    def is_crown_jewel(self, element_id: str) -> bool:
        """Whether the element holds something of high value: any element holding an asset
        marked ``crown_jewel``, or a data store holding data classified confidential or
        above (by its assets or its ``data_classification``). Processes that merely handle
        sensitive data are not crown jewels; the stores they read from are."""
        e = self.element(element_id)
        if any(self._assets[a][1] for a in e.assets):
            return True
        if KINDS[e.kind].dfd is not DfdType.DATA_STORE:
            return False
        return self.classification(element_id) >= SENSITIVE

    def crown_jewels(self) -> list[str]:
        """IDs of trusted elements holding crown jewels, sorted (data already in an
        attacker's hands is not a target)."""
        return sorted(
            n for n in self._elements if self.is_crown_jewel(n) and not self.is_untrusted(n)
        )

    def holds_pii(self, element_id: str) -> bool:
        """Whether the element stores or processes personal data."""
        e = self.element(element_id)
        return bool(e.properties.contains_pii) or any(self._assets[a][2] for a in e.assets)

    # ------------------------------------------------------------ flows: who starts them
    def is_store(self, element_id: str) -> bool:
        """Whether the element is a data store (by its kind's DFD type)."""
        return element_id in self.stores

    @cached_property
    def stores(self) -> frozenset[str]:
        """The elements that are data stores (by their kind's DFD type)."""
        return frozenset(
            e.id for e in self.model.elements if KINDS[e.kind].dfd is DfdType.DATA_STORE
        )

    def persists(self, element_id: str) -> bool:
        """Whether what reaches the element is kept and later handed to others: a data
        store, an element with persistent memory, or a model that keeps learning online."""
        if self.is_store(element_id):
            return True
        p = self.element(element_id).properties
        return bool(p.persistent_memory) or bool(p.online_learning)

    def initiator(self, flow: Flow) -> str:
        """The element that opens the exchange a flow belongs to (see
        :attr:`Flow.initiated_by`). Unset, it is inferred:

        1. a store never calls: what flows out of it is read by the target, what flows
           into it is written by the source;
        2. a pair of flows both ways is a request and its response: the caller is the end
           that acts for others (people and client apps before the system's own processes,
           those before called services such as tools, model APIs and endpoints);
        3. data sources, model hubs and third-party services are fetched from;
        4. otherwise the source sends.
        """
        return self._initiators[flow.id]

    @cached_property
    def _initiators(self) -> dict[str, str]:
        stores, succ, elements = self.stores, self.succ, self._elements
        out = {}
        for f in self.model.flows:
            source, target = f.source, f.target
            if f.initiated_by is not None:
                out[f.id] = source if f.initiated_by == "source" else target
            elif source in stores:
                out[f.id] = target
            elif target in stores:
                out[f.id] = source
            else:
                out[f.id] = _inferred_initiator(
                    source,
                    target,
                    elements[source].kind,
                    elements[target].kind,
                    source in succ[target],
                )
        return out

    def is_query(self, flow: Flow) -> bool:
        """Whether a flow only asks for data (see :attr:`Flow.query`)."""
        if flow.query is not None:
            return flow.query
        if not self.is_store(flow.target) or self.is_store(flow.source):
            return False
        if self.element(flow.source).properties.persistent_memory:
            return False
        return flow.source in self.succ[flow.target]

    @cached_property
    def persisting(self) -> frozenset[str]:
        """Elements that keep what reaches them (see :meth:`persists`)."""
        stores = self.stores  # as persists decides
        return frozenset(
            n
            for n, e in self._elements.items()
            if n in stores or e.properties.persistent_memory or e.properties.online_learning
        )

    @cached_property
    def outflows(self) -> dict[str, tuple[tuple[Flow, str, bool, str], ...]]:
        """Per element, its outgoing flows sorted by ID, each with its target, whether it
        is a query and its initiator — precomputed for the searches over flows."""
        return self._flow_rows[0]

    @cached_property
    def inflows(self) -> dict[str, tuple[tuple[Flow, str, bool, str], ...]]:
        """Per element, its incoming flows sorted by ID, as in :attr:`outflows`."""
        return self._flow_rows[1]

    @cached_property
    def _flow_rows(
        self,
    ) -> tuple[
        dict[str, tuple[tuple[Flow, str, bool, str], ...]],
        dict[str, tuple[tuple[Flow, str, bool, str], ...]],
    ]:
        elements = self._elements
        out: dict[str, list[tuple[Flow, str, bool, str]]] = {n: [] for n in elements}
        into: dict[str, list[tuple[Flow, str, bool, str]]] = {n: [] for n in elements}
        stores, succ, initiators = self.stores, self.succ, self._initiators
        for f in sorted(self.model.flows, key=_flow_id):
            source, target = f.source, f.target
            query = f.query  # as is_query decides
            if query is None:
                query = (
                    target in stores
                    and source not in stores
                    and not elements[source].properties.persistent_memory
                    and source in succ[target]
                )
            row = (f, target, query, initiators[f.id])
            out[source].append(row)
            into[target].append(row)
        return {n: tuple(v) for n, v in out.items()}, {n: tuple(v) for n, v in into.items()}

    def kind(self, element_id: str) -> str:
        """The kind of an element."""
        return self._elements[element_id].kind

    # ------------------------------------------------------------ reachability
    def distances(
        self, starts: Iterable[str], *, forward: bool = True, max_hops: int | None = None
    ) -> dict[str, int]:
        """Flows needed to get from the nearest of ``starts`` to each element reached
        along flows (``forward``) or against them, within ``max_hops``."""
        return breadth_first(starts, self.succ if forward else self.pred, max_hops)

    def layers(self, start: str, *, forward: bool, max_hops: int) -> list[list[str]]:
        """Elements 1..``max_hops`` flows away from ``start``, one list per distance,
        each sorted by ID."""
        out: list[list[str]] = [[] for _ in range(max_hops)]
        for n, d in self.distances([start], forward=forward, max_hops=max_hops).items():
            if d:
                out[d - 1].append(n)
        return [sorted(layer) for layer in out]

    def reachable_from(self, sources: Iterable[str]) -> set[str]:
        """Elements reachable along flows from any of ``sources`` (sources included)."""
        return set(self.distances(sources))

    @cached_property
    def reachable_from_untrusted(self) -> frozenset[str]:
        """Trusted elements that data from an untrusted actor can reach along flows."""
        untrusted = self.untrusted_actors()
        return frozenset(self.reachable_from(untrusted) - set(untrusted))

    @cached_property
    def _simple(self) -> nx.DiGraph:
        return nx.DiGraph(self.g)

    @cached_property
    def _undirected(self) -> nx.Graph:
        return nx.Graph(self.g.to_undirected(as_view=True))

    def paths(
        self,
        sources: Iterable[str],
        targets: Iterable[str],
        *,
        max_length: int = 8,
        limit: int = 1000,
        per_pair: int = 100,
        directed: bool = True,
    ) -> Iterator[Path]:
        """Simple paths (no element twice) from ``sources`` to ``targets`` along flows.

        Bounded three ways: at most ``max_length`` flows long, at most ``per_pair`` paths
        for each source/target pair, at most ``limit`` in all. Each pair yields its
        shortest paths first (Yen's algorithm on the element graph; parallel flows between
        the same two elements give one path each). Pairs come in sorted order, so the
        output is deterministic.

        With ``directed=False`` a flow may also be walked against its direction: an
        attacker who controls the reader of a flow can pull data from its source (the
        LLM app that reads the document store can read all of it). Each route is then
        yielded once, with one flow per hop (see :meth:`flows_between` for all of them).
        """
        targets = sorted(set(targets))
        produced = 0
        for s in sorted(set(sources)):
            for t in targets:
                if s == t:
                    continue
                pairs = self._pair_paths(s, t, max_length, directed)
                for p in itertools.islice(pairs, per_pair):
                    yield p
                    produced += 1
                    if produced >= limit:
                        return

    def _pair_paths(self, s: str, t: str, max_length: int, directed: bool) -> Iterator[Path]:
        graph = self._simple if directed else self._undirected
        try:
            for nodes in nx.shortest_simple_paths(graph, s, t):
                if len(nodes) - 1 > max_length:
                    return
                hops = [self._hop(u, v, directed) for u, v in itertools.pairwise(nodes)]
                if not directed:  # one path per route; the caller looks at every flow of a hop
                    yield Path(elements=tuple(nodes), flows=tuple(h[0] for h in hops))
                    continue
                for flows in itertools.product(*hops):
                    yield Path(elements=tuple(nodes), flows=flows)
        except nx.NetworkXNoPath:
            return

    def flows_between(self, u: str, v: str) -> list[str]:
        """Flow IDs between two elements, either way: ``u → v`` first, each way sorted."""
        return self._hop(u, v, directed=False)

    def _hop(self, u: str, v: str, directed: bool) -> list[str]:
        forward = sorted(self.succ[u].get(v, ()))
        if directed:
            return forward
        backward = sorted(self.succ[v].get(u, ()))
        return forward + backward


def _inferred_initiator(
    source: str, target: str, source_kind: str, target_kind: str, both_ways: bool
) -> str:
    """Who opens a flow between two elements that are not stores and that does not say
    (rules 2-4 of :meth:`ModelGraph.initiator`)."""
    if both_ways:
        return (
            target if _INITIATIVE.get(target_kind, 2) > _INITIATIVE.get(source_kind, 2) else source
        )
    if source_kind in _FETCHED and not KINDS[target_kind].external:
        return target
    return source


def _flow_id(flow: Flow) -> str:
    return flow.id
