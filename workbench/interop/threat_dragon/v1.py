"""Threat Dragon v1 models (``diagramJson`` with JointJS cells), read as Threat Dragon 2
reads them: :func:`upgrade_v1` gives the v2 layout that the importer reads."""

from __future__ import annotations

from typing import Any

from ..common import as_dict, as_list, as_str
from .format import cell_text


def is_v1(data: Any) -> bool:
    """Whether ``data`` is a Threat Dragon v1 model (diagrams hold ``diagramJson``)."""
    diagrams = as_list(as_dict(as_dict(data).get("detail")).get("diagrams"))
    return any(isinstance(d, dict) and "diagramJson" in d for d in diagrams)


V1_SHAPES = {
    "tm.Actor": "actor",
    "tm.Process": "process",
    "tm.Store": "store",
    "tm.Flow": "flow",
    "tm.Boundary": "trust-boundary-curve",
    "tm.Text": "td-text-block",
}
"""Threat Dragon v1 (JointJS) cell types and the v2 (AntV X6) shapes they became."""
_V1_LAYOUT = frozenset(
    ("type", "id", "attrs", "labels", "position", "size", "angle", "z", "smooth", "vertices")
) | {"source", "target"}


def _v1_end(end: Any) -> dict[str, Any]:
    end = as_dict(end)
    if isinstance(end.get("id"), str):
        return {"cell": end["id"]}
    return {k: end[k] for k in ("x", "y") if k in end}


def _v1_cell(cell: Any) -> Any:
    """One v1 cell in the v2 layout: the element's own fields move under ``data`` (as
    Threat Dragon 2 does when it opens a v1 file); anything not a cell is passed on for
    the importer to warn about."""
    if not isinstance(cell, dict):
        return cell
    dtype = as_str(cell.get("type"))
    data = {k: v for k, v in cell.items() if k not in _V1_LAYOUT}
    data["type"] = dtype
    name = cell_text(cell, "text", "label")
    if name:
        data["name"] = " ".join(name.split())  # v1 broke long names with newlines
    out: dict[str, Any] = {"id": cell.get("id"), "shape": V1_SHAPES.get(dtype, dtype)}
    out["data"] = data
    if dtype in ("tm.Flow", "tm.Boundary"):
        out["source"], out["target"] = _v1_end(cell.get("source")), _v1_end(cell.get("target"))
        out["vertices"] = as_list(cell.get("vertices"))
    else:
        out["position"], out["size"] = cell.get("position"), cell.get("size")
    return out


def upgrade_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A Threat Dragon v1 document (``diagramJson`` with JointJS cells) in the v2 layout
    that :func:`from_threat_dragon` reads: cells become v2 shapes, their fields move under
    ``data``, flow ends refer to cells by ID, boundary lines keep their points."""
    detail = dict(as_dict(data.get("detail")))
    diagrams = []
    for diagram in as_list(detail.get("diagrams")):
        if not isinstance(diagram, dict) or "diagramJson" not in diagram:
            diagrams.append(diagram)
            continue
        cells = as_dict(diagram["diagramJson"]).get("cells")
        new = {k: v for k, v in diagram.items() if k not in ("diagramJson", "size")}
        new["cells"] = [_v1_cell(c) for c in cells] if isinstance(cells, list) else cells
        diagrams.append(new)
    detail["diagrams"] = diagrams
    return {**data, "detail": detail}
