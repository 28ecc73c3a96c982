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
    reachable_from_untrusted: true content written by outsiders can reach the element
    influenced: true               content written by outsiders reaches the element, by a
                                   route that respects who calls whom (see
                                   workbench.engine.influence); the reason names the route
    influenced: {from: [user], via_store: true, screened: false}
                                   ... entering at elements of these kinds / having rested
                                   in a store on the way / (not) screened by a declared
                                   defence on the attacker's best route
    model_type: [classifier, ranker]
                                   the element bears a model of one of these types (set, or
                                   the kind's default, or that of the model it trains,
                                   holds or serves)
    modality: [image, audio]       the model takes in one of these input modalities
    crosses_boundary: true         the flow crosses a trust boundary (an element: one of
                                   its flows does)
    upstream: {kind: [model_hub], max_hops: 3}
                                   an element of these kinds feeds this one within N hops
    downstream: {kind: [tool], max_hops: 2}
                                   this element feeds an element of these kinds within N hops
    source: P / target: P          on a flow: P holds for its source / target element

The engine evaluates rules (:mod:`workbench.engine.rules`); every evaluation returns a
:class:`Match`: whether it held, and the reasons in plain words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

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
from ..model.types import Classification, InputModality, ModelType

Context = Literal["element", "flow"]


@dataclass(frozen=True)
class Match:
    """The result of a predicate (see :func:`workbench.engine.rules.evaluate`): ``ok``
    and the reasons, in plain words. The reasons may be given as a function that makes
    them, so that rules that fail (most of them) build no text."""

    ok: bool
    why: tuple[str, ...] | Callable[[], tuple[str, ...]] = ()

    @property
    def reasons(self) -> tuple[str, ...]:
        """The reasons, in plain words."""
        why = self.why
        return why() if callable(why) else why


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
        """The kinds every part can hold for: the intersection of those the parts narrow to
        (``None``: no part narrows)."""
        known = [k for k in (p.kinds() for p in self.all) if k is not None]
        if not known:
            return None
        out = known[0]
        for k in known[1:]:
            out &= k
        return out

    def check(self, context: Context, where: str) -> list[str]:
        """The problems of every part."""
        return [e for i, p in enumerate(self.all) for e in p.check(context, f"{where}.all[{i}]")]


class AnyOf(_Op):
    """At least one predicate holds."""

    any: list[Predicate] = Field(min_length=1)

    def kinds(self) -> frozenset[str] | None:
        """The kinds some part can hold for: the union (``None`` when a part holds for any kind)."""
        parts = [p.kinds() for p in self.any]
        if any(k is None for k in parts):
            return None
        out: frozenset[str] = frozenset()
        for k in parts:
            out |= k or frozenset()
        return out

    def check(self, context: Context, where: str) -> list[str]:
        """The problems of every alternative."""
        return [e for i, p in enumerate(self.any) for e in p.check(context, f"{where}.any[{i}]")]


class Not(_Op):
    """The predicate does not hold."""

    not_: Predicate = Field(alias="not")

    def check(self, context: Context, where: str) -> list[str]:
        """The problems of the negated predicate."""
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
        """The kinds this predicate can hold for: those listed."""
        return frozenset(self.kind)

    def check(self, context: Context, where: str) -> list[str]:
        """A problem when used on a flow: this predicate applies to elements only."""
        return _element_only("kind", context, where)


class LayerIn(_Op):
    """The element sits in one of these layers."""

    layer: list[Layer] = Field(min_length=1)

    def kinds(self) -> frozenset[str] | None:
        """The kinds this predicate can hold for: those in the listed layers."""
        return frozenset(k for k, info in KINDS.items() if info.layer in self.layer)

    def check(self, context: Context, where: str) -> list[str]:
        """A problem when used on a flow: this predicate applies to elements only."""
        return _element_only("layer", context, where)


class DfdIn(_Op):
    """The element has one of these DFD types."""

    dfd: list[DfdType] = Field(min_length=1)

    def kinds(self) -> frozenset[str] | None:
        """The kinds this predicate can hold for: those of the listed DFD types."""
        return frozenset(k for k, info in KINDS.items() if info.dfd in self.dfd)

    def check(self, context: Context, where: str) -> list[str]:
        """A problem when used on a flow: this predicate applies to elements only."""
        return _element_only("dfd", context, where)


PropValue = str | bool | int | None

_FLOW_PROPS = {
    "encrypted",
    "authenticated",
    "untrusted_content",
    "protocol",
    "query",
    "initiated_by",
}


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
        """Unknown property names (of an element or a flow, by ``context``) and values those
        properties cannot take."""
        return _check_props(self.prop, self.prop, context, f"{where}.prop")


