"""Where every element and trust boundary goes on a drawing: one layout for every view.

``layout(model)`` places elements left to right by layer (data, model, deployment,
generic) and draws each trust boundary as a container: a boundary's box holds its
elements and the boxes of the boundaries nested in it, sibling boxes never overlap, and an
element lies in the box of its own boundary and outside every other box (elements outside
all boundaries lie outside all boxes). It is built bottom-up, so these rules hold by
construction: each container lays out its items (elements and child boundaries) in columns
by layer, each item in a cell of its own, and a boundary's box is its items' extent plus a
margin that grows with the nesting below it (the canvas draws its regions with a smaller
margin, so they nest the same way).

Deterministic for the same model; pure Python, no UI import. Coordinates are canvas
pixels: ``positions`` are element centres, ``boxes`` are ``(x0, y0, x1, y1)``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from .model import ThreatModel
from .model.kinds import KINDS, Layer

CELL_W = 260.0
"""Width of an element's cell (room for its label)."""
CELL_H = 100.0
"""Height of an element's cell."""
GAP = 40.0
"""Space between two items of a container (cells or boxes)."""
MARGIN = 40.0
"""Margin inside a box around its items, for a box with nothing nested in it ..."""
MARGIN_PER_LEVEL = 24.0
"""... plus this much per level of boxes nested inside it (the canvas pads the same way,
less, so its regions nest like these boxes)."""
TITLE = 32.0
"""Room for a box's title above its items."""

LAYER_ORDER = (Layer.DATA, Layer.MODEL, Layer.DEPLOYMENT, Layer.GENERIC)
"""Left to right."""


@dataclass(frozen=True)
class Layout:
    """Element centres and boundary boxes, in canvas pixels."""

    positions: dict[str, tuple[float, float]]
    """Element ID -> (x, y) of its centre."""
    boxes: dict[str, tuple[float, float, float, float]]
    """Boundary ID -> (x0, y0, x1, y1); only boundaries that hold something."""


_Points = dict[str, tuple[float, float]]
_Boxes = dict[str, tuple[float, float, float, float]]


@dataclass
class _Block:
    """A laid-out item: its size and what it holds, relative to its top-left corner."""

    w: float
    h: float
    rank: float
    name: str
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)
    boxes: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)

    def moved(self, dx: float, dy: float) -> tuple[_Points, _Boxes]:
        """What the block holds, shifted by ``(dx, dy)``."""
        return (
            {k: (x + dx, y + dy) for k, (x, y) in self.positions.items()},
            {k: (a + dx, b + dy, c + dx, d + dy) for k, (a, b, c, d) in self.boxes.items()},
        )


def layout(model: ThreatModel) -> Layout:
    """Positions and boundary boxes for the whole model (see the module's documentation)."""
    known = {b.id for b in model.boundaries}
    children: dict[str | None, list[str]] = defaultdict(list)
    for b in model.boundaries:
        children[b.parent if b.parent in known else None].append(b.id)
    members: dict[str | None, list[str]] = defaultdict(list)
    for e in model.elements:
        members[e.boundary if e.boundary in known else None].append(e.id)
    names = {b.id: b.name for b in model.boundaries}
    elements = {e.id: e for e in model.elements}

    def block(boundary: str | None, seen: frozenset[str]) -> _Block | None:
        items: list[_Block] = []
        for eid in members.get(boundary, []):
            e = elements[eid]
            rank = float(LAYER_ORDER.index(KINDS[e.kind].layer))
            items.append(
                _Block(
                    CELL_W,
                    CELL_H,
                    rank,
                    e.name.casefold() + "\0" + eid,
                    {eid: (CELL_W / 2, CELL_H / 2)},
                )
            )
        for child in sorted(children.get(boundary, [])):
            if child in seen:  # a cycle (the model refuses them; never loop)
                continue
            inner = block(child, seen | {child})
            if inner is not None:
                items.append(inner)
        if not items:
            return None
        out = _arrange(items)
        if boundary is None:
            return out
        depth = _nesting(out)
        margin = MARGIN + MARGIN_PER_LEVEL * depth
        w, h = out.w + 2 * margin, out.h + 2 * margin + TITLE
        positions, boxes = out.moved(margin, margin + TITLE)
        boxes[boundary] = (0.0, 0.0, w, h)
        held = [elements[k] for k in positions]
        rank = sum(LAYER_ORDER.index(KINDS[e.kind].layer) for e in held) / max(len(held), 1)
        return _Block(w, h, rank, names[boundary].casefold() + "\0" + boundary, positions, boxes)

    root = block(None, frozenset())
    if root is None:
        return Layout({}, {})
    return Layout(root.positions, root.boxes)


