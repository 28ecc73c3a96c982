"""Section 3, architecture: the diagram (Graphviz SVG shown as an image), and on
request the interactive view."""

from __future__ import annotations

import re
from collections.abc import Callable

from ...diagram import has_graphviz, to_svg
from ...model import ThreatModel
from ..interactive import InteractiveDiagramError, interactive_frame
from ..safehtml import Html, h, join, svg_data_uri
from .context import ReportContext

_SVG_SIZE = re.compile(r'<svg[^>]*?width="([\d.]+)pt"[^>]*?height="([\d.]+)pt"')
DIAGRAM_BOX_MM = (267.0, 128.0)
"""Room for the diagram on a landscape A4 page (Letter is close), in millimetres."""


def svg_size(svg: str) -> tuple[float, float] | None:
    """Width and height (pt) that Graphviz wrote on the ``<svg>`` element."""
    m = _SVG_SIZE.search(svg[:2000])
    return (float(m.group(1)), float(m.group(2))) if m else None


def best_svg(model: ThreatModel, to_svg: Callable[..., str]) -> str:
    """The diagram laid out left-to-right or, when that is much wider than the page
    allows, top-to-bottom: whichever fits the landscape page at the larger scale."""
    wide = to_svg(model, rankdir="LR")
    size = svg_size(wide)
    box_w, box_h = DIAGRAM_BOX_MM
    if size is None or size[0] / max(size[1], 1.0) < 1.5 * box_w / box_h:
        return wide
    tall = to_svg(model, rankdir="TB")
    other = svg_size(tall)
    if other is None:
        return wide

    def scale(s: tuple[float, float]) -> float:
        return min(box_w / s[0], box_h / s[1])

    return tall if scale(other) > scale(size) else wide


def render(ctx: ReportContext) -> Html:
    """The diagram with its legend (and the interactive view when asked for), or why there is
    none."""
    legend = h(
        "p",
        "Boxes are external entities, ellipses processes, cylinders data stores; "
        "colours mark the layer (blue data, violet model, green deployment); dashed "
        "frames are trust boundaries, red when untrusted. Arrows are data flows.",
        class_="legend",
    )
    if not ctx.options.diagram:
        return h("p", "Diagram left out on request.", class_="empty")
    if not ctx.model.elements:
        return h("p", "The model has no elements yet.", class_="empty")
    if not has_graphviz():
        return h(
            "p",
            "Diagram unavailable: Graphviz's dot is not installed (apt-get install graphviz).",
            class_="warning",
        )
    try:
        svg = best_svg(ctx.model, to_svg)
    except Exception as exc:  # a broken dot install must not lose the report
        return h("p", f"Diagram unavailable: {exc}", class_="warning")
    img = h(
        "img",
        src=svg_data_uri(svg),
        alt=f"Architecture of {ctx.model.system.name}: {len(ctx.model.elements)} elements and "
        f"{len(ctx.model.flows)} data flows",
        class_="diagram",
    )
    figure = h("figure", img, h("figcaption", legend), class_="diagram")
    return join(figure, _interactive(ctx)) if ctx.options.interactive_diagram else figure


def _interactive(ctx: ReportContext) -> Html:
    try:
        frame = interactive_frame(ctx.model, ctx.analysis)
    except InteractiveDiagramError as exc:
        return h("p", f"Interactive diagram unavailable: {exc}", class_="warning")
    note = h(
        "p",
        "Interactive view: drag to pan, scroll to zoom, hover for details. Borders and "
        "arrows are coloured by the highest open risk.",
        class_="legend",
    )
    return h("div", note, frame, class_="interactive screen-only")
