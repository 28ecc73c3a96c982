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
otherwise the stored positions (and, for elements without one, the canvas's rule of
:func:`auto_positions`) with boxes drawn around them by the same rules (:func:`boxes_around`).

Deterministic for the same model; pure Python, no UI import. Coordinates are canvas
pixels, y pointing down: ``positions`` are element centres, ``boxes`` are
``(x0, y0, x1, y1)``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import TypeVar

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

Point = tuple[float, float]
"""An element centre."""
Box = tuple[float, float, float, float]
"""A boundary box: ``(x0, y0, x1, y1)``."""
Link = tuple[str, str]
"""A flow as the pair of element IDs it joins (sorted: direction does not matter)."""


@dataclass(frozen=True)
class Layout:
    """Element centres and boundary boxes, in canvas pixels."""

    positions: dict[str, Point]
    """Element ID -> (x, y) of its centre."""
    boxes: dict[str, Box]
    """Boundary ID -> (x0, y0, x1, y1); only boundaries that hold something."""


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


ASPECT = 1.6
"""Width over height that a container aims for (a notebook's or a page's shape)."""


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


# ------------------------------------------------------------------- fewer crossings
_Order = list[list[int]]
"""Item indices: per column top to bottom (columns), or one sequence (rows)."""
_Corners = dict[int, Point]
"""Item index -> top-left corner of the item in the container."""


