"""The JSON payload a canvas shows: nodes, edges, boundaries and the findings overlay.

Everything here is plain data (dicts of str, int, float, bool, None and lists), derived
from a :class:`~workbench.ThreatModel` and, optionally, an
:class:`~workbench.engine.Analysis`. The canvas never sends pydantic objects to the
browser. :func:`diff` compares two payloads by ID so that an edit sends only what
changed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from workbench.engine import Analysis
from workbench.layout import LAYER_ORDER as _LAYOUT_LAYER_ORDER
from workbench.model import KINDS, DfdType, Layer, ThreatModel

Item = dict[str, Any]
"""One node, edge or boundary as JSON."""

LAYER_ORDER: tuple[Layer, ...] = _LAYOUT_LAYER_ORDER
"""Columns of the automatic layout, left to right (:data:`workbench.layout.LAYER_ORDER`)."""

LAYER_LABELS: dict[str, str] = {
    "data": "Data",
    "model": "Model",
    "deployment": "Deployment",
    "generic": "Generic",
}


SHAPES: dict[DfdType, str] = {
    DfdType.EXTERNAL_ENTITY: "box",
    DfdType.PROCESS: "ellipse",
    DfdType.DATA_STORE: "database",
}
"""vis-network shape per DFD type: the usual DFD notation (rectangle for an external
entity, round for a process, cylinder for a store). External kinds get dashed borders."""

BORDERS: dict[Layer, str] = {
    Layer.DATA: "#1d4ed8",
    Layer.MODEL: "#7e22ce",
    Layer.DEPLOYMENT: "#047857",
    Layer.GENERIC: "#475569",
}
"""Border colour per layer."""

FILLS: dict[str, str] = {
    # data layer: blues
    "data_source": "#dbeafe",
    "dataset": "#bfdbfe",
    "data_pipeline": "#93c5fd",
    "labeling": "#e0f2fe",
    "feature_store": "#a5f3fc",
    "vector_store": "#7dd3fc",
    "document_store": "#c7d2fe",
    # model layer: purples
    "training_job": "#e9d5ff",
    "fine_tuning_job": "#d8b4fe",
    "evaluation_job": "#f3e8ff",
    "model_artifact": "#f5d0fe",
    "model_registry": "#f0abfc",
    "model_hub": "#fae8ff",
    "foundation_model_api": "#ddd6fe",
    # deployment layer: greens and warm accents
    "inference_endpoint": "#bbf7d0",
    "llm_app": "#86efac",
    "agent": "#fde68a",
    "tool": "#fed7aa",
    "guardrail": "#a7f3d0",
    "client_app": "#d9f99d",
    "user": "#fef9c3",
    "operator": "#fef3c7",
    "external_service": "#ecfccb",
    "log_store": "#d1fae5",
    "secrets_store": "#fecaca",
    # generic DFD kinds: greys
    "process": "#e2e8f0",
    "data_store": "#cbd5e1",
    "external_entity": "#f1f5f9",
}
"""Fill colour per kind; together with the shape, each kind looks different."""

RISK_COLOURS: dict[str, str] = {
    "critical": "#7f1d1d",
    "high": "#dc2626",
    "medium": "#ea580c",
    "low": "#ca8a04",
    "info": "#64748b",
}
"""Badge colour per highest open risk."""

TRUST_COLOURS: dict[str, str] = {
    "untrusted": "#dc2626",
    "partner": "#d97706",
    "trusted": "#475569",
}
"""Outline colour of a trust boundary region per trust level."""


def kind_style(kind: str) -> Item:
    """Shape and colours of ``kind`` (``KeyError`` for an unknown kind)."""
    info = KINDS[kind]
    return {
        "shape": SHAPES[info.dfd],
        "color": FILLS[kind],
        "border": BORDERS[info.layer],
        "dashed": info.dfd is DfdType.EXTERNAL_ENTITY,
    }


def palette() -> list[Item]:
    """The palette: every kind with its label, layer, description and style, grouped by
    layer (data, model, deployment, generic) in catalog order."""
    items: list[Item] = []
    for layer in LAYER_ORDER:
        for info in KINDS.values():
            if info.layer is layer:
                items.append(
                    {
                        "kind": info.name,
                        "label": info.label,
                        "layer": layer.value,
                        "layerLabel": LAYER_LABELS[layer.value],
                        "description": info.description,
                        **kind_style(info.name),
                    }
                )
    return items


def auto_layout(model: ThreatModel, *, only_missing: bool = True) -> dict[str, tuple[float, float]]:
    """Positions for elements: :func:`workbench.layout.auto_positions`, the one rule every
    view uses (a new layout of the whole model with ``only_missing=False``, the
    Auto-layout button, or for a model without any stored position; otherwise the
    elements without one placed by the container rules, and any stored one moved to make
    room for them)."""
    from workbench.layout import auto_positions

    return auto_positions(model, only_missing=only_missing)


@dataclass(frozen=True)
class Overlay:
    """Open findings per element or flow: how many, and the highest risk."""

    open: Mapping[str, int]
    risk: Mapping[str, str]


def overlay(analysis: Analysis | None, model: ThreatModel) -> Overlay:
    """Count the open findings per target (no decision, ``open`` or ``in_progress``, or
    an expired one; scoped decisions included, see :class:`workbench.register.Decider`)
    and keep the highest risk; decisions come from ``model`` (the analysis may predate a
    decision)."""
    if analysis is None:
        return Overlay({}, {})
    from workbench.register import Decider

    decider = Decider(model)
    # Without a decision that could apply, every finding is open: no need to ask.
    is_open = decider.is_open if (decider.by_finding or decider.by_threat) else None
    counts: dict[str, int] = {}
    worst: dict[str, Any] = {}  # per target, its open finding with the highest score
    scores: dict[str, int] = {}
    for f in analysis.findings:
        if is_open is not None and not is_open(f):
            continue
        target = f.target
        count = counts.get(target)
        if count is None:
            counts[target] = 1
            worst[target] = f
            scores[target] = f.score
        else:
            counts[target] = count + 1
            score = f.score
            if score > scores[target]:
                scores[target] = score
                worst[target] = f
    # the risk level grows with the score: the highest score has the highest risk
    risk = {target: f.risk for target, f in worst.items()}
    return Overlay(counts, risk)


def build(model: ThreatModel, analysis: Analysis | None = None) -> dict[str, list[Item]]:
    """The payload of ``model``: ``nodes``, ``edges`` and ``boundaries``, each sorted by
    ID. Nodes carry their position (``auto: true`` when computed, not stored)."""
    return Builder().build(model, analysis)


class Builder:
    """Builds payloads (:func:`build`) one after another, reusing the items of the last
    one whose inputs did not change: an edit rebuilds the items it touched, and
    :func:`diff` sees the others unchanged at once (the same objects). Items are never
    changed after they are built.

    An item is reused when it stands for the same (immutable) element or flow object as
    last time and nothing else it shows changed: its overlay (open findings and highest
    risk), and for an element its position, for a flow the boundaries of its two ends and
    whether another flow joins the same two elements. What changed is found by comparing
    whole mappings (set operations), so an edit on thousands of items costs little."""

    def __init__(self) -> None:
        self._nodes: dict[str, tuple[Any, Item]] = {}
        self._edges: dict[str, tuple[Any, Item]] = {}
        self._over = Overlay({}, {})
        self._boundary_of: dict[str, str | None] = {}
        self._pairs: Counter[tuple[str, str]] = Counter()

    def build(self, model: ThreatModel, analysis: Analysis | None = None) -> dict[str, list[Item]]:
        """The payload of ``model`` (as :func:`build`)."""
        layout = auto_layout(model)
        over = overlay(analysis, model)
        open_of, risk_of = over.open, over.risk
        # targets whose badge changed since the last build
        badges = {k for k, _ in open_of.items() ^ self._over.open.items()}
        badges.update(k for k, _ in risk_of.items() ^ self._over.risk.items())
        old_nodes = self._nodes
        nodes_cache: dict[str, tuple[Any, Item]] = {}
        nodes: list[Item] = []
        for e in model.elements:
            eid = e.id
            if eid in layout:  # no stored position, or moved to make room for one without
                (x, y), auto = layout[eid], True
            else:
                x, y, auto = e.position.x, e.position.y, False  # type: ignore[union-attr]
            cached = old_nodes.get(eid)
            if (
                cached is not None
                and cached[0] is e
                and eid not in badges
                and (item := cached[1])["x"] == x
                and item["y"] == y
                and item["auto"] is auto
            ):
                pass
            else:
                item = _node(e, x, y, auto, open_of.get(eid, 0), risk_of.get(eid))
            nodes_cache[eid] = (e, item)
            nodes.append(item)
        boundary_of = {e.id: e.boundary for e in model.elements}
        # elements whose boundary changed (or that came or went): their flows' crossing
        moved = {k for k, _ in boundary_of.items() ^ self._boundary_of.items()}
        flows = model.flows
        keys = [
            (f.source, f.target) if f.source <= f.target else (f.target, f.source) for f in flows
        ]
        pairs = Counter(keys)
        # pairs of elements whose number of flows changed: their flows' curve
        regrouped = {k for k, _ in pairs.items() ^ self._pairs.items()}
        old_edges = self._edges
        edges_cache: dict[str, tuple[Any, Item]] = {}
        edges: list[Item] = []
        for f, key in zip(flows, keys, strict=True):
            fid = f.id
            cached = old_edges.get(fid)
            if (
                cached is not None
                and cached[0] is f
                and fid not in badges
                and key not in regrouped
                and f.source not in moved
                and f.target not in moved
            ):
                item = cached[1]
            else:
                item = _edge(
                    f,
                    boundary_of[f.source] != boundary_of[f.target],
                    pairs[key] > 1,
                    open_of.get(fid, 0),
                    risk_of.get(fid),
                )
            edges_cache[fid] = (f, item)
            edges.append(item)
        self._nodes, self._edges = nodes_cache, edges_cache
        self._over, self._boundary_of, self._pairs = over, boundary_of, pairs
        parents = {b.id: b.parent for b in model.boundaries}
        boundaries: list[Item] = [
            {
                "id": b.id,
                "label": b.name,
                "trust": b.trust,
                "parent": b.parent,
                "depth": _depth(b.id, parents),
                "color": TRUST_COLOURS[b.trust],
            }
            for b in model.boundaries
        ]
        return {"nodes": nodes, "edges": edges, "boundaries": boundaries}


def _node(e: Any, x: float, y: float, auto: bool, open_count: int, risk: str | None) -> Item:
    info = KINDS[e.kind]
    return {
        "id": e.id,
        "label": e.name,
        "kind": e.kind,
        "kindLabel": info.label,
        "layer": info.layer.value,
        "dfd": info.dfd.value,
        **kind_style(e.kind),
        "x": x,
        "y": y,
        "auto": auto,
        "boundary": e.boundary,
        "open": open_count,
        "risk": risk,
    }


def _edge(f: Any, crossing: bool, parallel: bool, open_count: int, risk: str | None) -> Item:
    return {
        "id": f.id,
        "from": f.source,
        "to": f.target,
        "label": f.name,
        "crossing": crossing,
        "parallel": parallel,
        "open": open_count,
        "risk": risk,
    }


def _depth(boundary_id: str, parents: Mapping[str, str | None]) -> int:
    depth, current = 0, parents.get(boundary_id)
    while current is not None and depth < len(parents):
        depth, current = depth + 1, parents.get(current)
    return depth


SECTIONS = ("nodes", "edges", "boundaries")


def diff(old: Mapping[str, Iterable[Item]], new: Mapping[str, Iterable[Item]]) -> dict[str, Item]:
    """What changed from ``old`` to ``new``, by ID, per section: ``add`` and ``update``
    (whole items) and ``remove`` (IDs). Sections without a change are left out."""
    changes: dict[str, Item] = {}
    for section in SECTIONS:
        before = {item["id"]: item for item in old.get(section, ())}
        after = {item["id"]: item for item in new.get(section, ())}
        add = [item for key, item in after.items() if key not in before]
        update = [
            item
            for key, item in after.items()
            if key in before and before[key] is not item and before[key] != item
        ]
        remove = sorted(key for key in before if key not in after)
        if add or update or remove:
            changes[section] = {"add": add, "update": update, "remove": remove}
    return changes


def change_count(changes: Mapping[str, Item]) -> int:
    """How many items a :func:`diff` touches."""
    return sum(len(c["add"]) + len(c["update"]) + len(c["remove"]) for c in changes.values())


def size(payload: Mapping[str, Iterable[Item]]) -> int:
    """How many items a payload holds."""
    return sum(len(list(payload.get(section, ()))) for section in SECTIONS)
