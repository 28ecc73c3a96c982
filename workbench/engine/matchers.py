"""Matchers: whether a rule holds on a target, without its reasons.

Most rules fail on most targets. The engine asks a matcher first and evaluates the rule
(:func:`workbench.engine.rules.evaluate`, which says *why*) only where it holds. A matcher
is compiled once per rule and per kind of target: the clauses on kinds, layers and DFD
types are decided when it is made; the others become small closures; operators without a
fast form fall back to :func:`evaluate`. ``tests/test_predicates.py`` checks that matchers
and evaluation agree on every built-in rule and target of the starters and of some ATLAS
cases.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, cast

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
)
from ..model import Element, Flow
from ..model.kinds import KINDS
from ..model.types import CLASSIFICATION_RANK
from .facts import Facts, _label, _prop_label, _show
from .rules import _a, _equal, _value, evaluate


def kinds_of(target: Element | Flow, facts: Facts) -> Kinds:
    """What decides part of a rule before it is tested: an element's kind, a flow's
    source and target kinds."""
    if isinstance(target, Flow):
        return facts.elements[target.source].kind, facts.elements[target.target].kind
    return target.kind


Kinds = str | tuple[str, str]
"""What a target is known to be: an element's kind, or a flow's source and target kinds."""

ANY_ELEMENT = "*"
"""As a :data:`Kinds`: an element of any kind (its properties are read as an element's,
no clause is decided by kind)."""
ANY_FLOW = (ANY_ELEMENT, ANY_ELEMENT)
"""As a :data:`Kinds`: a flow between elements of any kinds."""


Test = Callable[[Facts, Any], bool]
"""Whether a predicate holds on a target, without its reasons (see :func:`matcher`)."""

_MAX_CACHED = 50_000
"""Matchers kept at most (a catalog makes a few thousand)."""
_MATCHERS: dict[tuple[int, Kinds | None], tuple[Predicate, Test]] = {}


def matcher(pred: Predicate, kind: Kinds | None = None) -> Test:
    """A function that tells whether ``pred`` holds, exactly as :func:`evaluate` would,
    without building reasons. ``kind``: it is only ever asked of elements of this kind,
    or of flows between elements of these two kinds (source, target); the clauses on
    kinds, layers and DFD types are then decided once. Most rules fail on most targets:
    the engine tests first and evaluates (for the reasons) only what holds. Cached per
    predicate object and kind."""
    key = (id(pred), kind)
    hit = _MATCHERS.get(key)
    if hit is not None and hit[0] is pred:
        return hit[1]
    fixed = _decided(pred, kind) if kind is not None else None
    test = _compile(pred, kind) if fixed is None else ALWAYS if fixed else NEVER
    if len(_MATCHERS) >= _MAX_CACHED:  # catalogs loaded again and again (a server)
        _MATCHERS.clear()
    _MATCHERS[key] = (pred, test)  # the predicate is kept alive with its ID
    return test


def _always(facts: Facts, t: Any) -> bool:
    return True


def _never(facts: Facts, t: Any) -> bool:
    return False


ALWAYS: Test = _always
"""The matcher of a rule that holds on every target of the kind it was made for."""
NEVER: Test = _never
"""The matcher of a rule that holds on no target of the kind it was made for."""


def _decided(p: Predicate, kind: Kinds) -> bool | None:
    """Whether ``p`` holds on every target of ``kind`` (True), on none (False), or
    depends on more than the kind (None)."""
    if isinstance(kind, tuple):  # a flow: its ends' kinds decide some clauses
        if isinstance(p, Source):
            return _decided(p.source, kind[0])
        if isinstance(p, Target):
            return _decided(p.target, kind[1])
    elif isinstance(p, KindIn | LayerIn | DfdIn):
        return _kind_decides(p, kind)
    if isinstance(p, Not):
        inner = _decided(p.not_, kind)
        return None if inner is None else not inner
    if isinstance(p, All):
        parts = [_decided(s, kind) for s in p.all]
        if False in parts:
            return False
        return True if all(x is True for x in parts) else None
    if isinstance(p, AnyOf):
        parts = [_decided(s, kind) for s in p.any]
        if True in parts:
            return True
        return False if all(x is False for x in parts) else None
    return None


def _kind_decides(p: KindIn | LayerIn | DfdIn, kind: str) -> bool | None:
    """Whether a clause on kinds, layers or DFD types holds for an element of ``kind``."""
    if kind == ANY_ELEMENT:
        return None
    if isinstance(p, KindIn):
        return kind in p.kind
    if isinstance(p, LayerIn):
        return KINDS[kind].layer in p.layer
    return KINDS[kind].dfd in p.dfd


def _slow(pred: Predicate) -> Test:
    return lambda facts, t: evaluate(pred, facts, t).ok


def _chain_all(parts: tuple[Test, ...]) -> Test:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts
        return lambda facts, t: a(facts, t) and b(facts, t)
    if len(parts) == 3:
        a, b, c = parts
        return lambda facts, t: a(facts, t) and b(facts, t) and c(facts, t)

    def test(facts: Facts, t: Any) -> bool:
        for x in parts:  # noqa: SIM110 - a loop is faster than all() over a generator
            if not x(facts, t):
                return False
        return True

    return test


def _chain_any(parts: tuple[Test, ...]) -> Test:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts
        return lambda facts, t: a(facts, t) or b(facts, t)

    def test(facts: Facts, t: Any) -> bool:
        for x in parts:  # noqa: SIM110 - a loop is faster than any() over a generator
            if x(facts, t):
                return True
        return False

    return test


def _compile(p: Predicate, kind: Kinds | None) -> Test:  # noqa: C901
    """A test of ``p`` (one branch per operator; operators without a fast form fall back
    to :func:`evaluate`)."""
    if isinstance(p, All | AnyOf):
        subs = p.all if isinstance(p, All) else p.any
        decided = [_decided(s, kind) if kind is not None else None for s in subs]
        parts = tuple(matcher(s, kind) for s, d in zip(subs, decided, strict=True) if d is None)
        if isinstance(p, All):
            return _chain_all(parts) if parts else ALWAYS
        return _chain_any(parts) if parts else NEVER
    if isinstance(p, Not):
        inner = matcher(p.not_, kind)
        return lambda facts, t: not inner(facts, t)
    if isinstance(p, KindIn):
        kinds = frozenset(p.kind)
        return lambda facts, t: t.kind in kinds
    if isinstance(p, LayerIn):
        layers = frozenset(k for k, info in KINDS.items() if info.layer in p.layer)
        return lambda facts, t: t.kind in layers
    if isinstance(p, DfdIn):
        dfds = frozenset(k for k, info in KINDS.items() if info.dfd in p.dfd)
        return lambda facts, t: t.kind in dfds
    if isinstance(p, Prop):
        checks = tuple((name, _allowed(values)) for name, values in p.prop.items())
        if isinstance(kind, str):  # an element's properties
            return _element_props(checks)
        if isinstance(kind, tuple):  # a flow's fields
            return _flow_fields(checks)
        if len(checks) == 1:
            ((name, ok),) = checks
            return lambda facts, t: _admits(ok, _value(t, name))
        return lambda facts, t: all(_admits(ok, _value(t, name)) for name, ok in checks)
    if isinstance(p, Missing):
        names = tuple(p.missing)
        if len(names) == 1 and isinstance(kind, str):  # an element's property
            (prop,) = names
            return lambda facts, t: getattr(t.properties, prop) is None
        if len(names) == 1:
            (only,) = names
            return lambda facts, t: _value(t, only) is None
        return lambda facts, t: all(_value(t, n) is None for n in names)
    if isinstance(p, Untrusted):
        want = p.untrusted
        return lambda facts, t: (t.id in facts.untrusted) is want
    if isinstance(p, EntryPoint):
        want = p.entry_point
        return lambda facts, t: (t.id in facts.entry_points) is want
    if isinstance(p, CrownJewel):
        want = p.crown_jewel
        return lambda facts, t: (t.id in facts.crown_jewels) is want
    if isinstance(p, IncomingFrom):
        kinds = frozenset(p.incoming_from)
        return lambda facts, t: not kinds.isdisjoint(facts.kinds_in(t.id))
    if isinstance(p, OutgoingTo):
        kinds = frozenset(p.outgoing_to)
        return lambda facts, t: not kinds.isdisjoint(facts.kinds_out(t.id))
    if isinstance(p, ModelTypeIn):
        types = frozenset(p.model_type)
        return lambda facts, t: facts.model_types.get(t.id) in types
    if isinstance(p, CrossesBoundary | Pii | ClassificationAtLeast | IncomingUntrusted):
        return _compile_flowing(p)
    if isinstance(p, ReachableFromUntrusted):
        want = p.reachable_from_untrusted
        return lambda facts, t: (t.id in facts.reachable) is want
    if isinstance(p, ModalityIn):
        modalities = frozenset(p.modality)
        return lambda facts, t: facts.modality(t.id) in modalities
    if isinstance(p, Influenced):
        return _influenced(p)
    if isinstance(p, Upstream | Downstream):
        up = isinstance(p, Upstream)
        hood = p.upstream if isinstance(p, Upstream) else p.downstream
        kinds, hops = frozenset(hood.kind), hood.max_hops
        return lambda facts, t: facts.near(t.id, kinds, hops, up=up) is not None
    if isinstance(p, Source | Target):
        end = "source" if isinstance(p, Source) else "target"
        sub = p.source if isinstance(p, Source) else p.target
        end_kind = kind[0 if end == "source" else 1] if isinstance(kind, tuple) else None
        return _on_end(matcher(sub, end_kind), end)
    return _slow(p)


def _element_props(
    checks: tuple[tuple[str, tuple[frozenset[Any], frozenset[bool], bool]], ...],
) -> Test:
    """The test of a ``prop`` clause on elements; the usual asks (a flag true; a flag false
    or not set) without the general comparison."""
    if len(checks) == 1:
        ((name, ok),) = checks
        plain, flags, unset = ok
        if not plain and flags == {True} and not unset:
            return lambda facts, t: getattr(t.properties, name) is True
        if not plain and flags == {False} and unset:

            def false_or_unset(facts: Facts, t: Any) -> bool:
                value = getattr(t.properties, name)
                return value is None or value is False

            return false_or_unset
        return lambda facts, t: _admits(ok, getattr(t.properties, name))

    def test(facts: Facts, t: Any) -> bool:
        props = t.properties
        for name, ok in checks:  # noqa: SIM110 - a loop is faster than all() over a generator
            if not _admits(ok, getattr(props, name)):
                return False
        return True

    return test


def _flow_fields(
    checks: tuple[tuple[str, tuple[frozenset[Any], frozenset[bool], bool]], ...],
) -> Test:
    """The test of a ``prop`` clause on flows (their own fields)."""
    if len(checks) == 1:
        ((field, allowed),) = checks
        return lambda facts, t: _admits(allowed, getattr(t, field))

    def test(facts: Facts, t: Any) -> bool:
        for field, ok in checks:  # noqa: SIM110 - a loop is faster than all() over a generator
            if not _admits(ok, getattr(t, field)):
                return False
        return True

    return test


def _compile_flowing(p: CrossesBoundary | Pii | ClassificationAtLeast | IncomingUntrusted) -> Test:
    """Tests of what an element holds or its flows carry (as :func:`evaluate` decides)."""
    if isinstance(p, CrossesBoundary):
        return _crosses(p.crosses_boundary)
    if isinstance(p, Pii):
        return _personal(p.pii)
    if isinstance(p, ClassificationAtLeast):
        return _classified(CLASSIFICATION_RANK[p.classification_at_least])
    return _from_untrusted(p.incoming_untrusted)


def _crosses(want: bool) -> Test:
    def crosses(facts: Facts, t: Any) -> bool:
        crossing = facts.crossing
        if isinstance(t, Flow):
            return (t.id in crossing) is want
        for f in facts.incoming[t.id]:
            if f.id in crossing:
                return want
        for f in facts.outgoing[t.id]:
            if f.id in crossing:
                return want
        return not want

    return crosses


def _personal(pii: bool) -> Test:
    def personal(facts: Facts, t: Any) -> bool:
        if isinstance(t, Flow):
            assets = facts.assets
            return any(assets[a][1] for a in t.data) is pii
        return facts.graph.holds_pii(t.id) is pii

    return personal


def _classified(floor: int) -> Test:
    def classified(facts: Facts, t: Any) -> bool:
        if isinstance(t, Flow):
            return facts.flow_classification(t) >= floor
        return facts.graph.classification(t.id) >= floor

    return classified


def _from_untrusted(want_untrusted: bool) -> Test:
    def from_untrusted(facts: Facts, t: Any) -> bool:
        untrusted = facts.untrusted
        for f in facts.incoming[t.id]:
            if f.source in untrusted or f.untrusted_content:
                return want_untrusted
        return not want_untrusted

    return from_untrusted


def _influenced(p: Influenced) -> Test:
    """The test of an ``influenced`` clause: the same decisions as
    :func:`workbench.engine.rules._influenced`, without the route in words."""
    spec = p.influenced if isinstance(p.influenced, InfluenceSpec) else None
    wanted = p.influenced if isinstance(p.influenced, bool) else True
    origins = frozenset(spec.from_) if spec and spec.from_ else None
    via_store = spec.via_store if spec is not None else None
    screened = spec.screened if spec is not None else None

    def test(facts: Facts, t: Any) -> bool:
        inf = facts.influence(origins)
        is_flow = isinstance(t, Flow)
        if via_store:
            reach = inf.flow(t.id) if is_flow else inf.best_via_store(t.id)
            reach = reach if reach is None or reach.via_store else None
        else:
            reach = inf.flow(t.id) if is_flow else inf.best(t.id)
        if not is_flow and t.id in facts.untrusted:
            if t.properties.on_device and spec is None:
                return wanted
            reach = None
        if reach is not None and spec is not None:
            if via_store is False and reach.via_store:
                reach = None
            elif screened is not None and bool(reach.screens) != screened:
                return not wanted
        return wanted if reach is not None else not wanted

    return test


def _allowed(values: list[Any]) -> tuple[frozenset[Any], frozenset[bool], bool]:
    """Values a property may have, split as :func:`_equal` compares them: non-booleans
    (by equality), booleans (by identity of truth value), and whether "not set" is one."""
    plain = frozenset(v for v in values if v is not None and not isinstance(v, bool))
    flags = frozenset(v for v in values if isinstance(v, bool))
    return plain, flags, any(v is None for v in values)


def _admits(allowed: tuple[frozenset[Any], frozenset[bool], bool], value: Any) -> bool:
    plain, flags, unset = allowed
    if value is None:
        return unset
    if isinstance(value, bool):
        return value in flags
    try:
        return value in plain
    except TypeError:  # an unhashable value: compare one by one
        return any(_equal(value, a) for a in plain)


_R = TypeVar("_R")


def _on_end(inner: Callable[[Facts, Any], _R], end: str) -> Callable[[Facts, Any], _R]:
    """``inner`` (a test or an explainer) asked of a flow's source or target element,
    remembered per element in the facts: many flows share an end."""
    key = object()
    end_of = attrgetter(end)

    def on_end(facts: Facts, t: Flow) -> _R:
        element_id = end_of(t)
        memo = facts.memo.get(key)
        if memo is None:
            memo = facts.memo[key] = {}
        hit = memo.get(element_id)
        if hit is None:
            hit = memo[element_id] = inner(facts, facts.elements[element_id])
        return cast(_R, hit)

    return on_end


# ----------------------------------------------------------------------------- reasons
Explain = Callable[[Facts, Any], tuple[str, ...]]
"""The reasons a predicate holds on a target, asked only where its matcher passed."""

_EXPLAINERS: dict[tuple[int, Kinds | None], tuple[Predicate, Explain]] = {}


def explainer(pred: Predicate, kind: Kinds | None = None) -> Explain:
    """A function giving the reasons ``pred`` holds on a target, the same as
    ``evaluate(pred, facts, target).reasons``, for targets on which it holds (ask
    :func:`matcher` first). The clauses whose words never change are written once;
    ``all`` joins its parts' reasons, ``any`` gives those of its first part that holds (as
    :func:`evaluate` does); operators without a compiled form evaluate. Cached like
    :func:`matcher`."""
    key = (id(pred), kind)
    hit = _EXPLAINERS.get(key)
    if hit is not None and hit[0] is pred:
        return hit[1]
    explain = _explainer(pred, kind)
    if len(_EXPLAINERS) >= _MAX_CACHED:
        _EXPLAINERS.clear()
    _EXPLAINERS[key] = (pred, explain)
    return explain


def _explainer(p: Predicate, kind: Kinds | None) -> Explain:  # noqa: C901
    if isinstance(p, All):
        parts = tuple(explainer(s, kind) for s in p.all)
        if len(parts) == 1:
            return parts[0]
        if len(parts) == 2:
            a, b = parts
            return lambda facts, t: a(facts, t) + b(facts, t)

        def joined(facts: Facts, t: Any) -> tuple[str, ...]:
            out: tuple[str, ...] = ()
            for x in parts:
                out += x(facts, t)
            return out

        return joined
    if isinstance(p, AnyOf):
        options = tuple((matcher(s, kind), explainer(s, kind)) for s in p.any)

        def first(facts: Facts, t: Any) -> tuple[str, ...]:
            for holds, explain in options:
                if holds(facts, t):
                    return explain(facts, t)
            return evaluate(p, facts, t).reasons  # not asked where it fails; kept exact

        return first
    if isinstance(p, Prop):
        names = tuple(p.prop)
        if len(names) == 1:
            (only,) = names
            label = _prop_label(only)
            return lambda facts, t: (f"{label} is {_show(_value(t, only))}",)
        labels = tuple((n, _prop_label(n)) for n in names)
        return lambda facts, t: tuple(f"{lab} is {_show(_value(t, n))}" for n, lab in labels)
    if isinstance(p, Missing):
        words = tuple(f"{_prop_label(n)} is not set" for n in p.missing)
        return lambda facts, t: words
    if isinstance(p, KindIn) and isinstance(kind, str):
        what = " is " + _a(_label(kind))
        return lambda facts, t: (t.name + what,)
    if isinstance(p, Untrusted | EntryPoint | CrownJewel):
        return _explain_flag(p)
    if isinstance(p, DfdIn) and isinstance(kind, str):
        what = " is " + _a(KINDS[kind].dfd.value.replace("_", " "))
        return lambda facts, t: (t.name + what,)
    if isinstance(p, LayerIn) and isinstance(kind, str):
        where = f" is in the {KINDS[kind].layer.value} layer"
        return lambda facts, t: (t.name + where,)
    if isinstance(p, Not):
        inner_pred = p.not_
        return lambda facts, t: evaluate(inner_pred, facts, t).reasons
    if isinstance(p, Source | Target):
        end = "source" if isinstance(p, Source) else "target"
        sub = p.source if isinstance(p, Source) else p.target
        end_kind = kind[0 if end == "source" else 1] if isinstance(kind, tuple) else None
        return _on_end(explainer(sub, end_kind), end)
    return lambda facts, t: evaluate(p, facts, t).reasons


def _explain_flag(p: Untrusted | EntryPoint | CrownJewel) -> Explain:
    """The words of a clause on the element's standing, when it holds (as :func:`evaluate`
    writes them)."""
    if isinstance(p, Untrusted):
        words = " is untrusted" if p.untrusted else " is trusted"
    elif isinstance(p, EntryPoint):
        words = (
            " is an entry point for untrusted actors" if p.entry_point else " is not an entry point"
        )
    else:
        words = " holds a crown jewel" if p.crown_jewel else " holds no crown jewel"
    return lambda facts, t: (t.name + words,)
