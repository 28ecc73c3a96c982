"""An attack tree as an SVG figure, drawn here the way :mod:`workbench.diagram` draws the
architecture (its XML escaping and text measures; no Graphviz).

**Layout.** The goal on top; under it the entry points (and, for an objective, the
elements), each over the ways that come in through it; one column per way (a ``more`` node
takes a column of its own), its steps stacked in order down the column (AND: every step is
needed). A step's box names the step, its findings (the likeliest first: title, threat
ID, likelihood), their ATLAS/OWASP references and the mitigations that cut the step on
their own, marked ✓ in place, ◐ shown in the model, ✗ not in place. Cut nodes are drawn
green. Under the columns: the tree's cut sets and the legend.

**Legible on A4.** :func:`figure` takes the box to fit in (points; default an A4 page's
text area) and never scales text: every font is at least :data:`MIN_FONT` points. The
columns share the width; when the tree is too tall it drops detail (fewer findings per
step, then the references) until it fits; when it still does not (or the columns would be
narrower than :data:`MIN_COLUMN`), the figure is larger than the box and
:attr:`Figure.fits` says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from ..diagram import _text, _wrap
from .formats import MARKS, cut_set_words, risk
from .tree import AttackTree, TreeNode

A4_TEXT = (515.0, 760.0)
"""An A4 page's text area with 2 cm margins, in points (the default box)."""
MIN_FONT = 7.0
"""No text smaller than this (points)."""
BODY = 7.0
LABEL = 7.5
TITLE = 10.0
LINE = 1.25
"""Line height, in ems."""
PAD = 8.0
"""Room around the figure."""
GAP = 8.0
"""Between columns."""
VGAP = 12.0
"""Between rows and between the steps of a column."""
INSET = 4.0
"""Text inset inside a box."""
MIN_COLUMN = 92.0
"""Columns are at least this wide (points)."""

INK = "#1f2937"
MUTED = "#475569"
EDGE = "#64748b"
OPEN = ("#ffffff", "#c2410c")
"""Fill and stroke of a step or finding not cut."""
CUT = ("#f0fdf4", "#15803d")
"""Fill and stroke of a cut node."""
FILLS = {
    "goal": ("#fee2e2", "#b91c1c"),
    "element": ("#fef2f2", "#b91c1c"),
    "entry": ("#f1f5f9", "#475569"),
    "way": ("#f8fafc", "#334155"),
    "more": ("#f8fafc", "#94a3b8"),
}

_Line = tuple[str, float, bool, str]
"""A line of text: words, font size, bold, colour."""


@dataclass(frozen=True)
class Figure:
    """An attack tree drawn as SVG."""

    svg: str
    """The SVG document (``width`` and ``height`` in points)."""
    width: float
    """Points."""
    height: float
    """Points."""
    fits: bool
    """Whether it fits the box it was asked to fit."""
    findings_per_step: int
    """How many findings each step names (the detail it could afford)."""


def to_svg(tree: AttackTree, *, fit: tuple[float, float] | None = A4_TEXT) -> str:
    """The tree as SVG text (see :func:`figure`)."""
    return figure(tree, fit=fit).svg


