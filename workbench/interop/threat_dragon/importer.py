"""Threat Dragon import: :func:`from_threat_dragon` (parsed JSON) and
:func:`loads_threat_dragon` (JSON text), v2 or v1 (upgraded on the way in by
:mod:`.v1`). The field mapping, and what does not survive without our ``workbench``
data, is described in :mod:`workbench.interop.threat_dragon`."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from ...model import ThreatModel
from ...model.kinds import KINDS
from ...model.references import decision_key
from ...parsing import parse_json
from ..common import (
    EXT,
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
    foreign_decision,
    is_finding_id,
    scoped_statuses,
    strings,
)
from .format import (
    BIDIRECTIONAL,
    GENERIC,
    LABEL,
    OUT_OF_SCOPE,
    PRIVILEGES,
    SIZE,
    STATUS_IN,
    STATUS_OUT,
    UNTRUSTED_NAME,
    Rect,
    cell_text,
    shape_of,
)
from .v1 import is_v1, upgrade_v1


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
    from ..otm.importer import guess_kind

    text = f"{as_str(cell.get('shape'))} {as_str(as_dict(cell.get('data')).get('type'))}"
    return {"data_store": "store", "external_entity": "actor"}.get(guess_kind(text), "process")


def _rect(cell: dict[str, Any]) -> Rect | None:
    pos, size = as_dict(cell.get("position")), as_dict(cell.get("size"))
    x, y = as_number(pos.get("x")), as_number(pos.get("y"))
    w, h = as_number(size.get("width")), as_number(size.get("height"))
    if x is None or y is None:
        return None
    return Rect(x, y, w if w and w > 0 else 0.0, h if h and h > 0 else 0.0)


class _TdImport:
    def __init__(self, report: Report) -> None:
        self.r = report
        self.b = ModelBuilder(report)
        self.ids = IdAllocator()
        self.cells: list[tuple[str, str, dict[str, Any]]] = []
        self.element_rects: dict[str, Rect] = {}
        self.box_rects: dict[str, Rect] = {}
        self.element_raw: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self.box_raw: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        self.decisions: dict[str, dict[str, Any]] = {}
        self.scoped: dict[str, set[str]] = {}
        self.unknown: dict[str, list[str]] = defaultdict(list)
        self.out_of_scope: list[str] = []
        self.counters: dict[str, int] = defaultdict(int)

    def run(self, data: dict[str, Any]) -> ThreatModel:
        ext = as_dict(data.get(EXT))
        self._summary(data, ext)
        self._claim_cells(data["detail"])
        for d in as_list(ext.get("decisions")):
            key = decision_key(d) if isinstance(d, dict) else None
            if key is not None:
                self.decisions.setdefault(key, dict(d))
        self.scoped = scoped_statuses(ext.get("decisions"))
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
            text = cell_text(cell, "text", "label") or as_str(as_dict(cell.get("data")).get("name"))
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
        name_text = as_str(data.get("name")) or cell_text(cell, "text", "label")
        if shape is None:
            shape = _guess_shape(cell)
            label = as_str(cell.get("shape")) or as_str(data.get("type")) or "?"
            self.unknown[label].append(name_text or new)
        self.counters[shape] += 1
        fallback = f"{LABEL[shape]} {self.counters[shape]}"
        kind = as_str(ext.get("kind"))
        if kind not in KINDS or shape_of(kind) != shape:
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
            self.element_rects[new] = Rect(rect.x, rect.y, rect.w or w, rect.h or h)
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
        name = as_str(data.get("name")) or cell_text(cell, "label")
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
            as_str(data.get("name")) or cell_text(cell, "label", "text"),
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

    def _smallest(self, rect: Rect, exclude: str, inner: bool = False) -> str | None:
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

        from ...model import Decision

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
        updated = foreign_decision(
            current,
            finding,
            status,
            self.scoped,
            f"Threat Dragon status '{status_text.strip()}'",
            STATUS_OUT,
        )
        if updated is not None:
            new = updated
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