class _Untangle:
    """Orders the items of one container so that the flows drawn in it cross little."""

    def __init__(
        self,
        items: list[_Block],
        own: list[Link],
        inside: list[Link],
        outward: list[tuple[str, Point]],
    ) -> None:
        self.items = items
        self.index = {id(b): i for i, b in enumerate(items)}
        where: dict[str, tuple[int, float, float]] = {}
        for i, b in enumerate(items):
            for eid, (x, y) in b.positions.items():
                where[eid] = (i, x, y)
        # per item: (other item, own end's offset in the item, other end's offset in
        # its item); other item -1: a fixed point outside the container
        self.pulls: list[list[tuple[int, Point, Point]]] = [[] for _ in items]
        for one, other in own:
            ia, ax, ay = where[one]
            ib, bx, by = where[other]
            if ia != ib:
                self.pulls[ia].append((ib, (ax, ay), (bx, by)))
                self.pulls[ib].append((ia, (bx, by), (ax, ay)))
        # every flow drawn in the container: (item, offset) at each end; a fixed point
        # outside is item -1 at corner (0, 0)
        self.ends = [(where[one], where[other]) for one, other in inside] + [
            (where[end], (-1, x, y)) for end, (x, y) in outward
        ]
        n = len(self.ends)
        self.exact = n <= EXACT_FLOWS
        self.budget = EXACT_WORK // (n * (n - 1) // 2 + 4 * len(items))
        """Exact counts one container may spend (bounds the swaps): each compares pairs
        of flows and places every item."""

    def cost(self, corners: _Corners | None, sample: bool = False) -> tuple[float, float]:
        """Crossings of the flows drawn in the container (or of an even sample), then
        their total length; infinite for an order that is not allowed (``None``)."""
        if corners is None:
            return math.inf, math.inf
        ends = _sample(self.ends) if sample else self.ends
        at = {**corners, -1: (0.0, 0.0)}
        segments = [
            ((at[i][0] + ix, at[i][1] + iy), (at[j][0] + jx, at[j][1] + jy))
            for (i, ix, iy), (j, jx, jy) in ends
        ]
        return segment_crossings(segments), round(_length(segments), 3)

    def best(
        self,
        candidates: list[_Order],
        corners: Callable[[_Order], _Corners | None],
        swappable: Callable[[_Order], Iterable[tuple[int, int, int]]],
    ) -> _Order:
        """The candidate with fewest crossings (then the shortest flows; the earliest on a
        tie), improved by pair swaps; or, without exact counts, the one that does best on
        a sample."""
        if not self.exact:
            return min(candidates, key=lambda o: self.cost(corners(o), sample=True))
        seen: set[tuple[tuple[int, ...], ...]] = set()
        best_order, best_cost = candidates[0], (math.inf, math.inf)
        for order in candidates:
            key = tuple(map(tuple, order))
            if key in seen:
                continue
            seen.add(key)
            cost = self.cost(corners(order))
            self.budget -= 1
            if cost < best_cost:
                best_order, best_cost = order, cost
        for _ in range(SWAP_ROUNDS):
            improved = False
            for g, p, q in swappable(best_order):
                if self.budget <= 0:
                    return best_order
                order = [list(group) for group in best_order]
                order[g][p], order[g][q] = order[g][q], order[g][p]
                cost = self.cost(corners(order))
                self.budget -= 1
                if cost[0] < best_cost[0]:  # fewer crossings (length alone misleads)
                    best_order, best_cost, improved = order, cost, True
            if not improved:
                break
        return best_order

    # ------------------------------------------------------------------ columns
    def columns(self, stacks: list[list[_Block]]) -> _Block:
        items = self.items
        order = [[self.index[id(b)] for b in stack] for stack in stacks]
        column_of = {i: c for c, stack in enumerate(order) for i in stack}

        def corners(o: _Order) -> _Corners:
            at, _, _ = _column_offsets([[items[i] for i in stack] for stack in o])
            return {
                i: c
                for stack, col in zip(o, at, strict=True)
                for i, c in zip(stack, col, strict=True)
            }

        candidates = [[list(s) for s in order]]
        for _ in range(SWEEPS):
            for direction in (1, -1):
                cols = range(len(order)) if direction > 0 else range(len(order) - 1, -1, -1)
                for c in cols:
                    tops = self._tops(order)
                    wanted = {}
                    for i in order[c]:
                        pulls = [
                            tops[j] + other[1] - mine[1]
                            for j, mine, other in self.pulls[i]
                            if j < 0 or column_of[j] != c
                        ]
                        top = sum(pulls) / len(pulls) if pulls else tops[i]
                        wanted[i] = top + items[i].h / 2
                    order[c].sort(key=lambda i: (wanted[i], items[i].name))
                candidates.append([list(s) for s in order])

        def swappable(o: _Order) -> Iterable[tuple[int, int, int]]:
            for c, stack in enumerate(o):
                for p, q in combinations(range(len(stack)), 2):
                    yield c, p, q

        best = self.best(candidates, corners, swappable)
        return _columns([[items[i] for i in stack] for stack in best])

    def _tops(self, order: _Order) -> dict[int, float]:
        tops: dict[int, float] = {-1: 0.0}
        for stack in order:
            y = 0.0
            for i in stack:
                tops[i] = y
                y += self.items[i].h + GAP
        return tops

    # --------------------------------------------------------------------- rows
    def rows(self) -> _Block:
        items = self.items
        width = _rows_width(items)
        seq = sorted(range(len(items)), key=lambda i: (items[i].rank, items[i].name))

        _, plain_w, plain_h = _row_offsets([items[i] for i in seq], width)

        def corners(o: _Order) -> _Corners | None:
            """Where the items go; ``None`` when the rows come out larger (in area) than
            in the plain order: reordering must not make the container larger."""
            at, w, h = _row_offsets([items[i] for i in o[0]], width)
            if w * h > plain_w * plain_h + 0.5:
                return None
            return dict(zip(o[0], at, strict=True))

        candidates = [[list(seq)]]
        for _ in range(SWEEPS):
            at = dict(zip(seq, _row_offsets([items[i] for i in seq], width)[0], strict=True))
            at[-1] = (0.0, 0.0)
            row_tops = sorted({at[i][1] for i in seq})
            wanted: dict[int, tuple[int, float]] = {}
            for i in seq:
                (x, y), b = at[i], items[i]
                pulls = self.pulls[i]
                if pulls:
                    x = sum(at[j][0] + other[0] - mine[0] for j, mine, other in pulls) / len(pulls)
                    y = sum(at[j][1] + other[1] - mine[1] for j, mine, other in pulls) / len(pulls)
                row = min(range(len(row_tops)), key=lambda r: (abs(row_tops[r] - y), r))
                wanted[i] = (row, x + b.w / 2)
            seq = sorted(seq, key=lambda i: (wanted[i], items[i].name))
            candidates.append([list(seq)])

        def swappable(o: _Order) -> Iterable[tuple[int, int, int]]:
            for p, q in combinations(range(len(o[0])), 2):
                yield 0, p, q

        best = self.best(candidates, corners, swappable)
        return _rows([items[i] for i in best[0]])


