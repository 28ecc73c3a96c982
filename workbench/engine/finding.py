"""Findings and how one target's findings are made: the catalog's threats indexed by the
element kinds they can apply to, each with its compiled matcher, evaluated on an element
or a flow and scored (see :mod:`workbench.engine.analysis` for the whole analysis).
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from dataclasses import dataclass, field, fields
from typing import Literal

from pydantic import BaseModel

from ..catalog import Catalog, Threat
from ..catalog.predicates import Downstream, Upstream
from ..model import Element, Flow
from ..model.kinds import KINDS
from .facts import Facts
from .frozen import mutable_twin
from .matchers import NEVER, Explain, Kinds, Test, explainer, matcher
from .risk import Scored
from .scoring import Context, InPlace, in_place_rules, narrowed, origins_of, score

TargetType = Literal["element", "flow"]


class FactsRef:
    """The facts a finding's reasons are read from when first asked (see
    :attr:`Finding.why`): one holder per analyser, pointed at the newest facts, so that a
    finding carried over unchanged by an edit reads the facts of the analysis it is in
    (an edit keeps a finding only where nothing its rule reads changed, so the reasons
    are the same), and an old finding that an edit replaced is given a holder of its own
    with the facts it was made from."""

    __slots__ = ("facts",)

    def __init__(self, facts: Facts) -> None:
        self.facts = facts


@dataclass(frozen=True, slots=True, eq=False)
class Finding(Scored):
    """A threat that applies to one element or flow, with why and how risky.

    Its reasons (:attr:`why`) are written when first read: most findings of a large
    model are counted, ranked and grouped, and only some are ever shown. They are the same
    whenever they are read, and equality compares them like every other field."""

    id: str
    """``THREAT-ID@target-id``."""
    threat_id: str
    """The catalog threat."""
    target: str
    """The element or flow ID."""
    target_type: TargetType
    """Whether the target is an element or a flow."""
    target_name: str
    """Display name of the target."""
    title: str
    """The threat's title."""
    stride: tuple[str, ...]
    """STRIDE letters."""
    pasta_stage: int
    """4 (threat) or 5 (weakness)."""
    layer: str
    """Layer of the target (a flow: of its target element)."""
    likelihood: int
    """Likelihood 1..5 after adjustment for exposure."""
    impact: int
    """Impact 1..5 after adjustment for business objectives."""
    scoring: tuple[str, ...]
    """How likelihood and impact were adjusted from the catalog defaults."""
    mitigations: tuple[str, ...]
    """Catalog mitigations that address the threat."""
    references: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Framework IDs (ATLAS, OWASP ...) describing the threat."""
    in_place: tuple[str, ...] = ()
    """Mitigations of the threat that the model shows in place on the target (they
    lowered the likelihood; see ``scoring``)."""
    _why: tuple[str, ...] | None = field(default=None, repr=False)
    """The reasons, once written (or as given)."""
    _source: tuple[Explain, FactsRef, Element | Flow] | None = field(default=None, repr=False)
    """How to write them: the rule's explainer, the facts, the target."""

    @property
    def why(self) -> tuple[str, ...]:
        """Why the threat was suggested: the clauses of its rule that held."""
        why = self._why
        if why is None:
            source = self._source
            if source is None:
                return ()
            explain, ref, target = source
            why = _dedupe(explain(ref.facts, target))
            object.__setattr__(self, "_why", why)
            object.__setattr__(self, "_source", None)
        return why

    def pin(self, facts: Facts) -> None:
        """Read the reasons, when they are asked, from ``facts`` (the facts the finding
        was made from) rather than from its analyser's newest (see :class:`FactsRef`)."""
        source = self._source
        if source is not None:
            object.__setattr__(self, "_source", (source[0], FactsRef(facts), source[2]))

    def _key(self) -> tuple[object, ...]:
        return (
            self.id,
            self.threat_id,
            self.target_type,
            self.target_name,
            self.title,
            self.stride,
            self.pasta_stage,
            self.layer,
            self.likelihood,
            self.impact,
            self.scoring,
            self.mitigations,
            self.references,
            self.in_place,
            self.why,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Finding):
            return NotImplemented
        return self is other or self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self.id, self.likelihood, self.impact))

    @property
    def atlas(self) -> tuple[str, ...]:
        """MITRE ATLAS technique IDs."""
        return self.references.get("atlas", ())

    @property
    def owasp(self) -> tuple[str, ...]:
        """OWASP IDs (LLM Top 10, ML Top 10, Agentic)."""
        r = self.references
        return r.get("owasp_llm", ()) + r.get("owasp_ml", ()) + r.get("owasp_agentic", ())


