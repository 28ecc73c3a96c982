"""The attack tree drawn small, for a printed report where every crown jewel gets a figure
(see :func:`compact_figure`); it shares its boxes, text and colours with the full figure of
:mod:`workbench.attack_trees.svg`."""

from __future__ import annotations

from ..diagram import _wrap
from .formats import MARKS, risk
from .svg import (
    A4_TEXT,
    BODY,
    CUT,
    EDGE,
    FILLS,
    INK,
    INSET,
    LABEL,
    MUTED,
    PAD,
    TITLE,
    Figure,
    _bold_wrap,
    _Box,
    _columns,
    _height,
    _Line,
    _Painter,
    _prune,
)
from .tree import AttackTree, TreeNode

COMPACT_WAYS = 6
"""Ways a compact figure draws (the rest fold into one ``more`` row)."""
COMPACT_CUT_SETS = 3
"""Cut sets a compact figure names."""
GOAL_W = 92.0
"""Width of the goal's box in a compact figure (points)."""
MID_W = 104.0
"""Width of an entry point's box in a compact figure."""
HGAP = 14.0
"""Between the columns of a compact figure."""
RGAP = 5.0
"""Between the rows of a compact figure."""


def compact_figure(
    tree: AttackTree, *, width: float = A4_TEXT[0], ways: int = COMPACT_WAYS
) -> Figure:
    """The tree drawn small, for a printed report where every crown jewel gets a figure:
    left to right, the goal (OR), the entry points (OR), and one row per way (AND) that
    lists its steps in order, each with the first mitigation that cuts it on its own
    (its catalog ID without ``MIT-``; ✓ in place, ◐ shown in the model, ✗ not in place;
    green: cut); at most ``ways`` rows (the rest fold into one ``more`` row), the
    findings left out (the full figure, :func:`figure`, and the HTML report name them),
    the first :data:`COMPACT_CUT_SETS` cut sets under it (mitigation IDs). Text is never
    under :data:`MIN_FONT` points; ``width`` in points, the height what it takes."""
    painter = _Compact(tree, _prune(tree.root, max(1, ways)), width)
    return Figure(
        svg=painter.svg(),
        width=painter.width,
        height=painter.height,
        fits=True,
        findings_per_step=0,
    )


