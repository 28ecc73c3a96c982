"""What the editor's side panel shows for a model document (the custom request
``threatWorkbench/diagram``): the architecture diagram as SVG, drawn by
:mod:`workbench.diagram` where :mod:`workbench.layout` puts everything (the picture the
notebook's canvas and the report show), the open findings with the highest residual risk,
and where each element and flow is defined, for a click on the diagram to reveal it."""

from __future__ import annotations

from typing import Any

from ..diagram import to_svg
from .document import ModelDocument

METHOD = "threatWorkbench/diagram"
"""The request's method; its parameters: ``{"uri": URI}``."""

TOP_RISKS = 10
"""How many open findings the panel lists."""


def panel(doc: ModelDocument) -> dict[str, Any]:
    """``{"svg", "risks", "places", "fresh", "problems"}`` for the document: ``svg`` is
    empty until the text has loaded once; ``fresh`` says whether it is the current
    text's (else the last text that loaded); ``places`` maps element and flow IDs to the
    0-based line and UTF-16 character of their ID."""
    loaded = doc.loaded
    if loaded is None:
        return {"svg": "", "risks": [], "places": {}, "fresh": False, "problems": len(doc.problems)}
    entries = sorted(
        (e for e in loaded.register.entries if e.is_open and e.residual_score > 0),
        key=lambda e: (-e.residual_score, e.id),
    )
    risks = [
        {
            "finding": e.id,
            "title": e.finding.title,
            "target": e.finding.target,
            "targetName": e.finding.target_name,
            "risk": e.residual_risk,
            "score": e.residual_score,
        }
        for e in entries[:TOP_RISKS]
    ]
    places = {}
    for item in doc.outline.items:
        if item.kind in ("element", "flow") and item.id not in places:
            pos = doc.position(item.id_span.line, item.id_span.col)
            places[item.id] = {"line": pos.line, "character": pos.character}
    return {
        "svg": to_svg(loaded.model),
        "risks": risks,
        "places": places,
        "fresh": doc.fresh,
        "problems": len(doc.problems),
    }