def figure(tree: AttackTree, *, fit: tuple[float, float] | None = A4_TEXT) -> Figure:
    """The tree drawn to fit ``fit`` = (width, height) in points (``None``: A4's width, any
    height), with as much detail as fits and no text under :data:`MIN_FONT` points."""
    width, height = fit if fit is not None else (A4_TEXT[0], float("inf"))
    budget = max(1, int((width - 2 * PAD + GAP) // (MIN_COLUMN + GAP)))
    root = _prune(tree.root, budget)
    for findings, refs in ((3, True), (2, True), (1, True), (1, False), (0, False)):
        best = _Painter(tree, root, width, findings=findings, refs=refs)
        if best.height <= height:
            break
    fits = best.width <= width + 0.01 and best.height <= height + 0.01
    return Figure(
        svg=best.svg(),
        width=best.width,
        height=best.height,
        fits=fits,
        findings_per_step=best.findings,
    )


@dataclass
class _Box:
    node: TreeNode
    x: float
    y: float
    w: float
    lines: list[_Line]
    fill: str
    stroke: str
    dashed: bool = False
    least: float = 0.0
    """Height it takes at least (a box spanning the rows of its children)."""

    @property
    def h(self) -> float:
        return max(_height(self.lines), self.least)

    @property
    def bottom(self) -> float:
        return self.y + self.h


def _height(lines: list[_Line]) -> float:
    return 2 * INSET + sum(size * LINE for _, size, _, _ in lines)


class _Painter:
    """Places the boxes of one tree in a given width, at one level of detail."""

    def __init__(
        self, tree: AttackTree, root: TreeNode, width: float, *, findings: int, refs: bool
    ) -> None:
        self.tree = tree
        self.root = root
        self.findings = findings
        self.refs = refs
        self.columns = list(_columns(root))
        n = max(1, len(self.columns))
        inner = width - 2 * PAD
        self.col_w = max(MIN_COLUMN, (inner - (n - 1) * GAP) / n)
        self.width = 2 * PAD + n * self.col_w + (n - 1) * GAP
        self.boxes: list[_Box] = []
        self.edges: list[tuple[_Box, _Box, bool]] = []
        self._place()

    # ------------------------------------------------------------------ layout
    def _place(self) -> None:
        tree, inner = self.tree, self.width - 2 * PAD
        self.head: list[_Line] = [(f"Attack tree: {tree.title}", TITLE, True, INK)]
        for text in _wrap(self.root.detail, inner, BODY, 3):
            self.head.append((text, BODY, False, MUTED))
        y = PAD + _height(self.head) - 2 * INSET + VGAP / 2
        column_of = {c.id: i for i, c in enumerate(self.columns)}
        upper = list(_upper(self.root))
        depth = {n.id: n.id.count(".") for n in upper}
        rows = max(depth.values(), default=0) + 1
        placed: dict[str, _Box] = {}
        for row in range(rows):
            row_boxes = []
            for node in (n for n in upper if depth[n.id] == row):
                cols = [column_of[c.id] for c in _columns(node)] or [0]
                x0 = PAD + min(cols) * (self.col_w + GAP)
                x1 = PAD + max(cols) * (self.col_w + GAP) + self.col_w
                box = self._upper_box(node, x0, y, x1 - x0)
                row_boxes.append(box)
                placed[node.id] = box
            y += max((b.h for b in row_boxes), default=0) + VGAP
        ways_y = y
        bottom = y
        for i, col in enumerate(self.columns):
            x = PAD + i * (self.col_w + GAP)
            box = self._way_box(col, x, ways_y)
            placed[col.id] = box
            parent = placed.get(col.id.rsplit(".", 1)[0])
            if parent is not None:
                self.edges.append((parent, box, False))
            before = box
            cy = box.bottom + VGAP
            for step in col.children if col.kind == "way" else ():
                sbox = self._step_box(step, x, cy)
                self.edges.append((before, sbox, True))
                before = sbox
                cy = sbox.bottom + VGAP
            bottom = max(bottom, cy)
        for node in upper:
            parent = placed.get(node.id.rsplit(".", 1)[0]) if "." in node.id else None
            if parent is not None:
                self.edges.append((parent, placed[node.id], False))
        self.foot = self._foot(inner)
        self.foot_y = bottom
        self.height = bottom + _height(self.foot) + PAD

    def _upper_box(self, node: TreeNode, x: float, y: float, w: float) -> _Box:
        fill, stroke = CUT if node.cut else FILLS.get(node.kind, FILLS["entry"])
        text_w = w - 2 * INSET
        lines: list[_Line] = []
        gate = "OR" if node.gate == "or" else "AND"
        most = 6 if node.kind == "way" else 3
        for text in _bold_wrap(f"{gate} · {node.label}", text_w, LABEL, most):
            lines.append((text, LABEL, True, INK))
        meta = [risk(node.score)] if node.score else []
        if node.cut:
            meta.append("cut by what is in place")
        if meta:
            lines.append(("; ".join(meta), BODY, False, MUTED))
        box = _Box(node, x, y, w, lines, fill, stroke)
        self.boxes.append(box)
        return box

    def _way_box(self, node: TreeNode, x: float, y: float) -> _Box:
        if node.kind == "more":
            lines: list[_Line] = [(node.label, LABEL, True, MUTED)]
            lines += [
                (t, BODY, False, MUTED)
                for t in _wrap("counted in the cut sets", self.col_w - 2 * INSET, BODY, 2)
            ]
            box = _Box(node, x, y, self.col_w, lines, *FILLS["more"], dashed=True)
            self.boxes.append(box)
            return box
        return self._upper_box(node, x, y, self.col_w)

    def _step_box(self, step: TreeNode, x: float, y: float) -> _Box:
        w = self.col_w - 2 * INSET
        lines: list[_Line] = [(t, LABEL, True, INK) for t in _bold_wrap(step.label, w, LABEL, 2)]
        leaves = [c for c in step.children if c.kind == "finding"]
        total = len(step.findings)
        for leaf in leaves[: self.findings]:
            short = leaf.findings[0].split("@", 1)[0].removeprefix("AITW-")
            mark = " ✓ cut" if leaf.cut else ""
            text = f"• {leaf.label} ({short}, L{leaf.likelihood}){mark}"
            color = CUT[1] if leaf.cut else INK
            lines += [(t, BODY, False, color) for t in _wrap(text, w, BODY, 2)]
        rest = total - min(self.findings, len(leaves))
        if rest > 0:
            lines.append((f"+{rest} more finding(s)", BODY, False, MUTED))
        if self.refs and step.references:
            refs = " · ".join(list(dict.fromkeys(step.references))[:6])
            lines += [(t, BODY, False, MUTED) for t in _wrap(refs, w, BODY, 2)]
        cutters = [m for m in step.mitigations if m.cuts][:2]
        if cutters:
            words = " · ".join(f"{m.id.removeprefix('MIT-')} {MARKS[m.state]}" for m in cutters)
            lines += [(t, BODY, False, MUTED) for t in _wrap(f"✂ {words}", w, BODY, 3)]
        elif not step.cut:
            lines.append(("✂ no single mitigation cuts it", BODY, False, MUTED))
        fill, stroke = CUT if step.cut else OPEN
        box = _Box(step, x, y, self.col_w, lines, fill, stroke)
        self.boxes.append(box)
        return box

    def _foot(self, inner: float) -> list[_Line]:
        lines: list[_Line] = []
        words = cut_set_words(self.tree)
        if self.root.children:
            head = "Cut sets (put in place, they cut every way):" if words else "Cut sets: none"
            lines.append((head, LABEL, True, INK))
            for i, text in enumerate(words, start=1):
                lines += [(t, BODY, False, INK) for t in _wrap(f"{i}. {text}", inner, BODY, 2)]
        legend = (
            "OR: any one child is enough · AND: every step is needed · ✂ mitigations that cut"
            " a step alone: ✓ in place (decided), ◐ shown in the model, ✗ not in place ·"
            " green: cut"
        )
        lines += [(t, BODY, False, MUTED) for t in _wrap(legend, inner, BODY, 3)]
        return lines

    # ------------------------------------------------------------------ SVG
    def svg(self) -> str:
        w, h = round(self.width, 2), round(self.height, 2)
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}pt" height="{h}pt" '
            f'viewBox="0 0 {w} {h}" class="atw-attack-tree" '
            f'data-goal="{_text(self.tree.goal)}" '
            'font-family="DejaVu Sans, Verdana, Arial, sans-serif">',
            f"<title>{_text('Attack tree: ' + self.tree.title)}</title>",
            f'<rect x="0" y="0" width="{w}" height="{h}" fill="#ffffff"/>',
        ]
        out += list(_lines_svg(self.head, PAD - INSET, PAD - INSET))
        for a, b, chain in self.edges:
            out.append(_edge(a, b, chain))
        for box in self.boxes:
            out.append(_box_svg(box))
        out += list(_lines_svg(self.foot, PAD - INSET, self.foot_y))
        out.append("</svg>")
        return "\n".join(out) + "\n"