_FindingTwin = mutable_twin(Finding)
"""Makes findings quickly (see :mod:`workbench.engine.frozen`)."""

_FIELDS = (
    "id",
    "threat_id",
    "target",
    "target_type",
    "target_name",
    "title",
    "stride",
    "pasta_stage",
    "layer",
    "likelihood",
    "impact",
    "scoring",
    "mitigations",
    "references",
    "in_place",
    "_why",
    "_source",
)
"""The fields of :class:`Finding` in order: :func:`findings_for` passes them by position."""
if tuple(f.name for f in fields(Finding)) != _FIELDS:  # a new field must be passed too
    raise TypeError("Finding's fields changed: update _FIELDS and findings_for")

Plan = list[tuple[Threat, Test, Explain, "_Same"]]
"""Threats to test on one kind of target, each with its matcher, the function that says
why it holds (see :func:`matcher` and :func:`explainer`) and what its findings share."""

_Same = tuple[str, str, int, tuple[str, ...], tuple[str, ...], dict[str, tuple[str, ...]]]
"""What every finding of one threat shares: the threat's ID, title, PASTA stage, STRIDE
letters, mitigations and references."""


def _plan(threats: list[Threat], kind: Kinds, index: Index) -> Plan:
    """The threats that may hold on targets of ``kind``, with their matchers, explainers
    and what their findings share."""
    out: Plan = []
    for t in threats:
        test = matcher(t.applies_to, kind)
        if test is NEVER:
            continue
        stride, _, mitigations = index.shared[t.id]
        same = (t.id, t.title, t.pasta_stage, stride, mitigations, index.references[t.id])
        out.append((t, test, explainer(t.applies_to, kind), same))
    return out


class Index:
    """Threats grouped by the element kinds they can apply to, and how far each looks."""

    def __init__(self, catalog: Catalog) -> None:
        self.by_kind: dict[str, list[Threat]] = defaultdict(list)
        self.flow_threats: list[Threat] = []
        self.up: dict[str, int] = {}
        self.down: dict[str, int] = {}
        self.in_place: InPlace = {}
        self.references: dict[str, dict[str, tuple[str, ...]]] = {}
        self.shared: dict[str, tuple[tuple[str, ...], frozenset[str], tuple[str, ...]]] = {}
        for t in catalog.threats.values():
            self.references[t.id] = {k: tuple(v) for k, v in t.references.model_dump().items() if v}
            self.shared[t.id] = (tuple(t.stride), frozenset(t.stride), tuple(t.mitigations))
            origins = origins_of(t.applies_to)  # a screen counts on the threat's own route
            rules = [
                (
                    mid,
                    narrowed(m.in_place, origins) if origins and m.in_place else m.in_place,
                    m.in_place_on_flow,
                )
                for mid in t.mitigations
                if (m := catalog.mitigations.get(mid)) is not None
                and (m.in_place is not None or m.in_place_on_flow is not None)
            ]
            self.in_place[t.id] = in_place_rules(rules)
            reaches = [_reach(t.applies_to)] + [
                _reach(r) for _, a, b in rules for r in (a, b) if r is not None
            ]
            self.up[t.id] = max(u for u, _ in reaches)
            self.down[t.id] = max(d for _, d in reaches)
            if t.target == "flow":
                self.flow_threats.append(t)
                continue
            kinds = t.applies_to.kinds()
            for k in KINDS if kinds is None else sorted(kinds):
                self.by_kind[k].append(t)
        self.radius = max([*self.up.values(), *self.down.values(), 0])
        self._plans: dict[Kinds, Plan] = {}

    def plan(self, kind: Kinds) -> Plan:
        """The threats to test on an element of ``kind`` (a flow: between elements of
        these two kinds), each with its matcher."""
        hit = self._plans.get(kind)
        if hit is None:
            threats = self.flow_threats if isinstance(kind, tuple) else self.by_kind[kind]
            hit = self._plans[kind] = _plan(threats, kind, self)
        return hit


