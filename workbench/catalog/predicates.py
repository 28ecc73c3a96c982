"""The rule language of the catalog: a small tagged union of predicates, read from YAML,
interpreted by typed code (never ``eval``), that says *why* it matched.

A predicate is a mapping with exactly one key, the operator::

    all: [P, ...]                  every P holds
    any: [P, ...]                  at least one P holds
    not: P                         P does not hold
    kind: [vector_store, ...]      the element is of one of these kinds
    layer: [data, model]           ... sits in one of these layers
    dfd: [process]                 ... has one of these DFD types
    prop: {exposure: internet, rate_limited: [false, null]}
                                   each named property has (one of) the value(s);
                                   null means "not set"; on a flow, the flow's fields
    missing: [logging]             each named property is not set
    classification_at_least: confidential
                                   the element's (or flow's) data is at least this sensitive
    pii: true                      the element holds (the flow carries) personal data
    incoming_from: [data_source]   the element receives a flow from one of these kinds
    outgoing_to: [llm_app]         the element sends a flow to one of these kinds
    incoming_untrusted: true       the element receives a flow from an untrusted element
                                   or one marked as carrying untrusted content
    untrusted: true                the element is an untrusted actor
    entry_point: true              the element is an entry point of the system
    crown_jewel: true              the element holds a crown jewel
    reachable_from_untrusted: true data from an untrusted actor can reach the element
    crosses_boundary: true         the flow crosses a trust boundary (an element: one of
                                   its flows does)
    upstream: {kind: [model_hub], max_hops: 3}
                                   an element of these kinds feeds this one within N hops
    downstream: {kind: [tool], max_hops: 2}
                                   this element feeds an element of these kinds within N hops
    source: P / target: P          on a flow: P holds for its source / target element

Every evaluation returns a :class:`Match`: whether it held, and the reasons in plain words.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    model_validator,
)

from ..model.kinds import KINDS, DfdType, ElementKind, Layer
from ..model.parts import ElementProperties, Flow
from ..model.types import CLASSIFICATION_RANK, Classification

if TYPE_CHECKING:
    from ..graph import ModelGraph
    from ..model import Element

Context = Literal["element", "flow"]


@dataclass(frozen=True)
class Match:
    """The result of a predicate: ``ok`` and the reasons, in plain words."""

    ok: bool
    reasons: tuple[str, ...] = ()


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def kinds(self) -> frozenset[str] | None:
        """The element kinds this predicate can hold for (``None``: any)."""
        return None

    def check(self, context: Context, where: str) -> list[str]:
        """Problems with this predicate in ``context`` (``where`` names its place)."""
        return []


# ----------------------------------------------------------------------------- logic
class All(_Op):
    """Every predicate holds."""

    all: list[Predicate] = Field(min_length=1)

    def kinds(self) -> frozenset[str] | None:
        known = [k for k in (p.kinds() for p in self.all) if k is not None]
        if not known:
            return None
        out = known[0]
        for k in known[1:]:
            out &= k
        return out

    def check(self, context: Context, where: str) -> list[str]:
        return [e for i, p in enumerate(self.all) for e in p.check(context, f"{where}.all[{i}]")]


class AnyOf(_Op):
    """At least one predicate holds."""

    any: list[Predicate] = Field(min_length=1)

    def kinds(self) -> frozenset[str] | None:
        parts = [p.kinds() for p in self.any]
        if any(k is None for k in parts):
            return None
        out: frozenset[str] = frozenset()
        for k in parts:
            out |= k or frozenset()
        return out

    def check(self, context: Context, where: str) -> list[str]:
        return [e for i, p in enumerate(self.any) for e in p.check(context, f"{where}.any[{i}]")]


class Not(_Op):
    """The predicate does not hold."""

    not_: Predicate = Field(alias="not")

    def check(self, context: Context, where: str) -> list[str]:
        return self.not_.check(context, f"{where}.not")


# ----------------------------------------------------------------------------- element facts
def _element_only(name: str, context: Context, where: str) -> list[str]:
    if context != "element":
        return [f"{where}: '{name}' applies to elements; on a flow use source: or target:"]
    return []


class KindIn(_Op):
    """The element is of one of these kinds."""

    kind: list[ElementKind] = Field(min_length=1)

    def kinds(self) -> frozenset[str] | None:
        return frozenset(self.kind)

    def check(self, context: Context, where: str) -> list[str]:
        return _element_only("kind", context, where)


class LayerIn(_Op):
    """The element sits in one of these layers."""

    layer: list[Layer] = Field(min_length=1)

    def kinds(self) -> frozenset[str] | None:
        return frozenset(k for k, info in KINDS.items() if info.layer in self.layer)

    def check(self, context: Context, where: str) -> list[str]:
        return _element_only("layer", context, where)


class DfdIn(_Op):
    """The element has one of these DFD types."""

    dfd: list[DfdType] = Field(min_length=1)

    def kinds(self) -> frozenset[str] | None:
        return frozenset(k for k, info in KINDS.items() if info.dfd in self.dfd)

    def check(self, context: Context, where: str) -> list[str]:
        return _element_only("dfd", context, where)


PropValue = str | bool | int | None

_FLOW_PROPS = {"encrypted", "authenticated", "untrusted_content", "protocol"}


def _check_props(
    names: Iterable[str], values: dict[str, list[PropValue]] | None, context: Context, where: str
) -> list[str]:
    from ..model.references import did_you_mean

    problems = []
    allowed = set(ElementProperties.model_fields) if context == "element" else _FLOW_PROPS
    for name in names:
        if name not in allowed:
            problems.append(
                f"{where}: unknown {context} property '{name}'{did_you_mean(name, allowed)}"
            )
            continue
        for value in (values or {}).get(name, []):
            if value is None:
                continue
            try:
                if context == "element":
                    ElementProperties.model_validate({name: value})
                else:
                    Flow.model_validate({"id": "x", "source": "a", "target": "b", name: value})
            except ValueError:
                problems.append(f"{where}: {value!r} is not a possible value of '{name}'")
    return problems


class Prop(_Op):
    """Each named property has one of the listed values (``null``: not set)."""

    prop: Annotated[
        dict[str, list[PropValue]],
        WithJsonSchema(
            {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": {
                    "anyOf": [
                        {"type": ["string", "boolean", "integer", "null"]},
                        {
                            "type": "array",
                            "items": {"type": ["string", "boolean", "integer", "null"]},
                        },
                    ]
                },
                "description": "Property name to a value or a list of values (null: not set).",
            }
        ),
    ] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _listify(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("prop"), dict):
            data = {"prop": {k: v if isinstance(v, list) else [v] for k, v in data["prop"].items()}}
        return data

    def check(self, context: Context, where: str) -> list[str]:
        return _check_props(self.prop, self.prop, context, f"{where}.prop")


class Missing(_Op):
    """Each named property is not set."""

    missing: list[str] = Field(min_length=1)

    def check(self, context: Context, where: str) -> list[str]:
        return _check_props(self.missing, None, context, f"{where}.missing")


class ClassificationAtLeast(_Op):
    """The data is at least this sensitive."""

    classification_at_least: Classification


class Pii(_Op):
    """The element holds (the flow carries) personal data, or not."""

    pii: bool


class IncomingFrom(_Op):
    """The element receives a flow from an element of one of these kinds."""

    incoming_from: list[ElementKind] = Field(min_length=1)

    def check(self, context: Context, where: str) -> list[str]:
        return _element_only("incoming_from", context, where)


class OutgoingTo(_Op):
    """The element sends a flow to an element of one of these kinds."""

    outgoing_to: list[ElementKind] = Field(min_length=1)

    def check(self, context: Context, where: str) -> list[str]:
        return _element_only("outgoing_to", context, where)


class IncomingUntrusted(_Op):
    """The element receives a flow from an untrusted element or with untrusted content."""

    incoming_untrusted: bool

    def check(self, context: Context, where: str) -> list[str]:
        return _element_only("incoming_untrusted", context, where)


class Untrusted(_Op):
    """The element is (or is not) an untrusted actor."""

    untrusted: bool

    def check(self, context: Context, where: str) -> list[str]:
        return _element_only("untrusted", context, where)


class EntryPoint(_Op):
    """The element is (or is not) an entry point."""

    entry_point: bool

    def check(self, context: Context, where: str) -> list[str]:
        return _element_only("entry_point", context, where)


class CrownJewel(_Op):
    """The element holds (or does not hold) a crown jewel."""

    crown_jewel: bool

    def check(self, context: Context, where: str) -> list[str]:
        return _element_only("crown_jewel", context, where)


class ReachableFromUntrusted(_Op):
    """Data from an untrusted actor can (or cannot) reach the element."""

    reachable_from_untrusted: bool

    def check(self, context: Context, where: str) -> list[str]:
        return _element_only("reachable_from_untrusted", context, where)


class CrossesBoundary(_Op):
    """The flow crosses a trust boundary (an element: one of its flows does)."""

    crosses_boundary: bool


class Neighbourhood(BaseModel):
    """Kinds to look for along flows, and how far."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: list[ElementKind] = Field(min_length=1)
    max_hops: int = Field(default=3, ge=1, le=10)


