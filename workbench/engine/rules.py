"""Rule evaluation: the engine's interpreter of the catalog's rule language
(:mod:`workbench.catalog.predicates`). Typed code, never ``eval``; every evaluation says
*why* it held, in plain words, naming the route when outsiders' content is involved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property
from typing import Any

from ..catalog.predicates import (
    All,
    AnyOf,
    ClassificationAtLeast,
    CrossesBoundary,
    CrownJewel,
    DfdIn,
    Downstream,
    EntryPoint,
    IncomingFrom,
    IncomingUntrusted,
    Influenced,
    InfluenceSpec,
    KindIn,
    LayerIn,
    Match,
    Missing,
    ModalityIn,
    ModelTypeIn,
    Not,
    OutgoingTo,
    Pii,
    Predicate,
    Prop,
    ReachableFromUntrusted,
    Source,
    Target,
    Untrusted,
    Upstream,
    _Op,
)
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
        self._ordered: dict[str, tuple[str, ...]] = {}
        self._influence: dict[frozenset[str] | None, Influence] = {}
        self.memo: dict[tuple[object, str], bool] = {}
        """Results of matchers on flows' ends (see :mod:`workbench.engine.matchers`)."""
        self.matches: dict[tuple[int, str], Match] = {}
        """Evaluations on flows' ends, by predicate ID (the catalog keeps the predicates
        alive) and element ID."""

    @cached_property
    def untrusted(self) -> frozenset[str]:
        return frozenset(self.graph.untrusted_actors())

    @cached_property
    def entry_points(self) -> frozenset[str]:
        return frozenset(self.graph.entry_points())

    @cached_property
    def crown_jewels(self) -> frozenset[str]:
        return frozenset(self.graph.crown_jewels())

    @cached_property
    def reachable(self) -> frozenset[str]:
        """Trusted elements that outsiders' content reaches (see :class:`Influence`)."""
        return self.influence().reached

    @cached_property
    def incoming(self) -> dict[str, list[Flow]]:
        out: dict[str, list[Flow]] = {e: [] for e in self.elements}
        for f in self.model.flows:
            out[f.target].append(f)
        return out

    @cached_property
    def outgoing(self) -> dict[str, list[Flow]]:
        out: dict[str, list[Flow]] = {e: [] for e in self.elements}
        for f in self.model.flows:
            out[f.source].append(f)
        return out

    @cached_property
    def crossing(self) -> frozenset[str]:
        return frozenset(f.id for f in self.graph.boundary_crossings())

    @cached_property
    def assets(self) -> dict[str, tuple[int, bool, str]]:
        return {
            a.id: (CLASSIFICATION_RANK[a.classification], a.pii, a.name) for a in self.model.assets
        }

    def name(self, element_id: str) -> str:
        e = self.elements[element_id]
        return f"{e.name} ({_label(e.kind)})"

    def classification(self, element: Element) -> int:
        ranks = [self.assets[a][0] for a in element.assets]
        if element.properties.data_classification is not None:
            ranks.append(CLASSIFICATION_RANK[element.properties.data_classification])
        return max(ranks, default=-1)

    def flow_classification(self, flow: Flow) -> int:
        return max((self.assets[a][0] for a in flow.data), default=-1)

    def near(self, start: str, kinds: Iterable[str], hops: int, *, up: bool) -> str | None:
        """The nearest element of ``kinds`` within ``hops`` flows (upstream or downstream);
        the first by ID among those equally near."""
        key = (frozenset(kinds), hops, up)
        if key not in self._near:
            self._near[key] = self._nearest(key[0], hops, up)
        return self._near[key].get(start)

    def _nearest(self, kinds: frozenset[str], hops: int, up: bool) -> dict[str, str]:
        """For every element, the nearest other element of ``kinds`` within ``hops`` flows
        upstream (``up``) or downstream of it: one breadth-first search from all of them
        at once, each element labelled with the lowest ID among its nearest."""
        # upstream of X means X is downstream of the source: walk from the sources along
        # flows when looking up, against them when looking down
        adj = self.graph.succ if up else self.graph.pred
        label: dict[str, str] = {}
        frontier: dict[str, str] = {}
        for source in sorted(e for e, el in self.elements.items() if el.kind in kinds):
            for n in adj[source]:
                if n != source and (n not in frontier or source < frontier[n]):
                    frontier[n] = source
        for _ in range(hops):
            fresh = {n: s for n, s in frontier.items() if n not in label}
            label.update(fresh)
            nxt: dict[str, str] = {}
            for n, source in fresh.items():
                for m in adj[n]:
                    if m in label or m == source:
                        continue
                    if m not in nxt or source < nxt[m]:
                        nxt[m] = source
            frontier = nxt
        return label

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
        while frontier:
            nxt: list[str] = []
            for n in frontier:
                flows = (*self.incoming[n], *self.outgoing[n])
                for other in sorted({f.target if f.source == n else f.source for f in flows}):
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


