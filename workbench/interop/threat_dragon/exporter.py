"""Threat Dragon v2 export: :func:`to_threat_dragon` (plain data) and
:func:`dumps_threat_dragon` (JSON text). The field mapping is described in
:mod:`workbench.interop.threat_dragon`."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from ...engine import Analysis, Finding
from ...model import FORMAT_VERSION, Boundary, Element, Flow, ThreatModel
from ...model.kinds import KINDS, STRIDE_NAMES
from ...model.parts import scope_label
from ...model.references import boundary_chain
from ...register import Entry, build_register
from ...version import __version__
from ..common import EXT, GENERATOR, dump
from .format import (
    BIDIRECTIONAL,
    OUT_OF_SCOPE,
    PAD,
    SEVERITY,
    SHAPE,
    SIZE,
    STATUS_OUT,
    TD_VERSION,
    THUMBNAIL,
    Rect,
    shape_of,
)


def _layout(model: ThreatModel) -> dict[str, tuple[float, float]]:
    """Positions of elements drawn without one: a grid below everything else."""
    placed = [e.position for e in model.elements if e.position is not None]
    top = max((p.y for p in placed), default=-200.0) + 200.0
    left = min((p.x for p in placed), default=0.0)
    out: dict[str, tuple[float, float]] = {}
    missing = [e for e in model.elements if e.position is None]
    for i, e in enumerate(missing):
        out[e.id] = (left + 220.0 * (i % 6), top + 160.0 * (i // 6))
    return out


def _boxes(model: ThreatModel, rects: dict[str, Rect]) -> tuple[dict[str, Rect], dict[str, int]]:
    """A box per boundary around its members and nested boxes; empty boundaries get a
    box of their own to the right of the drawing."""
    depth: dict[str, int] = {}
    parent = {b.id: b.parent for b in model.boundaries}
    for b in model.boundaries:
        depth[b.id] = len(boundary_chain(parent, b.parent)[0])
    boxes: dict[str, Rect] = {}
    right = max((r.x + r.w for r in rects.values()), default=0.0)
    spare = 0
    for b in sorted(model.boundaries, key=lambda b: (-depth[b.id], b.id)):
        inside = [rects[e.id] for e in model.elements if e.boundary == b.id]
        inside += [boxes[c.id] for c in model.boundaries if c.parent == b.id]
        if inside:
            box = inside[0]
            for r in inside[1:]:
                box = box.union(r)
            boxes[b.id] = box.padded(PAD)
        else:
            boxes[b.id] = Rect(right + 300.0 + 260.0 * spare, 0.0, 220.0, 140.0)
            spare += 1
    return boxes, depth


class _CellIds:
    """Cell IDs: our IDs, except that Threat Dragon needs at least two characters."""

    def __init__(self, model: ThreatModel) -> None:
        self.used = set(model.ids())
        self.map: dict[str, str] = {}

    def __call__(self, item_id: str) -> str:
        if item_id not in self.map:
            new, n = item_id, 1
            while len(new) < 2 or (new != item_id and new in self.used):
                new = f"{item_id}-cell" if n == 1 else f"{item_id}-cell-{n}"
                n += 1
            self.used.add(new)
            self.map[item_id] = new
        return self.map[item_id]


def to_threat_dragon(
    model: ThreatModel, analysis: Analysis | None = None, *, threats: bool = True
) -> dict[str, Any]:
    """The model as a Threat Dragon v2 document (plain data), with one STRIDE diagram.

    With ``threats`` (the default), the findings of ``analysis`` (default: an analysis
    with the built-in catalog) become threats on their cells."""
    if threats and analysis is None:
        from ...engine import analyze

        analysis = analyze(model)
    per_target: dict[str, list[Entry]] = defaultdict(list)
    if analysis is not None:
        for entry in build_register(analysis).entries:
            per_target[entry.finding.target].append(entry)
    cell = _CellIds(model)
    auto = _layout(model)
    rects: dict[str, Rect] = {}
    for e in model.elements:
        x, y = (e.position.x, e.position.y) if e.position is not None else auto[e.id]
        w, h = SIZE[shape_of(e.kind)]
        rects[e.id] = Rect(x, y, w, h)
    boxes, depth = _boxes(model, rects)
    number = [0]
    cells: list[dict[str, Any]] = []
    for b in model.boundaries:
        cells.append(_boundary_cell(b, cell(b.id), boxes[b.id], depth[b.id] - 100))
    untrusted = _untrusted_elements(model)
    for z, e in enumerate(model.elements, start=1):
        found = _threats_out(per_target[e.id], analysis, number)
        cells.append(_element_cell(e, cell(e.id), rects[e.id], e.id in auto, z, found))
    for f in model.flows:
        found = _threats_out(per_target[f.id], analysis, number)
        public = f.source in untrusted or f.target in untrusted
        cells.append(_flow_cell(f, cell, public, found))
    system = model.system
    return {
        "version": TD_VERSION,
        "summary": {
            "title": system.name,
            "owner": ", ".join(system.owners),
            "description": system.description,
            "id": 0,
        },
        "detail": {
            "contributors": [],
            "diagrams": [
                {
                    "id": 0,
                    "title": system.name,
                    "diagramType": "STRIDE",
                    "placeholder": "",
                    "thumbnail": THUMBNAIL,
                    "version": TD_VERSION,
                    "description": "",
                    "cells": cells,
                }
            ],
            "diagramTop": 1,
            "reviewer": "",
            "threatTop": number[0],
        },
        EXT: {
            "generator": f"{GENERATOR} {__version__}",
            "format_version": FORMAT_VERSION,
            "system": dump(system),
            "scope": dump(model.scope),
            "risk_tolerance": dump(model.risk_tolerance),
            "objectives": [dump(o) for o in model.objectives],
            "assets": [dump(a) for a in model.assets],
            "decisions": [dump(d) for d in model.decisions],
        },
    }


def dumps_threat_dragon(
    model: ThreatModel, analysis: Analysis | None = None, *, threats: bool = True
) -> str:
    """The Threat Dragon document as JSON text."""
    doc = to_threat_dragon(model, analysis, threats=threats)
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _untrusted_elements(model: ThreatModel) -> set[str]:
    trust = {b.id: b.trust for b in model.boundaries}
    parent = {b.id: b.parent for b in model.boundaries}
    return {
        e.id
        for e in model.elements
        if any(trust[b] == "untrusted" for b in boundary_chain(parent, e.boundary)[0])
    }


def _line(width: float) -> dict[str, Any]:
    return {"stroke": "#333333", "strokeWidth": width, "strokeDasharray": ""}


def _element_flags(e: Element) -> dict[str, Any]:
    p = e.properties
    shape = shape_of(e.kind)
    if shape == "actor":
        return {"providesAuthentication": p.authentication not in (None, "none")}
    if shape == "process":
        return {
            "handlesCardPayment": False,
            "handlesGoodsOrServices": False,
            "isWebApplication": False,
            "privilegeLevel": p.privilege or "",
        }
    return {
        "isALog": e.kind == "log_store",
        "isEncrypted": p.encrypted_at_rest is True,
        "isSigned": p.artifacts_signed is True,
        "storesCredentials": e.kind == "secrets_store" or p.data_classification == "restricted",
        "storesInventory": False,
    }


def _element_cell(
    e: Element, cid: str, rect: Rect, auto: bool, z: int, threats: list[dict[str, Any]]
) -> dict[str, Any]:
    shape, dtype = SHAPE[KINDS[e.kind].dfd]
    ext: dict[str, Any] = {
        "id": e.id,
        "kind": e.kind,
        "boundary": e.boundary,
        "properties": dump(e.properties),
        "assets": list(e.assets),
        "owner": e.owner,
        "tags": list(e.tags),
        "position": dump(e.position) if e.position is not None else None,
    }
    if auto:
        ext["auto_position"] = [rect.x, rect.y]
    attrs: dict[str, Any] = {"text": {"text": e.name}}
    if shape == "store":
        attrs["topLine"] = _line(1.5)
        attrs["bottomLine"] = _line(1.5)
    else:
        attrs["body"] = _line(1.5)
    return {
        "id": cid,
        "shape": shape,
        "zIndex": z,
        "position": {"x": rect.x, "y": rect.y},
        "size": {"width": rect.w, "height": rect.h},
        "attrs": attrs,
        "visible": True,
        "data": {
            "type": dtype,
            "name": e.name,
            "description": e.description,
            "outOfScope": OUT_OF_SCOPE in e.tags,
            "reasonOutOfScope": "",
            "hasOpenThreats": any(t["status"] == "Open" for t in threats),
            "threats": threats,
            **_element_flags(e),
            EXT: ext,
        },
    }


def _flow_cell(
    f: Flow, cell: _CellIds, public: bool, threats: list[dict[str, Any]]
) -> dict[str, Any]:
    ext = {
        "id": f.id,
        "data": list(f.data),
        "encrypted": f.encrypted,
        "authenticated": f.authenticated,
        "untrusted_content": f.untrusted_content,
        "query": f.query,
        "initiated_by": f.initiated_by,
        "tags": list(f.tags),
    }
    return {
        "id": cell(f.id),
        "shape": "flow",
        "zIndex": 10,
        "width": 200,
        "height": 100,
        "connector": "smooth",
        "source": {"cell": cell(f.source)},
        "target": {"cell": cell(f.target)},
        "vertices": [],
        "labels": [{"position": 0.5, "attrs": {"label": {"text": f.name}}}],
        "attrs": {
            "line": {
                "stroke": "#333333",
                "strokeWidth": 1,
                "targetMarker": {"name": "block"},
                "sourceMarker": {"name": "block" if BIDIRECTIONAL in f.tags else ""},
                "strokeDasharray": "",
            }
        },
        "data": {
            "type": "tm.Flow",
            "name": f.name,
            "description": f.description,
            "outOfScope": OUT_OF_SCOPE in f.tags,
            "reasonOutOfScope": "",
            "protocol": f.protocol,
            "isEncrypted": f.encrypted is True,
            "isPublicNetwork": public,
            "isBidirectional": BIDIRECTIONAL in f.tags,
            "hasOpenThreats": any(t["status"] == "Open" for t in threats),
            "threats": threats,
            EXT: ext,
        },
    }


def _boundary_cell(b: Boundary, cid: str, box: Rect, z: int) -> dict[str, Any]:
    return {
        "id": cid,
        "shape": "trust-boundary-box",
        "zIndex": z,
        "position": {"x": box.x, "y": box.y},
        "size": {"width": max(box.w, 10.0), "height": max(box.h, 10.0)},
        "attrs": {"label": {"text": b.name}},
        "visible": True,
        "data": {
            "type": "tm.BoundaryBox",
            "name": b.name,
            "description": b.description,
            "isTrustBoundary": True,
            "hasOpenThreats": False,
            EXT: {"id": b.id, "trust": b.trust, "parent": b.parent},
        },
    }


def _mitigation_text(entry: Entry, analysis: Analysis | None) -> str:
    f, d = entry.finding, entry.decision
    mitigations = analysis.catalog.mitigations if analysis is not None else {}

    def titles(ids: Iterable[str]) -> str:
        return "; ".join(mitigations[m].title if m in mitigations else m for m in ids)

    if d is None or (d.status == "open" and not d.mitigations):
        return f"Suggested: {titles(f.mitigations)}"
    parts = [d.status.replace("_", " ").capitalize() + (f" by {d.owner}" if d.owner else "")]
    if d.scoped:
        parts.append(f"Decision on {d.threat_id} in scope {scope_label(d.scope)}")
    if entry.expired:
        parts.append(entry.expiry_note().capitalize())
    elif d.review_by:
        parts.append(f"Review by {d.review_by.isoformat()}")
    if d.rationale:
        parts.append(d.rationale)
    if d.mitigations:
        parts.append(f"Chosen: {titles(d.mitigations)}")
    if d.controls:
        parts.append(f"Controls: {', '.join(d.controls)}")
    return "\n".join(parts)


def _description(f: Finding, analysis: Analysis | None) -> str:
    threat = analysis.catalog.threats.get(f.threat_id) if analysis is not None else None
    text = threat.description.strip() if threat is not None else f.title
    if f.why:
        text += "\n\nWhy: " + "; ".join(f.why)
    return text


def _threats_out(
    entries: list[Entry], analysis: Analysis | None, number: list[int]
) -> list[dict[str, Any]]:
    out = []
    for entry in entries:
        f = entry.finding
        number[0] += 1
        out.append(
            {
                "id": f.id,
                "threatId": f.id,
                "number": number[0],
                "title": f.title,
                "type": STRIDE_NAMES[f.stride[0]] if f.stride else "",
                "modelType": "STRIDE",
                "status": STATUS_OUT[entry.status],
                "severity": SEVERITY[f.risk],
                "score": f"{f.score} ({f.risk}; residual {entry.residual_risk})",
                "description": _description(f, analysis),
                "mitigation": _mitigation_text(entry, analysis),
                "new": False,
            }
        )
    return out
