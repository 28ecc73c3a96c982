"""Threagile import: :func:`from_threagile` (parsed YAML) and :func:`loads_threagile`
(text). The field mapping is described in :mod:`workbench.interop.threagile`."""

from __future__ import annotations

from typing import Any

from ..common import (
    ForeignThreat,
    IdAllocator,
    ImportResult,
    ModelBuilder,
    Report,
    as_dict,
    as_list,
    as_str,
    clean_name,
    clean_text,
    parse_any,
    slug,
    strings,
)
from .format import (
    CLASSIFICATION,
    ENCRYPTED_PROTOCOLS,
    LOCAL_PROTOCOLS,
    OUR_RULE,
    PII_TAG,
    RISK_STATUS_IN,
    STATUS_WORDS,
    TECHNOLOGY_KIND,
    TRUST_TAGS,
    TYPE_KIND,
    UNKNOWN_PROTOCOL,
    link_id,
)

MAPPED_SECTIONS = {
    "threagile_version",
    "title",
    "author",
    "contributors",
    "management_summary_comment",
    "tags_available",
    "technical_overview",
    "individual_risk_categories",
    "risk_tracking",
    "business_overview",
    "data_assets",
    "technical_assets",
    "trust_boundaries",
}
ASSET_FIELDS = {"id", "description", "confidentiality", "integrity", "availability"}
TECH_FIELDS = {
    "id",
    "description",
    "type",
    "technology",
    "internet",
    "encryption",
    "owner",
    "confidentiality",
    "multi_tenant",
    "tags",
    "data_assets_processed",
    "data_assets_stored",
    "communication_links",
    "out_of_scope",
    "justification_out_of_scope",
}
LINK_FIELDS = {
    "target",
    "tags",
    "description",
    "protocol",
    "authentication",
    "vpn",
    "data_assets_sent",
    "data_assets_received",
}


def loads_threagile(text: str, filename: str = "<string>") -> ImportResult:
    """Import Threagile YAML text."""
    return from_threagile(parse_any(text, filename), filename)