def _width_of(node: TreeNode) -> int:
    """Columns a node takes: one per way and ``more`` node under it."""
    if node.kind in ("way", "more"):
        return 1
    return max(1, sum(_width_of(c) for c in node.children))


def _prune(node: TreeNode, budget: int) -> TreeNode:
    """``node`` drawn in at most ``budget`` columns: an OR node keeps its first children
    (the most dangerous) and folds the others into one ``more`` node; each child kept gets
    the columns it needs, as long as there are any left."""
    if node.kind in ("way", "more", "step", "finding") or _width_of(node) <= budget:
        return node
    kids = list(node.children)
    keep = kids if len(kids) <= budget else kids[: budget - 1]
    left = budget - (len(keep) < len(kids))
    out: list[TreeNode] = []
    for i, child in enumerate(keep):
        share = max(1, left - (len(keep) - i - 1))  # leave one column for each after it
        pruned = _prune(child, min(share, _width_of(child)))
        out.append(pruned)
        left -= _width_of(pruned)
    folded = kids[len(keep) :]
    if folded:
        out.append(_folded(node, folded))
    return replace(node, children=tuple(out))


def _folded(parent: TreeNode, nodes: list[TreeNode]) -> TreeNode:
    """One ``more`` node for ``nodes`` (the ways under them), for the drawing."""
    ways = sum(n.hidden or 1 if n.kind == "more" else _ways_in(n) for n in nodes)
    return TreeNode(
        id=f"{parent.id}.more",
        kind="more",
        gate="leaf",
        label=f"{ways} more way(s)",
        route=tuple(dict.fromkeys(i for n in nodes for i in n.route)),
        findings=tuple(dict.fromkeys(f for n in nodes for x in n.walk() for f in x.findings)),
        cut=all(n.cut for n in nodes),
        hidden=ways,
    )


