"""How a :class:`ThreatModel` shows itself in a notebook without widgets."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .diagram import to_svg
from .export.safehtml import Html, h_single, join, joined
from .model import ThreatModel
from .model.kinds import KINDS


def summary_text(model: ThreatModel) -> str:
    """A plain-text summary."""
    kinds = Counter(KINDS[e.kind].label for e in model.elements)
    lines = [
        f"Threat model: {model.system.name}"
        + (f" (version {model.system.version})" if model.system.version else ""),
        f"{len(model.elements)} elements, {len(model.flows)} flows, "
        f"{len(model.boundaries)} trust boundaries, {len(model.assets)} assets, "
        f"{len(model.decisions)} decisions",
    ]
    lines += [f"  {n} x {k}" for k, n in sorted(kinds.items())]
    return "\n".join(lines)


def summary_html(model: ThreatModel, *, diagram: bool = True) -> str:
    """An HTML summary table (built with :mod:`workbench.export.safehtml`: every user string
    escaped) and the SVG diagram (drawn as the canvas draws the model)."""
    s = model.system
    none = Html("&ndash;")
    rows: list[tuple[str, object]] = [
        ("System", s.name),
        ("Version", s.version or none),
        ("Owners", ", ".join(s.owners) or none),
        ("Elements", len(model.elements)),
        ("Flows", len(model.flows)),
        ("Trust boundaries", ", ".join(b.name for b in model.boundaries) or none),
        ("Assets", ", ".join(f"{a.name} ({a.classification})" for a in model.assets) or none),
        ("Objectives", len(model.objectives)),
        ("Decisions", len(model.decisions)),
        ("Risk tolerance", f"accept up to {model.risk_tolerance.accept_up_to}"),
    ]
    by_kind = Counter(e.kind for e in model.elements)
    kinds = joined(
        ", ", (join(str(n), Html("&times; "), KINDS[k].label) for k, n in sorted(by_kind.items()))
    )
    table = h_single(
        "table",
        [
            h_single(
                "tr",
                h_single("th", k, style="text-align:left;padding-right:1em"),
                h_single("td", v, style="text-align:left"),
            )
            for k, v in rows
        ],
        h_single(
            "tr",
            h_single("th", "Kinds", style="text-align:left"),
            h_single("td", kinds, style="text-align:left"),
        ),
    )
    parts: list[object] = [table]
    if diagram and model.elements:
        try:
            svg = Html(_strip_xml_header(to_svg(model)))  # the diagram escapes its text
            parts.append(h_single("div", svg, style="max-width:100%;overflow:auto"))
        except Exception as exc:
            parts.append(h_single("p", h_single("em", f"Diagram unavailable: {exc}")))
    return str(h_single("div", parts, class_="threat-workbench-model"))


def _strip_xml_header(svg: str) -> str:
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def mimebundle(model: ThreatModel) -> dict[str, Any]:
    """``text/plain`` and ``text/html`` representations, and the model recorded for the
    notebook's *Save and Export Notebook As → Risk assessment*
    (:data:`~workbench.export.report.notebook.MODEL_MIMETYPE`)."""
    from .export.report.notebook import MODEL_MIMETYPE, model_record

    return {
        "text/plain": summary_text(model),
        "text/html": summary_html(model),
        MODEL_MIMETYPE: model_record(model),
    }
