"""The units of a layout: its constants and coordinate types, and the blocks a
container is built from (an item's size and what it holds), placed in rows or columns
(see :mod:`workbench.layout`)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..model.kinds import Layer

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

SWEEPS = 4
"""Rounds of barycenter sweeps per container (each round: left to right, right to left)."""
EXACT_FLOWS = 80
"""A container with at most this many flows drawn inside it counts crossings exactly to
choose and improve its order; a larger one compares its candidate orders on an even
sample of this many flows."""
EXACT_WORK = 20_000
"""Work one container may spend on exact counts, in pairs of flows compared (placing an
item counts as four): bounds the swaps."""
GLOBAL_EXACT = 400
"""A model gets whichever of its builds crosses least (the earliest on a tie): a first
untangling pass, passes in which flows leaving a container also pull from where the
previous pass put their other ends (:data:`PASSES` of them, one for a model with more
than this many flows), or the plain order. Counted exactly for a model with at most this
many flows (pairs of elements), on an even sample of this many for a larger one."""
PASSES = 4
"""Passes after the first for a model with at most :data:`GLOBAL_EXACT` flows."""
SWAP_ROUNDS = 3
"""Rounds of pair swaps in a container that counts exactly."""

ASPECT = 1.6
"""Width over height that a container aims for (a notebook's or a page's shape)."""

Point = tuple[float, float]
"""An element centre."""
Box = tuple[float, float, float, float]
"""A boundary box: ``(x0, y0, x1, y1)``."""
Link = tuple[str, str]
"""A flow as the pair of element IDs it joins (sorted: direction does not matter)."""


@dataclass
class _Block:
    """A laid-out item: its size and what it holds, relative to its top-left corner."""

    w: float
    h: float
    rank: float
    name: str
    positions: dict[str, Point] = field(default_factory=dict)
    boxes: dict[str, Box] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    """The flows drawn inside the block (both ends in it)."""

    def moved(self, dx: float, dy: float) -> tuple[dict[str, Point], dict[str, Box]]:
        """What the block holds, shifted by ``(dx, dy)``."""
        return (
            {k: (x + dx, y + dy) for k, (x, y) in self.positions.items()},
            {k: (a + dx, b + dy, c + dx, d + dy) for k, (a, b, c, d) in self.boxes.items()},
        )


def _stacks(items: list[_Block]) -> list[list[_Block]]:
    """The layer columns, left to right, each in the plain order: cells above boxes, by
    name."""
    columns: dict[int, list[_Block]] = defaultdict(list)
    for item in items:
        columns[round(item.rank)].append(item)
    return [sorted(columns[c], key=lambda b: (b.h > CELL_H, b.name)) for c in sorted(columns)]


def _rows_width(items: Sequence[_Block]) -> float:
    """How wide rows of these items may grow (the same for every order)."""
    area = sum((b.w + GAP) * (b.h + GAP) for b in items)
    return max(max(b.w for b in items), math.sqrt(area * ASPECT))


def _row_offsets(items: Sequence[_Block], width: float) -> tuple[list[Point], float, float]:
    """Top-left corner of each item in rows filled left to right in the given order, tops
    aligned; and the extent (width, height)."""
    corners: list[Point] = []
    x = y = right = tallest = 0.0
    for b in items:
        if x > 0 and x + b.w > width:  # start a new row
            y += tallest + GAP
            x = tallest = 0.0
        corners.append((x, y))
        right = max(right, x + b.w)
        tallest = max(tallest, b.h)
        x += b.w + GAP
    return corners, right, y + tallest


def _rows(items: Sequence[_Block]) -> _Block:
    """Items in rows about as wide as :data:`ASPECT` asks of their total area, each row
    filled left to right in the given order, tops aligned."""
    corners, w, h = _row_offsets(items, _rows_width(items))
    return _assemble(items, corners, w, h)


def _column_offsets(stacks: Sequence[Sequence[_Block]]) -> tuple[list[list[Point]], float, float]:
    """Top-left corner of each item of each column (columns left to right, each item
    centred in its column, stacked top to bottom); and the extent (width, height)."""
    corners: list[list[Point]] = []
    x = height = 0.0
    for stack in stacks:
        width = max(b.w for b in stack)
        y = 0.0
        col: list[Point] = []
        for b in stack:
            col.append((x + (width - b.w) / 2, y))
            y += b.h + GAP
        corners.append(col)
        height = max(height, y - GAP)
        x += width + GAP
    return corners, x - GAP, height


def _columns(stacks: Sequence[Sequence[_Block]]) -> _Block:
    """Items in the given columns (left to right), stacked top to bottom in their order."""
    corners, w, h = _column_offsets(stacks)
    flat = [b for stack in stacks for b in stack]
    return _assemble(flat, [c for col in corners for c in col], w, h)


def _assemble(items: Sequence[_Block], corners: Sequence[Point], w: float, h: float) -> _Block:
    positions: dict[str, Point] = {}
    boxes: dict[str, Box] = {}
    for b, (x, y) in zip(items, corners, strict=True):
        p, bx = b.moved(x, y)
        positions.update(p)
        boxes.update(bx)
    return _Block(w, h, 0.0, "", positions, boxes)