_RANK_NAME = {v: k for k, v in CLASSIFICATION_RANK.items()}


def evaluate(pred: Predicate, facts: Facts, target: Element | Flow) -> Match:
    """Evaluate ``pred`` on an element or a flow."""
    result: Match = _EVAL[type(pred)](pred, facts, target)
    return result


def _all(p: All, facts: Facts, t: Any) -> Match:
    matches = []
    for sub in p.all:
        m = evaluate(sub, facts, t)
        if not m.ok:
            return Match(False, m.why)
        matches.append(m)
    return Match(True, lambda: tuple(r for m in matches for r in m.reasons))


def _any(p: AnyOf, facts: Facts, t: Any) -> Match:
    failed = []
    for sub in p.any:
        m = evaluate(sub, facts, t)
        if m.ok:
            return m
        failed.append(m)
    return Match(False, lambda: tuple(r for m in failed for r in m.reasons))


def _not(p: Not, facts: Facts, t: Any) -> Match:
    m = evaluate(p.not_, facts, t)
    return Match(not m.ok, m.why)


def _a(noun: str) -> str:
    first = noun.split()[0] if noun else ""
    if first.isupper() and len(first) > 1:  # an acronym is read letter by letter
        vowel_sound = first[0] in "AEFHILMNORSX"
    else:
        vowel_sound = noun[:1].lower() in "aeiou"
    return ("an " if vowel_sound else "a ") + noun


def _kind(p: KindIn, facts: Facts, t: Element) -> Match:
    return Match(t.kind in p.kind, lambda: (f"{t.name} is {_a(_label(t.kind))}",))


def _layer(p: LayerIn, facts: Facts, t: Element) -> Match:
    layer = KINDS[t.kind].layer
    return Match(layer in p.layer, lambda: (f"{t.name} is in the {layer.value} layer",))


def _dfd(p: DfdIn, facts: Facts, t: Element) -> Match:
    dfd = KINDS[t.kind].dfd
    return Match(dfd in p.dfd, lambda: (f"{t.name} is {_a(dfd.value.replace('_', ' '))}",))


def _value(t: Any, name: str) -> Any:
    if isinstance(t, Flow):
        return getattr(t, name)
    return getattr(t.properties, name)


def _equal(value: Any, wanted: Any) -> bool:
    if value is None or wanted is None:
        return value is wanted
    return bool(value == wanted) and isinstance(value, bool) == isinstance(wanted, bool)


def _prop(p: Prop, facts: Facts, t: Any) -> Match:
    seen = []
    for name, allowed in p.prop.items():
        value = _value(t, name)
        seen.append((name, value))
        if not any(_equal(value, a) for a in allowed):
            return Match(False, _said(name, value))
    return Match(True, lambda: tuple(f"{_prop_label(n)} is {_show(v)}" for n, v in seen))


def _missing(p: Missing, facts: Facts, t: Any) -> Match:
    for name in p.missing:
        value = _value(t, name)
        if value is not None:
            return Match(False, _said(name, value))
    return Match(True, lambda: tuple(f"{_prop_label(n)} is not set" for n in p.missing))


def _said(name: str, value: Any) -> Callable[[], tuple[str, ...]]:
    return lambda: (f"{_prop_label(name)} is {_show(value)}",)


def _classification(p: ClassificationAtLeast, facts: Facts, t: Any) -> Match:
    rank = facts.flow_classification(t) if isinstance(t, Flow) else facts.classification(t)
    ok = rank >= CLASSIFICATION_RANK[p.classification_at_least]
    what = "carries" if isinstance(t, Flow) else "holds"
    shown = _RANK_NAME.get(rank, "unclassified")
    return Match(ok, (f"it {what} {shown} data",))


