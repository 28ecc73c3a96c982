"""What rules ask of one model, computed once per analysis and cached: untrusted actors,
entry points and crown jewels, flows by element, neighbourhood searches, outsider
influence, model types and boundary crossings (reused across an edit where the edit
cannot change them, see :mod:`workbench.engine.incremental`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any

from ..catalog.predicates import Match
from ..graph import ModelGraph
from ..model import Element, Flow
from ..model.kinds import KINDS, Layer
from ..model.types import CLASSIFICATION_RANK
from .influence import Influence, Reach


def _label(kind: str) -> str:
    """'LLM application', 'vector store': acronyms keep their case."""
    label = KINDS[kind].label
    first = label.split()[0]
    return label if first.isupper() and len(first) > 1 else label[0].lower() + label[1:]


def _prop_label(name: str) -> str:
    return name.replace("_", " ")


def _show(value: Any) -> str:
    if value is None:
        return "not set"
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


class Facts:
    """What predicates ask of one model, computed once and cached."""

    def __init__(self, graph: ModelGraph, previous: Facts | None = None) -> None:
        """``previous``: the facts of the model ``graph``'s was edited from (see
        :class:`ModelGraph`); its flows by ID are shared when the flows are the same."""
        self.graph = graph
        self.model = graph.model
        self.elements = graph.elements
        self.flows: dict[str, Flow]
        if previous is not None and graph.flows_kept:
            self.flows = previous.flows
        else:
            self.flows = {f.id: f for f in self.model.flows}
        self._near: dict[tuple[frozenset[str], int, bool], dict[str, str]] = {}
        self._searches: dict[
            tuple[frozenset[str], bool], tuple[int, dict[str, str], dict[str, int]]
        ] = {}
        self._kinds_in: dict[str, set[str]] = {}
        self._kinds_out: dict[str, set[str]] = {}
        self._ordered: dict[str, tuple[str, ...]] = {}
        self._influence: dict[frozenset[str] | None, Influence] = {}
        self.memo: dict[object, dict[str, Any]] = {}
        """Results remembered per target ID, under their maker's key: matchers on flows'
        ends (see :mod:`workbench.engine.matchers`), mitigations' in-place rules (see
        :mod:`workbench.engine.scoring`)."""
        self.matches: dict[tuple[int, str], Match] = {}
        """Evaluations on flows' ends, by predicate ID (the catalog keeps the predicates
        alive) and element ID."""

    @cached_property
    def untrusted(self) -> frozenset[str]:
        """IDs of untrusted elements."""
        return frozenset(self.graph.untrusted_actors())

    @cached_property
    def entry_points(self) -> frozenset[str]:
        """IDs of the system's entry points (see :meth:`ModelGraph.entry_points`)."""
        return frozenset(self.graph.entry_points())

    @cached_property
    def crown_jewels(self) -> frozenset[str]:
        """IDs of trusted elements holding crown jewels."""
        return frozenset(self.graph.crown_jewels())

    @cached_property
    def reachable(self) -> frozenset[str]:
        """Trusted elements that outsiders' content reaches (see :class:`Influence`)."""
        return self.influence().reached

    @cached_property
    def incoming(self) -> dict[str, list[Flow]]:
        """The flows into each element, by element ID, in model order."""
        out: dict[str, list[Flow]] = {e: [] for e in self.elements}
        for f in self.model.flows:
            out[f.target].append(f)
        return out

    @cached_property
    def outgoing(self) -> dict[str, list[Flow]]:
        """The flows out of each element, by element ID, in model order."""
        out: dict[str, list[Flow]] = {e: [] for e in self.elements}
        for f in self.model.flows:
            out[f.source].append(f)
        return out

    @cached_property
    def crossing(self) -> frozenset[str]:
        """IDs of the flows that cross at least one trust boundary."""
        return frozenset(f.id for f in self.graph.boundary_crossings())

    @cached_property
    def assets(self) -> dict[str, tuple[int, bool, str]]:
        """By asset ID: the asset's classification rank, whether it is personal data, and its
        name."""
        return {
            a.id: (CLASSIFICATION_RANK[a.classification], a.pii, a.name) for a in self.model.assets
        }

    def name(self, element_id: str) -> str:
        """The element's name and kind in words: 'Support bot (LLM application)'."""
        e = self.elements[element_id]
        return f"{e.name} ({_label(e.kind)})"

    def classification(self, element: Element) -> int:
        """The highest classification rank of what ``element`` holds (its assets and its
        ``data_classification``), -1 when nothing says (see
        :meth:`ModelGraph.classification`)."""
        return self.graph.classification(element.id)

    def flow_classification(self, flow: Flow) -> int:
        """The highest classification rank of the assets ``flow`` carries (-1: none)."""
        return max((self.assets[a][0] for a in flow.data), default=-1)

    @cached_property
    def by_kind(self) -> dict[str, list[str]]:
        """Element IDs by kind."""
        out: dict[str, list[str]] = {}
        for e in self.model.elements:
            out.setdefault(e.kind, []).append(e.id)
        return out

    def kinds_in(self, element_id: str) -> set[str]:
        """The kinds of the elements whose flows come into the element (kept per element;
        never change it)."""
        return self._kinds_of(self._kinds_in, self.graph.pred, element_id)

    def kinds_out(self, element_id: str) -> set[str]:
        """The kinds of the elements the element's flows go to (kept per element; never
        change it)."""
        return self._kinds_of(self._kinds_out, self.graph.succ, element_id)

    def _kinds_of(
        self, kept: dict[str, set[str]], adj: Mapping[str, Mapping[str, object]], eid: str
    ) -> set[str]:
        hit = kept.get(eid)
        if hit is None:
            elements = self.elements
            hit = kept[eid] = {elements[n].kind for n in adj[eid]}
        return hit

    def near(self, start: str, kinds: Iterable[str], hops: int, *, up: bool) -> str | None:
        """The nearest element of ``kinds`` within ``hops`` flows (upstream or downstream);
        the first by ID among those equally near."""
        key = (frozenset(kinds), hops, up)
        hit = self._near.get(key)
        if hit is None:
            hit = self._near[key] = self._labels(key[0], hops, up)
        return hit.get(start)

    def _labels(self, kinds: frozenset[str], hops: int, up: bool) -> dict[str, str]:
        """:meth:`_nearest` for ``kinds``, from one search per set of kinds present in the
        model and direction: a search that went further serves fewer hops (a
        breadth-first search labels the same elements the same way up to each depth)."""
        by_kind = self.by_kind
        key = (frozenset(k for k in kinds if k in by_kind), up)
        run = self._searches.get(key)
        if run is None or run[0] < hops:
            run = self._searches[key] = (hops, *self._nearest(key[0], hops, up))
        depth, label, dist = run
        if depth == hops:
            return label
        return {n: s for n, s in label.items() if dist[n] <= hops}

    def _nearest(
        self, kinds: frozenset[str], hops: int, up: bool
    ) -> tuple[dict[str, str], dict[str, int]]:
        """For every element, the nearest other element of ``kinds`` within ``hops`` flows
        upstream (``up``) or downstream of it: one breadth-first search from all of them
        at once, each element labelled with the lowest ID among its nearest; and how many
        flows away that is."""
        # upstream of X means X is downstream of the source: walk from the sources along
        # flows when looking up, against them when looking down
        adj = self.graph.succ if up else self.graph.pred
        label: dict[str, str] = {}
        frontier: dict[str, str] = {}
        by_kind = self.by_kind
        for source in sorted(e for k in kinds for e in by_kind.get(k, ())):
            for n in adj[source]:  # sources in ID order: the first to reach n is the lowest
                if n != source and n not in frontier:
                    frontier[n] = source
        dist: dict[str, int] = {}
        for depth in range(1, hops + 1):
            # nothing in the frontier is labelled yet (the loop below skips what is)
            label.update(frontier)
            dist.update(dict.fromkeys(frontier, depth))
            nxt: dict[str, str] = {}
            for n, source in frontier.items():
                for m in adj[n]:
                    if m in label or m == source:
                        continue
                    if m not in nxt or source < nxt[m]:
                        nxt[m] = source
            frontier = nxt
        return label, dist

    # ------------------------------------------------------------ influence
    def influence(self, origins: frozenset[str] | None = None) -> Influence:
        """Outsiders' influence, with content entering only at ``origins`` kinds."""
        if origins not in self._influence:
            if origins is not None and self.influence().seed_kinds() <= origins:
                self._influence[origins] = self.influence()  # it filters out no entry
            else:
                self._influence[origins] = Influence(self.graph, origins)
        return self._influence[origins]

    def adopt_influence(self, other: Facts) -> None:
        """Reuse ``other``'s influence results: only when nothing influence reads differs
        between the two models (see :func:`workbench.engine.incremental.adopt`)."""
        self._influence = dict(other._influence)
        if "reachable" in other.__dict__:
            self.__dict__["reachable"] = other.__dict__["reachable"]

    def adopt_shape(self, other: Facts) -> None:
        """Reuse ``other``'s neighbourhood searches, inherited model types and boundary
        crossings: only when no element was added or removed or changed kind, model type
        or boundary, no flow was added, removed or moved, and the boundaries are the same
        (see :class:`workbench.engine.incremental.Edit`)."""
        self._near = other._near
        self._searches = other._searches
        for name in ("model_types", "crossing"):
            if name in other.__dict__:
                self.__dict__[name] = other.__dict__[name]

    def ordered(self, name: str) -> tuple[str, ...]:
        """``untrusted``, ``entry_points`` or ``crown_jewels``, sorted (kept)."""
        hit = self._ordered.get(name)
        if hit is None:
            hit = self._ordered[name] = tuple(sorted(getattr(self, name)))
        return hit

    def adopt_standing(self, other: Facts) -> None:
        """Reuse ``other``'s untrusted actors, entry points and crown jewels: only when no
        element was added or removed or changed kind, boundary, trust, exposure, assets or
        classification, no flow was added, removed or moved, and the boundaries and assets
        are the same (see :class:`workbench.engine.incremental.Edit`)."""
        for name in ("untrusted", "entry_points", "crown_jewels"):
            if name in other.__dict__:
                self.__dict__[name] = other.__dict__[name]
        self._ordered = other._ordered
        self.graph.adopt_trust(other.graph)

    def adopt_flows(self, other: Facts) -> None:
        """Reuse ``other``'s flows by element and who initiates each: only when no flow
        changed at all and no element was added or removed or changed kind or whether
        it keeps what it receives."""
        for name in ("incoming", "outgoing"):
            if name in other.__dict__:
                self.__dict__[name] = other.__dict__[name]
        self.graph.adopt_flows(other.graph)

    def influenced_keys(self) -> list[frozenset[str] | None]:
        """The origin filters asked for so far (see :meth:`influence`)."""
        return list(self._influence)

    def route(self, reach: Reach) -> str:
        """A route in words: 'Customer → API gateway → LLM app'."""
        return " → ".join(self.elements[e].name for e in reach.route)

    # ------------------------------------------------------------ models
    @cached_property
    def model_types(self) -> dict[str, str]:
        """The type of the model each model-bearing element bears: set on the element,
        else the kind's default, else (artifacts, registries, jobs) the type of the model
        nearest along flows among the model layer and the endpoints that serve it."""
        out: dict[str, str] = {}
        for e in self.model.elements:
            t = e.properties.model_type or _DEFAULT_MODEL_TYPE.get(e.kind)
            if t is not None:
                out[e.id] = t
        for e in self.model.elements:
            if e.id in out or e.kind not in _INHERITS_MODEL_TYPE:
                continue
            found = self._nearest_model_type(e.id, out)
            if found is not None:
                out[e.id] = found
        return out

    def _nearest_model_type(self, start: str, known: dict[str, str]) -> str | None:
        seen, frontier = {start}, [start]
        succ, pred = self.graph.succ, self.graph.pred
        while frontier:
            nxt: list[str] = []
            for n in frontier:
                for other in sorted(succ[n].keys() | pred[n].keys()):  # ends of its flows
                    if other in seen:
                        continue
                    seen.add(other)
                    explicit = self.elements[other].properties.model_type
                    if explicit is not None:
                        return explicit
                    if KINDS[self.elements[other].kind].layer is Layer.MODEL or other in known:
                        nxt.append(other)
            for n in nxt:
                if n in known and self.elements[n].kind not in _INHERITS_MODEL_TYPE:
                    return known[n]
            frontier = nxt
        return None

    def modality(self, element_id: str) -> str | None:
        """The input modality of the element's model (set, or implied by its type)."""
        set_ = self.elements[element_id].properties.input_modality
        if set_ is not None:
            return set_
        return _MODALITY_OF_TYPE.get(self.model_types.get(element_id, ""))


_DEFAULT_MODEL_TYPE = {
    "llm_app": "llm",
    "agent": "llm",
    "foundation_model_api": "llm",
    "inference_endpoint": "classifier",
}
"""Model type by kind when nothing says otherwise."""

_INHERITS_MODEL_TYPE = {
    "model_artifact",
    "model_registry",
    "training_job",
    "fine_tuning_job",
    "evaluation_job",
    "model_hub",
}
"""Kinds that bear the model they train, hold or evaluate."""

_MODALITY_OF_TYPE = {
    "llm": "text",
    "embedding": "text",
    "speech_to_text": "audio",
    "text_to_speech": "text",
    "vision": "image",
    "image_generation": "text",
}
