"""Static architecture diagrams for notebooks, snapshots and reports: the canvas's picture
as SVG.

Every element and trust boundary is drawn where :func:`workbench.layout.drawing` puts it,
the rule the canvas follows (stored positions when the model has them, otherwise
:func:`workbench.layout.layout`), so the report, the notebook and the canvas show one
picture: boundaries as the layout's nested boxes, elements in their cells, flows as
straight arrows between element centres (the segments :func:`workbench.layout.crossings`
counts).

**Why SVG written here, not Graphviz.** Graphviz would only be a renderer here: the
positions are fixed (``neato -n`` with ``pos="x,y!"``), and neato draws no clusters, so
boundaries would become fixed-size box nodes that must be kept underneath and away from
the edge router. Written directly, the drawing is the layout's exactly (same coordinates,
no flip of the y axis, no translation), edge labels get a white background that keeps them
readable over lines and frames, no process is started and no system package is needed
(the diagram no longer depends on Graphviz's ``dot``), and the output is deterministic
text that tests can read. The price is that text is not measured: widths are estimated
from DejaVu Sans's advances (:func:`_width`), which is enough to wrap names and size the
labels' backgrounds.

**Legibility in print.** :func:`diagram` with ``fit=(width, height)`` (points) scales the
picture down to fit that box but never scales text: every font is at least
:data:`MIN_FONT` points and the SVG's own size is within the box, so a page that shows the
image at its natural size (as the report does: CSS only ever shrinks it, and it already
fits) prints every label at 7 pt or more. When the flows' names do not fit at that scale
without overlapping each other or an element, the arrows carry numbers instead (one chip
per pair of elements) and :attr:`Diagram.numbers` gives the key, which the report prints
under the diagram; with more than :data:`MAX_NUMBERED` flows, or when a cell is too small
for a line of text, labels are left out (:attr:`Diagram.labels` says which). Checked on
the printed report: ``tests/test_export_report.py`` renders every starter to PDF and reads
the height of every word on the architecture pages with ``pdftotext -bbox`` (none under
7 pt); ``tests/test_diagram.py`` checks the SVG's size and font sizes.

All text is escaped for XML (``&``, ``<``, ``>``, quotes) and stripped of characters XML
forbids; IDs only appear in ``data-*`` attributes.
"""

from __future__ import annotations

import math
import re
import shutil
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from .layout import CELL_H, CELL_W, GAP, Box, Layout, Point, drawing
from .model import Flow, ThreatModel
from .model.kinds import KINDS, DfdType, Layer

LAYER_FILL = {
    Layer.DATA: "#dbeafe",
    Layer.MODEL: "#ede9fe",
    Layer.DEPLOYMENT: "#dcfce7",
    Layer.GENERIC: "#f1f5f9",
}
"""Fill colour of each layer (the static and the interactive diagrams share them)."""

PT_PER_PX = 0.5
"""Natural scale: points per canvas pixel (the canvas's 14 px labels become 7 pt)."""
MIN_FONT = 7.0
"""No text smaller than this (points), in any mode."""
NODE_FONT = 8.0
"""Element names at the natural scale (:data:`MIN_FONT` when scaled down)."""
CHAR_EM = 0.6
"""Width of an ordinary lower-case letter or digit of DejaVu Sans, in ems (a slight
overestimate; see :func:`_width` for the others)."""
LINE = 1.2
"""Line height, in ems."""
MAX_LINES = 3
"""Lines of an element's name at most (the last one ends with an ellipsis when cut)."""
MAX_NUMBERED = 300
"""Flows that may still be numbered on the arrows (the key lists them all)."""
PAD = 6.0
"""Room around the picture (points)."""
RIM = 5.0
"""Height of a data store's top rim (half the ellipse), in points at most."""
INK = "#475569"
FLOW_INK = "#64748b"
UNTRUSTED = "#dc2626"
TRUSTED = "#94a3b8"

Labels = Literal["names", "numbers", "none"]