def _pii(p: Pii, facts: Facts, t: Any) -> Match:
    if isinstance(t, Flow):
        has = any(facts.assets[a][1] for a in t.data)
        return Match(
            has == p.pii, ("it carries personal data" if has else "it carries no personal data",)
        )
    has = facts.graph.holds_pii(t.id)
    return Match(
        has == p.pii,
        (f"{t.name} holds personal data" if has else f"{t.name} holds no personal data",),
    )


def _incoming_from(p: IncomingFrom, facts: Facts, t: Element) -> Match:
    for f in facts.incoming[t.id]:
        if facts.elements[f.source].kind in p.incoming_from:
            return Match(True, (f"it receives data from {facts.name(f.source)}",))
    return Match(False, (f"nothing of kind {', '.join(p.incoming_from)} feeds it",))


def _outgoing_to(p: OutgoingTo, facts: Facts, t: Element) -> Match:
    for f in facts.outgoing[t.id]:
        if facts.elements[f.target].kind in p.outgoing_to:
            return Match(True, (f"it feeds {facts.name(f.target)}",))
    return Match(False, (f"it feeds nothing of kind {', '.join(p.outgoing_to)}",))


def _incoming_untrusted(p: IncomingUntrusted, facts: Facts, t: Element) -> Match:
    for f in facts.incoming[t.id]:
        if f.source in facts.untrusted:
            hit = f"it receives data from {facts.name(f.source)}, which is untrusted"
            return Match(p.incoming_untrusted, (hit,))
        if f.untrusted_content:
            hit = f"flow '{f.name or f.id}' brings it content that outsiders can write"
            return Match(p.incoming_untrusted, (hit,))
    return Match(not p.incoming_untrusted, ("it receives nothing from untrusted sources",))


def _flag(ok: bool, wanted: bool, yes: str, no: str) -> Match:
    return Match(ok == wanted, (yes if ok else no,))


def _untrusted(p: Untrusted, facts: Facts, t: Element) -> Match:
    return _flag(
        t.id in facts.untrusted, p.untrusted, f"{t.name} is untrusted", f"{t.name} is trusted"
    )


def _entry(p: EntryPoint, facts: Facts, t: Element) -> Match:
    return _flag(
        t.id in facts.entry_points,
        p.entry_point,
        f"{t.name} is an entry point for untrusted actors",
        f"{t.name} is not an entry point",
    )


def _jewel(p: CrownJewel, facts: Facts, t: Element) -> Match:
    return _flag(
        t.id in facts.crown_jewels,
        p.crown_jewel,
        f"{t.name} holds a crown jewel",
        f"{t.name} holds no crown jewel",
    )


def _reachable(p: ReachableFromUntrusted, facts: Facts, t: Element) -> Match:
    reach = facts.influence().best(t.id) if t.id in facts.reachable else None
    if reach is None:
        return Match(not p.reachable_from_untrusted, (f"no untrusted data reaches {t.name}",))
    return Match(p.reachable_from_untrusted, (_route_words(facts, reach),))


def _crosses(p: CrossesBoundary, facts: Facts, t: Any) -> Match:
    if isinstance(t, Flow):
        return _flag(
            t.id in facts.crossing,
            p.crosses_boundary,
            "the flow crosses a trust boundary",
            "the flow stays inside one boundary",
        )
    for f in (*facts.incoming[t.id], *facts.outgoing[t.id]):
        if f.id in facts.crossing:
            return Match(p.crosses_boundary, (f"flow '{f.name or f.id}' crosses a trust boundary",))
    return Match(not p.crosses_boundary, (f"no flow of {t.name} crosses a trust boundary",))


def _upstream(p: Upstream, facts: Facts, t: Element) -> Match:
    hit = facts.near(t.id, p.upstream.kind, p.upstream.max_hops, up=True)
    if hit is None:
        return Match(False, (f"nothing of kind {', '.join(p.upstream.kind)} feeds it",))
    return Match(True, (f"it is fed (directly or not) by {facts.name(hit)}",))


def _downstream(p: Downstream, facts: Facts, t: Element) -> Match:
    hit = facts.near(t.id, p.downstream.kind, p.downstream.max_hops, up=False)
    if hit is None:
        return Match(False, (f"it feeds nothing of kind {', '.join(p.downstream.kind)}",))
    return Match(True, (f"it feeds (directly or not) {facts.name(hit)}",))


