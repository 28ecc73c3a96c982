"""OTM 0.2.0 export: :func:`to_otm` (plain data) and :func:`dumps_otm` (JSON or YAML
text). The field mapping is described in :mod:`workbench.interop.otm`."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any, Literal

import yaml

from ...engine import Analysis
from ...model import FORMAT_VERSION, Asset, Boundary, Element, Flow, ThreatModel
from ...model.kinds import KINDS, STRIDE_NAMES, DfdType
from ...register import build_register
from ...version import __version__
from ..common import EXT, GENERATOR, dump, slug
from .format import (
    BIDIRECTIONAL,
    CANVAS,
    CONFIDENTIALITY,
    CROWN_JEWEL_INTEGRITY,
    OTHER_INTEGRITY,
    OTM_VERSION,
    RISK_REDUCTION,
    STATE_OUT,
    TRUST_RATING,
    flow_name,
)


def to_otm(
    model: ThreatModel, analysis: Analysis | None = None, *, threats: bool = True
) -> dict[str, Any]:
    """The model as an OTM 0.2.0 document (plain data).

    With ``threats`` (the default), the findings of ``analysis`` (default: an analysis
    with the built-in catalog) are exported as threats with their states."""
    if threats and analysis is None:
        from ...engine import analyze

        analysis = analyze(model)
    ext: dict[str, Any] = {
        "generator": f"{GENERATOR} {__version__}",
        "format_version": FORMAT_VERSION,
        "system": dump(model.system),
        "scope": dump(model.scope),
        "risk_tolerance": dump(model.risk_tolerance),
        "objectives": [dump(o) for o in model.objectives],
        "decisions": [dump(d) for d in model.decisions],
    }
    project: dict[str, Any] = {
        "name": model.system.name,
        "id": slug(model.system.name.lower(), "threat-model"),
    }
    if model.system.description:
        project["description"] = model.system.description
    if model.system.owners:
        project["owner"] = ", ".join(model.system.owners)
    project["attributes"] = {EXT: ext}
    doc: dict[str, Any] = {
        "otmVersion": OTM_VERSION,
        "project": project,
        "representations": [
            {"name": "AI Threat Workbench canvas", "id": CANVAS, "type": "diagram"}
        ],
        "assets": [_asset_out(a) for a in model.assets],
    }
    zones = [_zone_out(b) for b in model.boundaries]
    no_zone = None
    if any(e.boundary is None for e in model.elements):
        no_zone = _free_id("workbench-no-boundary", model.ids())
        zones.append(
            {
                "id": no_zone,
                "name": "Outside every trust boundary",
                "type": "workbench-none",
                "risk": {"trustRating": TRUST_RATING["trusted"]},
                "attributes": {EXT: {"synthetic": True}},
            }
        )
    doc["trustZones"] = zones
    instances: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if analysis is not None:
        doc["threats"], doc["mitigations"] = _threats_out(analysis, instances)
    doc["components"] = [_component_out(e, no_zone, instances.get(e.id)) for e in model.elements]
    doc["dataflows"] = [_flow_out(f, instances.get(f.id)) for f in model.flows]
    return doc


def dumps_otm(
    model: ThreatModel,
    analysis: Analysis | None = None,
    *,
    threats: bool = True,
    fmt: Literal["json", "yaml"] = "json",
) -> str:
    """The OTM document as JSON (default) or YAML text."""
    doc = to_otm(model, analysis, threats=threats)
    if fmt == "yaml":
        return str(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=4096))
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _free_id(base: str, used: set[str]) -> str:
    new, n = base, 2
    while new in used:
        new = f"{base}-{n}"
        n += 1
    return new


def _asset_out(a: Asset) -> dict[str, Any]:
    out: dict[str, Any] = {"id": a.id, "name": a.name}
    if a.description:
        out["description"] = a.description
    out["risk"] = {
        "confidentiality": CONFIDENTIALITY[a.classification],
        "integrity": CROWN_JEWEL_INTEGRITY if a.crown_jewel else OTHER_INTEGRITY,
        "availability": OTHER_INTEGRITY,
        "comment": "confidentiality from the workbench classification; integrity 100 marks "
        "a crown jewel",
    }
    out["attributes"] = {EXT: {"pii": a.pii}}
    return out


def _zone_out(b: Boundary) -> dict[str, Any]:
    out: dict[str, Any] = {"id": b.id, "name": b.name, "type": b.trust}
    if b.description:
        out["description"] = b.description
    out["risk"] = {"trustRating": TRUST_RATING[b.trust]}
    if b.parent is not None:
        out["parent"] = {"trustZone": b.parent}
    return out


def _component_out(
    e: Element, no_zone: str | None, threats: list[dict[str, Any]] | None
) -> dict[str, Any]:
    out: dict[str, Any] = {"id": e.id, "name": e.name, "type": e.kind}
    if e.description:
        out["description"] = e.description
    out["parent"] = {"trustZone": e.boundary if e.boundary is not None else no_zone}
    if e.position is not None:
        out["representations"] = [
            {
                "representation": CANVAS,
                "id": f"{e.id}-shape",
                "position": {"x": e.position.x, "y": e.position.y},
            }
        ]
    if e.assets:
        assets: dict[str, Any] = {"processed": list(e.assets)}
        if KINDS[e.kind].dfd is DfdType.DATA_STORE:
            assets["stored"] = list(e.assets)
        out["assets"] = assets
    if threats:
        out["threats"] = threats
    if e.tags:
        out["tags"] = list(e.tags)
    ext: dict[str, Any] = {"kind": e.kind, "properties": dump(e.properties)}
    if e.owner:
        ext["owner"] = e.owner
    if e.position is not None:
        ext["position"] = dump(e.position)
    out["attributes"] = {EXT: ext}
    return out


def _flow_out(f: Flow, threats: list[dict[str, Any]] | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": f.id,
        "name": flow_name(f.name, f.source, f.target),
        "bidirectional": BIDIRECTIONAL in f.tags,
        "source": f.source,
        "destination": f.target,
    }
    if f.description:
        out["description"] = f.description
    if f.data:
        out["assets"] = list(f.data)
    if threats:
        out["threats"] = threats
    if f.tags:
        out["tags"] = list(f.tags)
    ext = dump(f)
    for key in ("id", "source", "target", "description", "data", "tags"):
        ext.pop(key, None)
    ext["name"] = f.name
    out["attributes"] = {EXT: ext}
    return out


def _threats_out(
    analysis: Analysis, instances: dict[str, list[dict[str, Any]]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    catalog = analysis.catalog
    threats: list[dict[str, Any]] = []
    mitigation_ids: dict[str, None] = {}
    for entry in build_register(analysis).entries:
        f = entry.finding
        cat = catalog.threats.get(f.threat_id)
        threat: dict[str, Any] = {"id": f.id, "name": f.title}
        if cat is not None:
            threat["description"] = cat.description
        threat["categories"] = [STRIDE_NAMES[s] for s in f.stride]
        threat["cwes"] = list(f.references.get("cwe", ()))
        threat["risk"] = {
            "likelihood": f.likelihood * 20,
            "likelihoodComment": "; ".join(f.scoring) or "catalog default",
            "impact": f.impact * 20,
            "impactComment": f"inherent risk {f.risk}; residual risk {entry.residual_risk}",
        }
        threat["tags"] = [*f.atlas, *f.owasp]
        threat["attributes"] = {
            EXT: {
                "threat": f.threat_id,
                "target": f.target,
                "risk": f.risk,
                "residual_risk": entry.residual_risk,
                "why": list(f.why),
                "status": entry.status,
                "expired": entry.expired,
                "decision": entry.applied or None,
            }
        }
        threats.append(threat)
        # A scoped decision's mitigations stay in its own data (project attributes): as
        # chosen ones here, they would come back as a decision on each finding.
        d = entry.decision
        chosen = list(d.mitigations) if d is not None and not d.scoped else []
        chosen_state = "implemented" if entry.status == "mitigated" else "required"
        mitigations = list(dict.fromkeys([*chosen, *f.mitigations]))
        mitigation_ids.update(dict.fromkeys(mitigations))
        instances[f.target].append(
            {
                "threat": f.id,
                "state": STATE_OUT[entry.status],
                "mitigations": [
                    {"mitigation": m, "state": chosen_state if m in chosen else "recommended"}
                    for m in mitigations
                ],
            }
        )
    out_mitigations = []
    for m in mitigation_ids:
        cm = catalog.mitigations.get(m)
        item: dict[str, Any] = {"id": m, "name": cm.title if cm else m}
        if cm is not None:
            item["description"] = cm.description
        item["riskReduction"] = RISK_REDUCTION
        out_mitigations.append(item)
    return threats, out_mitigations
