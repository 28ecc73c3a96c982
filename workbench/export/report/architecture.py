"""Architecture: the diagram (SVG shown as an image), the key to its numbered
flows, and on request the interactive view.

The diagram is :func:`workbench.diagram.diagram`: the canvas's picture (the layout's
positions and boundary boxes, or the model's stored positions), fitted to
:data:`DIAGRAM_BOX_MM` with no text under 7 pt. The SVG's own size is within that box, so
the page shows it at its natural size (the style sheet only ever shrinks it) and prints
every label at 7 pt or more.
"""

from __future__ import annotations

import re

from ...diagram import Diagram, diagram
from ...model import ThreatModel
from ..interactive import InteractiveDiagramError, interactive_frame
from ..safehtml import Html, h, join, svg_data_uri
from .context import ReportContext, in_columns

_SVG_SIZE = re.compile(r'<svg[^>]*?width="([\d.]+)pt"[^>]*?height="([\d.]+)pt"')
DIAGRAM_BOX_MM = (250.0, 150.0)
"""Room for the diagram on a landscape page, A4 or Letter (Letter is the narrower), in
millimetres."""
DIAGRAM_BOX_PORTRAIT_MM = (184.0, 170.0)
"""Room for the diagram on a portrait page, A4 or Letter (A4 is the narrower)."""
PORTRAIT_SCALE = 0.85
"""A diagram is drawn on a portrait page, between the sections, when its scale there is
at least this share of its scale on a landscape page of its own (a landscape page
leaves the rest of the page before it empty)."""
MM_PT = 72 / 25.4
"""Points per millimetre."""


def svg_size(svg: str) -> tuple[float, float] | None:
    """Width and height (pt) written on the ``<svg>`` element."""
    m = _SVG_SIZE.search(svg[:2000])
    return (float(m.group(1)), float(m.group(2))) if m else None


def report_diagram(model: ThreatModel) -> Diagram:
    """The model's diagram fitted to a portrait page (:data:`DIAGRAM_BOX_PORTRAIT_MM`) when
    it loses little there, else to a landscape page (:data:`DIAGRAM_BOX_MM`); see
    :func:`is_landscape`."""
    wide = diagram(model, fit=(DIAGRAM_BOX_MM[0] * MM_PT, DIAGRAM_BOX_MM[1] * MM_PT))
    box = DIAGRAM_BOX_PORTRAIT_MM
    tall = diagram(model, fit=(box[0] * MM_PT, box[1] * MM_PT))
    return tall if tall.scale >= PORTRAIT_SCALE * wide.scale else wide


def is_landscape(drawn: Diagram) -> bool:
    """Whether a report diagram needs a landscape page (wider than a portrait page's
    box)."""
    return drawn.width > DIAGRAM_BOX_PORTRAIT_MM[0] * MM_PT + 0.01


def render(ctx: ReportContext) -> Html:
    """The diagram with its legend and flow key (and the interactive view when asked for),
    or why there is none."""
    if not ctx.options.diagram:
        return h("p", "Diagram left out on request.", class_="empty")
    if not ctx.model.elements:
        return h("p", "The model has no elements yet.", class_="empty")
    try:
        drawn = report_diagram(ctx.model)
    except Exception as exc:  # a broken diagram must not lose the report
        return h("p", f"Diagram unavailable: {exc}", class_="warning")
    notes = {
        "names": "Arrows are data flows, labelled with their names.",
        "numbers": "Arrows are data flows; their numbers are listed below the diagram.",
        "none": "Arrows are data flows (too many to label at this size: section 4 lists them all).",
    }
    legend = h(
        "p",
        "Boxes are external entities, ellipses processes, cylinders data stores; "
        "colours mark the layer (blue data, violet model, green deployment); dashed "
        "frames are trust boundaries, red when untrusted. ",
        notes[drawn.labels],
        " Elements sit where the canvas shows them.",
        class_="legend",
    )
    img = h(
        "img",
        src=svg_data_uri(drawn.svg),
        alt=f"Architecture of {ctx.model.system.name}: {len(ctx.model.elements)} elements and "
        f"{len(ctx.model.flows)} data flows",
        class_="diagram",
    )
    if is_landscape(drawn):
        ctx.landscape.add("architecture")
    figure = h("figure", img, h("figcaption", legend), class_="diagram")
    parts = [figure, _key(ctx, drawn)]
    if ctx.options.interactive_diagram:
        parts.append(_interactive(ctx))
    return join(parts)


def _key(ctx: ReportContext, drawn: Diagram) -> Html:
    """The numbered flows: number, name, from and to."""
    if drawn.labels != "numbers":
        return Html("")
    names = {e.id: e.name for e in ctx.model.elements}
    items = [
        h(
            "li",
            f.name or "(no name)",
            h("span", f" \u2014 {names[f.source]} \u2192 {names[f.target]}", class_="sub"),
            value=drawn.numbers[f.id],
        )
        for f in ctx.model.flows
        if f.id in drawn.numbers
    ]
    return in_columns("ol", items, 3, "flow-key", aria_label="Data flows by number")


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
