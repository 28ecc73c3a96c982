"""PASTA stage 7 per finding: how likelihood and impact are adjusted from the catalog's
defaults — exposure, controls the model shows in place, business objectives the threat can
break — with every adjustment named."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ..catalog import Threat
from ..catalog.predicates import All, AnyOf, Influenced, InfluenceSpec, Predicate
from ..model import Element, Flow, ThreatModel
from ..model.kinds import ElementKind
from ..model.types import IMPACT_SCORE
from .facts import Facts
from .matchers import ANY_ELEMENT, ANY_FLOW, Explain, Test, explainer, matcher

HARMED_BY: dict[str, frozenset[str]] = {
    "confidentiality": frozenset("I"),
    "privacy": frozenset("I"),
    "integrity": frozenset("STE"),
    "availability": frozenset("D"),
    "safety": frozenset("TE"),
    "fairness": frozenset("T"),
    "compliance": frozenset("RI"),
    "financial": frozenset("DES"),
    "reputation": frozenset("TI"),
}
"""Which STRIDE letters of a threat can make an objective of each category fail."""

Objectives = dict[str, list[tuple[int, str, frozenset[str] | None]]]

InPlaceRule = tuple[str, int, "Test", "Explain", Predicate]
"""A mitigation's ID and the rule that shows it in place: the rule's identity (the memo's
key; the rule is kept alive with it), its matcher, its explainer and the rule."""

InPlace = dict[str, tuple[list[InPlaceRule], list[InPlaceRule]]]
"""Per threat: its mitigations' rules that show them in place, on elements and on
flows (see :func:`in_place_rules`)."""


def in_place_rules(
    rules: list[tuple[str, Predicate | None, Predicate | None]],
) -> tuple[list[InPlaceRule], list[InPlaceRule]]:
    """A threat's mitigations' (ID, rule on elements, rule on flows), compiled for
    scoring: the rules on elements and those on flows, each with its matcher and
    explainer."""
    on_elements = [
        (m, id(r), matcher(r, ANY_ELEMENT), explainer(r), r) for m, r, _ in rules if r is not None
    ]
    on_flows = [
        (m, id(r), matcher(r, ANY_FLOW), explainer(r), r) for m, _, r in rules if r is not None
    ]
    return on_elements, on_flows


MAX_CONTROL_CREDIT = 2
"""At most this much likelihood is taken off a finding for controls in place."""

MAX_OBJECTIVE_RAISE = 1
"""An objective raises a threat's impact by at most this much above the catalog default:
it says what matters, but does not make every threat that touches it severe."""


@dataclass(frozen=True)
class Context:
    """What scoring needs besides the facts: objectives per element, in-place rules."""

    objectives: Objectives
    in_place: InPlace
    references: dict[str, dict[str, tuple[str, ...]]]
    shared: dict[str, tuple[tuple[str, ...], frozenset[str], tuple[str, ...]]] = field(
        default_factory=dict
    )
    """Per threat, made once and shared by its findings: its STRIDE letters (as a tuple and
    a set) and its mitigations."""


def objective_impact(model: ThreatModel) -> Objectives:
    """Per element: (impact, title, STRIDE letters that hit it) of each objective that
    depends on it; ``None`` letters for an objective without a category (it counts for
    every threat)."""
    out: Objectives = defaultdict(list)
    for o in model.objectives:
        letters = HARMED_BY.get(o.category) if o.category else None
        for e in o.elements:
            out[e].append((IMPACT_SCORE[o.impact], o.title, letters))
    return out


def score(
    threat: Threat, target: Element | Flow, facts: Facts, ctx: Context
) -> tuple[int, int, tuple[str, ...], tuple[str, ...]]:
    """Likelihood, impact and the notes explaining the adjustments.

    * likelihood +1 when an untrusted actor can reach the target directly: it is an
      entry point, or a flow from an untrusted actor;
    * likelihood -1 for each of the threat's mitigations that the model shows in place
      on the target (its ``in_place`` rule holds: a property, a guardrail on the route,
      a human approval ...), at most -2, never below 1, one fact crediting once however
      many mitigations it shows; each credit is named;
    * impact is raised towards the impact of the most important business objective that
      depends on the target (a flow: on either end) *and* that the threat can make fail,
      by at most one step above the catalog default:
      its category (confidentiality, integrity, availability ...) is hit by one of the
      threat's STRIDE letters. An objective without a category counts for every threat.

    Returns likelihood, impact, the notes, and the mitigations found in place.
    """
    likelihood, impact = threat.likelihood, threat.impact
    notes: list[str] = []
    ends: tuple[str, ...]
    if isinstance(target, Flow):
        exposed = target.source in facts.untrusted
        ends = (target.source, target.target)
    else:
        exposed = target.id in facts.entry_points
        ends = (target.id,)
    if exposed and likelihood < 5:
        likelihood += 1
        notes.append("likelihood raised: directly reachable by untrusted actors")
    rules = ctx.in_place.get(threat.id)
    in_place: list[str] = []
    if rules and rules[len(ends) - 1]:  # flows: 2 ends
        credited: set[str] = set()
        memos, tid = facts.memo, target.id
        for mid, rid, held, explain, _ in rules[len(ends) - 1]:
            memo = memos.get(rid)  # many threats share a mitigation and its rule
            if memo is None:
                memo = memos[rid] = {}
            evidence = memo.get(tid)
            if evidence is None:
                evidence = memo[tid] = (
                    "; ".join(explain(facts, target)) if held(facts, target) else ""
                )
            if not evidence:
                continue
            in_place.append(mid)
            if evidence not in credited and len(credited) < MAX_CONTROL_CREDIT and likelihood > 1:
                credited.add(evidence)  # one fact earns one credit, however many mitigations
                likelihood -= 1
                notes.append(f"likelihood lowered: {evidence} ({mid} in place)")
            else:
                notes.append(f"also in place: {mid} ({evidence})")
    if ctx.objectives:
        best = _objective(threat, ends, ctx)
        if best is not None and best[0] > impact:
            impact = min(best[0], threat.impact + MAX_OBJECTIVE_RAISE)
            notes.append(f"impact raised by objective '{best[1]}'")
    return likelihood, impact, tuple(notes) if notes else (), tuple(in_place) if in_place else ()


def _objective(threat: Threat, ends: tuple[str, ...], ctx: Context) -> tuple[int, str] | None:
    """The most important objective (impact, title) that depends on one of ``ends`` and
    that the threat's STRIDE letters can make fail."""
    best: tuple[int, str] | None = None
    for e in ends:
        for level_, title, letters in ctx.objectives.get(e, ()):
            if letters is not None:
                shared = ctx.shared.get(threat.id)
                stride = shared[1] if shared is not None else frozenset(threat.stride)
                if not letters & stride:
                    continue
            if best is None or (level_, title) > best:
                best = (level_, title)
    return best


def origins_of(rule: Predicate) -> list[ElementKind] | None:
    """The entry kinds a threat's rule asks outsiders' content to come from, if any."""
    if isinstance(rule, Influenced) and isinstance(rule.influenced, InfluenceSpec):
        return rule.influenced.from_
    children = rule.all if isinstance(rule, All) else []
    for child in children:
        found = origins_of(child)
        if found is not None:
            return found
    return None


def narrowed(rule: Predicate, origins: list[ElementKind]) -> Predicate:
    """``rule`` with every unrestricted ``influenced`` asking for the same entry kinds."""
    if isinstance(rule, Influenced):
        spec = rule.influenced
        if isinstance(spec, InfluenceSpec) and spec.from_ is None:
            return Influenced(influenced=spec.model_copy(update={"from_": origins}))
        if spec is True:
            return Influenced(influenced=InfluenceSpec(**{"from": origins}))
        return rule
    if isinstance(rule, All):
        return All(all=[narrowed(r, origins) for r in rule.all])
    if isinstance(rule, AnyOf):
        return AnyOf(any=[narrowed(r, origins) for r in rule.any])
    return rule
