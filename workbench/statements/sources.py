"""Who realises a threat on a target, by the catalog's ``source`` kinds (insider,
account, provider, network, device, tenant, package ...), and what a threat's rule says
about outsiders (see :mod:`workbench.statements`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..catalog.entries import Threat
from ..catalog.predicates import (
    All,
    AnyOf,
    EntryPoint,
    IncomingUntrusted,
    Influenced,
    InfluenceSpec,
    Predicate,
    Prop,
    ReachableFromUntrusted,
)
from ..model import Element, Flow
from ..model.kinds import KINDS
from .parts import _PROVIDED, _listed, _Who

if TYPE_CHECKING:
    from . import StatementWriter

# ----------------------------------------------------------------------------- sources
_SOURCE_PREREQ = {
    "data_source": "who can put content into {}",
    "model_hub": "who can publish to {}",
    "external_service": "who controls content from {}",
    "foundation_model_api": "who controls content from {}",
}
"""What an outsider at an untrusted element of these kinds can do there."""


def _insider(w: StatementWriter, target: Element | Flow) -> _Who:
    """The operators who feed the target (or its flow's source), else by exposure."""
    subject = target.source if isinstance(target, Flow) else target.id
    if w.facts.elements[subject].properties.on_device:
        return _device(w, target)  # on a user's device, the insider is whoever holds it
    ops = _operators(w, subject)
    if not ops:
        return w._by_exposure(target)
    names = " or ".join(w._name(o) for o in ops)
    return _Who("insider", f"An insider ({names}) or anyone holding their access")


def _account(w: StatementWriter, target: Element | Flow) -> _Who:
    subject = target.source if isinstance(target, Flow) else target.id
    ops = _operators(w, subject)
    if ops:
        names = " or ".join(w._name(o) for o in ops)
        return _Who("account", "Anyone", f"holding a phished or stolen account of {names}")
    return _Who("account", "Anyone", f"holding leaked credentials for {w._name(subject)}")


def _operators(w: StatementWriter, element_id: str) -> list[str]:
    if w.graph.kind(element_id) == "operator":
        return [element_id]
    return [o for o in sorted(w.graph.pred[element_id]) if w.graph.kind(o) == "operator"]


def _provider(w: StatementWriter, target: Element | Flow) -> _Who:
    """The third party that runs the target or an end of the flow, else those it calls
    (model APIs first)."""
    if isinstance(target, Flow):
        candidates = [target.target, target.source]
    elif _third_party(w, target.id):
        candidates = [target.id]
    else:
        candidates = sorted(
            (e for e in w.graph.succ[target.id] if _third_party(w, e)),
            key=lambda e: (w.graph.kind(e) != "foundation_model_api", e),
        )
    for c in candidates:
        if w.graph.is_untrusted(c):
            return _Who("provider", "Whoever", f"controls {w._name(c)}")
    called = [c for c in candidates if _third_party(w, c)]
    if not called:
        subject = target.target if isinstance(target, Flow) else target.id
        return _Who("provider", "A third party", f"that {w._name(subject)} depends on")
    role = "operator" if all(w.graph.kind(c) == "tool" for c in called) else "provider"
    names = _listed([w._name(c) for c in called])
    return _Who("provider", f"The {role} of {names} or anyone who compromises it")


def _third_party(w: StatementWriter, element_id: str) -> bool:
    e = w.facts.elements[element_id]
    external = e.kind in _PROVIDED and KINDS[e.kind].external
    return bool(e.properties.third_party) or external or w.graph.is_untrusted(element_id)


def _network(w: StatementWriter, target: Element | Flow) -> _Who:
    if isinstance(target, Flow):
        ends = f"from {w._name(target.source)} to {w._name(target.target)}"
        return _Who("network", "Someone", f"on the network path {ends}")
    return _Who("network", "Someone", f"who can impersonate {target.name}")


def _device(w: StatementWriter, target: Element | Flow) -> _Who:
    subject = target.id
    if isinstance(target, Flow):
        ends = (target.source, target.target)
        subject = next((e for e in ends if w.facts.elements[e].properties.on_device), ends[0])
    runs = f"in control of the device that runs {w._name(subject)}"
    return _Who("device", "Malware or anyone", runs)


def _tenant(w: StatementWriter, target: Element | Flow) -> _Who:
    return _Who("tenant", "A co-located tenant")


def _package(w: StatementWriter, target: Element | Flow) -> _Who:
    subject = target.target if isinstance(target, Flow) else target.id
    return _Who("package", "Whoever", f"controls a package that {w._name(subject)} installs")


_PLAIN = {
    "insider": _insider,
    "account": _account,
    "provider": _provider,
    "network": _network,
    "device": _device,
    "tenant": _tenant,
    "package": _package,
}
"""Sources named from the target alone."""


def _auto(threat: Threat, target: Element | Flow) -> str:
    """``outsider`` when the rule asks for outsiders' influence or exposure, ``provider``
    when the target is a third party's, else ``insider``."""
    if any(_about_outsiders(p) for p in _positive(threat.applies_to)):
        return "outsider"
    if isinstance(target, Element) and (
        target.properties.third_party or (target.kind in _PROVIDED and KINDS[target.kind].external)
    ):
        return "provider"
    return "insider"


def _about_outsiders(p: Predicate) -> bool:
    if isinstance(p, Influenced):
        return p.influenced is not False
    if isinstance(p, ReachableFromUntrusted):
        return p.reachable_from_untrusted
    if isinstance(p, EntryPoint):
        return p.entry_point
    if isinstance(p, IncomingUntrusted):
        return p.incoming_untrusted
    if isinstance(p, Prop):
        return bool({"internet", "partner"} & set(map(str, p.prop.get("exposure", []))))
    return False


def _positive(p: Predicate) -> Iterable[Predicate]:
    """The clauses of a rule that must hold (under ``all`` and ``any``, not under ``not``
    nor about a flow's ends), in rule order."""
    if isinstance(p, All):
        for q in p.all:
            yield from _positive(q)
    elif isinstance(p, AnyOf):
        for q in p.any:
            yield from _positive(q)
    else:
        yield p


def _influence_specs(p: Predicate) -> list[InfluenceSpec | None]:
    """The rule's positive ``influenced`` / ``reachable_from_untrusted`` clauses, in rule
    order (``None``: any outsiders' content)."""
    out: list[InfluenceSpec | None] = []
    for q in _positive(p):
        if isinstance(q, Influenced) and q.influenced is not False:
            out.append(q.influenced if isinstance(q.influenced, InfluenceSpec) else None)
        elif isinstance(q, ReachableFromUntrusted) and q.reachable_from_untrusted:
            out.append(None)
    return out
