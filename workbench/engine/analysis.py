"""The analysis engine: ``analyze(model, catalog) -> Analysis``.

Pure and deterministic: the same model and catalog always give the same findings in the
same order. A finding's ID is ``THREAT-ID@target-id`` (an element or a flow), so decisions
recorded against it survive re-analysis.

PASTA stages covered here:

4. threat analysis: every catalog threat whose rule holds on an element or flow;
5. weakness analysis: catalog threats of stage 5 (a needed control is missing);
6. attack paths: bounded paths from untrusted actors to crown jewels, with the findings
   along each step and a score;
7. risk: likelihood x impact per finding, raised by exposure and by the business
   objectives the target serves (see :func:`score`); residual risk and tolerance are joined
   in :mod:`workbench.register`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from pydantic import BaseModel

from ..catalog import Catalog, Facts, Threat, evaluate
from ..catalog.predicates import Downstream, Upstream
from ..graph import ModelGraph
from ..model import Element, Flow, ThreatModel
from ..model.kinds import KINDS
from ..model.types import CLASSIFICATION_RANK, IMPACT_SCORE, RiskLevel
from .risk import clamp, level

TargetType = Literal["element", "flow"]


@dataclass(frozen=True)
class Finding:
    """A threat that applies to one element or flow, with why and how risky."""

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
    why: tuple[str, ...]
    """Why the threat was suggested: the clauses of its rule that held."""
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

    @property
    def score(self) -> int:
        """Inherent risk score: likelihood x impact (1..25)."""
        return self.likelihood * self.impact

    @property
    def risk(self) -> RiskLevel:
        """Inherent risk level."""
        return level(self.score)

    @property
    def atlas(self) -> tuple[str, ...]:
        """MITRE ATLAS technique IDs."""
        return self.references.get("atlas", ())

    @property
    def owasp(self) -> tuple[str, ...]:
        """OWASP IDs (LLM Top 10, ML Top 10, Agentic)."""
        r = self.references
        return r.get("owasp_llm", ()) + r.get("owasp_ml", ()) + r.get("owasp_agentic", ())


@dataclass(frozen=True)
class PathStep:
    """One hop of an attack path: the flow taken and the element reached."""

    flow: str
    element: str
    findings: tuple[str, ...]
    """Finding IDs on the flow and on the element reached."""
    likelihood: int
    """How likely an attacker gets through this hop (the likeliest finding on it, 1 when
    nothing is known to be weak)."""


@dataclass(frozen=True)
class AttackPath:
    """PASTA stage 6: a route from an untrusted actor to a crown jewel."""

    id: str
    source: str
    target: str
    steps: tuple[PathStep, ...]
    likelihood: int
    """The weakest link: the least likely hop."""
    impact: int
    """What reaching the crown jewel costs."""

    @property
    def elements(self) -> tuple[str, ...]:
        """Every element on the path, source first."""
        return (self.source, *(s.element for s in self.steps))

    @property
    def score(self) -> int:
        """Likelihood x impact."""
        return self.likelihood * self.impact

    @property
    def risk(self) -> RiskLevel:
        """Risk level of the path."""
        return level(self.score)


@dataclass(frozen=True)
class Analysis:
    """The result of analysing one model with one catalog."""

    model: ThreatModel
    catalog: Catalog
    findings: tuple[Finding, ...]
    """Sorted by finding ID."""
    entry_points: tuple[str, ...]
    crown_jewels: tuple[str, ...]
    untrusted_actors: tuple[str, ...]
    _graph: ModelGraph = field(repr=False, compare=False)
    _facts: Facts = field(repr=False, compare=False)

    @cached_property
    def attack_paths(self) -> tuple[AttackPath, ...]:
        """PASTA stage 6, computed on first use: sorted by score (highest first), then
        length and ID."""
        return _attack_paths(self._graph, self._facts, list(self.findings))

    def finding(self, finding_id: str) -> Finding:
        """The finding with ``finding_id`` (``KeyError`` if there is none)."""
        for f in self.findings:
            if f.id == finding_id:
                return f
        raise KeyError(finding_id)

    def for_target(self, target_id: str) -> list[Finding]:
        """The findings on one element or flow."""
        return [f for f in self.findings if f.target == target_id]

    @property
    def weaknesses(self) -> tuple[Finding, ...]:
        """PASTA stage 5 findings."""
        return tuple(f for f in self.findings if f.pasta_stage == 5)


# ----------------------------------------------------------------------------- scoring
def _objective_impact(model: ThreatModel) -> dict[str, tuple[int, str]]:
    out: dict[str, tuple[int, str]] = {}
    for o in model.objectives:
        score = IMPACT_SCORE[o.impact]
        for e in o.elements:
            if score > out.get(e, (0, ""))[0]:
                out[e] = (score, o.title)
    return out


def score(
    threat: Threat, target: Element | Flow, facts: Facts, objectives: dict[str, tuple[int, str]]
) -> tuple[int, int, tuple[str, ...]]:
    """Likelihood, impact and the notes explaining the adjustments.

    * likelihood +1 when an untrusted actor can reach the target directly: it is an
      entry point, or a flow from an untrusted actor;
    * impact is raised to the impact of the most important business objective that
      depends on the target (a flow: on either end).
    """
    likelihood, impact, notes = threat.likelihood, threat.impact, []
    ends: tuple[str, ...]
    if isinstance(target, Flow):
        exposed = target.source in facts.untrusted
        ends = (target.source, target.target)
    else:
        exposed = target.id in facts.entry_points
        ends = (target.id,)
    if exposed and likelihood < 5:
        likelihood = clamp(likelihood + 1)
        notes.append("likelihood raised: directly reachable by untrusted actors")
    best = max((objectives[e] for e in ends if e in objectives), default=None)
    if best is not None and best[0] > impact:
        impact = best[0]
        notes.append(f"impact raised by objective '{best[1]}'")
    return likelihood, impact, tuple(notes)


# ----------------------------------------------------------------------------- evaluation
class _Index:
    """Threats grouped by the element kinds they can apply to."""

    def __init__(self, catalog: Catalog) -> None:
        self.by_kind: dict[str, list[Threat]] = defaultdict(list)
        self.flow_threats: list[Threat] = []
        for t in catalog.threats.values():
            if t.target == "flow":
                self.flow_threats.append(t)
                continue
            kinds = t.applies_to.kinds()
            for k in KINDS if kinds is None else sorted(kinds):
                self.by_kind[k].append(t)
        self.radius = max((_hops(t.applies_to) for t in catalog.threats.values()), default=1)


def _hops(pred: object) -> int:
    """How far (in flows) a rule looks from its target."""
    if isinstance(pred, Upstream):
        return pred.upstream.max_hops
    if isinstance(pred, Downstream):
        return pred.downstream.max_hops
    best = 1
    for value in getattr(pred, "__dict__", {}).values():
        children = value if isinstance(value, list) else [value]
        for child in children:
            if isinstance(child, BaseModel):
                best = max(best, _hops(child))
    return best


def _findings_for(
    target: Element | Flow,
    threats: list[Threat],
    facts: Facts,
    objectives: dict[str, tuple[int, str]],
) -> list[Finding]:
    out = []
    is_flow = isinstance(target, Flow)
    for t in threats:
        m = evaluate(t.applies_to, facts, target)
        if not m.ok:
            continue
        likelihood, impact, notes = score(t, target, facts, objectives)
        name, layer = _describe(target, facts)
        refs = {k: tuple(v) for k, v in t.references.model_dump().items() if v}
        out.append(
            Finding(
                id=f"{t.id}@{target.id}",
                threat_id=t.id,
                target=target.id,
                target_type="flow" if is_flow else "element",
                target_name=name,
                title=t.title,
                stride=tuple(t.stride),
                pasta_stage=t.pasta_stage,
                layer=layer,
                why=_dedupe(m.reasons),
                likelihood=likelihood,
                impact=impact,
                scoring=notes,
                mitigations=tuple(t.mitigations),
                references=refs,
            )
        )
    return out


def _describe(target: Element | Flow, facts: Facts) -> tuple[str, str]:
    """Display name and layer of a target (a flow's layer is its target's)."""
    if isinstance(target, Flow):
        src, dst = facts.elements[target.source], facts.elements[target.target]
        return target.name or f"{src.name} → {dst.name}", KINDS[dst.kind].layer.value
    return target.name, KINDS[target.kind].layer.value


def _dedupe(reasons: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(reasons))


# ----------------------------------------------------------------------------- paths
def _attack_paths(
    graph: ModelGraph,
    facts: Facts,
    findings: list[Finding],
    *,
    max_length: int = 6,
    per_pair: int = 3,
    limit: int = 200,
) -> tuple[AttackPath, ...]:
    by_target: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        by_target[f.target].append(f)
    paths = []
    counter: dict[tuple[str, str], int] = defaultdict(int)
    for p in graph.paths(
        facts.untrusted, facts.crown_jewels, max_length=max_length, per_pair=per_pair, limit=limit
    ):
        steps = []
        for flow, element in zip(p.flows, p.elements[1:], strict=True):
            hop = by_target[flow] + by_target[element]
            steps.append(
                PathStep(
                    flow=flow,
                    element=element,
                    findings=tuple(sorted(f.id for f in hop)),
                    likelihood=max((f.likelihood for f in hop), default=1),
                )
            )
        source, target = p.elements[0], p.elements[-1]
        counter[(source, target)] += 1
        jewel_impact = _jewel_impact(graph, facts, target)
        impact = max([jewel_impact, *(f.impact for f in by_target[target])])
        paths.append(
            AttackPath(
                id=f"{source}->{target}#{counter[(source, target)]}",
                source=source,
                target=target,
                steps=tuple(steps),
                likelihood=min(s.likelihood for s in steps),
                impact=impact,
            )
        )
    return tuple(sorted(paths, key=lambda a: (-a.score, len(a.steps), a.id)))


def _jewel_impact(graph: ModelGraph, facts: Facts, element_id: str) -> int:
    e = facts.elements[element_id]
    ranks = [facts.assets[a][0] for a in e.assets]
    if e.properties.data_classification is not None:
        ranks.append(CLASSIFICATION_RANK[e.properties.data_classification])
    base = {3: 5, 2: 4}.get(max(ranks, default=0), 3)
    if any(a.crown_jewel for a in graph.model.assets if a.id in e.assets):
        base = max(base, 4)
    return base


# ----------------------------------------------------------------------------- API
class Analyzer:
    """Analyses models with one catalog; :meth:`update` re-analyses only what an edit can
    change (the edited elements and flows, their neighbourhood up to the furthest any rule
    looks, and every target whose graph facts — trust, entry point, crown jewel,
    reachability, boundary crossing — changed)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._index = _Index(catalog)
        self._last: tuple[ThreatModel, Facts, dict[str, list[Finding]]] | None = None

    def analyze(self, model: ThreatModel) -> Analysis:
        """Analyse ``model`` from scratch."""
        graph = model.graph()
        facts = Facts(graph)
        objectives = _objective_impact(model)
        per_target: dict[str, list[Finding]] = {}
        for e in model.elements:
            per_target[e.id] = _findings_for(e, self._index.by_kind[e.kind], facts, objectives)
        for fl in model.flows:
            per_target[fl.id] = _findings_for(fl, self._index.flow_threats, facts, objectives)
        self._last = (model, facts, per_target)
        return self._result(model, graph, facts, per_target)

    def update(self, model: ThreatModel) -> Analysis:
        """Re-analyse after an edit to the previously analysed model."""
        if self._last is None:
            return self.analyze(model)
        old_model, old_facts, old = self._last
        if (
            model.objectives != old_model.objectives
            or model.assets != old_model.assets
            or model.boundaries != old_model.boundaries
        ):
            return self.analyze(model)
        graph = model.graph()
        facts = Facts(graph)
        dirty = _dirty(old_model, model, old_facts, facts, self._index.radius)
        objectives = _objective_impact(model)
        per_target: dict[str, list[Finding]] = {}
        for e in model.elements:
            if e.id in dirty or e.id not in old:
                per_target[e.id] = _findings_for(e, self._index.by_kind[e.kind], facts, objectives)
            else:
                per_target[e.id] = old[e.id]
        for fl in model.flows:
            if fl.id in dirty or fl.source in dirty or fl.target in dirty or fl.id not in old:
                per_target[fl.id] = _findings_for(fl, self._index.flow_threats, facts, objectives)
            else:
                per_target[fl.id] = old[fl.id]
        self._last = (model, facts, per_target)
        return self._result(model, graph, facts, per_target)

    def _result(
        self,
        model: ThreatModel,
        graph: ModelGraph,
        facts: Facts,
        per_target: dict[str, list[Finding]],
    ) -> Analysis:
        findings = sorted((f for fs in per_target.values() for f in fs), key=lambda f: f.id)
        return Analysis(
            model=model,
            catalog=self.catalog,
            findings=tuple(findings),
            _graph=graph,
            _facts=facts,
            entry_points=tuple(sorted(facts.entry_points)),
            crown_jewels=tuple(sorted(facts.crown_jewels)),
            untrusted_actors=tuple(sorted(facts.untrusted)),
        )