_INDEXES: dict[int, tuple[weakref.ref[Catalog], Index]] = {}


def index_for(catalog: Catalog) -> Index:
    """The index of ``catalog``, made once per catalog object (a catalog is not changed
    once loaded) and shared by every analyser of it; dropped with the catalog."""
    key = id(catalog)
    hit = _INDEXES.get(key)
    if hit is not None and hit[0]() is catalog:
        return hit[1]
    index = Index(catalog)
    _INDEXES[key] = (weakref.ref(catalog), index)
    weakref.finalize(catalog, _INDEXES.pop, key, None)
    return index


def _reach(pred: object) -> tuple[int, int]:
    """How many flows a rule looks upstream and downstream of its target (0: only the
    target and its direct flows)."""
    up = pred.upstream.max_hops if isinstance(pred, Upstream) else 0
    down = pred.downstream.max_hops if isinstance(pred, Downstream) else 0
    for value in getattr(pred, "__dict__", {}).values():
        children = value if isinstance(value, list) else [value]
        for child in children:
            if isinstance(child, BaseModel):
                u, d = _reach(child)
                up, down = max(up, u), max(down, d)
    return up, down


def findings_for(
    target: Element | Flow, plan: Plan, facts: Facts, ctx: Context, ref: FactsRef | None = None
) -> list[Finding]:
    """The findings of ``target``: each threat of ``plan`` whose matcher passes, scored, its
    rule's reasons written when first read from ``ref`` (default: ``facts``)."""
    out = []
    is_flow = isinstance(target, Flow)
    described: tuple[str, str] | None = None
    if ref is None:
        ref = FactsRef(facts)
    for t, test, explain, same in plan:
        if not test(facts, target):
            continue
        likelihood, impact, notes, in_place = score(t, target, facts, ctx)
        if described is None:
            described = _describe(target, facts)
        name, layer = described
        tid, title, stage, stride, mitigations, refs = same
        finding = _FindingTwin(  # positional, in the order of _FIELDS: faster
            f"{tid}@{target.id}",  # id
            tid,  # threat_id
            target.id,  # target
            "flow" if is_flow else "element",  # target_type
            name,  # target_name
            title,  # title
            stride,  # stride
            stage,  # pasta_stage
            layer,  # layer
            likelihood,  # likelihood
            impact,  # impact
            notes,  # scoring
            mitigations,  # mitigations
            refs,  # references
            in_place,  # in_place
            None,  # _why
            (explain, ref, target),  # _source
        )
        finding.__class__ = Finding  # see workbench.engine.frozen
        out.append(finding)
    return out


def _describe(target: Element | Flow, facts: Facts) -> tuple[str, str]:
    """Display name and layer of a target (a flow's layer is its target's)."""
    if isinstance(target, Flow):
        src, dst = facts.elements[target.source], facts.elements[target.target]
        return target.name or f"{src.name} → {dst.name}", KINDS[dst.kind].layer.value
    return target.name, KINDS[target.kind].layer.value


def _dedupe(reasons: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(reasons))