def _section(data: dict[str, Any], key: str, r: Report) -> list[tuple[str, str, dict[str, Any]]]:
    """``(path, title, item)`` of a Threagile mapping of titled items."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, dict):
        raise r.fail(key, f"expected a mapping of titles to items, got {type(value).__name__}")
    out = []
    for title, item in value.items():
        path = f"{key}.{title}"
        if not isinstance(item, dict):
            r.warn(path, f"expected a mapping, got {type(item).__name__}; dropped")
            continue
        if not isinstance(item.get("id"), str) or not item["id"]:
            r.warn(path, "has no ID; dropped")
            continue
        out.append((path, str(title), item))
    return out


def _unmapped_fields(r: Report, what: str, items: list[dict[str, Any]], known: set[str]) -> None:
    fields = sorted({k for item in items for k, v in item.items() if k not in known and v})
    if fields:
        r.note_unmapped(f"{what} fields: {', '.join(fields)}")


class _ThreagileImport:
    def __init__(self, data: dict[str, Any], report: Report) -> None:
        self.data = data
        self.r = report
        self.b = ModelBuilder(report)
        self.ids = IdAllocator()
        self.out_of_scope: list[str] = []
        self.dropped: set[int] = set()
        self.parent: dict[str, str] = {}
        self.member: dict[str, str] = {}
        self.link_ids: dict[str, str] = {}
        """Threagile's ID of each imported link (``SOURCE>title``) → our flow ID."""

    def run(self) -> None:
        data, r = self.data, self.r
        assets = _section(data, "data_assets", r)
        techs = _section(data, "technical_assets", r)
        boundaries = _section(data, "trust_boundaries", r)
        for ns, items in (
            ("trust boundary", boundaries),
            ("data asset", assets),
            ("technical asset", techs),
        ):
            for path, _, item in items:
                if self.ids.claim(ns, item["id"], item["id"], r, path) is None:
                    self.dropped.add(id(item))
        self._system()
        self._assets(assets)
        self._boundaries(boundaries)
        self._techs(techs)
        for key in sorted(k for k in data if k not in MAPPED_SECTIONS and data[k]):
            r.note_unmapped(f"section '{key}'")
        self._risks()

    def _system(self) -> None:
        data = self.data
        author = as_dict(data.get("author"))
        people = [author, *(as_dict(c) for c in as_list(data.get("contributors")))]
        overview = as_dict(data.get("business_overview"))
        technical = as_dict(data.get("technical_overview"))
        self.b.system = {
            "name": clean_name(data.get("title"), "Imported Threagile model", self.r, "title"),
            "description": clean_text(overview.get("description"), self.r, "business_overview"),
            "owners": strings([as_str(p.get("name")).strip() for p in people if p.get("name")]),
            "repository": as_str(author.get("homepage")).strip(),
        }
        self.b.scope = {
            "description": clean_text(technical.get("description"), self.r, "technical_overview"),
            "out_of_scope": self.out_of_scope,
        }
        comment = as_str(data.get("management_summary_comment"))
        if comment:
            self.b.risk_tolerance = {"statement": comment}

    def _assets(self, assets: list[tuple[str, str, dict[str, Any]]]) -> None:
        kept = []
        for path, title, a in assets:
            new = self.ids.get("data asset", a["id"])
            if new is None or id(a) in self.dropped:
                continue
            kept.append(a)
            conf = as_str(a.get("confidentiality"))
            if conf and conf not in CLASSIFICATION:
                self.r.warn(
                    f"{path}.confidentiality",
                    f"'{conf}' is not a Threagile confidentiality; read as internal",
                )
            critical = "mission-critical" in (a.get("integrity"), a.get("availability"))
            self.b.assets.append(
                (
                    path,
                    {
                        "id": new,
                        "name": clean_name(title, new, self.r, path),
                        "description": clean_text(a.get("description"), self.r, path),
                        "classification": CLASSIFICATION.get(conf, "internal"),
                        "pii": PII_TAG in strings(a.get("tags")),
                        "crown_jewel": critical,
                    },
                )
            )
        _unmapped_fields(self.r, "data asset", kept, ASSET_FIELDS)

    def _boundaries(self, boundaries: list[tuple[str, str, dict[str, Any]]]) -> None:
        for path, _, tb in boundaries:
            new = self.ids.get("trust boundary", tb["id"])
            if new is None or id(tb) in self.dropped:
                continue
            self._place(tb, path, new, "trust_boundaries_nested", self.parent, "nested in")
            self._place(tb, path, new, "technical_assets_inside", self.member, "in")
        for path, title, tb in boundaries:
            new = self.ids.get("trust boundary", tb["id"])
            if new is None or id(tb) in self.dropped:
                continue
            self.b.boundaries.append(
                (
                    path,
                    {
                        "id": new,
                        "name": clean_name(title, new, self.r, path),
                        "description": clean_text(tb.get("description"), self.r, path),
                        "parent": self.parent.get(new),
                        "trust": next(
                            (t for t in TRUST_TAGS if t in strings(tb.get("tags"))), "trusted"
                        ),
                    },
                )
            )
        if any(as_str(tb.get("type")) for _, _, tb in boundaries):
            self.r.note_unmapped(
                "trust boundary fields: type (boundaries are read as trusted unless tagged "
                "'untrusted' or 'partner')"
            )

    def _place(
        self,
        tb: dict[str, Any],
        path: str,
        new: str,
        key: str,
        where: dict[str, str],
        relation: str,
    ) -> None:
        """Put each item ``tb[key]`` lists (nested boundaries or technical assets) in
        boundary ``new``; an item already placed elsewhere stays there, with a warning."""
        kind = "trust boundary" if key == "trust_boundaries_nested" else "technical asset"
        for item in strings(tb.get(key)):
            item_id = self.ids.get(kind, item) or item
            if item_id in where:
                self.r.warn(
                    f"{path}.{key}",
                    f"'{item}' is already {relation} '{where[item_id]}'; kept there",
                )
                continue
            where[item_id] = new

    def _techs(self, techs: list[tuple[str, str, dict[str, Any]]]) -> None:
        kept, links = [], []
        for path, title, t in techs:
            new = self.ids.get("technical asset", t["id"])
            if new is None or id(t) in self.dropped:
                continue
            kept.append(t)
            name = clean_name(title, new, self.r, path)
            ttype = as_str(t.get("type"))
            kind = TYPE_KIND.get(ttype)
            if kind is None:
                self.r.warn(
                    f"{path}.type",
                    f"type '{ttype}' is not external-entity, process or datastore; read as process",
                )
                kind = "process"
            kind = TECHNOLOGY_KIND.get(as_str(t.get("technology")), kind)
            props: dict[str, Any] = {}
            if isinstance(t.get("internet"), bool):
                props["exposure"] = "internet" if t["internet"] else "internal"
            encryption = as_str(t.get("encryption"))
            if encryption and kind in ("data_store", "secrets_store"):
                props["encrypted_at_rest"] = encryption != "none"
            if isinstance(t.get("multi_tenant"), bool):
                props["multi_tenant"] = t["multi_tenant"]
            conf = as_str(t.get("confidentiality"))
            if conf in CLASSIFICATION:
                props["data_classification"] = CLASSIFICATION[conf]
            tags = strings(t.get("tags"))
            if t.get("out_of_scope") is True:
                tags = strings([*tags, "out-of-scope"])
                reason = as_str(t.get("justification_out_of_scope")).strip()
                self.out_of_scope.append(f"{name}: {reason}" if reason else name)
            refs = strings(
                [*as_list(t.get("data_assets_processed")), *as_list(t.get("data_assets_stored"))]
            )
            self.b.elements.append(
                (
                    path,
                    {
                        "id": new,
                        "kind": kind,
                        "name": name,
                        "description": clean_text(t.get("description"), self.r, path),
                        "boundary": self.member.get(new),
                        "properties": props,
                        "assets": [self.ids.get("data asset", a) or a for a in refs],
                        "owner": as_str(t.get("owner")),
                        "tags": tags,
                    },
                )
            )
            value = t.get("communication_links")
            if value is not None and not isinstance(value, dict):
                self.r.warn(f"{path}.communication_links", "expected a mapping; dropped")
                continue
            for link_name, link in as_dict(value).items():
                links.append(link if isinstance(link, dict) else {})
                flow = self._link(
                    f"{path}.communication_links.{link_name}", new, str(link_name), link
                )
                if flow is not None:
                    self.link_ids[link_id(t["id"], str(link_name))] = flow
        _unmapped_fields(self.r, "technical asset", kept, TECH_FIELDS)
        _unmapped_fields(self.r, "communication link", links, LINK_FIELDS)

    def _link(self, path: str, source: str, name: str, link: Any) -> str | None:
        if not isinstance(link, dict):
            self.r.warn(path, f"expected a mapping, got {type(link).__name__}; dropped")
            return None
        target = as_str(link.get("target"))
        new = self.ids.claim(
            "link", f"{source}/{name}", slug(f"{source}-{name}", "link"), self.r, path
        )
        if new is None:
            return None
        protocol = as_str(link.get("protocol"))
        if protocol == UNKNOWN_PROTOCOL:
            protocol = ""
        encrypted: bool | None = None
        if protocol in ENCRYPTED_PROTOCOLS or link.get("vpn") is True:
            encrypted = True
        elif protocol and protocol not in LOCAL_PROTOCOLS:
            encrypted = False
        authentication = as_str(link.get("authentication"))
        data = strings(
            [*as_list(link.get("data_assets_sent")), *as_list(link.get("data_assets_received"))]
        )
        self.b.flows.append(
            (
                path,
                {
                    "id": new,
                    "source": source,
                    "target": self.ids.get("technical asset", target) or target,
                    "name": clean_text(name, self.r, path),
                    "description": clean_text(link.get("description"), self.r, path),
                    "protocol": protocol,
                    "encrypted": encrypted,
                    "authenticated": authentication != "none" if authentication else None,
                    "data": [self.ids.get("data asset", a) or a for a in data],
                    "tags": strings(link.get("tags")),
                },
            )
        )
        return new

    def _risks(self) -> None:
        """Risks of categories the workbench wrote are its findings (recomputed from the
        model); their risk tracking entries become decisions. Other categories' risks and
        other tracking entries are listed as threats of the other tool."""
        ours: dict[str, str] = {}
        foreign_categories = False
        for title, cat in as_dict(self.data.get("individual_risk_categories")).items():
            cat = as_dict(cat)
            logic = as_str(cat.get("detection_logic"))
            if logic.startswith(f"{OUR_RULE} ") and as_str(cat.get("id")):
                ours[as_str(cat.get("id"))] = logic.removeprefix(f"{OUR_RULE} ").strip()
                continue
            foreign_categories = True
            for risk_title, risk in as_dict(cat.get("risks_identified")).items():
                risk = as_dict(risk)
                target = as_str(risk.get("most_relevant_technical_asset"))
                new = self.ids.get("technical asset", target) or ""
                self.r.threats.append(
                    ForeignThreat(
                        target=new,
                        target_name=target,
                        title=f"{title}: {risk_title}",
                        status="",
                        severity=as_str(risk.get("severity")),
                        description=as_str(cat.get("description")),
                        mitigations=tuple(m for m in [as_str(cat.get("mitigation"))] if m),
                        source=f"individual_risk_categories.{title}",
                    )
                )
        if foreign_categories:
            self.r.note_unmapped("section 'individual_risk_categories'")
        foreign_tracking = False
        for risk_id, tracking in as_dict(self.data.get("risk_tracking")).items():
            tracking = as_dict(tracking)
            finding = self._our_finding(str(risk_id), ours)
            if finding is not None:
                self._tracked(f"risk_tracking.{risk_id}", finding, tracking)
                continue
            foreign_tracking = True
            self.r.threats.append(
                ForeignThreat(
                    target="",
                    target_name="",
                    title=str(risk_id),
                    status=as_str(tracking.get("status")),
                    severity="",
                    description=as_str(tracking.get("justification")),
                    mitigations=(),
                    source=f"risk_tracking.{risk_id}",
                )
            )
        if foreign_tracking:
            self.r.note_unmapped("section 'risk_tracking'")

    def _our_finding(self, risk_id: str, ours: dict[str, str]) -> str | None:
        """Our finding ID for a synthetic risk ID of one of our categories
        (``CATEGORY@ASSET`` or ``CATEGORY@SOURCE@SOURCE>link``), else ``None``."""
        parts = risk_id.strip().split("@")
        if parts[0] not in ours or len(parts) not in (2, 3):
            return None
        if len(parts) == 3:
            target = self.link_ids.get(parts[2])
        else:
            target = self.ids.get("technical asset", parts[1])
        return f"{ours[parts[0]]}@{target}" if target else None

    def _tracked(self, path: str, finding: str, tracking: dict[str, Any]) -> None:
        status = as_str(tracking.get("status"))
        if status not in RISK_STATUS_IN:
            self.r.warn(f"{path}.status", f"'{status}' is not a Threagile risk status; left out")
            return
        ours = RISK_STATUS_IN[status]
        justification = as_str(tracking.get("justification"))
        for our_status, words in STATUS_WORDS.items():
            for lead in (f"{words}: ", f"{words}."):
                if justification.startswith(lead):
                    ours = our_status
                    justification = justification.removeprefix(lead)
        decision: dict[str, Any] = {"finding": finding, "status": ours}
        if justification:
            decision["rationale"] = justification
        for key, field in (("checked_by", "owner"), ("ticket", "ticket"), ("date", "decided")):
            value = tracking.get(key)
            if value not in (None, ""):
                decision[field] = str(value)
        if ours == "open" and len(decision) == 2:
            return
        self.b.decisions.append((path, decision))


def from_threagile(data: Any, filename: str = "<string>") -> ImportResult:
    """Import a Threagile model (parsed YAML)."""
    r = Report(filename)
    if not isinstance(data, dict) or not (
        "technical_assets" in data or "threagile_version" in data
    ):
        raise r.fail("", "not a Threagile model (no 'threagile_version' or 'technical_assets')")
    imp = _ThreagileImport(data, r)
    imp.run()
    return r.result(imp.b.build("Imported Threagile model"), "threagile")
