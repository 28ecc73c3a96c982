"""OWASP Threat Dragon (v2 JSON) import and export.

Mapping (ours ↔ Threat Dragon):

=========================  ==========================================================
workbench                  Threat Dragon v2
=========================  ==========================================================
system name, description,  ``summary.title``, ``summary.description``,
owners                     ``summary.owner`` (joined with ", ")
element                    a cell by DFD type: external entity → ``actor``
                           (``tm.Actor``), process → ``process``, data store →
                           ``store``; name, description, ``position`` (copied as
                           is); ``providesAuthentication`` (authentication other
                           than ``none``), ``privilegeLevel`` (``privilege``),
                           ``isALog`` (kind ``log_store``), ``isEncrypted``
                           (``encrypted_at_rest``), ``isSigned``
                           (``artifacts_signed``), ``storesCredentials`` (kind
                           ``secrets_store`` or classification ``restricted``),
                           ``outOfScope`` (tag ``out-of-scope``)
flow                       ``flow`` cell (``tm.Flow``) from ``source.cell`` to
                           ``target.cell``: name, description, ``protocol``,
                           ``isEncrypted`` (``encrypted``), ``isBidirectional``
                           (tag ``bidirectional``), ``outOfScope``
boundary                   ``trust-boundary-box`` around its members (and nested
                           boxes); ``trust-boundary-curve`` lines are imported as
                           boundaries without members
finding                    a threat on its cell: ``threatId`` = finding ID, title,
                           STRIDE ``type``, ``status`` Open / Mitigated / Accepted /
                           Transferred, ``severity`` High / Medium / Low (critical is
                           High; ``score`` holds our 1..25 score), description and
                           ``mitigation`` text
=========================  ==========================================================

Threat Dragon has no place for most of our model: element kinds beyond the three DFD
types, most properties, owners and tags, assets, boundary trust and nesting, flows'
authentication, untrusted content and carried assets, objectives, scope, risk tolerance
and the details of decisions. The export keeps them in ``workbench`` objects — one in
each cell's ``data`` and one at the top of the file — which Threat Dragon's schema
allows. Threat Dragon's own fields win on import where they disagree with that data
(an element renamed, moved or marked encrypted in Threat Dragon keeps the change), so
ours → Threat Dragon → ours gives back an equal model.

What does **not** survive when the ``workbench`` objects are lost (a tool that drops
unknown keys, or a model drawn in Threat Dragon):

* kinds become the generic ``external_entity`` / ``process`` / ``data_store``
  (``log_store`` for a store marked as a log);
* only the properties listed above come back, and ``false`` flags come back as
  *unknown* (Threat Dragon cannot tell "no" from "not set");
* boundary membership is read from the geometry (an element belongs to the smallest box
  around its centre, a box to the smallest box around it): boxes drawn around members
  can overlap, so an element may land in a neighbouring boundary; boundary trust is read
  from the name (``Internet``, ``public network``, ``untrusted`` → untrusted, else
  trusted);
* owners come back as one owner (the joined text); the system's version and
  repository, assets, objectives, scope (except out-of-scope notes), risk tolerance,
  element owners and tags (except ``out-of-scope``), and flows' authentication,
  untrusted content and carried assets are gone;
* elements drawn without a position keep the position the export gave them; IDs of one
  character (Threat Dragon needs two) keep the ``-cell`` suffix of their cell;
* of the decisions only a threat's status comes back, as a decision without owner:
  ``Accepted`` and ``Transferred`` need an owner and a rationale, so they are reported
  and not recorded.

``test_without_our_data_exactly_the_documented_fields_survive`` in
``tests/test_interop_threat_dragon.py`` checks this list field by field.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..engine import Analysis, Finding
from ..model import FORMAT_VERSION, Boundary, Element, Flow, ThreatModel
from ..model.kinds import KINDS, STRIDE_NAMES, DfdType
from ..register import Entry, build_register
from .common import (
    EXT,
    GENERATOR,
    ForeignThreat,
    IdAllocator,
    ImportResult,
    ModelBuilder,
    Report,
    as_dict,
    as_list,
    as_number,
    as_str,
    clean_name,
    clean_text,
    dump,
    is_finding_id,
    parse_json,
    strings,
)

TD_VERSION = "2.3.0"
THUMBNAIL = "./public/content/images/thumbnail.stride.jpg"
SHAPE = {
    DfdType.EXTERNAL_ENTITY: ("actor", "tm.Actor"),
    DfdType.PROCESS: ("process", "tm.Process"),
    DfdType.DATA_STORE: ("store", "tm.Store"),
}
GENERIC = {"actor": "external_entity", "process": "process", "store": "data_store"}
LABEL = {"actor": "Actor", "process": "Process", "store": "Store"}
SIZE = {"actor": (160.0, 80.0), "process": (100.0, 100.0), "store": (160.0, 80.0)}
STATUS_OUT = {
    "open": "Open",
    "mitigated": "Mitigated",
    "accepted": "Accepted",
    "transferred": "Transferred",
}
STATUS_IN = {
    "open": "open",
    "mitigated": "mitigated",
    "accepted": "accepted",
    "transferred": "transferred",
    "avoided": "mitigated",
    "eliminated": "mitigated",
}
SEVERITY = {"critical": "High", "high": "High", "medium": "Medium", "low": "Low", "info": "Low"}
PRIVILEGES = ("read", "write", "execute", "admin")
OUT_OF_SCOPE = "out-of-scope"
BIDIRECTIONAL = "bidirectional"
PAD = 30.0
UNTRUSTED_NAME = re.compile(r"internet|untrusted|public network", re.IGNORECASE)


# ============================================================================ export
@dataclass(frozen=True)
class _Rect:
    x: float
    y: float
    w: float
    h: float

    def union(self, other: _Rect) -> _Rect:
        x, y = min(self.x, other.x), min(self.y, other.y)
        right = max(self.x + self.w, other.x + other.w)
        bottom = max(self.y + self.h, other.y + other.h)
        return _Rect(x, y, right - x, bottom - y)

    def padded(self, pad: float) -> _Rect:
        return _Rect(self.x - pad, self.y - pad, self.w + 2 * pad, self.h + 2 * pad)

    def contains_point(self, x: float, y: float) -> bool:
        return self.x <= x <= self.x + self.w and self.y <= y <= self.y + self.h

    def contains(self, other: _Rect) -> bool:
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.x + other.w <= self.x + self.w
            and other.y + other.h <= self.y + self.h
        )

    @property
    def area(self) -> float:
        return self.w * self.h


def _shape(kind: str) -> str:
    return SHAPE[KINDS[kind].dfd][0]


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


def _boxes(model: ThreatModel, rects: dict[str, _Rect]) -> tuple[dict[str, _Rect], dict[str, int]]:
    """A box per boundary around its members and nested boxes; empty boundaries get a
    box of their own to the right of the drawing."""
    depth: dict[str, int] = {}
    parent = {b.id: b.parent for b in model.boundaries}
    for b in model.boundaries:
        d, node = 0, b.parent
        while node is not None:
            d, node = d + 1, parent.get(node)
        depth[b.id] = d
    boxes: dict[str, _Rect] = {}
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
            boxes[b.id] = _Rect(right + 300.0 + 260.0 * spare, 0.0, 220.0, 140.0)
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
        from ..engine import analyze

        analysis = analyze(model)
    per_target: dict[str, list[Entry]] = defaultdict(list)
    if analysis is not None:
        for entry in build_register(analysis).entries:
            per_target[entry.finding.target].append(entry)
    cell = _CellIds(model)
    auto = _layout(model)
    rects: dict[str, _Rect] = {}
    for e in model.elements:
        x, y = (e.position.x, e.position.y) if e.position is not None else auto[e.id]
        w, h = SIZE[_shape(e.kind)]
        rects[e.id] = _Rect(x, y, w, h)
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
    out = set()
    for e in model.elements:
        node = e.boundary
        while node is not None:
            if trust[node] == "untrusted":
                out.add(e.id)
                break
            node = parent[node]
    return out


def _line(width: float) -> dict[str, Any]:
    return {"stroke": "#333333", "strokeWidth": width, "strokeDasharray": ""}


def _element_flags(e: Element) -> dict[str, Any]:
    p = e.properties
    shape = _shape(e.kind)
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
    e: Element, cid: str, rect: _Rect, auto: bool, z: int, threats: list[dict[str, Any]]
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


def _boundary_cell(b: Boundary, cid: str, box: _Rect, z: int) -> dict[str, Any]:
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
    parts = [f"{STATUS_OUT[d.status]}" + (f" by {d.owner}" if d.owner else "")]
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


# ============================================================================ import
def _kind_of_cell(cell: dict[str, Any]) -> str:
    """``element``, ``flow``, ``box``, ``curve``, ``text`` or ``unknown``."""
    shape = as_str(cell.get("shape"))
    dtype = as_str(as_dict(cell.get("data")).get("type"))
    if shape == "flow" or dtype == "tm.Flow":
        return "flow"
    if shape == "trust-boundary-box" or dtype == "tm.BoundaryBox":
        return "box"
    if shape == "trust-boundary-curve" or dtype == "tm.Boundary":
        return "curve"
    if shape == "td-text-block" or dtype == "tm.Text":
        return "text"
    if shape in GENERIC or dtype in ("tm.Actor", "tm.Process", "tm.Store"):
        return "element"
    return "unknown"


def _element_shape(cell: dict[str, Any]) -> str | None:
    """``actor``, ``process`` or ``store`` (``None`` for an unknown type)."""
    shape = as_str(cell.get("shape"))
    if shape in GENERIC:
        return shape
    dtype = as_str(as_dict(cell.get("data")).get("type"))
    return {"tm.Actor": "actor", "tm.Process": "process", "tm.Store": "store"}.get(dtype)


def _guess_shape(cell: dict[str, Any]) -> str:
    from .otm import guess_kind

    text = f"{as_str(cell.get('shape'))} {as_str(as_dict(cell.get('data')).get('type'))}"
    return {"data_store": "store", "external_entity": "actor"}.get(guess_kind(text), "process")


def _rect(cell: dict[str, Any]) -> _Rect | None:
    pos, size = as_dict(cell.get("position")), as_dict(cell.get("size"))
    x, y = as_number(pos.get("x")), as_number(pos.get("y"))
    w, h = as_number(size.get("width")), as_number(size.get("height"))
    if x is None or y is None:
        return None
    return _Rect(x, y, w if w and w > 0 else 0.0, h if h and h > 0 else 0.0)


def _text(cell: dict[str, Any], *keys: str) -> str:
    attrs = as_dict(cell.get("attrs"))
    for key in keys:
        text = as_str(as_dict(attrs.get(key)).get("text"))
        if text:
            return text
    for label in as_list(cell.get("labels")):
        label_attrs = as_dict(as_dict(label).get("attrs"))
        for key in ("label", "labelText", "text"):
            text = as_str(as_dict(label_attrs.get(key)).get("text"))
            if text:
                return text
    return ""


class _TdImport:
    def __init__(self, report: Report) -> None:
        self.r = report
        self.b = ModelBuilder(report)
        self.ids = IdAllocator()
        self.cells: list[tuple[str, str, dict[str, Any]]] = []
        self.element_rects: dict[str, _Rect] = {}
        self.box_rects: dict[str, _Rect] = {}
        self.element_raw: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self.box_raw: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self.decisions: dict[str, dict[str, Any]] = {}
        self.unknown: dict[str, list[str]] = defaultdict(list)
        self.out_of_scope: list[str] = []
        self.counters: dict[str, int] = defaultdict(int)

    def run(self, data: dict[str, Any]) -> ThreatModel:
        ext = as_dict(data.get(EXT))
        self._summary(data, ext)
        self._claim_cells(data["detail"])
        for d in as_list(ext.get("decisions")):
            if isinstance(d, dict) and isinstance(d.get("finding"), str):
                self.decisions.setdefault(d["finding"], dict(d))
        for path, kind, cell in self.cells:
            if kind == "flow":
                self._flow(path, cell)
            elif kind in ("box", "curve"):
                self._boundary(path, cell, kind)
            else:
                self._element(path, cell)
        self._model_parts(ext)
        self._memberships()
        self._summary_warnings()
        self.b.decisions = [(f"{EXT}.decisions", d) for d in self.decisions.values()]
        return self.b.build("Imported Threat Dragon model")

    def _claim_cells(self, detail: dict[str, Any]) -> None:
        diagrams = detail["diagrams"]
        for i, diagram in enumerate(diagrams):
            path = f"detail.diagrams[{i}]"
            cells = as_dict(diagram).get("cells")
            if not isinstance(cells, list):
                raise self.r.fail(f"{path}.cells", "expected a list of cells")
            for j, cell in enumerate(cells):
                self._claim(f"{path}.cells[{j}]", cell)
        if len(diagrams) > 1:
            self.r.note_unmapped(f"diagrams: {len(diagrams)} diagrams merged into one model")
        for key in ("contributors", "reviewer"):
            if detail.get(key):
                self.r.note_unmapped(f"detail: '{key}'")

    def _summary_warnings(self) -> None:
        for shape_text, names in self.unknown.items():
            listing = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
            self.r.warn(
                "detail.diagrams",
                f"cell type '{shape_text}' is not a Threat Dragon element type: "
                f"{len(names)} cell(s) imported as the nearest generic kind ({listing})",
            )
        curves = self.counters["curve"]
        if curves:
            self.r.warn(
                "detail.diagrams",
                f"{curves} trust boundary line(s) (trust-boundary-curve) imported as "
                "boundaries without members: a line does not say which side an element "
                "is on",
            )

    # ------------------------------------------------------------------ parts
    def _summary(self, data: dict[str, Any], ext: dict[str, Any]) -> None:
        summary = as_dict(data.get("summary"))
        ext_system = as_dict(ext.get("system"))
        owner = as_str(summary.get("owner"))
        ext_owners = strings(ext_system.get("owners"))
        owners = ext_owners if ", ".join(ext_owners) == owner else ([owner] if owner else [])
        system: dict[str, Any] = {
            "name": clean_name(
                summary.get("title"), "Imported Threat Dragon model", self.r, "summary.title"
            ),
            "description": clean_text(summary.get("description"), self.r, "summary.description"),
            "owners": owners,
        }
        for key in ("version", "repository"):
            if key in ext_system:
                system[key] = ext_system[key]
        self.b.system = system

    def _model_parts(self, ext: dict[str, Any]) -> None:
        self.b.scope = dict(as_dict(ext.get("scope")))
        if self.out_of_scope:
            self.b.scope["out_of_scope"] = strings(
                [*as_list(self.b.scope.get("out_of_scope")), *self.out_of_scope]
            )
        self.b.risk_tolerance = as_dict(ext.get("risk_tolerance"))
        for i, a in enumerate(as_list(ext.get("assets"))):
            if isinstance(a, dict) and isinstance(a.get("id"), str):
                path = f"{EXT}.assets[{i}]"
                new = self.ids.claim("asset", a["id"], a["id"], self.r, path)
                if new is not None:
                    self.b.assets.append((path, {**a, "id": new}))
        for i, o in enumerate(as_list(ext.get("objectives"))):
            if isinstance(o, dict) and isinstance(o.get("id"), str):
                path = f"{EXT}.objectives[{i}]"
                new = self.ids.claim("objective", o["id"], o["id"], self.r, path)
                if new is not None:
                    self.b.objectives.append((path, {**o, "id": new}))
        for raw, _ in self.element_raw.values():
            raw["assets"] = [self.ids.get("asset", a) or a for a in raw["assets"]]
        for _, raw in self.b.flows:
            raw["data"] = [self.ids.get("asset", a) or a for a in raw["data"]]

    def _claim(self, path: str, cell: Any) -> None:
        if not isinstance(cell, dict):
            self.r.warn(path, f"expected a cell object, got {type(cell).__name__}; dropped")
            return
        cid = cell.get("id")
        if not isinstance(cid, str) or not cid:
            self.r.warn(path, "cell without an ID; dropped")
            return
        kind = _kind_of_cell(cell)
        if kind == "text":
            text = _text(cell, "text", "label") or as_str(as_dict(cell.get("data")).get("name"))
            self.r.note_unmapped(f"text block: {text[:60]!r}")
            return
        if kind == "unknown":
            ends = as_dict(cell.get("source")).get("cell"), as_dict(cell.get("target")).get("cell")
            kind = "flow" if all(isinstance(x, str) for x in ends) else "element"
            if kind == "flow":
                self.r.warn(
                    path,
                    f"cell type '{as_str(cell.get('shape'))}' read as a flow "
                    "(it connects two cells)",
                )
        ext = as_dict(as_dict(cell.get("data")).get(EXT))
        ext_id = ext.get("id")
        preferred = ext_id if isinstance(ext_id, str) else cid
        if self.ids.claim("cell", cid, preferred, self.r, path) is None:
            return
        self.cells.append((path, kind, cell))

    def _element(self, path: str, cell: dict[str, Any]) -> None:
        data = as_dict(cell.get("data"))
        ext = as_dict(data.get(EXT))
        new = self.ids.get("cell", cell["id"]) or ""
        shape = _element_shape(cell)
        name_text = as_str(data.get("name")) or _text(cell, "text", "label")
        if shape is None:
            shape = _guess_shape(cell)
            label = as_str(cell.get("shape")) or as_str(data.get("type")) or "?"
            self.unknown[label].append(name_text or new)
        self.counters[shape] += 1
        fallback = f"{LABEL[shape]} {self.counters[shape]}"
        kind = as_str(ext.get("kind"))
        if kind not in KINDS or _shape(kind) != shape:
            if kind:
                self.r.warn(
                    f"{path}.data.{EXT}.kind",
                    f"kind '{kind}' does not fit a '{shape}' cell; read as '{GENERIC[shape]}'",
                )
            kind = GENERIC[shape]
        props = dict(as_dict(ext.get("properties")))
        tags = strings(ext.get("tags"))
        kind = _reconcile_flags(shape, data, kind, props, self.r, path)
        tags = _reconcile_tag(tags, OUT_OF_SCOPE, data.get("outOfScope"))
        name = clean_name(name_text, fallback, self.r, f"{path}.data.name")
        self._out_of_scope_reason(data, name)
        rect = _rect(cell)
        position: Any = None
        if rect is not None:
            position = {"x": rect.x, "y": rect.y}
            auto = ext.get("auto_position")
            if "position" in ext and ext["position"] is None and auto == [rect.x, rect.y]:
                position = None
            w, h = SIZE[shape]
            self.element_rects[new] = _Rect(rect.x, rect.y, rect.w or w, rect.h or h)
        elif isinstance(ext.get("position"), dict):
            position = ext["position"]
        raw = {
            "id": new,
            "kind": kind,
            "name": name,
            "description": clean_text(data.get("description"), self.r, f"{path}.data"),
            "boundary": None,
            "properties": props,
            "assets": strings(ext.get("assets")),
            "owner": ext.get("owner", ""),
            "tags": tags,
            "position": position,
        }
        self.element_raw[new] = (raw, ext)
        self.b.elements.append((path, raw))
        self._threats(path, cell, new, name)

    def _flow(self, path: str, cell: dict[str, Any]) -> None:
        data = as_dict(cell.get("data"))
        ext = as_dict(data.get(EXT))
        new = self.ids.get("cell", cell["id"]) or ""
        ends = []
        for end in ("source", "target"):
            ref = as_dict(cell.get(end)).get("cell")
            if not isinstance(ref, str):
                self.r.warn(path, f"flow is not connected at its {end}; this flow was dropped")
                return
            ends.append(self.ids.get("cell", ref) or ref)
        name = as_str(data.get("name")) or _text(cell, "label")
        encrypted = ext.get("encrypted") if "encrypted" in ext else None
        native_encrypted = data.get("isEncrypted")
        if isinstance(native_encrypted, bool) and native_encrypted != (encrypted is True):
            encrypted = native_encrypted
        tags = strings(ext.get("tags"))
        tags = _reconcile_tag(tags, OUT_OF_SCOPE, data.get("outOfScope"))
        tags = _reconcile_tag(tags, BIDIRECTIONAL, data.get("isBidirectional"))
        self._out_of_scope_reason(data, f"Flow {name or new}")
        if data.get("isBidirectional") is True and not ext:
            self.r.warn(
                path,
                "bidirectional flow imported as one flow from source to target, "
                "tagged 'bidirectional'",
            )
        raw: dict[str, Any] = {
            "id": new,
            "source": ends[0],
            "target": ends[1],
            "name": clean_text(name, self.r, f"{path}.data.name"),
            "description": clean_text(data.get("description"), self.r, f"{path}.data"),
            "data": strings(ext.get("data")),
            "protocol": as_str(data.get("protocol")),
            "encrypted": encrypted,
            "tags": tags,
        }
        for key in ("authenticated", "untrusted_content", "query", "initiated_by"):
            if key in ext:
                raw[key] = ext[key]
        self.b.flows.append((path, raw))
        self._threats(path, cell, new, name or new)

    def _boundary(self, path: str, cell: dict[str, Any], kind: str) -> None:
        data = as_dict(cell.get("data"))
        ext = as_dict(data.get(EXT))
        new = self.ids.get("cell", cell["id"]) or ""
        self.counters[kind] += 1
        label = "Trust boundary" if kind == "box" else "Trust boundary line"
        name = clean_name(
            as_str(data.get("name")) or _text(cell, "label", "text"),
            f"{label} {self.counters[kind]}",
            self.r,
            f"{path}.data.name",
        )
        trust = ext.get("trust")
        if trust not in ("untrusted", "partner", "trusted"):
            trust = "untrusted" if UNTRUSTED_NAME.search(name) else "trusted"
            if trust == "untrusted":
                self.r.warn(path, f"boundary '{name}' read as untrusted (from its name)")
        raw = {
            "id": new,
            "name": name,
            "description": clean_text(data.get("description"), self.r, f"{path}.data"),
            "trust": trust,
            "parent": None,
        }
        if kind == "box":
            rect = _rect(cell)
            if rect is not None:
                self.box_rects[new] = rect
        self.box_raw[new] = (raw, ext)
        self.b.boundaries.append((path, raw))

    def _memberships(self) -> None:
        """Boundary membership and nesting: from our data where it names a boundary that
        was imported (or none), else from the geometry of the boxes."""
        boxes = self.box_raw

        def known(ext: dict[str, Any], key: str) -> bool:
            value = ext.get(key, "")
            return key in ext and (value is None or (isinstance(value, str) and value in boxes))

        for new, (raw, ext) in boxes.items():
            if known(ext, "parent"):
                raw["parent"] = ext["parent"]
            elif new in self.box_rects:
                raw["parent"] = self._smallest(self.box_rects[new], exclude=new, inner=True)
        for new, (raw, ext) in self.element_raw.items():
            if known(ext, "boundary"):
                raw["boundary"] = ext["boundary"]
            elif new in self.element_rects:
                raw["boundary"] = self._smallest(self.element_rects[new], exclude="")

    def _smallest(self, rect: _Rect, exclude: str, inner: bool = False) -> str | None:
        best: tuple[float, str] | None = None
        for bid, box in self.box_rects.items():
            if bid == exclude:
                continue
            if inner:
                fits = box.contains(rect) and box.area > rect.area
            else:
                fits = box.contains_point(rect.x + rect.w / 2, rect.y + rect.h / 2)
            if fits and (best is None or box.area < best[0]):
                best = (box.area, bid)
        return best[1] if best else None

    # ------------------------------------------------------------------ threats
    def _out_of_scope_reason(self, data: dict[str, Any], name: str) -> None:
        """Keep why an element or flow is out of scope (in the model's scope notes)."""
        reason = as_str(data.get("reasonOutOfScope")).strip()
        if data.get("outOfScope") is True and reason:
            self.out_of_scope.append(f"{name}: {reason}")

    def _threats(self, path: str, cell: dict[str, Any], new: str, target_name: str) -> None:
        data = as_dict(cell.get("data"))
        for j, t in enumerate(as_list(data.get("threats"))):
            tpath = f"{path}.data.threats[{j}]"
            if not isinstance(t, dict):
                self.r.warn(tpath, "expected a threat object; dropped")
                continue
            tid = t.get("threatId") if is_finding_id(t.get("threatId")) else t.get("id")
            status = as_str(t.get("status"))
            if is_finding_id(tid) and str(tid).rsplit("@", 1)[1] in (cell["id"], new):
                finding = f"{str(tid).rsplit('@', 1)[0]}@{new}"
                self._decision(tpath, str(tid), finding, status)
                continue
            mitigation = as_str(t.get("mitigation")).strip()
            self.r.threats.append(
                ForeignThreat(
                    target=new,
                    target_name=target_name,
                    title=as_str(t.get("title")) or as_str(tid),
                    status=status,
                    severity=as_str(t.get("severity")),
                    description=as_str(t.get("description")),
                    mitigations=(mitigation,) if mitigation else (),
                    source=tpath,
                )
            )

    def _decision(self, path: str, tid: str, finding: str, status_text: str) -> None:
        from pydantic import ValidationError

        from ..model import Decision

        current = self.decisions.get(tid)
        status = STATUS_IN.get(status_text.strip().lower())
        before = as_str((current or {}).get("status")) or "open"
        if status is None:
            self.r.warn(
                f"{path}.status",
                f"status '{status_text}' has no workbench "
                "equivalent; the decision was left as it was",
            )
            status = before
        new = dict(current or {})
        new["finding"] = finding
        if status != before:
            new["status"] = status
            try:
                Decision.model_validate(json.loads(json.dumps(new, default=str)))
            except ValidationError as exc:
                msg = str(exc.errors(include_url=False)[0]["msg"]).removeprefix("Value error, ")
                self.r.warn(path, f"{msg}; the decision was left as it was")
                return
        elif current is None:
            return
        self.decisions.pop(tid, None)
        self.decisions[finding] = new


def _reconcile_tag(tags: list[str], tag: str, native: Any) -> list[str]:
    if not isinstance(native, bool) or native == (tag in tags):
        return tags
    return [*tags, tag] if native else [t for t in tags if t != tag]


def _flag(data: dict[str, Any], name: str) -> bool | None:
    value = data.get(name)
    return value if isinstance(value, bool) else None


def _reconcile_flags(
    shape: str,
    data: dict[str, Any],
    kind: str,
    props: dict[str, Any],
    report: Report,
    path: str,
) -> str:
    """Apply Threat Dragon's flags where they disagree with what our data would export.
    Returns the (possibly changed) kind; ``props`` is changed in place."""
    if shape == "actor":
        if _flag(data, "providesAuthentication") is False and props.get("authentication") not in (
            None,
            "none",
        ):
            props["authentication"] = "none"
        return kind
    if shape == "process":
        level = data.get("privilegeLevel")
        if isinstance(level, str) and level != (props.get("privilege") or ""):
            if level in PRIVILEGES:
                props["privilege"] = level
            elif not level:
                props.pop("privilege", None)
            else:
                report.warn(
                    f"{path}.data.privilegeLevel",
                    f"'{level}' is not one of {', '.join(PRIVILEGES)}; left out",
                )
        return kind
    return _reconcile_store(data, kind, props)


def _reconcile_store(data: dict[str, Any], kind: str, props: dict[str, Any]) -> str:
    is_log = _flag(data, "isALog")
    if is_log is not None and is_log != (kind == "log_store"):
        kind = "log_store" if is_log else "data_store"
    creds = _flag(data, "storesCredentials")
    has_creds = kind == "secrets_store" or props.get("data_classification") == "restricted"
    if creds is not None and creds != has_creds:
        if creds:
            props["data_classification"] = "restricted"
        else:
            if props.get("data_classification") == "restricted":
                props.pop("data_classification")
            if kind == "secrets_store":
                kind = "data_store"
    for td_name, ours in (("isEncrypted", "encrypted_at_rest"), ("isSigned", "artifacts_signed")):
        value = _flag(data, td_name)
        if value is not None and value != (props.get(ours) is True):
            props[ours] = value
    return kind


def loads_threat_dragon(text: str, filename: str = "<string>") -> ImportResult:
    """Import Threat Dragon JSON text (v2, or v1 upgraded on the way in)."""
    return from_threat_dragon(parse_json(text, filename), filename)


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
    name = _text(cell, "text", "label")
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


def from_threat_dragon(data: Any, filename: str = "<string>") -> ImportResult:
    """Import a Threat Dragon document (parsed JSON): v2, or v1 upgraded on the way in."""
    r = Report(filename)
    if not isinstance(data, dict):
        raise r.fail("", "expected a Threat Dragon model (a JSON object)")
    if is_v1(data):
        data = upgrade_v1(data)
        r.warn(
            "detail.diagrams",
            "Threat Dragon v1 model (diagramJson): read as Threat Dragon 2 reads it; "
            "exports are written as v2",
        )
    detail = data.get("detail")
    if not isinstance(detail, dict) or not isinstance(detail.get("diagrams"), list):
        raise r.fail("detail.diagrams", "missing: not a Threat Dragon v2 model")
    if not isinstance(data.get("summary"), dict):
        raise r.fail("summary", "missing: not a Threat Dragon v2 model")
    model = _TdImport(r).run(data)
    return r.result(model, "threat-dragon")
