"""``workbench.layout``: trust boundaries as containers, on every starter and on synthetic
models nested three levels deep."""

from __future__ import annotations

import itertools
import random

import pytest

from benchmarks.synthetic import synthetic_model
from workbench import ThreatModel
from workbench.layout import (
    CELL_H,
    CELL_W,
    GLOBAL_EXACT,
    Layout,
    auto_positions,
    boxes_around,
    crossings,
    drawing,
    layout,
    needs_settling,
    segment_crossings,
    settled,
)
from workbench.model import Boundary, Position
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


# ----------------------------------------------------------------- fewer crossings
def test_crossings_counts_pairs_of_segments_that_cross() -> None:
    """Straight segments between centres: an X crosses once; a shared end, parallel
    segments or an end that touches the other segment do not cross; segments on one line
    that overlap do (they hide each other)."""
    a, b, c, d = (0.0, 0.0), (10.0, 10.0), (0.0, 10.0), (10.0, 0.0)
    assert segment_crossings([(a, b), (c, d)]) == 1
    assert segment_crossings([(a, b), (a, d)]) == 0  # shared end
    assert segment_crossings([(a, c), (d, b)]) == 0  # parallel
    assert segment_crossings([(a, b), ((5.0, 5.0), (10.0, 0.0))]) == 0  # touches
    assert segment_crossings([(a, (10.0, 0.0)), ((5.0, 0.0), (20.0, 0.0))]) == 1  # overlap
    assert segment_crossings([(a, (5.0, 0.0)), ((5.0, 0.0), (20.0, 0.0))]) == 0  # end to end
    assert segment_crossings([(a, b), (c, d), ((0.0, 5.0), (10.0, 5.0))]) == 3  # through the X


def test_crossings_of_a_model_count_each_pair_of_elements_once() -> None:
    model = ThreatModel.model_validate(
        {
            "system": {"name": "x"},
            "elements": [
                {"id": i, "kind": "process", "name": i.upper()} for i in ("a", "b", "c", "d")
            ],
            "flows": [
                {"id": "ab", "source": "a", "target": "b"},
                {"id": "ba", "source": "b", "target": "a"},  # the same segment
                {"id": "ab2", "source": "a", "target": "b"},
                {"id": "cd", "source": "c", "target": "d"},
            ],
        }
    )
    square = {"a": (0.0, 0.0), "b": (10.0, 10.0), "c": (0.0, 10.0), "d": (10.0, 0.0)}
    assert crossings(model, square) == 1
    assert crossings(model, {k: v for k, v in square.items() if k != "d"}) == 0


def test_untangling_crosses_less_than_the_plain_order_on_the_starters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """On every starter the layout crosses no more often than the plain order (by name,
    then ID), and on at least two strictly less often."""
    figures = {}
    for name in names():
        model = load_template(name)
        plain = crossings(model, layout(model, untangle=False).positions)
        untangled = crossings(model, layout(model).positions)
        figures[name] = (plain, untangled)
    with capsys.disabled():
        print("\ncrossings, plain order -> untangled:")
        for name, (plain, untangled) in figures.items():
            print(f"  {name:22} {plain:3} -> {untangled:3}")
    assert all(untangled <= plain for plain, untangled in figures.values()), figures
    assert sum(untangled < plain for plain, untangled in figures.values()) >= 2, figures


@pytest.mark.parametrize("name", names())
def test_the_plain_order_keeps_the_same_containers(name: str) -> None:
    """Untangling only reorders: the plain layout obeys the same rules, and each boundary
    box keeps its size (columns and rows hold the same items)."""
    model = load_template(name)
    plain = layout(model, untangle=False)
    check_containers(model, plain)
    untangled = layout(model)
    for bid, (x0, y0, x1, y1) in plain.boxes.items():
        u = untangled.boxes[bid]
        assert (u[2] - u[0]) * (u[3] - u[1]) <= (x1 - x0) * (y1 - y0) + 1, bid


@pytest.mark.parametrize("seed", range(4))
def test_never_more_crossings_than_the_plain_order(seed: int) -> None:
    """With at most GLOBAL_EXACT flows the plain order is one of the candidates, counted
    exactly."""
    model = _nested(seed)
    assert len(model.flows) <= GLOBAL_EXACT
    plain = crossings(model, layout(model, untangle=False).positions)
    assert crossings(model, layout(model).positions) <= plain


@pytest.mark.parametrize("seed", range(4))
def test_nested_models_are_deterministic(seed: int) -> None:
    model = _nested(seed)
    first = layout(model)
    assert first == layout(model)
    assert first == layout(_nested(seed))  # a model built again the same way


def test_a_large_model_lays_out_as_containers() -> None:
    """Past the sizes that count crossings exactly (sampled counts, one extra pass)."""
    model = synthetic_model(700)
    result = layout(model)
    check_containers(model, result)
    assert result == layout(model)


def test_elements_outside_every_boundary_lie_outside_every_box() -> None:
    model = _nested(0)
    result = layout(model)
    loose = [e.id for e in model.elements if e.boundary is None]
    assert loose
    for eid in loose:
        assert not any(_inside(result.positions[eid], box) for box in result.boxes.values())


# ------------------------------------------------------------------ what views draw
def test_boxes_around_the_layout_are_its_boxes() -> None:
    for model in [load_template(n) for n in names()] + [_nested(1), synthetic_model(300)]:
        result = layout(model)
        assert boxes_around(model, result.positions) == result.boxes