class _Compact(_Painter):
    """Places the boxes of a compact figure (see :func:`compact_figure`)."""

    def __init__(self, tree: AttackTree, root: TreeNode, width: float) -> None:
        self.tree = tree
        self.root = root
        self.findings = 0
        self.refs = False
        self.width = width
        self.boxes = []
        self.edges = []
        self.elbows: list[tuple[_Box, _Box]] = []
        self._lay_out()

    def _lay_out(self) -> None:
        tree, inner = self.tree, self.width - 2 * PAD
        self.head = [
            (t, TITLE, True, INK) for t in _bold_wrap(f"Attack tree: {tree.title}", inner, TITLE, 2)
        ]
        top = PAD + _height(self.head) - 2 * INSET + RGAP
        mid_x = PAD + GOAL_W + HGAP
        way_x = mid_x + MID_W + HGAP
        right = self.width - PAD
        y = top
        placed: list[_Box] = []
        for child in self.root.children:
            if child.kind in ("way", "more"):
                box = self._row(child, mid_x, y, right - mid_x)
                placed.append(box)
                y = box.bottom + RGAP
                continue
            mid = self._middle(child, mid_x, y)
            start = y
            for way in _columns(child):
                box = self._row(way, way_x, y, right - way_x)
                self.elbows.append((mid, box))
                y = box.bottom + RGAP
            mid.least = max(mid.least, y - RGAP - start)
            y = max(y, mid.bottom + RGAP)
            placed.append(mid)
        goal = self._goal(y - RGAP - top)
        goal.y = top
        for box in placed:
            self.elbows.append((goal, box))
        bottom = max(y - RGAP, goal.bottom) + RGAP
        self.foot = self._compact_foot(inner)
        self.foot_y = bottom - INSET
        self.height = self.foot_y + _height(self.foot) + RGAP - INSET

    def _goal(self, span: float) -> _Box:
        node = self.root
        lines: list[_Line] = [
            (t, LABEL, True, INK)
            for t in _bold_wrap(f"OR · {node.label}", GOAL_W - 2 * INSET, LABEL, 5)
        ]
        meta = [risk(node.score)] if node.score else []
        count = self.tree.way_count
        meta.append(f"{count} way{'s' if count != 1 else ''} in")
        if node.cut:
            meta.append("cut")
        text = " · ".join(meta)
        lines += [(t, BODY, False, MUTED) for t in _wrap(text, GOAL_W - 2 * INSET, BODY, 3)]
        fill, stroke = CUT if node.cut else FILLS["goal"]
        box = _Box(node, PAD, 0.0, GOAL_W, lines, fill, stroke, least=span)
        self.boxes.append(box)
        return box

    def _middle(self, node: TreeNode, x: float, y: float) -> _Box:
        w = MID_W - 2 * INSET
        lines: list[_Line] = [
            (t, LABEL, True, INK) for t in _bold_wrap(f"OR · {node.label}", w, LABEL, 6)
        ]
        if node.score:
            lines.append((risk(node.score), BODY, False, MUTED))
        fill, stroke = CUT if node.cut else FILLS.get(node.kind, FILLS["entry"])
        box = _Box(node, x, y, MID_W, lines, fill, stroke)
        self.boxes.append(box)
        return box

    def _row(self, node: TreeNode, x: float, y: float, w: float) -> _Box:
        text_w = w - 2 * INSET
        if node.kind == "more":
            text = f"{node.label}: counted in the cut sets"
            lines: list[_Line] = [(t, BODY, True, MUTED) for t in _wrap(text, text_w, BODY, 2)]
            box = _Box(node, x, y, w, lines, *FILLS["more"], dashed=True)
            self.boxes.append(box)
            return box
        head = f"AND · {node.label}" + (f" ({risk(node.score)})" if node.score else "")
        lines = [(t, LABEL, True, INK) for t in _bold_wrap(head, text_w, LABEL, 3)]
        for i, step in enumerate(node.children, start=1):
            cutters = [m for m in step.mitigations if m.cuts]
            if step.cut:
                how = "✓ cut"
            elif cutters:
                first = cutters[0]
                how = f"✂ {first.id.removeprefix('MIT-')} {MARKS[first.state]}"
                how += f" +{len(cutters) - 1}" if len(cutters) > 1 else ""
            else:
                how = "✂ no single mitigation"
            color = CUT[1] if step.cut else INK
            text = f"{i}. {step.label} — {how}"
            lines += [(t, BODY, False, color) for t in _wrap(text, text_w, BODY, 2)]
        fill, stroke = CUT if node.cut else FILLS["way"]
        box = _Box(node, x, y, w, lines, fill, stroke)
        self.boxes.append(box)
        return box

    def _compact_foot(self, inner: float) -> list[_Line]:
        tree = self.tree
        if not self.root.children:
            return []
        if tree.cut_sets == ((),):
            text = "Cut already: the mitigations in place cut every way."
        elif not tree.cut_sets:
            text = "Cut sets: none of at most 4 mitigations cuts every way."
        else:
            shown = tree.cut_sets[:COMPACT_CUT_SETS]
            sets = "; ".join(
                f"{i}. " + " + ".join(m.removeprefix("MIT-") for m in s)
                for i, s in enumerate(shown, start=1)
            )
            more = len(tree.cut_sets) - len(shown)
            text = f"Cut sets (put in place, each cuts every way): {sets}"
            text += f"; {more} more." if more > 0 else "."
        return [(t, BODY, False, INK) for t in _wrap(text, inner, BODY, 4)]

    def svg(self) -> str:
        self.edges = []
        out = super().svg()
        elbows = "\n".join(_elbow(a, b) for a, b in self.elbows)
        first = out.index('<g class="atw-tree-node"')
        return out[:first] + elbows + "\n" + out[first:]


def _elbow(a: _Box, b: _Box) -> str:
    """A connector from the right of a parent's box to the left of a child's, at the
    height of their first lines."""
    x1, y1 = a.x + a.w, a.y + 10
    x2, y2 = b.x, b.y + 10
    mid = x1 + (x2 - x1) / 2
    return (
        f'<path d="M{x1:.2f} {y1:.2f} H{mid:.2f} V{y2:.2f} H{x2:.2f}" fill="none" '
        f'stroke="{EDGE}" stroke-width="1"/>'
    )