def _nesting(block: _Block) -> int:
    """How many levels of boxes the block holds (its own box not counted)."""
    if not block.boxes:
        return 0
    # a box nested n deep lies inside n others of the block: count the deepest chain
    boxes = list(block.boxes.values())

    def inside(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
        return a != b and b[0] <= a[0] and b[1] <= a[1] and a[2] <= b[2] and a[3] <= b[3]

    return 1 + max(sum(inside(a, b) for b in boxes) for a in boxes)


ASPECT = 1.6
"""Width over height that a container aims for (a notebook's or a page's shape)."""


def _arrange(items: list[_Block]) -> _Block:
    """Items in columns by layer rank (left to right), stacked top to bottom by name, or,
    when that is much taller than wide (one layer of large boxes), in rows filled left to
    right by rank and name: whichever is nearer :data:`ASPECT`. Each item in a cell of
    its own, ``GAP`` apart."""
    columns = _columns(items)
    if columns.h <= columns.w / ASPECT or len(items) < 2:
        return columns
    rows = _rows(items)

    def off(b: _Block) -> float:
        return abs(math.log(b.w / b.h / ASPECT))

    return rows if off(rows) < off(columns) else columns


def _rows(items: list[_Block]) -> _Block:
    """Items in rows about as wide as :data:`ASPECT` asks of their total area, each row
    filled left to right by layer rank and name, tops aligned."""
    area = sum((b.w + GAP) * (b.h + GAP) for b in items)
    width = max(max(b.w for b in items), math.sqrt(area * ASPECT))
    positions: dict[str, tuple[float, float]] = {}
    boxes: dict[str, tuple[float, float, float, float]] = {}
    x = y = right = 0.0
    tallest = 0.0
    for b in sorted(items, key=lambda b: (b.rank, b.name)):
        if x > 0 and x + b.w > width:  # start a new row
            y += tallest + GAP
            x = tallest = 0.0
        p, bx = b.moved(x, y)
        positions.update(p)
        boxes.update(bx)
        right = max(right, x + b.w)
        tallest = max(tallest, b.h)
        x += b.w + GAP
    return _Block(right, y + tallest, 0.0, "", positions, boxes)


def _columns(items: list[_Block]) -> _Block:
    """Items in columns by layer rank (left to right), stacked top to bottom by name."""
    columns: dict[int, list[_Block]] = defaultdict(list)
    for item in items:
        columns[round(item.rank)].append(item)
    positions: dict[str, tuple[float, float]] = {}
    boxes: dict[str, tuple[float, float, float, float]] = {}
    x = 0.0
    height = 0.0
    for col in sorted(columns):
        stack = sorted(columns[col], key=lambda b: (b.h > CELL_H, b.name))
        width = max(b.w for b in stack)
        y = 0.0
        for b in stack:
            p, bx = b.moved(x + (width - b.w) / 2, y)
            positions.update(p)
            boxes.update(bx)
            y += b.h + GAP
        height = max(height, y - GAP)
        x += width + GAP
    return _Block(x - GAP, height, 0.0, "", positions, boxes)
