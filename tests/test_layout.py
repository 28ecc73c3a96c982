"""``workbench.layout``: trust boundaries as containers, on every starter and on synthetic
models nested three levels deep."""

from __future__ import annotations

import itertools
import random

import pytest

from benchmarks.synthetic import synthetic_model
from workbench import ThreatModel
from workbench.layout import CELL_H, CELL_W, Layout, layout
from workbench.model.references import boundary_chain
from workbench.starters import load_template, names

Box = tuple[float, float, float, float]


def _inside(p: tuple[float, float], b: Box) -> bool:
    return b[0] <= p[0] <= b[2] and b[1] <= p[1] <= b[3]


def _cell_inside(p: tuple[float, float], b: Box) -> bool:
    """The whole cell around an element's centre lies in the box."""
    return (
        b[0] <= p[0] - CELL_W / 2
        and p[0] + CELL_W / 2 <= b[2]
        and b[1] <= p[1] - CELL_H / 2
        and p[1] + CELL_H / 2 <= b[3]
    )


def _contains(outer: Box, inner: Box) -> bool:
    return (
        outer[0] < inner[0] and outer[1] < inner[1] and inner[2] < outer[2] and inner[3] < outer[3]
    )


def _disjoint(a: Box, b: Box) -> bool:
    return a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1]


def check_containers(model: ThreatModel, result: Layout) -> None:
    """The container rules of the canvas issue, on one layout."""
    parent = {b.id: b.parent for b in model.boundaries}
    assert set(result.positions) == {e.id for e in model.elements}
    for e in model.elements:
        p = result.positions[e.id]
        own = set(boundary_chain(parent, e.boundary)[0])
        for bid, box in result.boxes.items():
            if bid in own:
                assert _cell_inside(p, box), (e.id, "outside its boundary", bid)
            else:
                assert not _inside(p, box), (e.id, "inside a boundary it does not belong to", bid)
    for a, b in itertools.combinations(result.boxes, 2):
        chain_a = set(boundary_chain(parent, a)[0])
        chain_b = set(boundary_chain(parent, b)[0])
        if b in chain_a:
            assert _contains(result.boxes[b], result.boxes[a]), (a, "not drawn inside", b)
        elif a in chain_b:
            assert _contains(result.boxes[a], result.boxes[b]), (b, "not drawn inside", a)
        else:
            assert _disjoint(result.boxes[a], result.boxes[b]), (a, b, "overlap")
    cells = list(result.positions.values())
    for p, q in itertools.combinations(cells, 2):
        assert abs(p[0] - q[0]) >= CELL_W or abs(p[1] - q[1]) >= CELL_H, (p, q, "overlap")


@pytest.mark.parametrize("name", names())
def test_starters_lay_out_as_containers(name: str) -> None:
    model = load_template(name)
    result = layout(model)
    check_containers(model, result)
    assert result == layout(model)  # deterministic
    held = {e.boundary for e in model.elements} - {None}
    assert held <= set(result.boxes)


def _nested(seed: int) -> ThreatModel:
    """A synthetic model whose boundaries nest three levels deep, elements everywhere
    (also outside every boundary)."""
    rng = random.Random(seed)
    base = synthetic_model(60, seed=seed)
    boundaries = [
        {"id": "top", "name": "Top"},
        {"id": "mid", "name": "Middle", "parent": "top"},
        {"id": "deep", "name": "Deep", "parent": "mid"},
        {"id": "side", "name": "Side", "parent": "top"},
        {"id": "apart", "name": "Apart"},
    ]
    where = [None, "top", "mid", "deep", "side", "apart"]
    elements = [e.model_copy(update={"boundary": rng.choice(where)}) for e in base.elements]
    doc = base.to_dict()
    doc["boundaries"] = boundaries
    doc["elements"] = [
        {**d, "boundary": e.boundary}
        if e.boundary
        else {k: v for k, v in d.items() if k != "boundary"}
        for d, e in zip(doc["elements"], elements, strict=True)
    ]
    return ThreatModel.model_validate(doc)


@pytest.mark.parametrize("seed", range(4))
def test_three_levels_of_nesting_lay_out_as_containers(seed: int) -> None:
    model = _nested(seed)
    check_containers(model, layout(model))


def test_the_synthetic_benchmark_model_lays_out_as_containers() -> None:
    model = synthetic_model(300)
    check_containers(model, layout(model))


def test_the_rules_catch_boundaries_drawn_around_wherever_members_are() -> None:
    """What the canvas did before: columns by layer for every element, each boundary a
    rectangle around its members. On the RAG starter that breaks the rules (the check can
    fail)."""
    from workbench.layout import LAYER_ORDER
    from workbench.model.kinds import KINDS

    model = load_template("rag_assistant")
    rows: dict[int, int] = {}
    positions = {}
    for e in sorted(model.elements, key=lambda e: (e.boundary or "", e.name)):
        col = LAYER_ORDER.index(KINDS[e.kind].layer)
        positions[e.id] = (col * CELL_W * 1.2, rows.get(col, 0) * CELL_H * 1.2)
        rows[col] = rows.get(col, 0) + 1
    parent = {b.id: b.parent for b in model.boundaries}
    boxes = {}
    for b in model.boundaries:
        held = [
            p
            for e in model.elements
            if b.id in boundary_chain(parent, e.boundary)[0]
            for p in [positions[e.id]]
        ]
        if held:
            xs, ys = [x for x, _ in held], [y for _, y in held]
            boxes[b.id] = (min(xs) - 150, min(ys) - 80, max(xs) + 150, max(ys) + 80)
    with pytest.raises(AssertionError):
        check_containers(model, Layout(positions, boxes))


@pytest.mark.parametrize("name", names())
def test_starters_store_their_layout(name: str) -> None:
    """The starters open as the layout draws them (their stored positions are it)."""
    model = load_template(name)
    expected = layout(model).positions
    for e in model.elements:
        assert e.position is not None, e.id
        assert (e.position.x, e.position.y) == tuple(round(v) for v in expected[e.id]), e.id
