"""Rule evaluation: the engine's interpreter of the catalog's rule language
(:mod:`workbench.catalog.predicates`). Typed code, never ``eval``; every evaluation says
*why* it held, in plain words, naming the route when outsiders' content is involved.
"""

from __future__ import annotations

from collections.abc import Callable
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
from ..model import Element, Flow
from ..model.kinds import KINDS
from ..model.types import CLASSIFICATION_RANK
from .facts import Facts, _label, _prop_label, _show
from .influence import Reach

__all__ = ["Facts", "evaluate"]
"""``Facts`` lives in :mod:`workbench.engine.facts`; it is still importable from here."""

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