def _influenced(p: Influenced, facts: Facts, t: Any) -> Match:
    spec = p.influenced if isinstance(p.influenced, InfluenceSpec) else None
    wanted = p.influenced if isinstance(p.influenced, bool) else True
    origins = frozenset(spec.from_) if spec and spec.from_ else None
    inf = facts.influence(origins)
    is_flow = isinstance(t, Flow)
    name = (t.name or t.id) if is_flow else t.name
    if spec is not None and spec.via_store:
        reach = inf.flow(t.id) if is_flow else inf.best_via_store(t.id)
        reach = reach if reach is None or reach.via_store else None
    else:
        reach = inf.flow(t.id) if is_flow else inf.best(t.id)
    if not is_flow and t.id in facts.untrusted:
        if t.properties.on_device and spec is None:
            return Match(wanted, (f"{t.name} runs on a device that its user controls",))
        reach = None  # an outsider's own element is not "influenced"
    if reach is not None and spec is not None:
        if spec.via_store is False and reach.via_store:
            reach = None
        elif spec.screened is not None and bool(reach.screens) != spec.screened:
            return Match(not wanted, (_screened_words(facts, reach),))
    if reach is None:
        return Match(not wanted, (f"no content written by outsiders reaches {name}",))
    if spec is not None and spec.screened:
        return Match(wanted, (_screened_words(facts, reach),))
    return Match(wanted, (_route_words(facts, reach),))


def _route_words(facts: Facts, reach: Reach) -> str:
    if len(reach.route) == 1:
        e = facts.elements[reach.origin]
        return f"{e.name} takes in content written by outsiders"
    where = "content written by outsiders reaches it"
    if reach.declared:
        where = "content that outsiders can write reaches it"
    words = f"{where}: {facts.route(reach)}"
    if reach.via_store:
        stores = [facts.elements[e].name for e in reach.route[:-1] if facts.graph.persists(e)]
        if stores:
            words += f" (kept in {', '.join(stores)} on the way)"
    if reach.screens:
        words += "; " + _screened_words(facts, reach)
    return words


def _screened_words(facts: Facts, reach: Reach) -> str:
    if not reach.screens:
        return "nothing screens it on the way"
    names = ", ".join(facts.elements[e].name for e in reach.screens)
    return f"screened on the way by {names}"


def _model_type(p: ModelTypeIn, facts: Facts, t: Element) -> Match:
    kind = facts.model_types.get(t.id)
    if kind is None:
        return Match(False, (f"{t.name} bears no model of a known type",))
    shown = _MODEL_TYPE_WORDS.get(kind, kind.replace("_", " "))
    return Match(kind in p.model_type, (f"{t.name} serves {_a(shown)} model",))


def _modality(p: ModalityIn, facts: Facts, t: Element) -> Match:
    m = facts.modality(t.id)
    if m is None:
        return Match(False, (f"the input modality of {t.name} is unknown",))
    return Match(m in p.modality, (f"its model takes {m.replace('_', ' ')} input",))


_MODEL_TYPE_WORDS = {
    "llm": "generative language (LLM)",
    "speech_to_text": "speech-to-text",
    "text_to_speech": "text-to-speech",
    "image_generation": "image generation",
    "ranker": "ranking or recommendation",
}


def _source(p: Source, facts: Facts, t: Flow) -> Match:
    return _on_element(p.source, facts, t.source)


def _target(p: Target, facts: Facts, t: Flow) -> Match:
    return _on_element(p.target, facts, t.target)


def _on_element(p: Predicate, facts: Facts, element_id: str) -> Match:
    """``p`` evaluated on one end of a flow, remembered: many flows share an end."""
    key = (id(p), element_id)
    hit = facts.matches.get(key)
    if hit is None:
        hit = facts.matches[key] = evaluate(p, facts, facts.elements[element_id])
    return hit


_EVAL: dict[type[_Op], Any] = {
    All: _all,
    AnyOf: _any,
    Not: _not,
    KindIn: _kind,
    LayerIn: _layer,
    DfdIn: _dfd,
    Prop: _prop,
    Missing: _missing,
    ClassificationAtLeast: _classification,
    Pii: _pii,
    IncomingFrom: _incoming_from,
    OutgoingTo: _outgoing_to,
    IncomingUntrusted: _incoming_untrusted,
    Untrusted: _untrusted,
    EntryPoint: _entry,
    CrownJewel: _jewel,
    ReachableFromUntrusted: _reachable,
    CrossesBoundary: _crosses,
    Influenced: _influenced,
    ModelTypeIn: _model_type,
    ModalityIn: _modality,
    Upstream: _upstream,
    Downstream: _downstream,
    Source: _source,
    Target: _target,
}
