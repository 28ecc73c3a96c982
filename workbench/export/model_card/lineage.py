"""The lineage of a model on the graph of a threat model, and the elements that get a
card.

A card states facts, so the lineage follows only the routes a model itself travels:

- *producers*: the training or fine-tuning jobs that write the model, directly or into a
  registry or artifact that hands it on (walking upstream through :data:`CARRIERS`);
- *base models*: model elements feeding a producer directly (the weights it starts from);
  with no producer drawn, the hubs the model was obtained from (through :data:`CARRIERS`);
- *training data*: data feeding a producer directly; *evaluations*: evaluation jobs next to
  the model, its producers or the carriers on its way; *evaluation data*: what feeds them;
- *serving*: the endpoints, LLM apps and agents the model reaches downstream through
  carriers (a hosted model API: the apps and agents that call it);
- *callers* and *users*: who sends requests to what serves it, walking upstream through
  clients, gateways and guardrails; users are people and outside services that call it
  (not a service that only feeds a client app), never the operators who configure it;
- *obtained from*: with no producer drawn, the hubs it came from; *derived*: for a base
  model, the artifacts written by the jobs it feeds.

A sibling the model never flows through (an embedding API next to a chat API) is no part
of its lineage.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

from ...model import Element, ThreatModel
from .data import (
    CARD_KINDS,
    DATA_KINDS,
    PRODUCER_KINDS,
    SERVING_KINDS,
    STAND_IN_KINDS,
    Lineage,
)

CARRIERS = ("model_artifact", "model_registry", "process", "evaluation_job")
"""Kinds a model passes through on its way from a producer to what serves it: stores of
models and the processes that sign, convert or gate a release."""
BASE_KINDS_DIRECT = ("model_artifact", "model_hub", "foundation_model_api", "model_registry")
"""Kinds that are a base model when they feed a producer directly."""
FRONT_KINDS = ("client_app", "process", "guardrail")
"""Kinds between a person and what serves the model: clients, gateways, screens."""
GATEWAY_KINDS = ("process", "guardrail")
"""Kinds between an outside service and what serves the model (a service that feeds a
client app, such as an app store or a CDN, does not call the model)."""
API_CALLER_KINDS = ("data_pipeline", "process", "tool", *PRODUCER_KINDS, "evaluation_job")
"""Kinds that may call a hosted model API besides the apps and agents it serves."""
CALLER_KINDS = ("client_app", "process", "user", "external_entity", "external_service")
"""Kinds that send requests to what serves a model."""


class _Graph:
    def __init__(self, model: ThreatModel) -> None:
        self.el = {e.id: e for e in model.elements}
        self.pred: dict[str, list[str]] = {e.id: [] for e in model.elements}
        self.succ: dict[str, list[str]] = {e.id: [] for e in model.elements}
        for f in model.flows:
            self.succ[f.source].append(f.target)
            self.pred[f.target].append(f.source)

    def near(
        self, start: Iterable[str], kinds: Sequence[str], *, up: bool, hops: int
    ) -> list[Element]:
        """Elements of ``kinds`` within ``hops`` flows upstream (or downstream)."""
        return self.walk(start, kinds, up=up, hops=hops, through=None)

    def walk(
        self,
        start: Iterable[str],
        kinds: Sequence[str],
        *,
        up: bool,
        hops: int,
        through: Sequence[str] | None,
    ) -> list[Element]:
        """Elements of ``kinds`` within ``hops`` flows upstream (or downstream), passing
        only through elements of ``through`` (``None``: through anything). A found element
        is not passed through."""
        nxt = self.pred if up else self.succ
        seen = set(start)
        queue = deque((s, 0) for s in sorted(seen))
        found: dict[str, Element] = {}
        while queue:
            node, depth = queue.popleft()
            if depth >= hops:
                continue
            for m in sorted(nxt[node]):
                if m in seen:
                    continue
                seen.add(m)
                kind = self.el[m].kind
                if kind in kinds:
                    found[m] = self.el[m]
                    if through is not None:
                        continue
                if through is None or kind in through:
                    queue.append((m, depth + 1))
        return sorted(found.values(), key=lambda e: e.id)


def _unique(*groups: Iterable[Element]) -> tuple[Element, ...]:
    out: dict[str, Element] = {}
    for group in groups:
        for e in group:
            out.setdefault(e.id, e)
    return tuple(sorted(out.values(), key=lambda e: e.id))


def lineage(model: ThreatModel, element_id: str) -> Lineage:
    """Producers, data, base models, evaluations, serving elements, callers and users of
    a model (see the module docstring for the routes followed)."""
    g = _Graph(model)
    me = g.el[element_id]
    # the carriers the model came through (registries, signing ...) and its producers
    carried = [me.id] + [e.id for e in g.walk([me.id], CARRIERS, up=True, hops=3, through=CARRIERS)]
    if me.kind in PRODUCER_KINDS:
        producers: tuple[Element, ...] = (me,)
    else:
        producers = _unique(g.walk(carried, PRODUCER_KINDS, up=True, hops=1, through=()))
    pids = [p.id for p in producers]
    training = [e for e in g.near(pids, DATA_KINDS, up=True, hops=1) if e.id != element_id]
    sources = g.near(
        [t.id for t in training], ("data_source", "model_hub", "labeling"), up=True, hops=2
    )
    bases = g.walk(pids, BASE_KINDS_DIRECT, up=True, hops=1, through=())
    bases = [b for b in bases if b.id != element_id and b.id not in carried]
    obtained: list[Element] = []
    if not producers:  # nothing drawn trains it: where it was obtained from
        obtained = g.walk([me.id], ("model_hub",), up=True, hops=3, through=CARRIERS)
    around = set(carried) | set(pids)
    evals = _unique(
        g.walk(around, ("evaluation_job",), up=False, hops=1, through=()),
        g.walk(around, ("evaluation_job",), up=True, hops=1, through=()),
    )
    eval_data = g.near([e.id for e in evals], DATA_KINDS, up=True, hops=1)
    if me.kind in SERVING_KINDS:
        serving: tuple[Element, ...] = (me,)
    elif me.kind == "foundation_model_api":  # apps and agents call the API
        serving = _unique(
            g.walk([me.id], SERVING_KINDS, up=True, hops=1, through=()),
            g.walk([me.id], SERVING_KINDS, up=False, hops=1, through=()),
        )
    else:
        serving = _unique(g.walk([me.id], SERVING_KINDS, up=False, hops=4, through=CARRIERS))
    sids = [s.id for s in serving]
    callers = [  # who sends it requests: past the guardrails that screen them
        c
        for c in g.walk(sids, CALLER_KINDS, up=True, hops=3, through=("guardrail",))
        if c.id not in sids and c.id != me.id
    ]
    if me.kind == "foundation_model_api":  # pipelines and jobs may call the API too
        direct = g.walk([me.id], API_CALLER_KINDS, up=True, hops=1, through=())
        callers = list(_unique(callers, (d for d in direct if d.id not in sids)))
    people = g.walk(sids, ("user", "external_entity"), up=True, hops=4, through=FRONT_KINDS)
    services = g.walk(sids, ("external_service",), up=True, hops=3, through=GATEWAY_KINDS)
    derived: list[Element] = []
    if me.kind not in PRODUCER_KINDS:  # a base model: what the jobs it feeds write
        jobs = [j.id for j in g.walk([me.id], PRODUCER_KINDS, up=False, hops=1, through=())]
        derived = g.walk(jobs, ("model_artifact",), up=False, hops=1, through=())
    return Lineage(
        producers=tuple(producers),
        training_data=tuple(training),
        data_sources=tuple(sources),
        base_models=tuple(bases),
        evaluations=tuple(evals),
        evaluation_data=tuple(eval_data),
        serving=tuple(serving),
        users=_unique(people, services),
        callers=tuple(callers),
        obtained_from=tuple(obtained),
        derived=tuple(derived),
    )


def card_elements(model: ThreatModel) -> list[Element]:
    """Elements that get a model card: every model artifact and foundation model API;
    when the model draws none, its training jobs, fine-tuning jobs and inference
    endpoints, which then stand for the model."""
    cards = [e for e in model.elements if e.kind in CARD_KINDS]
    if cards:
        return cards
    return [e for e in model.elements if e.kind in STAND_IN_KINDS]