# -------------------------------------------------------------------------- crossings
def crossings(model: ThreatModel, positions: Mapping[str, Point]) -> int:
    """How many pairs of the model's flows cross when each is drawn as a straight segment
    between its elements' centres (``positions``, e.g. ``layout(model).positions``).

    A pair of elements joined by several flows (either way) is one segment; loops and
    flows with an end not in ``positions`` are left out. Two segments that share an end
    never cross; two that lie on one line and overlap count as a crossing (they hide each
    other)."""
    seen: set[Link] = set()
    links: list[Link] = []
    for f in model.flows:
        if f.source == f.target or f.source not in positions or f.target not in positions:
            continue
        a, b = sorted((f.source, f.target))
        if (a, b) not in seen:
            seen.add((a, b))
            links.append((a, b))
    return _link_crossings(positions, links)


_T = TypeVar("_T")


def _sample(items: list[_T], size: int = EXACT_FLOWS) -> list[_T]:
    """At most about ``size`` of the items, evenly spread (all of them when few)."""
    return items[:: -(-len(items) // size)] if len(items) > size else items


def _length(segments: Iterable[tuple[Point, Point]]) -> float:
    return sum(math.dist(p, q) for p, q in segments)


def _link_crossings(positions: Mapping[str, Point], links: Iterable[Link]) -> int:
    return segment_crossings((positions[a], positions[b]) for a, b in links)


def segment_crossings(segments: Iterable[tuple[Point, Point]]) -> int:
    """How many pairs of the segments cross (see :func:`crossings`): a sweep from left to
    right that compares only segments whose spans overlap."""
    segs = []
    for p, q in segments:
        if p == q:
            continue
        (px, py), (qx, qy) = (p, q) if p <= q else (q, p)
        segs.append((px, qx, min(py, qy), max(py, qy), py, qy))
    segs.sort()
    count = 0
    active: list[tuple[float, float, float, float, float, float]] = []
    for px, qx, lo, hi, py, qy in segs:
        active = [t for t in active if t[1] >= px]
        dx, dy = qx - px, qy - py
        for rx, ux, rlo, rhi, ry, uy in active:
            if rhi < lo or hi < rlo:
                continue
            d1 = dx * (ry - py) - dy * (rx - px)
            d2 = dx * (uy - py) - dy * (ux - px)
            if (d1 > 0 > d2) or (d1 < 0 < d2):
                ex, ey = ux - rx, uy - ry
                d3 = ex * (py - ry) - ey * (px - rx)
                d4 = ex * (qy - ry) - ey * (qx - rx)
                if (d3 > 0 > d4) or (d3 < 0 < d4):
                    count += 1
            elif d1 == 0 and d2 == 0:  # on one line: overlapping in more than a point?
                # (a shared end is not a crossing, even when they overlap beyond it)
                p, q, r, u = (px, py), (qx, qy), (rx, ry), (ux, uy)
                if r not in (p, q) and u not in (p, q) and max(p, r) < min(q, u):
                    count += 1
        active.append((px, qx, lo, hi, py, qy))
    return count


# ----------------------------------------------------------------- what a view draws
def auto_positions(model: ThreatModel, *, only_missing: bool = True) -> dict[str, Point]:
    """Positions the canvas computes: for a new layout of the whole model
    (``only_missing=False``, the Auto-layout button) or a model without any stored
    position, :func:`layout`'s; otherwise only for the elements without a stored
    position, placed below every stored one (so the result does not depend on where
    placed elements sit once they are all placed), in layer columns grouped by trust
    boundary, then sorted by name."""
    if not only_missing or all(e.position is None for e in model.elements):
        return layout(model).positions
    todo = [e for e in model.elements if e.position is None]
    placed = [e.position.y for e in model.elements if e.position is not None]
    top = max(placed) + 2 * CELL_H if placed else 0.0
    columns: dict[Layer, list[tuple[str, str, str]]] = defaultdict(list)
    for e in todo:
        columns[KINDS[e.kind].layer].append((e.boundary or "", e.name.casefold(), e.id))
    positions: dict[str, Point] = {}
    for col, layer in enumerate(LAYER_ORDER):
        for row, (_, _, element_id) in enumerate(sorted(columns[layer])):
            positions[element_id] = (col * CELL_W, top + row * CELL_H)
    return positions


def shown_positions(model: ThreatModel) -> dict[str, Point]:
    """Where the canvas shows each element: its stored position, or where
    :func:`auto_positions` puts it."""
    computed = auto_positions(model)
    return {
        e.id: (e.position.x, e.position.y) if e.position is not None else computed[e.id]
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
