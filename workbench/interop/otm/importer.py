"""OTM import: :func:`from_otm` (parsed JSON or YAML) and :func:`loads_otm` (text), and
:func:`guess_kind`, the nearest generic kind for another tool's element type (the Threat
Dragon importer uses it too). The field mapping is described in
:mod:`workbench.interop.otm`."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

from ...model import ThreatModel
from ...model.kinds import KINDS
from ...model.references import decision_key
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
    parse_any,
    scoped_statuses,
    strings,
)
from .format import (
    BIDIRECTIONAL,
    CANVAS,
    CHOSEN_STATES,
    OTM_VERSION,
    STATE_IN,
    STATE_OUT,
    classification_from,
    flow_name,
    trust_from_rating,
)

_KNOWN_KEYS = {
    "project": {"name", "id", "description", "owner", "ownerContact", "tags", "attributes"},
    "trustZones": {
        "id",
        "name",
        "type",
        "description",
        "risk",
        "parent",
        "representations",
        "attributes",
    },
    "components": {
        "id",
        "name",
        "type",
        "description",
        "parent",
        "representations",
        "assets",
        "threats",
        "tags",
        "attributes",
    },
    "dataflows": {
        "id",
        "name",
        "description",
        "bidirectional",
        "source",
        "destination",
        "assets",
        "threats",
        "tags",
        "attributes",
        "representations",
    },
    "assets": {"id", "name", "description", "risk", "attributes"},
}


_STORE_WORDS = {
    "db",
    "database",
    "sql",
    "nosql",
    "storage",
    "store",
    "datastore",
    "bucket",
    "s3",
    "blob",
    "queue",
    "cache",
    "file",
    "files",
    "disk",
    "vault",
    "table",
    "redis",
    "mongo",
    "mongodb",
    "postgres",
    "postgresql",
    "mysql",
    "dynamodb",
    "cosmos",
    "cosmosdb",
    "repository",
    "registry",
    "warehouse",
    "lake",
}
_EXTERNAL_WORDS = {
    "client",
    "user",
    "browser",
    "actor",
    "device",
    "mobile",
    "android",
    "ios",
    "external",
    "human",
    "person",
    "customer",
    "partner",
    "thirdparty",
    "third-party",
    "entity",
    "interactor",
}


def guess_kind(type_text: str) -> str:
    """The nearest generic kind for another tool's element type: ``data_store`` for
    stores, ``external_entity`` for clients and actors, ``process`` otherwise."""
    tokens = set(re.split(r"[^a-z0-9]+", type_text.lower()))
    if tokens & _STORE_WORDS:
        return "data_store"
    if tokens & _EXTERNAL_WORDS:
        return "external_entity"
    return "process"


def loads_otm(text: str, filename: str = "<string>") -> ImportResult:
    """Import OTM from JSON or YAML text."""
    return from_otm(parse_any(text, filename), filename)


class _OtmImport:
    def __init__(self, data: dict[str, Any], report: Report) -> None:
        self.data = data
        self.r = report
        self.b = ModelBuilder(report)
        self.ids = IdAllocator()
        self.synthetic: set[str] = set()
        self.dropped: set[int] = set()
        """``id()`` of input items dropped as duplicates (the input is never changed)."""
        self.decisions: dict[str, dict[str, Any]] = {}
        self.scoped: dict[str, set[str]] = {}
        self.used_threats: set[str] = set()
        self.top_threats: dict[str, dict[str, Any]] = {}
        self.top_mitigations: dict[str, dict[str, Any]] = {}

    def section(self, key: str) -> list[tuple[str, dict[str, Any]]]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.r.fail(key, f"expected a list, got {type(value).__name__}")
        out = []
        for i, item in enumerate(value):
            path = f"{key}[{i}]"
            if not isinstance(item, dict):
                self.r.warn(path, f"expected an object, got {type(item).__name__}; dropped")
                continue
            if not isinstance(item.get("id"), str) or not item["id"]:
                self.r.warn(path, "has no ID; dropped")
                continue
            known = _KNOWN_KEYS.get(key)
            if known is not None:
                for k in item:
                    if k not in known:
                        self.r.note_unmapped(f"{key}: '{k}' (not part of OTM 0.2.0)")
                if set(as_dict(item.get("attributes"))) - {EXT}:
                    self.r.note_unmapped(f"{key}: attributes of other tools")
            out.append((path, item))
        return out

    def run(self, fallback_name: str) -> ThreatModel:
        project = self.data.get("project")
        if not isinstance(project, dict):
            raise self.r.fail("project", "expected an object with 'name' and 'id'")
        ext = as_dict(as_dict(project.get("attributes")).get(EXT))
        self._project(project, ext)
        zones = self.section("trustZones")
        assets = self.section("assets")
        components = self.section("components")
        flows = self.section("dataflows")
        self._catalog_sections()
        self._claim_ids(zones, assets, components, flows, ext)
        for d in as_list(ext.get("decisions")):
            key = decision_key(d) if isinstance(d, dict) else None
            if key is not None:
                self.decisions.setdefault(key, dict(d))
        self.scoped = scoped_statuses(ext.get("decisions"))
        self._zones(zones)
        self._assets(assets)
        self._components(components)
        self._flows(flows)
        self._model_parts(ext)
        self._unattached_threats()
        self.b.decisions = [
            ("project.attributes.workbench.decisions", d) for d in self.decisions.values()
        ]
        for rep in as_list(self.data.get("representations")):
            rep = as_dict(rep)
            if rep.get("id") != CANVAS:
                self.r.note_unmapped(
                    f"representations: '{as_str(rep.get('name')) or as_str(rep.get('id'))}' "
                    f"({as_str(rep.get('type'))})"
                )
        return self.b.build(fallback_name)

    def _catalog_sections(self) -> None:
        for key, table in (("threats", self.top_threats), ("mitigations", self.top_mitigations)):
            for path, item in self.section(key):
                if item["id"] in table:
                    self.r.warn(path, f"duplicate ID '{item['id']}'; dropped")
                    continue
                table[item["id"]] = item

    def _claim_ids(
        self,
        zones: list[tuple[str, dict[str, Any]]],
        assets: list[tuple[str, dict[str, Any]]],
        components: list[tuple[str, dict[str, Any]]],
        flows: list[tuple[str, dict[str, Any]]],
        ext: dict[str, Any],
    ) -> None:
        for path, z in zones:
            if as_dict(as_dict(z.get("attributes")).get(EXT)).get("synthetic") is True:
                self.synthetic.add(z["id"])
            elif self.ids.claim("zone", z["id"], z["id"], self.r, path) is None:
                self.dropped.add(id(z))
        for ns, items in (("asset", assets), ("component", components), ("dataflow", flows)):
            for path, item in items:
                if self.ids.claim(ns, item["id"], item["id"], self.r, path) is None:
                    self.dropped.add(id(item))
        for i, o in enumerate(as_list(ext.get("objectives"))):
            if isinstance(o, dict) and isinstance(o.get("id"), str):
                path = f"project.attributes.workbench.objectives[{i}]"
                if self.ids.claim("objective", o["id"], o["id"], self.r, path) is None:
                    self.dropped.add(id(o))

    def _project(self, project: dict[str, Any], ext: dict[str, Any]) -> None:
        ext_system = as_dict(ext.get("system"))
        owner = as_str(project.get("owner"))
        ext_owners = strings(ext_system.get("owners"))
        owners = ext_owners if ", ".join(ext_owners) == owner else ([owner] if owner else [])
        system: dict[str, Any] = {
            "name": clean_name(project.get("name"), "Imported OTM model", self.r, "project.name"),
            "description": clean_text(project.get("description"), self.r, "project.description"),
            "owners": owners,
        }
        for key in ("version", "repository"):
            if key in ext_system:
                system[key] = ext_system[key]
        self.b.system = system
        for key in ("ownerContact", "tags"):
            if project.get(key):
                self.r.note_unmapped(f"project: '{key}'")

    def _model_parts(self, ext: dict[str, Any]) -> None:
        self.b.scope = as_dict(ext.get("scope"))
        self.b.risk_tolerance = as_dict(ext.get("risk_tolerance"))
        for i, o in enumerate(as_list(ext.get("objectives"))):
            if isinstance(o, dict) and isinstance(o.get("id"), str) and id(o) not in self.dropped:
                elements = [self.ids.get("component", e) or e for e in as_list(o.get("elements"))]
                raw = {**o, "id": self.ids.get("objective", o["id"]), "elements": elements}
                self.b.objectives.append((f"project.attributes.workbench.objectives[{i}]", raw))

    def _zones(self, zones: list[tuple[str, dict[str, Any]]]) -> None:
        for path, z in zones:
            new = self.ids.get("zone", z["id"])
            if new is None or z["id"] in self.synthetic or id(z) in self.dropped:
                continue
            rating = as_number(as_dict(z.get("risk")).get("trustRating"))
            if rating is None:
                self.r.warn(f"{path}.risk", "no trustRating; read as trusted")
                rating = 100.0
            parent = as_dict(z.get("parent"))
            parent_id = None
            if "trustZone" in parent:
                parent_id = self.ids.get("zone", parent["trustZone"]) or parent["trustZone"]
            elif parent:
                self.r.warn(
                    f"{path}.parent", "a trust zone inside a component is not supported; left out"
                )
            self.b.boundaries.append(
                (
                    path,
                    {
                        "id": new,
                        "name": clean_name(z.get("name"), new, self.r, f"{path}.name"),
                        "description": clean_text(z.get("description"), self.r, path),
                        "trust": trust_from_rating(rating),
                        "parent": parent_id or None,
                    },
                )
            )

    def _assets(self, assets: list[tuple[str, dict[str, Any]]]) -> None:
        for path, a in assets:
            new = self.ids.get("asset", a["id"])
            if new is None or id(a) in self.dropped:
                continue
            risk = as_dict(a.get("risk"))
            conf = as_number(risk.get("confidentiality"))
            integrity = as_number(risk.get("integrity"))
            aext = as_dict(as_dict(a.get("attributes")).get(EXT))
            if conf is None:
                self.r.warn(f"{path}.risk", "no confidentiality rating; read as internal")
            self.b.assets.append(
                (
                    path,
                    {
                        "id": new,
                        "name": clean_name(a.get("name"), new, self.r, f"{path}.name"),
                        "description": clean_text(a.get("description"), self.r, path),
                        "classification": classification_from(conf)
                        if conf is not None
                        else "internal",
                        "pii": aext.get("pii") is True,
                        "crown_jewel": integrity is not None and integrity >= 90,
                    },
                )
            )

    def _components(self, components: list[tuple[str, dict[str, Any]]]) -> None:
        unknown: dict[str, list[str]] = defaultdict(list)
        nested: list[tuple[str, dict[str, Any], str]] = []
        by_new: dict[str, dict[str, Any]] = {}
        for path, c in components:
            new = self.ids.get("component", c["id"])
            if new is None or id(c) in self.dropped:
                continue
            cext = as_dict(as_dict(c.get("attributes")).get(EXT))
            ctype = as_str(c.get("type"))
            name = clean_name(c.get("name"), new, self.r, f"{path}.name")
            if ctype in KINDS:
                kind = ctype
            elif as_str(cext.get("kind")) in KINDS:
                kind = cext["kind"]
            else:
                kind = guess_kind(ctype)
                unknown[ctype].append(name)
            parent = as_dict(c.get("parent"))
            boundary: Any = None
            zone = parent.get("trustZone")
            if "trustZone" in parent and not (isinstance(zone, str) and zone in self.synthetic):
                boundary = self.ids.get("zone", zone) or zone
            elif "component" in parent:
                nested.append((path, c, as_str(parent["component"])))
            assets = as_dict(c.get("assets"))
            refs = strings([*as_list(assets.get("processed")), *as_list(assets.get("stored"))])
            raw = {
                "id": new,
                "kind": kind,
                "name": name,
                "description": clean_text(c.get("description"), self.r, path),
                "boundary": boundary or None,
                "properties": as_dict(cext.get("properties")),
                "assets": [self.ids.get("asset", a) or a for a in refs],
                "owner": cext.get("owner", ""),
                "tags": strings(c.get("tags")),
                "position": _position(c.get("representations")) or cext.get("position"),
            }
            by_new[new] = raw
            self.b.elements.append((path, raw))
            self._instances(f"{path}.threats", c["id"], new, name, c.get("threats"))
        for path, c, parent_id in nested:
            host = by_new.get(self.ids.get("component", parent_id) or "")
            raw = by_new[self.ids.get("component", c["id"]) or ""]
            raw["boundary"] = host["boundary"] if host else None
            self.r.warn(
                f"{path}.parent",
                f"component inside component '{parent_id}': placed in that component's trust zone",
            )
        for ctype, names in unknown.items():
            kind = guess_kind(ctype)
            listing = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
            self.r.warn(
                "components",
                f"type '{ctype}' is not a workbench kind: {len(names)} component(s) imported "
                f"as '{kind}' ({listing})",
            )

    def _flows(self, flows: list[tuple[str, dict[str, Any]]]) -> None:
        for path, d in flows:
            new = self.ids.get("dataflow", d["id"])
            if new is None or id(d) in self.dropped:
                continue
            fext = as_dict(as_dict(d.get("attributes")).get(EXT))
            source, target = as_str(d.get("source")), as_str(d.get("destination"))
            native_name = as_str(d.get("name"))
            ext_name = fext.get("name")
            name = native_name
            if isinstance(ext_name, str) and flow_name(ext_name, source, target) == native_name:
                name = ext_name
            tags = strings(d.get("tags"))
            if d.get("bidirectional") is True and BIDIRECTIONAL not in tags:
                self.r.warn(
                    path,
                    "bidirectional dataflow imported as one flow from source to "
                    "destination, tagged 'bidirectional'",
                )
                tags = [*tags, BIDIRECTIONAL]
            raw: dict[str, Any] = {
                key: fext[key]
                for key in (
                    "protocol",
                    "encrypted",
                    "authenticated",
                    "untrusted_content",
                    "query",
                    "initiated_by",
                )
                if key in fext
            }
            raw.update(
                {
                    "id": new,
                    "source": self.ids.get("component", source) or source,
                    "target": self.ids.get("component", target) or target,
                    "name": name,
                    "description": clean_text(d.get("description"), self.r, path),
                    "data": [self.ids.get("asset", a) or a for a in strings(d.get("assets"))],
                    "tags": tags,
                }
            )
            self.b.flows.append((path, raw))
            self._instances(f"{path}.threats", d["id"], new, name or new, d.get("threats"))

    # ------------------------------------------------------------------ threats
    def _instances(
        self, path: str, original: str, new: str, target_name: str, instances: Any
    ) -> None:
        for j, inst in enumerate(as_list(instances)):
            ipath = f"{path}[{j}]"
            if not isinstance(inst, dict):
                self.r.warn(ipath, "expected a threat instance object; dropped")
                continue
            tid = inst.get("threat")
            state = as_str(inst.get("state"))
            mits = [
                (as_str(m.get("mitigation")), as_str(m.get("state")))
                for m in as_list(inst.get("mitigations"))
                if isinstance(m, dict)
            ]
            if isinstance(tid, str):
                self.used_threats.add(tid)
            if is_finding_id(tid) and str(tid).rsplit("@", 1)[1] in (original, new):
                finding = f"{str(tid).rsplit('@', 1)[0]}@{new}"
                self._decision(ipath, str(tid), finding, state, mits)
            else:
                self.r.threats.append(
                    self._foreign(as_str(tid), new, target_name, state, mits, ipath)
                )

    def _foreign(
        self,
        tid: str,
        target: str,
        target_name: str,
        state: str,
        mits: list[tuple[str, str]],
        source: str,
    ) -> ForeignThreat:
        t = self.top_threats.get(tid, {})
        risk = as_dict(t.get("risk"))
        severity = ", ".join(
            f"{k} {risk[k]}" for k in ("likelihood", "impact") if as_number(risk.get(k)) is not None
        )
        return ForeignThreat(
            target=target,
            target_name=target_name,
            title=as_str(t.get("name")) or tid,
            status=state,
            severity=severity,
            description=as_str(t.get("description")),
            mitigations=tuple(
                f"{as_str(self.top_mitigations.get(m, {}).get('name')) or m}"
                + (f" ({s})" if s else "")
                for m, s in mits
            ),
            source=source,
        )

    def _decision(
        self, path: str, tid: str, finding: str, state: str, mits: list[tuple[str, str]]
    ) -> None:
        from pydantic import ValidationError

        from ...model import Decision

        current = self.decisions.get(tid)
        status = STATE_IN.get(state.strip().lower())
        if status is None:
            self.r.warn(
                f"{path}.state",
                f"state '{state}' has no workbench equivalent (exposed, in-progress, "
                "mitigated, accepted, transferred, avoided, false-positive, not-applicable); "
                "decision left as it was",
            )
        chosen = [m for m, s in mits if s.strip().lower() in CHOSEN_STATES and m]
        before_mits = strings((current or {}).get("mitigations"))
        new = dict(current or {})
        new["finding"] = finding
        changed = False
        if status is not None:
            updated = foreign_decision(
                current, finding, status, self.scoped, f"OTM state '{state.strip()}'", STATE_OUT
            )
            if updated is not None:
                new = updated
                changed = True
        if chosen != before_mits:
            new["mitigations"] = chosen
            changed = True
        if current is None and not changed:
            return
        if changed:
            try:
                Decision.model_validate(json.loads(json.dumps(new, default=str)))
            except ValidationError as exc:
                msg = str(exc.errors(include_url=False)[0]["msg"]).removeprefix("Value error, ")
                self.r.warn(path, f"{msg}; the decision was left as it was")
                return
        self.decisions.pop(tid, None)
        self.decisions[finding] = new

    def _unattached_threats(self) -> None:
        for tid, t in self.top_threats.items():
            if tid in self.used_threats or EXT in as_dict(t.get("attributes")):
                continue
            self.r.threats.append(self._foreign(tid, "", "", "", [], "threats"))


def _position(representations: Any) -> dict[str, float] | None:
    best = None
    for rep in as_list(representations):
        rep = as_dict(rep)
        pos = as_dict(rep.get("position"))
        x, y = as_number(pos.get("x")), as_number(pos.get("y"))
        if x is None or y is None:
            continue
        if rep.get("representation") == CANVAS:
            return {"x": x, "y": y}
        best = best or {"x": x, "y": y}
    return best


def from_otm(data: Any, filename: str = "<string>") -> ImportResult:
    """Import an OTM document (parsed JSON or YAML)."""
    r = Report(filename)
    if not isinstance(data, dict):
        raise r.fail("", "expected an Open Threat Model document (an object)")
    version = data.get("otmVersion")
    if not isinstance(version, str):
        raise r.fail("otmVersion", "missing: this is not an Open Threat Model file")
    if version.split(".")[:2] != ["0", "2"]:
        r.warn("otmVersion", f"OTM version {version}: read as {OTM_VERSION}")
    model = _OtmImport(data, r).run("Imported OTM model")
    return r.result(model, "otm")