@dataclass(frozen=True)
class Diagram:
    """An SVG drawing of a model and what it needs to be read."""

    svg: str
    """The SVG document (``width`` and ``height`` in points)."""
    width: float
    """Points."""
    height: float
    """Points."""
    scale: float
    """Points per canvas pixel."""
    labels: Labels
    """What the arrows carry: the flows' names, numbers (see :attr:`numbers`) or nothing
    (too many flows, or too little room)."""
    numbers: dict[str, int] = field(default_factory=dict)
    """Flow ID -> the number on its arrow (model order, from 1), when ``labels`` is
    ``"numbers"``."""
    positions: dict[str, Point] = field(default_factory=dict)
    """Element ID -> centre in the SVG (points)."""


def has_graphviz() -> bool:
    """Whether Graphviz's ``dot`` is on the PATH (the diagrams here no longer need it)."""
    return shutil.which("dot") is not None


def to_svg(model: ThreatModel, *, fit: tuple[float, float] | None = None) -> str:
    """The diagram as SVG text (see :func:`diagram`)."""
    return diagram(model, fit=fit).svg


def diagram(
    model: ThreatModel,
    *,
    fit: tuple[float, float] | None = None,
    placed: Layout | None = None,
) -> Diagram:
    """The model drawn where the canvas draws it (``placed``, by default
    :func:`workbench.layout.drawing`), at :data:`PT_PER_PX` or, with ``fit``, scaled down to
    fit ``(width, height)`` points with text kept at :data:`MIN_FONT` or more."""
    where = placed if placed is not None else drawing(model)
    cells = [
        (x - CELL_W / 2, y - CELL_H / 2, x + CELL_W / 2, y + CELL_H / 2)
        for x, y in where.positions.values()
    ]
    extent = cells + list(where.boxes.values())
    if not extent:
        extent = [(0.0, 0.0, CELL_W, CELL_H)]
    x0 = min(b[0] for b in extent)
    y0 = min(b[1] for b in extent)
    w_px = max(b[2] for b in extent) - x0
    h_px = max(b[3] for b in extent) - y0
    scale = PT_PER_PX
    if fit is not None:
        scale = min(scale, (fit[0] - 2 * PAD) / w_px, (fit[1] - 2 * PAD) / h_px)
    return _Painter(model, where, scale, (x0, y0), (w_px, h_px), fitted=fit is not None).paint()


# ------------------------------------------------------------------------ painting
_Label = tuple[str, Box]
"""A label's text and where it goes."""


