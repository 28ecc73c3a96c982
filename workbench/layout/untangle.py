"""Fewer crossings: the order of a container's items that crosses its flows least, and
the crossing counts of straight flows between element centres (see
:mod:`workbench.layout`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from itertools import combinations
from typing import TypeVar

from ..model import ThreatModel
from .blocks import (
    EXACT_FLOWS,
    EXACT_WORK,
    GAP,
    SWAP_ROUNDS,
    SWEEPS,
    Link,
    Point,
    _Block,
    _column_offsets,
    _columns,
    _row_offsets,
    _rows,
    _rows_width,
)

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
