"""How a :class:`ThreatModel` shows itself in a notebook without widgets."""

from __future__ import annotations

from collections import Counter
from html import escape

from .diagram import has_graphviz, to_svg
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
    """An HTML summary table (every user string escaped) and, where Graphviz is present,
    the SVG diagram."""
    s = model.system
    rows = [
        ("System", escape(s.name)),
        ("Version", escape(s.version) or "&ndash;"),
        ("Owners", escape(", ".join(s.owners)) or "&ndash;"),
        ("Elements", str(len(model.elements))),
        ("Flows", str(len(model.flows))),
        ("Trust boundaries", escape(", ".join(b.name for b in model.boundaries)) or "&ndash;"),
        (
            "Assets",
            escape(", ".join(f"{a.name} ({a.classification})" for a in model.assets)) or "&ndash;",
        ),
        ("Objectives", str(len(model.objectives))),
        ("Decisions", str(len(model.decisions))),
        ("Risk tolerance", f"accept up to {escape(model.risk_tolerance.accept_up_to)}"),
    ]
    table = "".join(
        f"<tr><th style='text-align:left;padding-right:1em'>{k}</th>"
        f"<td style='text-align:left'>{v}</td></tr>"
        for k, v in rows
    )
    by_kind = Counter(e.kind for e in model.elements)
    kinds = ", ".join(f"{n}&times; {escape(KINDS[k].label)}" for k, n in sorted(by_kind.items()))
    html = (
        "<div class='threat-workbench-model'>"
        f"<table>{table}<tr><th style='text-align:left'>Kinds</th>"
        f"<td style='text-align:left'>{kinds}</td></tr></table>"
    )
    if diagram and has_graphviz() and model.elements:
        try:
            svg = _strip_xml_header(to_svg(model))
            html += f"<div style='max-width:100%;overflow:auto'>{svg}</div>"
        except Exception as exc:
            html += f"<p><em>Diagram unavailable: {escape(str(exc))}</em></p>"
    return html + "</div>"


def _strip_xml_header(svg: str) -> str:
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def mimebundle(model: ThreatModel) -> dict[str, str]:
    """``text/plain`` and ``text/html`` representations."""
    return {"text/plain": summary_text(model), "text/html": summary_html(model)}