class Upstream(_Op):
    """An element of these kinds feeds this one within ``max_hops`` flows."""

    upstream: Neighbourhood

    def check(self, context: Context, where: str) -> list[str]:
        return _element_only("upstream", context, where)


class Downstream(_Op):
    """This element feeds an element of these kinds within ``max_hops`` flows."""

    downstream: Neighbourhood

    def check(self, context: Context, where: str) -> list[str]:
        return _element_only("downstream", context, where)


class Source(_Op):
    """On a flow: the predicate holds for its source element."""

    source: Predicate

    def check(self, context: Context, where: str) -> list[str]:
        if context != "flow":
            return [f"{where}: 'source' applies to flows"]
        return self.source.check("element", f"{where}.source")


class Target(_Op):
    """On a flow: the predicate holds for its target element."""

    target: Predicate

    def check(self, context: Context, where: str) -> list[str]:
        if context != "flow":
            return [f"{where}: 'target' applies to flows"]
        return self.target.check("element", f"{where}.target")


_OPS: dict[str, type[_Op]] = {
    "all": All,
    "any": AnyOf,
    "not": Not,
    "kind": KindIn,
    "layer": LayerIn,
    "dfd": DfdIn,
    "prop": Prop,
    "missing": Missing,
    "classification_at_least": ClassificationAtLeast,
    "pii": Pii,
    "incoming_from": IncomingFrom,
    "outgoing_to": OutgoingTo,
    "incoming_untrusted": IncomingUntrusted,
    "untrusted": Untrusted,
    "entry_point": EntryPoint,
    "crown_jewel": CrownJewel,
    "reachable_from_untrusted": ReachableFromUntrusted,
    "crosses_boundary": CrossesBoundary,
    "upstream": Upstream,
    "downstream": Downstream,
    "source": Source,
    "target": Target,
}
OPERATORS = tuple(_OPS)
"""The operator names of the rule language."""


