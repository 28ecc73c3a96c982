"""Keeping the container rules when elements change boundary or arrive without a position.

A drag on the canvas keeps the rules itself (the canvas pushes things apart as it drops).
An edit made elsewhere does not: an element moved into another boundary from Python, the
inspector or the YAML file keeps its old position, so its new boundary's box stretches to
reach it, across its neighbours; an element added without a position has nowhere to go.
:func:`settle` finds such elements a place and leaves every other stored position as the
user set it, except what has to make room.

An element goes to the right of what its boundary already holds, at the top of it (inside
the nearest enclosing boundary that holds something, in as many new boxes as its own
boundaries that hold nothing yet need); an element outside every boundary, or whose
boundaries hold nothing yet, goes to the right of the whole drawing. Room is made by
*insertion*: everything whose centre lies beyond a vertical line moves right (or beyond a
horizontal line, down) by the same amount. An insertion never makes two things that were
apart overlap — every edge beyond the line moves by the same amount, every edge before it
stays — so the rules that held before an element is placed hold after it. When a box gets
a deeper nesting below it, its margin grows (:func:`workbench.layout.boxes_around`): room
is inserted on its four sides as well, for it and for every box around it.

Deterministic: elements are placed outermost boundary first, then by boundary, name and ID.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from ..model import Position, ThreatModel
from ..model.references import boundary_chain
from .blocks import CELL_H, CELL_W, GAP, MARGIN, MARGIN_PER_LEVEL, TITLE, Box, Point

_EPS = 1e-6

BoxesAround = Callable[[ThreatModel, Mapping[str, Point]], dict[str, Box]]


def settle(model: ThreatModel, changed: Iterable[str] = ()) -> dict[str, Point]:
    """Positions for the elements in ``changed`` and for those without a stored position,
    placed by the container rules, and for every element moved to make room for them
    (the others keep their stored positions and are not listed)."""
    from . import boxes_around, layout  # the package imports this module

    changed = set(changed)
    if all(e.position is not None for e in model.elements) and not changed:
        return {}
    known = {b.id for b in model.boundaries}
    parent = {b.id: b.parent if b.parent in known else None for b in model.boundaries}
    positions: dict[str, Point] = {
        e.id: (e.position.x, e.position.y)
        for e in model.elements
        if e.position is not None and e.id not in changed
    }
    if not positions:  # nothing stays where it was: a new layout
        return layout(model).positions
    start = dict(positions)
    todo = [e for e in model.elements if e.id not in positions]

    def chain(boundary: str | None) -> tuple[str, ...]:
        return boundary_chain(parent, boundary if boundary in known else None)[0]

    todo.sort(key=lambda e: (len(chain(e.boundary)), e.boundary or "", e.name.casefold(), e.id))
    for e in todo:
        _place(model, parent, chain(e.boundary), e.id, positions, boxes_around)
    return {eid: p for eid, p in positions.items() if start.get(eid) != p}


def settled(model: ThreatModel, changed: Iterable[str] = ()) -> ThreatModel:
    """``model`` with the positions of :func:`settle` stored (the same model when there
    is nothing to place)."""
    moves = settle(model, changed)
    if not moves:
        return model
    elements = [
        e.model_copy(update={"position": Position(x=moves[e.id][0], y=moves[e.id][1])})
        if e.id in moves
        else e
        for e in model.elements
    ]
    return model.replace(elements=elements)


def needs_settling(old: ThreatModel, new: ThreatModel) -> set[str]:
    """Elements of ``new`` that an edit from outside the canvas left where the container
    rules may not hold: those whose boundary changed while their position did not, and
    those inside a boundary whose parent changed (with an unchanged position). Elements
    without a position are placed anyway (see :func:`settle`)."""
    before = {e.id: e for e in old.elements}
    old_parent = {b.id: b.parent for b in old.boundaries}
    moved_boundaries = {
        b.id for b in new.boundaries if b.id in old_parent and old_parent[b.id] != b.parent
    }
    known = {b.id for b in new.boundaries}
    parent = {b.id: b.parent if b.parent in known else None for b in new.boundaries}
    out = set()
    for e in new.elements:
        was = before.get(e.id)
        if was is None or e.position is None or e.position != was.position:
            continue
        regrouped = bool(moved_boundaries) and not moved_boundaries.isdisjoint(
            boundary_chain(parent, e.boundary)[0]
        )
        if e.boundary != was.boundary or regrouped:
            out.add(e.id)
    return out


def _place(
    model: ThreatModel,
    parent: Mapping[str, str | None],
    own: tuple[str, ...],
    element_id: str,
    positions: dict[str, Point],
    boxes_around: BoxesAround,
) -> None:
    """Put ``element_id`` (whose boundaries are ``own``, innermost first) into
    ``positions``, making room by insertion."""
    boxes = boxes_around(model, positions)
    holder = next((b for b in own if b in boxes), None)
    fresh = own[: own.index(holder)] if holder is not None else own  # boxes to be made
    margins = [MARGIN + MARGIN_PER_LEVEL * level for level in range(len(fresh))]
    pad_x = sum(margins)
    pad_top = sum(margins) + TITLE * len(fresh)
    block_w = CELL_W + 2 * pad_x
    block_h = CELL_H + pad_top + sum(margins)
    if holder is None:
        if not positions:
            positions[element_id] = (0.0, 0.0)
            return
        cells = [_cell(p) for p in positions.values()]
        right = max([c[2] for c in cells] + [b[2] for b in boxes.values()])
        top = min([c[1] for c in cells] + [b[1] for b in boxes.values()])
        left = right + GAP
        positions[element_id] = (left + pad_x + CELL_W / 2, top + pad_top + CELL_H / 2)
        return
    before = _levels(parent, boxes)
    _, y0, x1, y1 = _content(model, parent, holder, positions, boxes)
    _insert(positions, x1, GAP + block_w, across=False)
    if block_h > y1 - y0:
        _insert(positions, y1, block_h - (y1 - y0), across=True)
    positions[element_id] = (x1 + GAP + pad_x + CELL_W / 2, y0 + pad_top + CELL_H / 2)
    after = _levels(parent, boxes_around(model, positions))
    for b in boundary_chain(parent, holder)[0]:  # the holder, then the boxes around it
        grown = MARGIN_PER_LEVEL * (after.get(b, 0) - before.get(b, 0))
        if grown <= 0:
            continue
        boxes = boxes_around(model, positions)
        cx0, cy0, cx1, cy1 = _content(model, parent, b, positions, boxes)
        _insert(positions, cx0 - _EPS, grown, across=False)  # room on its left
        _insert(positions, cx1 + grown, grown, across=False)  # ... and on its right
        _insert(positions, cy0 - _EPS, grown, across=True)  # above
        _insert(positions, cy1 + grown, grown, across=True)  # below


def _cell(p: Point) -> Box:
    return (p[0] - CELL_W / 2, p[1] - CELL_H / 2, p[0] + CELL_W / 2, p[1] + CELL_H / 2)


def _content(
    model: ThreatModel,
    parent: Mapping[str, str | None],
    boundary: str,
    positions: Mapping[str, Point],
    boxes: Mapping[str, Box],
) -> Box:
    """The extent of what ``boundary``'s box holds: its members' cells and the boxes of
    the boundaries nested in it."""
    parts: list[Box] = [
        _cell(positions[e.id])
        for e in model.elements
        if e.id in positions and boundary in boundary_chain(parent, e.boundary)[0]
    ]
    parts += [box for b, box in boxes.items() if b != boundary and boundary in _up(parent, b)]
    return (
        min(p[0] for p in parts),
        min(p[1] for p in parts),
        max(p[2] for p in parts),
        max(p[3] for p in parts),
    )


def _up(parent: Mapping[str, str | None], boundary: str) -> tuple[str, ...]:
    return boundary_chain(parent, boundary)[0]


def _levels(parent: Mapping[str, str | None], boxes: Mapping[str, Box]) -> dict[str, int]:
    """How many levels of boxes each box holds below it (0: none)."""
    out: dict[str, int] = dict.fromkeys(boxes, 0)
    for b in boxes:
        for depth, above in enumerate(_up(parent, b)[1:], start=1):
            if above in out:
                out[above] = max(out[above], depth)
    return out


def _insert(positions: dict[str, Point], line: float, by: float, *, across: bool) -> None:
    """Move every centre beyond ``line`` by ``by``: right of a vertical line, or below a
    horizontal one (``across``)."""
    axis = 1 if across else 0
    for eid, p in positions.items():
        if p[axis] > line:
            positions[eid] = (p[0], p[1] + by) if across else (p[0] + by, p[1])