class Missing(_Op):
    """Each named property is not set."""

    missing: list[str] = Field(min_length=1)

    def check(self, context: Context, where: str) -> list[str]:
        """Unknown property names (of an element or a flow, by ``context``)."""
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
        """A problem when used on a flow: this predicate applies to elements only."""
        return _element_only("incoming_from", context, where)


class OutgoingTo(_Op):
    """The element sends a flow to an element of one of these kinds."""

    outgoing_to: list[ElementKind] = Field(min_length=1)

    def check(self, context: Context, where: str) -> list[str]:
        """A problem when used on a flow: this predicate applies to elements only."""
        return _element_only("outgoing_to", context, where)


class IncomingUntrusted(_Op):
    """The element receives a flow from an untrusted element or with untrusted content."""

    incoming_untrusted: bool

    def check(self, context: Context, where: str) -> list[str]:
        """A problem when used on a flow: this predicate applies to elements only."""
        return _element_only("incoming_untrusted", context, where)


class Untrusted(_Op):
    """The element is (or is not) an untrusted actor."""

    untrusted: bool

    def check(self, context: Context, where: str) -> list[str]:
        """A problem when used on a flow: this predicate applies to elements only."""
        return _element_only("untrusted", context, where)


class EntryPoint(_Op):
    """The element is (or is not) an entry point."""

    entry_point: bool

    def check(self, context: Context, where: str) -> list[str]:
        """A problem when used on a flow: this predicate applies to elements only."""
        return _element_only("entry_point", context, where)


class CrownJewel(_Op):
    """The element holds (or does not hold) a crown jewel."""

    crown_jewel: bool

    def check(self, context: Context, where: str) -> list[str]:
        """A problem when used on a flow: this predicate applies to elements only."""
        return _element_only("crown_jewel", context, where)


class ReachableFromUntrusted(_Op):
    """Data from an untrusted actor can (or cannot) reach the element."""

    reachable_from_untrusted: bool

    def check(self, context: Context, where: str) -> list[str]:
        """A problem when used on a flow: this predicate applies to elements only."""
        return _element_only("reachable_from_untrusted", context, where)


class InfluenceSpec(BaseModel):
    """Narrows ``influenced``: where the content enters, whether it rested in a store,
    whether the attacker's best route is screened."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: list[ElementKind] | None = Field(default=None, alias="from", min_length=1)
    """Only content entering at elements of these kinds (users, data sources ...)."""
    via_store: bool | None = None
    """``true``: only content that rested in a store (or a persistent memory) on the way;
    ``false``: only content that did not."""
    screened: bool | None = None
    """``false``: the attacker's best route passes no declared defence; ``true``: even
    the best route is screened."""


class Influenced(_Op):
    """Content written by outsiders reaches the element (or travels on the flow)."""

    influenced: bool | InfluenceSpec


class ModelTypeIn(_Op):
    """The element bears a model of one of these types."""

    model_type: list[ModelType] = Field(min_length=1)

    def check(self, context: Context, where: str) -> list[str]:
        """A problem when used on a flow: this predicate applies to elements only."""
        return _element_only("model_type", context, where)


class ModalityIn(_Op):
    """The element's model takes in one of these input modalities."""

    modality: list[InputModality] = Field(min_length=1)

    def check(self, context: Context, where: str) -> list[str]:
        """A problem when used on a flow: this predicate applies to elements only."""
        return _element_only("modality", context, where)


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
        """A problem when used on a flow: this predicate applies to elements only."""
        return _element_only("upstream", context, where)


class Downstream(_Op):
    """This element feeds an element of these kinds within ``max_hops`` flows."""

    downstream: Neighbourhood

    def check(self, context: Context, where: str) -> list[str]:
        """A problem when used on a flow: this predicate applies to elements only."""
        return _element_only("downstream", context, where)


class Source(_Op):
    """On a flow: the predicate holds for its source element."""

    source: Predicate

    def check(self, context: Context, where: str) -> list[str]:
        """On a flow, the problems of the predicate on its source element; elsewhere, a problem."""
        if context != "flow":
            return [f"{where}: 'source' applies to flows"]
        return self.source.check("element", f"{where}.source")


class Target(_Op):
    """On a flow: the predicate holds for its target element."""

    target: Predicate

    def check(self, context: Context, where: str) -> list[str]:
        """On a flow, the problems of the predicate on its target element; elsewhere, a problem."""
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
    "influenced": Influenced,
    "model_type": ModelTypeIn,
    "modality": ModalityIn,
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
    | Annotated[Influenced, Tag("influenced")]
    | Annotated[ModelTypeIn, Tag("model_type")]
    | Annotated[ModalityIn, Tag("modality")]
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