def _dirty(
    old_model: ThreatModel, model: ThreatModel, old_facts: Facts, facts: Facts, radius: int
) -> set[str]:
    """Targets whose findings may differ between the two models."""
    changed: set[str] = set()
    old_el = old_facts.elements
    for e in model.elements:
        if old_el.get(e.id) != e:
            changed.add(e.id)
    changed |= set(old_el) - set(facts.elements)
    old_fl = old_facts.flows
    for f in model.flows:
        if old_fl.get(f.id) != f:
            changed |= {f.id, f.source, f.target}
    for fid in set(old_fl) - set(facts.flows):
        changed |= {fid, old_fl[fid].source, old_fl[fid].target}
    for name in ("untrusted", "entry_points", "crown_jewels", "reachable", "crossing"):
        changed |= set(getattr(old_facts, name) ^ getattr(facts, name))
    # everything within `radius` flows (either direction) of a change can see it
    frontier = {c for c in changed if c in facts.elements}
    dirty = set(changed)
    for _ in range(radius + 1):
        nxt = set()
        for n in frontier:
            for f in (*facts.incoming[n], *facts.outgoing[n]):
                dirty.add(f.id)
                for m in (f.source, f.target):
                    if m not in dirty:
                        nxt.add(m)
        dirty |= nxt
        frontier = nxt
    return dirty


def analyze(model: ThreatModel, catalog: Catalog | None = None) -> Analysis:
    """Analyse ``model`` with ``catalog`` (default: the built-in catalog)."""
    if catalog is None:
        from ..catalog import load_catalog

        catalog = load_catalog()
    return Analyzer(catalog).analyze(model)
