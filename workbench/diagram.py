"""Static architecture diagrams through Graphviz (``dot``), for notebooks and reports.

Element IDs are used as node names and the display text goes into ``label`` (a name such
as ``Tool: email`` would otherwise be read by dot as ``node:port``).
"""

from __future__ import annotations

import shutil
from typing import Any

from .model import ThreatModel
from .model.kinds import KINDS, DfdType, Layer

_SHAPES = {
    DfdType.EXTERNAL_ENTITY: "box",
    DfdType.PROCESS: "ellipse",
    DfdType.DATA_STORE: "cylinder",
}
LAYER_FILL = {
    Layer.DATA: "#dbeafe",
    Layer.MODEL: "#ede9fe",
    Layer.DEPLOYMENT: "#dcfce7",
    Layer.GENERIC: "#f1f5f9",
}
"""Fill colour of each layer (the static and the interactive diagrams share them)."""


def has_graphviz() -> bool:
    """Whether Graphviz's ``dot`` is on the PATH."""
    return shutil.which("dot") is not None


def to_dot(model: ThreatModel, *, rankdir: str = "LR") -> Any:
    """A :class:`graphviz.Digraph` of the model: boundaries as nested clusters."""
    import graphviz

    g = graphviz.Digraph(
        "model",
        graph_attr={
            "rankdir": rankdir,
            "fontname": "DejaVu Sans",
            "fontsize": "11",
            "compound": "true",
        },
        node_attr={
            "fontname": "DejaVu Sans",
            "fontsize": "10",
            "style": "filled",
            "color": "#475569",
        },
        edge_attr={"fontname": "DejaVu Sans", "fontsize": "8", "color": "#64748b"},
    )
    children: dict[str | None, list[str]] = {}
    for b in model.boundaries:
        children.setdefault(b.parent, []).append(b.id)
    members: dict[str | None, list[str]] = {}
    for e in model.elements:
        members.setdefault(e.boundary, []).append(e.id)
    elements = {e.id: e for e in model.elements}
    boundaries = {b.id: b for b in model.boundaries}

    def add_nodes(graph: Any, boundary: str | None) -> None:
        for eid in members.get(boundary, []):
            e = elements[eid]
            info = KINDS[e.kind]
            graph.node(
                eid,
                label=graphviz.escape(f"{e.name}\n«{info.label}»"),
                shape=_SHAPES[info.dfd],
                fillcolor=LAYER_FILL[info.layer],
            )
        for bid in children.get(boundary, []):
            b = boundaries[bid]
            with graph.subgraph(name=f"cluster_{bid}") as sub:
                untrusted = b.trust == "untrusted"
                sub.attr(
                    label=graphviz.escape(b.name),
                    style="dashed,rounded",
                    color="#dc2626" if untrusted else "#94a3b8",
                    fontcolor="#334155",
                )
                add_nodes(sub, bid)

    add_nodes(g, None)
    for f in model.flows:
        g.edge(f.source, f.target, label=graphviz.escape(f.name or ""))
    return g


def to_svg(model: ThreatModel, *, rankdir: str = "LR") -> str:
    """The diagram as SVG text (needs Graphviz's ``dot``)."""
    svg: str = to_dot(model, rankdir=rankdir).pipe(format="svg", encoding="utf-8")
    return svg