def _operator(value: Any) -> str | None:
    if isinstance(value, dict):
        keys = list(value)
        return str(keys[0]) if len(keys) == 1 and keys[0] in _OPS else None
    for name, cls in _OPS.items():
        if type(value) is cls:
            return name
    return None


Predicate = Annotated[
    Annotated[All, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[Not, Tag("not")]
    | Annotated[KindIn, Tag("kind")]
    | Annotated[LayerIn, Tag("layer")]
    | Annotated[DfdIn, Tag("dfd")]
    | Annotated[Prop, Tag("prop")]
    | Annotated[Missing, Tag("missing")]
    | Annotated[ClassificationAtLeast, Tag("classification_at_least")]
    | Annotated[Pii, Tag("pii")]
    | Annotated[IncomingFrom, Tag("incoming_from")]
    | Annotated[OutgoingTo, Tag("outgoing_to")]
    | Annotated[IncomingUntrusted, Tag("incoming_untrusted")]
    | Annotated[Untrusted, Tag("untrusted")]
    | Annotated[EntryPoint, Tag("entry_point")]
    | Annotated[CrownJewel, Tag("crown_jewel")]
    | Annotated[ReachableFromUntrusted, Tag("reachable_from_untrusted")]
    | Annotated[CrossesBoundary, Tag("crosses_boundary")]
    | Annotated[Upstream, Tag("upstream")]
    | Annotated[Downstream, Tag("downstream")]
    | Annotated[Source, Tag("source")]
    | Annotated[Target, Tag("target")],
    Discriminator(
        _operator,
        custom_error_type="unknown_operator",
        custom_error_message="a rule is a mapping with exactly one operator key: "
        + ", ".join(_OPS),
    ),
]
"""A rule: one of the operators above."""

for _cls in (All, AnyOf, Not, Source, Target):
    _cls.model_rebuild()


# ----------------------------------------------------------------------------- evaluation
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

    def __init__(self, graph: ModelGraph) -> None:
        self.graph = graph
        self.model = graph.model
        self.elements = {e.id: e for e in self.model.elements}
        self.flows = {f.id: f for f in self.model.flows}
        self._bfs: dict[tuple[str, bool], list[list[str]]] = {}

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
        return self.graph.reachable_from_untrusted

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
        """The nearest element of ``kinds`` within ``hops`` flows (upstream or downstream)."""
        wanted = set(kinds)
        for layer in self._layers(start, up, hops):
            for other in layer:
                if self.elements[other].kind in wanted:
                    return other
        return None

    def _layers(self, start: str, up: bool, hops: int) -> list[list[str]]:
        """Breadth-first layers of elements 1..``hops`` flows away (cached per start)."""
        key = (start, up)
        layers = self._bfs.setdefault(key, [])
        if len(layers) >= hops or (layers and not layers[-1]):
            return layers[:hops]
        seen = {start, *itertools.chain.from_iterable(layers)}
        frontier = layers[-1] if layers else [start]
        while len(layers) < hops and frontier:
            nxt = []
            for n in frontier:
                for f in self.incoming[n] if up else self.outgoing[n]:
                    other = f.source if up else f.target
                    if other not in seen:
                        seen.add(other)
                        nxt.append(other)
            layers.append(nxt)
            frontier = nxt
        return layers[:hops]


_RANK_NAME = {v: k for k, v in CLASSIFICATION_RANK.items()}


def evaluate(pred: Predicate, facts: Facts, target: Element | Flow) -> Match:
    """Evaluate ``pred`` on an element or a flow."""
    result: Match = _EVAL[type(pred)](pred, facts, target)
    return result


def _all(p: All, facts: Facts, t: Any) -> Match:
    reasons: list[str] = []
    for sub in p.all:
        m = evaluate(sub, facts, t)
        if not m.ok:
            return Match(False, m.reasons)
        reasons.extend(m.reasons)
    return Match(True, tuple(reasons))


def _any(p: AnyOf, facts: Facts, t: Any) -> Match:
    failed: list[str] = []
    for sub in p.any:
        m = evaluate(sub, facts, t)
        if m.ok:
            return m
        failed.extend(m.reasons)
    return Match(False, tuple(failed))


def _not(p: Not, facts: Facts, t: Any) -> Match:
    m = evaluate(p.not_, facts, t)
    return Match(not m.ok, m.reasons)


def _a(noun: str) -> str:
    first = noun.split()[0] if noun else ""
    if first.isupper() and len(first) > 1:  # an acronym is read letter by letter
        vowel_sound = first[0] in "AEFHILMNORSX"
    else:
        vowel_sound = noun[:1].lower() in "aeiou"
    return ("an " if vowel_sound else "a ") + noun


def _kind(p: KindIn, facts: Facts, t: Element) -> Match:
    return Match(t.kind in p.kind, (f"{t.name} is {_a(_label(t.kind))}",))


def _layer(p: LayerIn, facts: Facts, t: Element) -> Match:
    layer = KINDS[t.kind].layer
    return Match(layer in p.layer, (f"{t.name} is in the {layer.value} layer",))


def _dfd(p: DfdIn, facts: Facts, t: Element) -> Match:
    dfd = KINDS[t.kind].dfd
    return Match(dfd in p.dfd, (f"{t.name} is {_a(dfd.value.replace('_', ' '))}",))


def _value(t: Any, name: str) -> Any:
    if isinstance(t, Flow):
        return getattr(t, name)
    return getattr(t.properties, name)


def _equal(value: Any, wanted: Any) -> bool:
    if value is None or wanted is None:
        return value is wanted
    return bool(value == wanted) and isinstance(value, bool) == isinstance(wanted, bool)


def _prop(p: Prop, facts: Facts, t: Any) -> Match:
    reasons = []
    for name, allowed in p.prop.items():
        value = _value(t, name)
        reason = f"{_prop_label(name)} is {_show(value)}"
        if not any(_equal(value, a) for a in allowed):
            return Match(False, (reason,))
        reasons.append(reason)
    return Match(True, tuple(reasons))


def _missing(p: Missing, facts: Facts, t: Any) -> Match:
    for name in p.missing:
        value = _value(t, name)
        if value is not None:
            return Match(False, (f"{_prop_label(name)} is {_show(value)}",))
    return Match(True, tuple(f"{_prop_label(n)} is not set" for n in p.missing))


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
    return _flag(
        t.id in facts.reachable,
        p.reachable_from_untrusted,
        f"data from untrusted actors can reach {t.name}",
        f"no untrusted data reaches {t.name}",
    )


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


def _source(p: Source, facts: Facts, t: Flow) -> Match:
    return evaluate(p.source, facts, facts.elements[t.source])


def _target(p: Target, facts: Facts, t: Flow) -> Match:
    return evaluate(p.target, facts, facts.elements[t.target])


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
    Upstream: _upstream,
    Downstream: _downstream,
    Source: _source,
    Target: _target,
}
