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

Within a container the order of the items is chosen so that data flows cross little
(:func:`crossings` counts them: straight segments between element centres). The flows
between two items of a container pull them towards each other; a child boundary is one
item whose flows are its members' flows, each pulling from where that member sits in the
box. Columns are sorted by these pulls (barycenters) in sweeps left to right and right to
left; a container in rows sorts its items by the row and the place across that their flows
pull them to (an order whose rows come out larger than the plain order's is not used).
Each sweep's order and the plain order (by name, then ID) are candidates: in a container
with at most :data:`EXACT_FLOWS` flows drawn inside it they are counted exactly, the one
with fewest crossings kept (then the shortest flows, then the earlier candidate, the plain
order first) and improved by swapping pairs of items while that removes crossings; a
larger container compares them on an even sample of its flows. Ties between equal pulls go
to the name, then the ID. Reordering moves items only within their column (or row
sequence), so the container rules still hold by construction.

A container cannot see where flows leaving it go while it is laid out (bottom-up), so
later passes let those flows pull too, from where the previous pass put their other ends;
the model then gets whichever pass crosses least, or the plain order if that crosses less
(see :data:`GLOBAL_EXACT`): on a model with at most that many flows the layout never
crosses more often than the plain order.

:func:`drawing` is what a view draws: this layout for a model without stored positions,
otherwise the stored positions (elements without one placed by the container rules,
:func:`settle`) with boxes drawn around them by the same rules (:func:`boxes_around`).

Deterministic for the same model; pure Python, no UI import. Coordinates are canvas
pixels, y pointing down: ``positions`` are element centres, ``boxes`` are
``(x0, y0, x1, y1)``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from ..model import ThreatModel
from ..model.kinds import KINDS
from .blocks import (
    ASPECT,
    CELL_H,
    CELL_W,
    GAP,
    GLOBAL_EXACT,
    LAYER_ORDER,
    MARGIN,
    MARGIN_PER_LEVEL,
    PASSES,
    TITLE,
    Box,
    Link,
    Point,
    _Block,
    _columns,
    _rows,
    _stacks,
)
from .settle import needs_settling, settle, settled
from .untangle import _length, _sample, _Untangle, crossings, segment_crossings

__all__ = [
    "CELL_H",
    "CELL_W",
    "GAP",
    "GLOBAL_EXACT",
    "LAYER_ORDER",
    "Box",
    "Layout",
    "Link",
    "Point",
    "auto_positions",
    "boxes_around",
    "crossings",
    "drawing",
    "layout",
    "needs_settling",
    "segment_crossings",
    "settle",
    "settled",
    "shown_positions",
]


@dataclass(frozen=True)
class Layout:
    """Element centres and boundary boxes, in canvas pixels."""

    positions: dict[str, Point]
    """Element ID -> (x, y) of its centre."""
    boxes: dict[str, Box]
    """Boundary ID -> (x0, y0, x1, y1); only boundaries that hold something."""


# ------------------------------------------------------------------------------ layout
def layout(model: ThreatModel, *, untangle: bool = True) -> Layout:
    """Positions and boundary boxes for the whole model (see the module's documentation).

    ``untangle=False`` keeps the plain order (by name, then ID) instead of ordering the
    items of each container to avoid crossings: the same containers, for comparison."""
    builder = _Builder(model)
    plain, _ = builder.build(untangle=False)
    if not untangle:
        return plain
    built, origins = builder.build()
    results = [built]
    for _ in range(PASSES if len(builder.links) <= GLOBAL_EXACT else 1):
        built, origins = builder.build(anchors=(built.positions, origins))
        results.append(built)
    results.append(plain)
    links = _sample(builder.links, GLOBAL_EXACT)

    def cost(r: Layout) -> tuple[int, float]:
        segments = [(r.positions[a], r.positions[b]) for a, b in links]
        return segment_crossings(segments), round(_length(segments), 3)

    return min(results, key=cost)


class _Builder:
    """The model's containers, built bottom-up into a :class:`Layout`."""

    def __init__(self, model: ThreatModel) -> None:
        known = {b.id for b in model.boundaries}
        self.parent = {b.id: b.parent if b.parent in known else None for b in model.boundaries}
        self.children: dict[str | None, list[str]] = defaultdict(list)
        for b in model.boundaries:
            self.children[self.parent[b.id]].append(b.id)
        self.home = {e.id: e.boundary if e.boundary in known else None for e in model.elements}
        self.members: dict[str | None, list[str]] = defaultdict(list)
        for e in model.elements:
            self.members[self.home[e.id]].append(e.id)
        self.names = {b.id: b.name for b in model.boundaries}
        self.elements = {e.id: e for e in model.elements}
        self.links = _links(model, self.home)
        self.chains: dict[str | None, list[str | None]] = {}
        self.links_at: dict[str | None, list[Link]] = defaultdict(list)
        for link in self.links:
            self.links_at[self._common(*link)].append(link)

    def chain(self, boundary: str | None) -> list[str | None]:
        """The boundary and those around it, innermost first, ending with ``None``."""
        if boundary not in self.chains:
            out: list[str | None] = []
            current = boundary
            while current is not None and current not in out:
                out.append(current)
                current = self.parent.get(current)
            out.append(None)
            self.chains[boundary] = out
        return self.chains[boundary]

    def _common(self, a: str, b: str) -> str | None:
        """The innermost container that holds both elements."""
        up = set(self.chain(self.home[a]))
        return next(c for c in self.chain(self.home[b]) if c in up)

    def build(
        self,
        *,
        untangle: bool = True,
        anchors: tuple[Mapping[str, Point], Mapping[str | None, Point]] | None = None,
    ) -> tuple[Layout, dict[str | None, Point]]:
        """The layout, and where each container's items start (absolute). ``anchors``:
        the positions and origins of an earlier build, where flows leaving a container
        pull its items (and, when counted exactly, cross the flows inside it)."""
        outward = self._outward(anchors[0]) if anchors is not None else {}
        origins = anchors[1] if anchors is not None else {}
        offsets: dict[str | None, Point] = {None: (0.0, 0.0)}
        """Where each container's items start, relative to its own box."""

        def block(boundary: str | None, seen: frozenset[str]) -> _Block | None:
            items = self._cells(boundary)
            for child in sorted(self.children.get(boundary, [])):
                if child in seen:  # a cycle (the model refuses them; never loop)
                    continue
                inner = block(child, seen | {child})
                if inner is not None:
                    items.append(inner)
            if not items:
                return None
            placed = {eid for item in items for eid in item.positions}
            own = [
                (a, b) for a, b in self.links_at.get(boundary, []) if a in placed and b in placed
            ]
            inside = own + [link for item in items for link in item.links]
            leaving: list[tuple[str, Point]] = []
            if boundary in origins:
                ox, oy = origins[boundary]
                leaving = [
                    (end, (x - ox, y - oy))
                    for end, (x, y) in outward.get(boundary, [])
                    if end in placed
                ]
            out = _arrange(items, own, inside, leaving, untangle=untangle)
            out.links = inside
            if boundary is None:
                return out
            return self._boxed(boundary, out, offsets)

        root = block(None, frozenset())
        if root is None:
            return Layout({}, {}), {}
        absolute: dict[str | None, Point] = {None: (0.0, 0.0)}
        for bid, (x0, y0, _, _) in root.boxes.items():
            dx, dy = offsets[bid]
            absolute[bid] = (x0 + dx, y0 + dy)
        return Layout(root.positions, root.boxes), absolute

    def _outward(self, before: Mapping[str, Point]) -> dict[str | None, list[tuple[str, Point]]]:
        """Per container, the flows that leave it: the end inside and where the other end
        was (``before``)."""
        outward: dict[str | None, list[tuple[str, Point]]] = defaultdict(list)
        for a, b in self.links:
            common = self._common(a, b)
            for end, other in ((a, b), (b, a)):
                if other not in before:
                    continue
                for c in self.chain(self.home[end]):
                    if c == common:
                        break
                    outward[c].append((end, before[other]))
        return outward

    def _cells(self, boundary: str | None) -> list[_Block]:
        """A cell for each element directly in the container."""
        cells = []
        for eid in self.members.get(boundary, []):
            e = self.elements[eid]
            rank = float(LAYER_ORDER.index(KINDS[e.kind].layer))
            name = e.name.casefold() + "\0" + eid
            cells.append(_Block(CELL_W, CELL_H, rank, name, {eid: (CELL_W / 2, CELL_H / 2)}))
        return cells

    def _boxed(self, boundary: str, out: _Block, offsets: dict[str | None, Point]) -> _Block:
        """The container's items in its box: a margin that grows with the nesting below,
        room for the title on top."""
        depth = _nesting(out)
        margin = MARGIN + MARGIN_PER_LEVEL * depth
        w, h = out.w + 2 * margin, out.h + 2 * margin + TITLE
        positions, boxes = out.moved(margin, margin + TITLE)
        boxes[boundary] = (0.0, 0.0, w, h)
        offsets[boundary] = (margin, margin + TITLE)
        held = [self.elements[k] for k in positions]
        rank = sum(LAYER_ORDER.index(KINDS[e.kind].layer) for e in held) / max(len(held), 1)
        name = self.names[boundary].casefold() + "\0" + boundary
        return _Block(w, h, rank, name, positions, boxes, out.links)


def _links(model: ThreatModel, home: Mapping[str, str | None]) -> list[Link]:
    """Each flow once per pair of elements (either way), loops left out, in model order."""
    seen: set[Link] = set()
    out: list[Link] = []
    for f in model.flows:
        if f.source == f.target or f.source not in home or f.target not in home:
            continue
        a, b = sorted((f.source, f.target))
        if (a, b) not in seen:
            seen.add((a, b))
            out.append((a, b))
    return out


def _nesting(block: _Block) -> int:
    """How many levels of boxes the block holds (its own box not counted)."""
    if not block.boxes:
        return 0
    # a box nested n deep lies inside n others of the block: count the deepest chain
    boxes = list(block.boxes.values())

    def inside(a: Box, b: Box) -> bool:
        return a != b and b[0] <= a[0] and b[1] <= a[1] and a[2] <= b[2] and a[3] <= b[3]

    return 1 + max(sum(inside(a, b) for b in boxes) for a in boxes)


def _arrange(
    items: list[_Block],
    own: list[Link],
    inside: list[Link],
    outward: list[tuple[str, Point]],
    *,
    untangle: bool = True,
) -> _Block:
    """Items in columns by layer rank (left to right), or, when that is much taller than
    wide (one layer of large boxes), in rows filled left to right: whichever is nearer
    :data:`ASPECT` in the plain order (columns stacked by name, rows by rank and name).
    Each item in a cell of its own, ``GAP`` apart. With ``untangle`` the items are then
    reordered within the chosen form to avoid crossings of the flows ``own`` (between
    items), ``inside`` (every flow drawn in the container) and ``outward`` (an element
    of the container and where the other end of a flow leaving it was, relative to the
    container's first item)."""
    stacks = _stacks(items)
    columns = _columns(stacks)
    in_rows = False
    if columns.h > columns.w / ASPECT and len(items) >= 2:
        plain = sorted(items, key=lambda b: (b.rank, b.name))
        rows = _rows(plain)

        def off(b: _Block) -> float:
            return abs(math.log(b.w / b.h / ASPECT))

        in_rows = off(rows) < off(columns)
    if not untangle or not (own or outward) or len(items) < 2:
        return _rows(sorted(items, key=lambda b: (b.rank, b.name))) if in_rows else columns
    untangled = _Untangle(items, own, inside, outward)
    return untangled.rows() if in_rows else untangled.columns(stacks)


# ----------------------------------------------------------------- what a view draws
def auto_positions(model: ThreatModel, *, only_missing: bool = True) -> dict[str, Point]:
    """Positions the canvas computes: for a new layout of the whole model
    (``only_missing=False``, the Auto-layout button) or a model without any stored
    position, :func:`layout`'s; otherwise those :func:`settle` gives: the elements without
    a stored position placed by the container rules (in their boundary, to the right of
    what it holds), and the stored ones it moved to make room for them."""
    if not only_missing or all(e.position is None for e in model.elements):
        return layout(model).positions
    return settle(model)


def shown_positions(model: ThreatModel) -> dict[str, Point]:
    """Where the canvas shows each element: its stored position, or where
    :func:`auto_positions` puts it."""
    computed = auto_positions(model)
    return {
        e.id: computed[e.id]
        if e.id in computed or e.position is None
        else (e.position.x, e.position.y)
        for e in model.elements
    }


def boxes_around(model: ThreatModel, positions: Mapping[str, Point]) -> dict[str, Box]:
    """Boundary boxes drawn around elements wherever they are, by the layout's rules: a
    box holds its members' cells and the boxes nested in it, with :data:`MARGIN` plus
    :data:`MARGIN_PER_LEVEL` per level of boxes nested below and :data:`TITLE` on top
    (on :func:`layout`'s own positions this gives its boxes). Boundaries without a placed
    member get no box; boxes may overlap when the positions do not keep them apart."""
    known = {b.id for b in model.boundaries}
    parent = {b.id: b.parent if b.parent in known else None for b in model.boundaries}
    children: dict[str, list[str]] = defaultdict(list)
    for b in model.boundaries:
        up = parent[b.id]
        if up is not None:
            children[up].append(b.id)
    cells: dict[str, list[Box]] = defaultdict(list)
    for e in model.elements:
        if e.boundary in known and e.id in positions:
            x, y = positions[e.id]
            cells[e.boundary].append(
                (x - CELL_W / 2, y - CELL_H / 2, x + CELL_W / 2, y + CELL_H / 2)
            )
    boxes: dict[str, Box] = {}
    height: dict[str, int] = {}

    def place(bid: str, seen: frozenset[str]) -> None:
        held = list(cells.get(bid, []))
        levels = 0
        for child in children.get(bid, []):
            if child in seen:
                continue
            place(child, seen | {child})
            if child in boxes:
                held.append(boxes[child])
                levels = max(levels, height[child] + 1)
        if not held:
            return
        margin = MARGIN + MARGIN_PER_LEVEL * levels
        boxes[bid] = (
            min(b[0] for b in held) - margin,
            min(b[1] for b in held) - margin - TITLE,
            max(b[2] for b in held) + margin,
            max(b[3] for b in held) + margin,
        )
        height[bid] = levels

    for b in model.boundaries:
        if parent[b.id] is None:
            place(b.id, frozenset({b.id}))
    return {b.id: boxes[b.id] for b in model.boundaries if b.id in boxes}


def drawing(model: ThreatModel) -> Layout:
    """What every view draws: :func:`layout` when no element has a stored position;
    otherwise the positions the canvas shows (:func:`shown_positions`) with boxes drawn
    around them (:func:`boxes_around`)."""
    if all(e.position is None for e in model.elements):
        return layout(model)
    positions = shown_positions(model)
    return Layout(positions, boxes_around(model, positions))