def _ways_in(node: TreeNode) -> int:
    if node.kind == "way":
        return 1
    if node.kind == "more":
        return node.hidden
    return sum(_ways_in(c) for c in node.children)


def _columns(node: TreeNode) -> Iterator[TreeNode]:
    """The ways and ``more`` nodes under ``node``, in order (each takes a column)."""
    for child in node.children:
        if child.kind in ("way", "more"):
            yield child
        elif child.kind in ("entry", "element"):
            yield from _columns(child)


def _upper(node: TreeNode) -> Iterator[TreeNode]:
    """The root, entry points and elements: the boxes above the ways."""
    yield node
    for child in node.children:
        if child.kind in ("entry", "element"):
            yield from _upper(child)


def _edge(a: _Box, b: _Box, chain: bool) -> str:
    x1, y1 = a.x + a.w / 2, a.bottom
    if chain:
        x2, y2 = b.x + b.w / 2, b.y
        return (
            f'<line x1="{x1:.2f}" y1="{y1:.2f}" x2="{x2:.2f}" y2="{y2:.2f}" '
            f'stroke="{EDGE}" stroke-width="1.2"/>'
        )
    x2, y2 = b.x + b.w / 2, b.y
    mid = y1 + min(VGAP / 2, (y2 - y1) / 2)
    return (
        f'<path d="M{x1:.2f} {y1:.2f} V{mid:.2f} H{x2:.2f} V{y2:.2f}" fill="none" '
        f'stroke="{EDGE}" stroke-width="1"/>'
    )


def _box_svg(box: _Box) -> str:
    dash = ' stroke-dasharray="4 3"' if box.dashed else ""
    node = box.node
    attrs = (
        f'class="atw-tree-node" data-node="{_text(node.id)}" data-kind="{node.kind}" '
        f'data-cut="{"true" if node.cut else "false"}"'
    )
    if node.findings:
        attrs += f' data-findings="{_text(" ".join(node.findings))}"'
    parts = [
        f"<g {attrs}>",
        f'<rect x="{box.x:.2f}" y="{box.y:.2f}" width="{box.w:.2f}" height="{box.h:.2f}" '
        f'rx="3" fill="{box.fill}" stroke="{box.stroke}" stroke-width="1.2"{dash}/>',
        *_lines_svg(box.lines, box.x, box.y),
        "</g>",
    ]
    return "\n".join(parts)


def _lines_svg(lines: list[_Line], x: float, y: float) -> Iterator[str]:
    cy = y + INSET
    for text, size, bold, color in lines:
        cy += size * LINE
        weight = ' font-weight="bold"' if bold else ""
        yield (
            f'<text x="{x + INSET:.2f}" y="{cy - size * (LINE - 1) - 1:.2f}" '
            f'font-size="{size:g}" fill="{color}"{weight}>{_text(text)}</text>'
        )


BOLD = 1.2
"""How much wider bold text sets than regular (about; DejaVu Sans)."""


def _bold_wrap(text: str, width: float, font: float, most: int) -> list[str]:
    """:func:`workbench.diagram._wrap` for bold text (measured as regular text that is
    :data:`BOLD` times wider)."""
    return _wrap(text, width / BOLD, font, most)


__all__ = ["A4_TEXT", "MIN_FONT", "Figure", "figure", "to_svg"]