class _Painter:
    """Draws one model at one scale (see :func:`diagram`)."""

    def __init__(
        self,
        model: ThreatModel,
        where: Layout,
        scale: float,
        origin: Point,
        size: Point,
        *,
        fitted: bool,
    ) -> None:
        self.model = model
        self.where = where
        self.s = scale
        self.origin = origin
        self.width = size[0] * scale + 2 * PAD
        self.height = size[1] * scale + 2 * PAD
        self.fitted = fitted
        self.node_font = NODE_FONT if scale >= PT_PER_PX else MIN_FONT
        self.cell = (CELL_W * scale, CELL_H * scale)
        self.roomy = self.cell[1] >= MIN_FONT * LINE + 2
        """Whether a cell holds a line of text (otherwise the drawing has no text)."""
        self.elements = {e.id: e for e in model.elements}
        self.centres = {eid: self._pt(p) for eid, p in where.positions.items()}
        self.shapes: dict[str, Point] = {}
        """Element ID -> half width and half height of its shape."""
        self.lines: dict[str, list[tuple[str, float]]] = {}
        """Element ID -> its lines of text and their font sizes."""
        self.titles: dict[str, _Label] = {}
        """Boundary ID -> its title (lines joined by newlines) and where it goes."""
        self._parent = {b.id: b.parent for b in model.boundaries}

    def _pt(self, p: Point) -> Point:
        return (
            (p[0] - self.origin[0]) * self.s + PAD,
            (p[1] - self.origin[1]) * self.s + PAD,
        )

    def paint(self) -> Diagram:
        for eid in self.centres:
            self._size_node(eid)
        boundaries = self._boundaries()
        flows = [
            f
            for f in self.model.flows
            if f.source in self.centres and f.target in self.centres and f.source != f.target
        ]
        segments = self._segments(flows)
        kind, labels = self._labels(flows, segments)
        numbers = {f.id: i for i, f in enumerate(self.model.flows, 1)} if kind == "numbers" else {}
        w, h = _n(self.width), _n(self.height)
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}pt" height="{h}pt" '
            f'viewBox="0 0 {w} {h}" class="atw-architecture" '
            'font-family="DejaVu Sans, Verdana, Arial, sans-serif">',
            _tag("title", f"Architecture of {self.model.system.name}"),
            _tag("rect", x=0, y=0, width=self.width, height=self.height, fill="#ffffff"),
            *boundaries,
            *(self._flow(f, segments[f.id]) for f in flows),
            *(self._title(bid) for bid in self.titles),
            *(self._node(eid) for eid in self.centres),
            *(self._chip(text, box) for text, box in labels),
            "</svg>",
        ]
        return Diagram(
            "\n".join(parts), self.width, self.height, self.s, kind, numbers, dict(self.centres)
        )

    # ---------------------------------------------------------------- boundaries
    def _boundaries(self) -> list[str]:
        """The boxes, outermost first; their titles are placed here (kept as obstacles
        for labels) and drawn later, over the flows (see :meth:`_title`)."""
        parent = self._parent

        def depth(bid: str) -> int:
            n, current, seen = 0, parent.get(bid), {bid}
            while current is not None and current not in seen:
                seen.add(current)
                n, current = n + 1, parent.get(current)
            return n

        boxes = self.where.boxes
        drawn = sorted(
            (b for b in self.model.boundaries if b.id in boxes), key=lambda b: depth(b.id)
        )
        out = []
        cut: dict[str, tuple[str, Box]] = {}
        for b in drawn:
            x0, y0 = self._pt(boxes[b.id][:2])
            x1, y1 = self._pt(boxes[b.id][2:])
            lines = self._title_lines(b.id, b.name, (x0, y0, x1, y1)) if self.roomy else []
            if lines:
                width = max(_width(line, MIN_FONT, bold=True) for line in lines)
                box = (x0 + 2, y0 + 1, x0 + 6 + width, y0 + 3 + len(lines) * MIN_FONT * LINE)
                self.titles[b.id] = ("\n".join(lines), box)
                if lines[-1].endswith("\u2026") and not b.name.endswith("\u2026"):
                    cut[b.id] = (b.name, (x0, y0, x1, y1))
            out.append(
                _open("g", class_="boundary", data_boundary=b.id)
                + _tag(
                    "rect",
                    x=x0,
                    y=y0,
                    width=x1 - x0,
                    height=y1 - y0,
                    rx=4,
                    fill="none",
                    stroke=UNTRUSTED if b.trust == "untrusted" else TRUSTED,
                    stroke_width=0.8,
                    stroke_dasharray="4 2",
                )
                + "</g>"
            )
        for bid, (name, frame) in cut.items():
            self._run_on(bid, name, frame)
        return out

    def _run_on(self, bid: str, name: str, frame: Box) -> None:
        """Print a title cut short whole, past its box's right edge, when nothing but
        other titles is there and those titles can move right within their own boxes
        to make room."""
        x0, y0, _, _ = frame
        width = _width(name, MIN_FONT, bold=True)
        want = (x0 + 2, y0 + 1, x0 + 6 + width, y0 + 3 + MIN_FONT * LINE)
        if width > self.width - x0 - 8 or any(
            _overlap(want, self._node_box(eid)) for eid in self.centres
        ):
            return
        moves: dict[str, Box] = {}
        for other, (_, box) in self.titles.items():
            if other == bid or not _overlap(want, box):
                continue
            shift = want[2] + 3 - box[0]
            room = self._pt(self.where.boxes[other][2:])[0] - 4 - box[2]
            moved = (box[0] + shift, box[1], box[2] + shift, box[3])
            if shift > room or any(_overlap(moved, self._node_box(e)) for e in self.centres):
                return
            moves[other] = moved
        for other, moved in moves.items():
            self.titles[other] = (self.titles[other][0], moved)
        self.titles[bid] = (name, want)

    def _title_lines(self, bid: str, name: str, box: Box) -> list[str]:
        """A boundary's title in the lines it needs (two at most), each as wide as the
        box allows, and as many as fit above the box's items; the last line is cut with
        an ellipsis only when the name still does not fit."""
        x0, y0, x1, _ = box
        width = x1 - x0 - 8
        tops = [
            self.centres[eid][1] - self.shapes[eid][1]
            for eid, e in self.elements.items()
            if eid in self.centres and e.boundary == bid
        ]
        tops += [
            self._pt(inner[:2])[1]
            for other, inner in self.where.boxes.items()
            if other != bid and self._parent.get(other) == bid
        ]
        room = (min(tops) if tops else math.inf) - y0 - 3
        most = max(1, min(2, int(room // (MIN_FONT * LINE))))
        if _width(name, MIN_FONT, bold=True) <= width or most == 1:
            return [_fit_line(name, width, MIN_FONT, bold=True)] if width > 0 else []
        return _wrap(name, width, MIN_FONT, most, bold=True)

    def _title(self, bid: str) -> str:
        """A boundary's title on a white backing, drawn over the flows (lines crossing a
        title no longer strike through it)."""
        lines, (x0, y0, x1, y1) = self.titles[bid]
        texts = "".join(
            _tag(
                "text",
                line,
                x=x0 + 2,
                y=y0 + 1 + MIN_FONT + i * MIN_FONT * LINE,
                font_size=MIN_FONT,
                font_weight="bold",
                fill="#334155",
            )
            for i, line in enumerate(lines.split("\n"))
        )
        return (
            _open("g", class_="boundary-title", data_boundary=bid)
            + _tag(
                "rect", x=x0, y=y0, width=x1 - x0, height=y1 - y0, fill="#ffffff", fill_opacity=0.85
            )
            + texts
            + "</g>"
        )

    # --------------------------------------------------------------------- nodes
    def _size_node(self, eid: str) -> None:
        """The element's shape (half width, half height) and its lines of text: the name,
        wrapped, and the kind when the cell has room for it."""
        e = self.elements[eid]
        cw, ch = self.cell
        w = cw * 0.9
        lines: list[tuple[str, float]] = []
        if self.roomy:
            font = self.node_font
            inner = w * 0.84 if KINDS[e.kind].dfd is DfdType.PROCESS else w - 6
            # no taller than the cell plus most of the gap below it
            most = int((ch + GAP * self.s * 0.7 - 6) // (font * LINE))
            lines = [(t, font) for t in _wrap(e.name, inner, font, max(1, min(MAX_LINES, most)))]
            kind = "\u00ab" + KINDS[e.kind].label + "\u00bb"
            room = (len(lines) * font + MIN_FONT) * LINE + 6 <= ch * 0.9
            if room and _width(kind, MIN_FONT) <= inner:
                lines.append((kind, MIN_FONT))
        text_h = sum(f * LINE for _, f in lines) + 6
        if KINDS[e.kind].dfd is DfdType.DATA_STORE:
            text_h += 2 * RIM  # the cylinder's top rim is above the text, not across it
        self.shapes[eid] = (w / 2, max(ch * 0.6, text_h) / 2)
        self.lines[eid] = lines

    def _node_box(self, eid: str) -> Box:
        (cx, cy), (a, b) = self.centres[eid], self.shapes[eid]
        return (cx - a, cy - b, cx + a, cy + b)

    def _node(self, eid: str) -> str:
        e = self.elements[eid]
        info = KINDS[e.kind]
        (cx, cy), (a, b) = self.centres[eid], self.shapes[eid]
        style: dict[str, object] = {
            "fill": LAYER_FILL[info.layer],
            "stroke": INK,
            "stroke_width": 0.8,
        }
        if info.dfd is DfdType.PROCESS:
            shape = _tag("ellipse", cx=0, cy=0, rx=a, ry=b, **style)
        elif info.dfd is DfdType.DATA_STORE:
            ry = min(b * 0.3, RIM)
            top, bottom = _n(-b + ry), _n(b - ry)
            body = (
                f"M{_n(-a)},{top} L{_n(-a)},{bottom} A{_n(a)},{_n(ry)} 0 0 0 {_n(a)},{bottom} "
                f"L{_n(a)},{top} A{_n(a)},{_n(ry)} 0 0 0 {_n(-a)},{top} Z"
            )
            rim = _tag("ellipse", cx=0, cy=-b + ry, rx=a, ry=ry, **style)
            shape = _tag("path", d=body, **style) + rim
        else:
            shape = _tag("rect", x=-a, y=-b, width=2 * a, height=2 * b, rx=2, **style)
        lines = self.lines[eid]
        y = -sum(f * LINE for _, f in lines) / 2
        if info.dfd is DfdType.DATA_STORE:
            y += min(b * 0.3, RIM)  # centred in the cylinder's body, below its rim
        texts = []
        for i, (line, font) in enumerate(lines):
            y += font * LINE
            texts.append(
                _tag(
                    "text",
                    line,
                    x=0,
                    y=y - font * (LINE - 1) - font * 0.12,
                    font_size=font,
                    text_anchor="middle",
                    fill="#0f172a" if i < len(lines) - 1 or font == self.node_font else "#475569",
                )
            )
        return (
            _open("g", class_="node", data_element=eid, transform=f"translate({_n(cx)},{_n(cy)})")
            + _tag("title", e.name)
            + shape
            + "".join(texts)
            + "</g>"
        )

    def _reach(self, eid: str, ux: float, uy: float) -> float:
        """How far from the element's centre a line in direction ``(ux, uy)`` (a unit
        vector) leaves its shape."""
        a, b = self.shapes[eid]
        if KINDS[self.elements[eid].kind].dfd is DfdType.PROCESS:
            return 1 / math.sqrt((ux / a) ** 2 + (uy / b) ** 2)
        return min(a / abs(ux) if ux else math.inf, b / abs(uy) if uy else math.inf)

    # --------------------------------------------------------------------- flows
    def _segments(self, flows: list[Flow]) -> dict[str, tuple[Point, Point]]:
        """The visible part of each flow's arrow: between its elements' centres, cut
        where it leaves their shapes; flows between the same two elements side by side,
        3 points apart."""
        pairs: dict[tuple[str, str], list[Flow]] = defaultdict(list)
        for f in flows:
            pairs[(min(f.source, f.target), max(f.source, f.target))].append(f)
        out = {}
        for (a, b), group in pairs.items():
            (ax, ay), (bx, by) = self.centres[a], self.centres[b]
            d = math.hypot(bx - ax, by - ay) or 1.0
            nx, ny = -(by - ay) / d, (bx - ax) / d
            for k, f in enumerate(group):
                off = (k - (len(group) - 1) / 2) * 3.0
                (px, py), (qx, qy) = self.centres[f.source], self.centres[f.target]
                ux, uy = (qx - px) / d, (qy - py) / d
                t0 = min(self._reach(f.source, ux, uy) + 1.0, d / 2)
                t1 = min(self._reach(f.target, ux, uy) + 1.0, d / 2)
                out[f.id] = (
                    (px + nx * off + ux * t0, py + ny * off + uy * t0),
                    (qx + nx * off - ux * t1, qy + ny * off - uy * t1),
                )
        return out

    def _flow(self, f: Flow, segment: tuple[Point, Point]) -> str:
        (sx, sy), (ex, ey) = segment
        d = math.hypot(ex - sx, ey - sy) or 1.0
        ux, uy = (ex - sx) / d, (ey - sy) / d
        head = min(5.0, d)
        bx, by = ex - ux * head, ey - uy * head
        wing = head * 0.4
        arrow = (
            f"{_n(ex)},{_n(ey)} {_n(bx - uy * wing)},{_n(by + ux * wing)} "
            f"{_n(bx + uy * wing)},{_n(by - ux * wing)}"
        )
        return (
            _open("g", class_="flow", data_flow=f.id, data_source=f.source, data_target=f.target)
            + _tag("line", x1=sx, y1=sy, x2=bx, y2=by, stroke=FLOW_INK, stroke_width=0.8)
            + _tag("polygon", points=arrow, fill=FLOW_INK)
            + "</g>"
        )

    # -------------------------------------------------------------------- labels
    def _labels(
        self, flows: list[Flow], segments: dict[str, tuple[Point, Point]]
    ) -> tuple[Labels, list[_Label]]:
        """What the arrows carry and where (see the module's documentation)."""
        if not self.roomy or not flows:
            return "none", []
        names = [(f.name, segments[f.id]) for f in flows if f.name]
        placed = self._place(names, strict=self.fitted)
        if placed is not None:
            return "names", placed
        if len(self.model.flows) > MAX_NUMBERED:
            return "none", []
        number = {f.id: i for i, f in enumerate(self.model.flows, 1)}
        pairs: dict[tuple[str, str], list[Flow]] = defaultdict(list)
        for f in flows:
            pairs[(min(f.source, f.target), max(f.source, f.target))].append(f)
        chips = []
        for (a, _), group in pairs.items():
            # each segment from the pair's first element to its second, whichever way
            # the flow goes (averaging opposite arrows would put every spot at the middle)
            ends = [segments[f.id] if f.source == a else segments[f.id][::-1] for f in group]
            p = (sum(e[0][0] for e in ends) / len(ends), sum(e[0][1] for e in ends) / len(ends))
            q = (sum(e[1][0] for e in ends) / len(ends), sum(e[1][1] for e in ends) / len(ends))
            chips.append((", ".join(str(number[f.id]) for f in group), (p, q)))
        return "numbers", self._place(chips, strict=False) or []

    def _place(
        self, items: list[tuple[str, tuple[Point, Point]]], *, strict: bool
    ) -> list[_Label] | None:
        """Each label on its arrow, at the first of a few points from the middle outwards
        (on the line, then just beside it) where it overlaps no element, boundary title or
        earlier label; where there is none, the spot with fewest overlaps (``strict``:
        ``None`` instead)."""
        taken = _Grid()
        for eid in self.centres:
            taken.add(self._node_box(eid), 4)  # covering a name is worse than a label
        for _, box in self.titles.values():
            taken.add(box, 4)  # a title covered is as bad as a name
        font = MIN_FONT
        out: list[_Label] = []
        for text, (p, q) in items:
            w, h = _width(text, font) + 4, font * LINE + 1
            d = math.hypot(q[0] - p[0], q[1] - p[1]) or 1.0
            nx, ny = -(q[1] - p[1]) / d, (q[0] - p[0]) / d
            side = (w * abs(nx) + h * abs(ny)) / 2 + 1  # beside the line, just clear of it
            spots = []
            for off in (0.0, side, -side, 2 * side, -2 * side, 3 * side, -3 * side):
                for t in _SPOTS:
                    x = p[0] + (q[0] - p[0]) * t + nx * off
                    y = p[1] + (q[1] - p[1]) * t + ny * off
                    x = min(max(x, w / 2), self.width - w / 2)
                    y = min(max(y, h / 2), self.height - h / 2)
                    spots.append((x - w / 2, y - h / 2, x + w / 2, y + h / 2))
            hits = [taken.hits(box) for box in spots]
            if strict and min(hits) > 0:
                return None
            chosen = spots[hits.index(min(hits))]
            taken.add(chosen)
            out.append((text, chosen))
        return out

    def _chip(self, text: str, box: Box) -> str:
        x0, y0, x1, y1 = box
        return (
            _open("g", class_="flow-label")
            + _tag(
                "rect",
                x=x0,
                y=y0,
                width=x1 - x0,
                height=y1 - y0,
                rx=2,
                fill="#ffffff",
                fill_opacity=0.9,
                stroke="#cbd5e1",
                stroke_width=0.4,
            )
            + _tag(
                "text",
                text,
                x=(x0 + x1) / 2,
                y=(y0 + y1) / 2 + MIN_FONT * 0.35,
                font_size=MIN_FONT,
                text_anchor="middle",
                fill="#334155",
            )
            + "</g>"
        )


_SPOTS = (0.5, *(0.5 + sign * k * 0.05 for k in range(1, 9) for sign in (-1, 1)))
"""Where a label may sit on its arrow (fractions of the way), best first."""


class _Grid:
    """Boxes in buckets of a coarse grid, for quick overlap tests."""

    SIZE = 40.0

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[tuple[Box, int]]] = defaultdict(list)

    def _keys(self, box: Box) -> list[tuple[int, int]]:
        s = self.SIZE
        return [
            (i, j)
            for i in range(int(box[0] // s), int(box[2] // s) + 1)
            for j in range(int(box[1] // s), int(box[3] // s) + 1)
        ]

    def add(self, box: Box, weight: int = 1) -> None:
        for key in self._keys(box):
            self.cells[key].append((box, weight))

    def hits(self, box: Box) -> float:
        """How much the box overlaps the others: their common areas, weighted."""
        seen = {
            (other, weight)
            for key in self._keys(box)
            for other, weight in self.cells.get(key, ())
            if _overlap(box, other)
        }
        return sum(weight * _common_area(box, other) for other, weight in seen)


# ----------------------------------------------------------------------- SVG text
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _text(value: object) -> str:
    """Text (or an attribute value) escaped for XML; characters XML forbids dropped."""
    s = _NOT_XML.sub("", str(value))
    return (
        s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#x27;")
    )


def _n(value: float) -> str:
    """A coordinate: two decimals at most."""
    return f"{value:.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _attrs(attrs: dict[str, object]) -> str:
    out = []
    for key, value in attrs.items():
        name = key.rstrip("_").replace("_", "-")
        text = _n(value) if isinstance(value, (int, float)) else _text(value)
        out.append(f' {name}="{text}"')
    return "".join(out)


def _open(tag: str, **attrs: object) -> str:
    return f"<{tag}{_attrs(attrs)}>"


def _tag(tag: str, text: str | None = None, /, **attrs: object) -> str:
    """An element with escaped text and attributes (self-closed without text)."""
    if text is None:
        return f"<{tag}{_attrs(attrs)}/>"
    return f"<{tag}{_attrs(attrs)}>{_text(text)}</{tag}>"


_NARROW = frozenset("fijlrtI!|.,:;'()[]{} -/")
_WIDE = frozenset("mwMW@%")


BOLD = 1.1
"""How much wider DejaVu Sans Bold sets a text than the regular weight (about)."""


def _width(text: str, font: float, *, bold: bool = False) -> float:
    """Estimated width of a line of text (points), from DejaVu Sans's advances: narrow
    letters and punctuation about 0.33 em, m and w 0.9, capitals 0.7, wide (East Asian)
    characters 1, the rest 0.6; bold :data:`BOLD` times that."""
    em = 0.0
    for c in text:
        if c in _NARROW:
            em += 0.33
        elif c in _WIDE:
            em += 0.9
        elif unicodedata.east_asian_width(c) in ("W", "F"):
            em += 1.0
        elif c.isupper():
            em += 0.7
        else:
            em += CHAR_EM
    return em * font * (BOLD if bold else 1.0)


def _fit_line(text: str, width: float, font: float, *, bold: bool = False) -> str:
    """The text, cut with an ellipsis to fit ``width``."""
    if _width(text, font, bold=bold) <= width:
        return text
    while text and _width(text + "\u2026", font, bold=bold) > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def _wrap(
    text: str, width: float, font: float, most: int = MAX_LINES, *, bold: bool = False
) -> list[str]:
    """The text in lines that fit ``width``, broken at spaces and after hyphens (a word
    longer than a line is cut), at most ``most`` (the last one cut with an ellipsis when
    there is more)."""
    words = [w for w in re.split(r"(?<=-)|\s+", text) if w]
    lines: list[str] = []
    current = ""
    for word in words:
        joined = current + word if current.endswith("-") else f"{current} {word}".strip()
        if not current or _width(joined, font, bold=bold) <= width:
            current = joined
        else:
            lines.append(current)
            current = word
        while _width(current, font, bold=bold) > width and len(current) > 1:
            cut = len(current)
            while cut > 1 and _width(current[:cut], font, bold=bold) > width:
                cut -= 1
            lines.append(current[:cut])
            current = current[cut:]
    if current:
        lines.append(current)
    if len(lines) > most:
        rest = " ".join(lines[most - 1 :])
        lines = [*lines[: most - 1], _fit_line(rest + "\u2026", width, font, bold=bold)]
    return lines


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _common_area(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
