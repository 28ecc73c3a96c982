"""The lineage of a model on the graph of a threat model, and the elements that get a
card."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

from ...model import Element, ThreatModel
from .data import (
    BASE_KINDS,
    CARD_KINDS,
    DATA_KINDS,
    PRODUCER_KINDS,
    SERVING_KINDS,
    STAND_IN_KINDS,
    USER_KINDS,
    Lineage,
)


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
        nxt = self.pred if up else self.succ
        seen = set(start)
        queue = deque((s, 0) for s in seen)
        found: dict[str, Element] = {}
        while queue:
            node, depth = queue.popleft()
            if depth >= hops:
                continue
            for m in sorted(nxt[node]):
                if m in seen:
                    continue
                seen.add(m)
                if self.el[m].kind in kinds:
                    found[m] = self.el[m]
                queue.append((m, depth + 1))
        return sorted(found.values(), key=lambda e: e.id)


def lineage(model: ThreatModel, element_id: str) -> Lineage:
    """Producers, data, base models, evaluations, serving endpoints and users of a model."""
    g = _Graph(model)
    me = g.el[element_id]
    if me.kind in PRODUCER_KINDS:
        producers = [me]
    else:
        producers = g.near([element_id], PRODUCER_KINDS, up=True, hops=1)
    pids = [p.id for p in producers] or [element_id]
    training = [e for e in g.near(pids, DATA_KINDS, up=True, hops=1) if e.id != element_id]
    sources = g.near(
        [t.id for t in training], ("data_source", "model_hub", "labeling"), up=True, hops=2
    )
    bases = [e for e in g.near(pids, BASE_KINDS, up=True, hops=2) if e.id != element_id]
    evals = sorted(
        {
            e.id: e
            for e in g.near([element_id], ("evaluation_job",), up=False, hops=2)
            + g.near([element_id], ("evaluation_job",), up=True, hops=1)
        }.values(),
        key=lambda e: e.id,
    )
    eval_data = g.near([e.id for e in evals], DATA_KINDS, up=True, hops=1)
    serving = (
        [me] if me.kind in SERVING_KINDS else g.near([element_id], SERVING_KINDS, up=False, hops=4)
    )
    if me.kind == "foundation_model_api":  # apps call the API and read its answers
        serving = sorted(
            {
                e.id: e for e in serving + g.near([element_id], SERVING_KINDS, up=True, hops=1)
            }.values(),
            key=lambda e: e.id,
        )
    users = g.near([s.id for s in serving], USER_KINDS, up=True, hops=2)
    return Lineage(
        producers=tuple(producers),
        training_data=tuple(training),
        data_sources=tuple(sources),
        base_models=tuple(bases),
        evaluations=tuple(evals),
        evaluation_data=tuple(eval_data),
        serving=tuple(serving),
        users=tuple(users),
    )


def card_elements(model: ThreatModel) -> list[Element]:
    """Elements that get a model card: every model artifact and foundation model API;
    when the model draws none, its training jobs, fine-tuning jobs and inference
    endpoints, which then stand for the model."""
    cards = [e for e in model.elements if e.kind in CARD_KINDS]
    if cards:
        return cards
    return [e for e in model.elements if e.kind in STAND_IN_KINDS]
