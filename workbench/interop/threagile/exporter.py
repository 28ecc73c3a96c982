"""Threagile export: :func:`to_threagile` (plain data) and :func:`dumps_threagile` (YAML
text). The field mapping is described in :mod:`workbench.interop.threagile`."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import yaml

from ...engine import Analysis, Finding
from ...model import Asset, Boundary, Decision, Element, Flow, ThreatModel
from ...model.kinds import KINDS, DfdType
from ...register import Entry, build_register
from ...version import __version__
from ..common import GENERATOR
from .format import (
    BOUNDARY_TYPE,
    CLASSIFICATION_OUT,
    CRITICALITY_ORDER,
    CROWN_JEWEL_CRITICALITY,
    ENCRYPTED_PROTOCOLS,
    ENCRYPTED_VARIANT,
    IMPACT,
    IMPACT_CRITICALITY,
    LIKELIHOOD,
    OTHER_CRITICALITY,
    OUR_RULE,
    PII_TAG,
    PROTOCOL_WORDS,
    PROTOCOLS,
    RISK_STATUS,
    SEVERITY,
    STATUS_WORDS,
    STRIDE,
    TECHNOLOGY,
    THREAGILE_VERSION,
    TRUST_TAGS,
    UNKNOWN_PROTOCOL,
    ThreagileIds,
    link_id,
)

_TYPE = {
    DfdType.EXTERNAL_ENTITY: "external-entity",
    DfdType.PROCESS: "process",
    DfdType.DATA_STORE: "datastore",
}


def to_threagile(
    model: ThreatModel, analysis: Analysis | None = None, *, threats: bool = True
) -> dict[str, Any]:
    """The model as a Threagile model (plain data).

    With ``threats`` (the default), the findings of ``analysis`` (default: an analysis
    with the built-in catalog) become individual risk categories (one per threat) with
    their risks, and the decisions that apply to them become risk tracking entries."""
    if threats and analysis is None:
        from ...engine import analyze

        analysis = analyze(model)
    return _Exporter(model, analysis if threats else None).model()


def dumps_threagile(
    model: ThreatModel, analysis: Analysis | None = None, *, threats: bool = True
) -> str:
    """The Threagile model as YAML text."""
    doc = to_threagile(model, analysis, threats=threats)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # the C one is 20 times faster
    body = yaml.dump(doc, Dumper=dumper, sort_keys=False, allow_unicode=True, width=4096)
    return f"# Threagile model exported by {GENERATOR} {__version__}\n{body}"


def _unique_titles(items: list[tuple[str, str]]) -> dict[str, str]:
    """A title per ID: the name, with the ID after it when another item has that name
    (Threagile's maps are keyed by title)."""
    count: dict[str, int] = defaultdict(int)
    for _, name in items:
        count[name.casefold()] += 1
    out: dict[str, str] = {}
    used: set[str] = set()
    for item_id, name in items:
        title = name if count[name.casefold()] == 1 else f"{name} ({item_id})"
        while title.casefold() in used:
            title += "'"
        used.add(title.casefold())
        out[item_id] = title
    return out


class _Exporter:
    def __init__(self, model: ThreatModel, analysis: Analysis | None) -> None:
        self.m = model
        self.analysis = analysis
        self.ids = ThreagileIds(model.ids())
        self.tags: dict[str, None] = {}
        self.elements = {e.id: e for e in model.elements}
        self.links: dict[str, tuple[str, str]] = {}
        """Our flow ID → (source's Threagile ID, link title)."""

    def model(self) -> dict[str, Any]:
        m = self.m
        s = m.system
        doc: dict[str, Any] = {"threagile_version": THREAGILE_VERSION, "title": s.name}
        owners = list(s.owners)
        author: dict[str, Any] = {"name": owners[0] if owners else "", "homepage": s.repository}
        doc["author"] = author
        if len(owners) > 1:
            doc["contributors"] = [{"name": o} for o in owners[1:]]
        doc["management_summary_comment"] = m.risk_tolerance.statement
        impacts = [IMPACT_CRITICALITY[o.impact] for o in m.objectives]
        doc["business_criticality"] = max(
            impacts or [OTHER_CRITICALITY], key=CRITICALITY_ORDER.index
        )
        doc["business_overview"] = {"description": s.description, "images": []}
        doc["technical_overview"] = {"description": m.scope.description, "images": []}
        doc["questions"] = {}
        doc["abuse_cases"] = {}
        doc["security_requirements"] = {
            o.title: o.description or f"Business objective ({o.impact} impact)"
            for o in m.objectives
        }
        data_assets = self._data_assets()
        technical = self._technical_assets()
        boundaries = self._boundaries()
        doc["tags_available"] = sorted(self.tags)
        doc["data_assets"] = data_assets
        doc["technical_assets"] = technical
        doc["trust_boundaries"] = boundaries
        doc["shared_runtimes"] = {}
        if self.analysis is not None:
            categories, tracking = self._risks(self.analysis)
            doc["individual_risk_categories"] = categories
            doc["risk_tracking"] = tracking
        return doc

    def _tag(self, tags: list[str]) -> list[str]:
        self.tags.update(dict.fromkeys(tags))
        return list(tags)

    # ---------------------------------------------------------------- parts
    def _data_assets(self) -> dict[str, Any]:
        titles = _unique_titles([(a.id, a.name) for a in self.m.assets])
        return {titles[a.id]: self._data_asset(a) for a in self.m.assets}

    def _data_asset(self, a: Asset) -> dict[str, Any]:
        critical = CROWN_JEWEL_CRITICALITY if a.crown_jewel else OTHER_CRITICALITY
        return {
            "id": self.ids[a.id],
            "description": a.description or a.name,
            "usage": "business",
            "tags": self._tag([PII_TAG] if a.pii else []),
            "origin": "",
            "owner": "",
            "quantity": "many",
            "confidentiality": CLASSIFICATION_OUT[a.classification],
            "integrity": critical,
            "availability": critical,
            "justification_cia_rating": "from the workbench classification"
            + ("; a crown jewel" if a.crown_jewel else ""),
        }

    def _technical_assets(self) -> dict[str, Any]:
        titles = _unique_titles([(e.id, e.name) for e in self.m.elements])
        out_of_scope = self._out_of_scope_reasons()
        by_source: dict[str, list[Flow]] = defaultdict(list)
        for f in self.m.flows:
            by_source[f.source].append(f)
        return {
            titles[e.id]: self._technical(e, by_source[e.id], out_of_scope.get(e.id, ""))
            for e in self.m.elements
        }

    def _out_of_scope_reasons(self) -> dict[str, str]:
        reasons = {}
        for e in self.m.elements:
            for text in self.m.scope.out_of_scope:
                if text.startswith(f"{e.name}: "):
                    reasons[e.id] = text.removeprefix(f"{e.name}: ")
        return reasons

    def _technical(self, e: Element, flows: list[Flow], reason: str) -> dict[str, Any]:
        p = e.properties
        dfd = KINDS[e.kind].dfd
        store = dfd is DfdType.DATA_STORE
        assets = [self.ids[a] for a in e.assets]
        out_of_scope = "out-of-scope" in e.tags
        tags = [t for t in e.tags if t != "out-of-scope"]
        return {
            "id": self.ids[e.id],
            "description": e.description or e.name,
            "type": _TYPE[dfd],
            "usage": "business",
            "used_as_client_by_human": e.kind in ("user", "client_app"),
            "out_of_scope": out_of_scope,
            "justification_out_of_scope": reason if out_of_scope else "",
            "size": "service" if dfd is DfdType.PROCESS else "component",
            "technology": TECHNOLOGY.get(e.kind, "unknown-technology"),
            "tags": self._tag(tags),
            "internet": p.exposure == "internet",
            "machine": "virtual",
            "encryption": "transparent" if p.encrypted_at_rest else "none",
            "owner": e.owner,
            "confidentiality": CLASSIFICATION_OUT[p.data_classification or "internal"],
            "integrity": OTHER_CRITICALITY,
            "availability": OTHER_CRITICALITY,
            "justification_cia_rating": "",
            "multi_tenant": bool(p.multi_tenant),
            "redundant": False,
            "custom_developed_parts": not (p.third_party or KINDS[e.kind].external),
            "data_assets_processed": assets,
            "data_assets_stored": assets if store else [],
            "data_formats_accepted": [],
            "communication_links": self._links(e, flows),
        }

    def _links(self, e: Element, flows: list[Flow]) -> dict[str, Any]:
        wanted = [(f.id, f.name or f"to {self._name(f.target)}") for f in flows]
        titles = _unique_titles(wanted)
        seen: set[str] = set()
        out = {}
        for f in flows:
            title = titles[f.id]
            lid = link_id(self.ids[e.id], title)
            while lid in seen:  # titles that differ only in punctuation
                title += " 2"
                lid = link_id(self.ids[e.id], title)
            seen.add(lid)
            self.links[f.id] = (self.ids[e.id], title)
            out[title] = self._link(f)
        return out

    def _name(self, element_id: str) -> str:
        e = self.elements.get(element_id)
        return e.name if e is not None else element_id

    def _link(self, f: Flow) -> dict[str, Any]:
        protocol, vpn = _protocol(f)
        target = self.elements.get(f.target)
        authorized = target is not None and target.properties.authorization is True
        return {
            "target": self.ids[f.target],
            "description": f.description or f.name or f"{f.source} to {f.target}",
            "protocol": protocol,
            "authentication": "token" if f.authenticated else "none",
            "authorization": "technical-user" if authorized else "none",
            "tags": self._tag(list(f.tags)),
            "vpn": vpn,
            "ip_filtered": False,
            "readonly": f.query is True,
            "usage": "business",
            "data_assets_sent": [self.ids[a] for a in f.data],
            "data_assets_received": [],
        }

    def _boundaries(self) -> dict[str, Any]:
        titles = _unique_titles([(b.id, b.name) for b in self.m.boundaries])
        return {titles[b.id]: self._boundary(b) for b in self.m.boundaries}

    def _boundary(self, b: Boundary) -> dict[str, Any]:
        return {
            "id": self.ids[b.id],
            "description": b.description or b.name,
            "type": BOUNDARY_TYPE[b.trust],
            "tags": self._tag([TRUST_TAGS[b.trust]] if b.trust in TRUST_TAGS else []),
            "technical_assets_inside": [
                self.ids[e.id] for e in self.m.elements if e.boundary == b.id
            ],
            "trust_boundaries_nested": [
                self.ids[c.id] for c in self.m.boundaries if c.parent == b.id
            ],
        }

    # ---------------------------------------------------------------- risks
    def _risks(self, analysis: Analysis) -> tuple[dict[str, Any], dict[str, Any]]:
        catalog = analysis.catalog
        by_threat: dict[str, list[Entry]] = defaultdict(list)
        for entry in build_register(analysis).entries:
            by_threat[entry.finding.threat_id].append(entry)
        titles = _unique_titles(
            [
                (t, catalog.threats[t].title if t in catalog.threats else t)
                for t in sorted(by_threat)
            ]
        )
        categories: dict[str, Any] = {}
        tracking: dict[str, Any] = {}
        for threat_id in sorted(by_threat):
            entries = by_threat[threat_id]
            first = entries[0].finding
            cat = catalog.threats.get(threat_id)
            cat_id = ThreagileIds([threat_id])[threat_id]
            mitigations = [
                catalog.mitigations[m].title if m in catalog.mitigations else m
                for m in first.mitigations
            ]
            cwes = [c.split("-")[-1] for c in first.references.get("cwe", ())]
            risk_titles = _unique_titles([(e.finding.id, e.finding.target_name) for e in entries])
            identified = {}
            for entry in entries:
                key, risk = self._risk(cat_id, entry.finding)
                identified[f"{first.title} at {risk_titles[entry.finding.id]}"] = risk
                if entry.decision is not None:
                    tracking[key] = _tracking(entry.decision)
            categories[titles[threat_id]] = {
                "id": cat_id,
                "description": cat.description if cat else first.title,
                "impact": cat.consequence if cat else "",
                "asvs": "",
                "cheat_sheet": "",
                "action": first.title,
                "mitigation": "; ".join(mitigations),
                "check": "",
                "function": "architecture",
                "stride": STRIDE[first.stride[0]] if first.stride else "tampering",
                "detection_logic": f"{OUR_RULE} {threat_id}",
                "risk_assessment": "likelihood x impact, 1..5 each (AI Threat Workbench)",
                "false_positives": "",
                "model_failure_possible_reason": False,
                "cwe": int(cwes[0]) if cwes and cwes[0].isdigit() else 0,
                "risks_identified": identified,
            }
        return categories, tracking

    def _risk(self, cat_id: str, f: Finding) -> tuple[str, dict[str, Any]]:
        """The synthetic risk ID Threagile will give the risk, and the risk."""
        disclosure = "I" in f.stride
        risk: dict[str, Any] = {
            "severity": SEVERITY.get(f.risk, "medium"),
            "exploitation_likelihood": LIKELIHOOD[f.likelihood],
            "exploitation_impact": IMPACT[f.impact],
            "data_breach_probability": "possible" if disclosure else "improbable",
            "data_breach_technical_assets": [],
            "most_relevant_data_asset": "",
            "most_relevant_technical_asset": "",
            "most_relevant_communication_link": "",
            "most_relevant_trust_boundary": "",
            "most_relevant_shared_runtime": "",
        }
        if f.target_type == "flow":
            source, title = self.links[f.target]
            link = link_id(source, title)
            risk["most_relevant_technical_asset"] = source
            risk["most_relevant_communication_link"] = link
            key = f"{cat_id}@{source}@{link}"
        else:
            asset = self.ids[f.target]
            risk["most_relevant_technical_asset"] = asset
            key = f"{cat_id}@{asset}"
        if disclosure:
            risk["data_breach_technical_assets"] = [risk["most_relevant_technical_asset"]]
        return key, risk


def _protocol(f: Flow) -> tuple[str, bool]:
    """Threagile's protocol for a flow, and whether to mark the link as over a VPN (an
    encrypted flow whose protocol has no encrypted variant)."""
    text = f.protocol.strip().lower()
    if not text:
        if f.encrypted is None:
            return UNKNOWN_PROTOCOL, False
        return ("binary-encrypted" if f.encrypted else "binary"), False
    protocol = PROTOCOLS.get(text) or next(
        (v for k, v in PROTOCOL_WORDS.items() if k in text), None
    )
    if protocol is None:
        if f.encrypted is None:
            return UNKNOWN_PROTOCOL, False
        protocol = "binary"
    if f.encrypted and protocol not in ENCRYPTED_PROTOCOLS:
        if protocol in ENCRYPTED_VARIANT:
            return ENCRYPTED_VARIANT[protocol], False
        return protocol, True
    if f.encrypted is False and protocol in ENCRYPTED_PROTOCOLS:
        plain = {v: k for k, v in ENCRYPTED_VARIANT.items()}
        return plain.get(protocol, "binary"), False
    return protocol, False


def _tracking(d: Decision) -> dict[str, Any]:
    """The risk tracking entry of a decision."""
    words = STATUS_WORDS.get(d.status)
    justification = d.rationale
    if words:
        justification = f"{words}: {justification}" if justification else f"{words}."
    return {
        "status": RISK_STATUS[d.status],
        "justification": justification,
        "ticket": d.ticket,
        "date": d.decided.isoformat() if d.decided else None,
        "checked_by": d.owner,
    }