def test_drawing_follows_the_canvas_rule() -> None:
    """No stored position: the layout. Every position stored: those. Some stored: the
    stored ones, the others placed by the container rules (and the stored ones that had
    to make room for them moved only right or down)."""
    model = _nested(2)
    bare = model.replace(elements=[e.model_copy(update={"position": None}) for e in model.elements])
    assert drawing(bare) == layout(bare)
    stored = load_template("rag_assistant")
    shown = drawing(stored)
    assert shown.positions == {
        e.id: (e.position.x, e.position.y) for e in stored.elements if e.position
    }
    for n in (2, 3, 5):
        some = stored.replace(
            elements=[
                e.model_copy(update={"position": None}) if i % n == 0 else e
                for i, e in enumerate(stored.elements)
            ]
        )
        mixed = drawing(some)
        check_containers(some, mixed)
        _only_made_room(some, mixed.positions)
        assert mixed.boxes == boxes_around(some, mixed.positions)
        assert mixed == drawing(some)  # deterministic


def _stored(model: ThreatModel) -> ThreatModel:
    """``model`` with its layout's positions stored."""
    positions = layout(model).positions
    return model.replace(
        elements=[
            e.model_copy(update={"position": Position(x=positions[e.id][0], y=positions[e.id][1])})
            for e in model.elements
        ]
    )


def _only_made_room(
    model: ThreatModel,
    positions: dict[str, tuple[float, float]],
    besides: frozenset[str] | set[str] = frozenset(),
) -> None:
    """Stored positions kept, or moved right and down only (to make room), the order of
    the elements along each axis kept (``besides``: elements placed anew)."""
    kept = [
        e
        for e in model.elements
        if e.position is not None and e.id in positions and e.id not in besides
    ]
    stored = {e.id: (e.position.x, e.position.y) for e in kept if e.position is not None}
    for eid, (x0, y0) in stored.items():
        x, y = positions[eid]
        assert x >= x0, (eid, "moved left")
        assert y >= y0, (eid, "moved up")
    for a, b in itertools.combinations(kept, 2):
        for axis in (0, 1):
            before = stored[a.id][axis] - stored[b.id][axis]
            after = positions[a.id][axis] - positions[b.id][axis]
            assert before * after >= 0, (a.id, b.id, "order changed")


def _moves(model: ThreatModel) -> list[tuple[str, str | None]]:
    """(element, new boundary) for every element: into each other boundary, and out of
    all of them."""
    targets = [None, *(b.id for b in model.boundaries)]
    return [(e.id, t) for e in model.elements for t in targets if t != e.boundary]


@pytest.mark.parametrize("name", names())
def test_an_element_moved_to_another_boundary_outside_the_canvas_is_placed_in_it(
    name: str,
) -> None:
    model = load_template(name)
    assert all(e.position is not None for e in model.elements)
    moves = _moves(model)
    broken = 0
    for element_id, boundary in moves[:: max(1, len(moves) // 40)]:
        edited = model.update_element(element_id, boundary=boundary)
        changed = needs_settling(model, edited)
        assert changed == {element_id}
        result = settled(edited, changed)
        shown = drawing(result)
        check_containers(result, shown)
        _only_made_room(edited, shown.positions, besides={element_id})
        try:
            check_containers(edited, drawing(edited))
        except AssertionError:
            broken += 1
    assert broken  # without settling, such edits break the rules


@pytest.mark.parametrize("seed", range(3))
def test_settling_keeps_the_rules_on_three_levels_of_nesting(seed: int) -> None:
    model = _stored(_nested(seed))
    rng = random.Random(seed)
    for element_id, boundary in rng.sample(_moves(model), 12):
        edited = model.update_element(element_id, boundary=boundary)
        result = settled(edited, needs_settling(model, edited))
        check_containers(result, drawing(result))
    # several at once, into boundaries that held nothing before
    empty = model.replace(
        boundaries=[
            *model.boundaries,
            Boundary(id="fresh", name="Fresh", parent="deep"),
            Boundary(id="fresher", name="Fresher", parent="fresh"),
        ]
    )
    edited = empty
    for e in rng.sample(list(empty.elements), 5):
        edited = edited.update_element(e.id, boundary=rng.choice(["fresh", "fresher"]))
    result = settled(edited, needs_settling(empty, edited))
    check_containers(result, drawing(result))


def test_a_boundary_moved_into_another_takes_its_members_along() -> None:
    model = _stored(_nested(1))
    edited = model.replace(
        boundaries=[
            b.model_copy(update={"parent": "apart"}) if b.id == "side" else b
            for b in model.boundaries
        ]
    )
    changed = needs_settling(model, edited)
    assert changed == {e.id for e in model.elements if e.boundary == "side"}
    result = settled(edited, changed)
    check_containers(result, drawing(result))


def test_auto_positions_are_the_canvas_auto_layout() -> None:
    """The rule lives in workbench.layout; the canvas's own copy must agree with it."""
    _payload = pytest.importorskip("widgets._payload")
    stored = load_template("fraud_classifier")
    some = stored.replace(
        elements=[
            e.model_copy(update={"position": None}) if i % 2 else e
            for i, e in enumerate(stored.elements)
        ]
    )
    for model in (stored, some):
        for only_missing in (True, False):
            expected = _payload.auto_layout(model, only_missing=only_missing)
            assert auto_positions(model, only_missing=only_missing) == expected
