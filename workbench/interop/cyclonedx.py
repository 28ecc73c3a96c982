"""CycloneDX 2.0 threat-model BOM (TM-BOM) export and import — **pre-release**.

CycloneDX 2.0 and its threat-model extension are not final: field names may still
change. The whole mapping lives in this one module, so that a change of the schema is a
local edit: the vocabulary tables first, then the exporter (:func:`to_cyclonedx`,
:func:`dumps_cyclonedx`), then the importer (:func:`from_cyclonedx`,
:func:`loads_cyclonedx`). Written against the bundled 2.0 schema of the CycloneDX
specification's ``2.0-dev-threatmodeling`` branch.

Mapping (ours ↔ CycloneDX 2.0):

==========================  ==========================================================
workbench                   CycloneDX 2.0
==========================  ==========================================================
system                      ``metadata.component`` (type ``application``): name,
                            description, version, owners as ``parties`` (role owner),
                            repository as a ``vcs`` external reference
element                     a ``component`` or ``service`` by kind (see
                            :data:`ELEMENT_SECTION`), or for people (``user``,
                            ``operator``) a blueprint ``actor`` with a persona; name,
                            description, tags; a blueprint ``asset`` with
                            ``componentRef`` places it in its zone and holds its owner
                            (``ownership``); ``service.authenticated`` from the
                            authentication property
boundary                    a blueprint ``zone`` (type ``trust``, ``parent``), a blueprint
                            ``boundary`` between it and its parent (or the synthetic
                            zone ``workbench:outside``), and a ``threats.trustBoundaries``
                            entry on it with ``trustLevel``: untrusted, semi-trusted
                            (partner), trusted
asset                       a blueprint ``asset`` of type ``data``: classification,
                            criticality ``critical`` for a crown jewel, category
                            ``personal-data`` for PII; an element's assets are blueprint
                            ``relationships`` (a store ``contains``, others
                            ``associates``)
flow                        a blueprint ``flow`` (type ``data``): source, destination,
                            name, ``protocols``, ``encrypted``, ``authentication``
                            (``none`` when not authenticated), ``bidirectional`` (tag
                            ``bidirectional``), carried assets as ``dataObjects``
scope assumptions           blueprint ``assumptions``
risk tolerance              ``risks.riskAppetites`` (info averse, low minimal, medium
                            cautious, high open, critical hungry) and the review cadence
                            as the blueprint's ``validityPeriod.reviewFrequency``
objective                   ``definitions.businessObjectives`` (impact → criticality)
finding                     a ``threats.threats`` entry (bom-ref = finding ID): STRIDE
                            categories, CWE weaknesses, ATLAS techniques as
                            ``attackPatterns``, the target as affected asset, objectives,
                            catalog mitigations as ``controls``; and a ``risks.risks``
                            entry with the threat statement, inherent and residual
                            ratings, the status and the decision as a ``response``
decision                    on its finding's risk (status: identified, assessed,
                            mitigated, accepted, transferred, retired; response strategy
                            reduce / accept / transfer / avoid, chosen mitigations as
                            controls, due date, owner, ticket); a scoped or orphaned
                            decision is a risk of its own
attack path                 ``threats.attackPaths`` with one step per hop (source,
                            destination, the trust boundary crossed, the findings)
attack tree                 ``threats.attackTrees`` when :mod:`workbench.attack_trees` is
                            installed
==========================  ==========================================================

What CycloneDX has no field for (an element's kind and properties, its position, a
boundary's description, the system's scope texts, an objective's category and elements,
a flow's description, tags, untrusted content, query and initiator, and every field of a
decision) is kept on each item as a property ``workbench:data`` holding our data as JSON.
On import the CycloneDX fields are read first and win where they no longer say what our
data would export (a component renamed or moved to another zone in another tool keeps
its new name or zone); our data restores the rest. So ours → CycloneDX → ours gives back
an equal model. Findings, their risks, attack paths and attack trees are derived from the
model: import recomputes them instead of reading them.

What does **not** survive when the ``workbench:data`` properties are lost (a tool that
drops properties it does not know; ``test_without_our_data_the_documented_fields_survive``
in ``tests/test_interop_cyclonedx.py`` checks this list): kinds become the generic ones of
their CycloneDX type (a data component: ``data_store``; a service or an application:
``process``; a machine-learning model: ``model_artifact``; a person: ``user`` or
``operator``); element properties (except a service's unauthenticated ``none``) and
positions; people's descriptions; assets' descriptions; the scope's description, in- and
out-of-scope texts and lifecycle; objectives' descriptions, categories and elements; a
flow's description, tags other than ``bidirectional``, untrusted content, query and
initiator, and an empty name (it comes back as "SOURCE to TARGET"); of the decisions, the
open ones, scoped and orphaned ones, controls, decision and review dates (an acceptance
gets decision date or today + the review cadence again, with a warning), residual scores,
and the three closing statuses come back as ``avoided`` (all three are ``retired``), with
the response's description as rationale (false positives and not-applicable decisions
have no response: their rationale becomes "CycloneDX risk status 'retired'.").

A BOM from another tool imports what maps: components and services placed by a blueprint
(library-like components that no blueprint places are left out), blueprint actors, data
stores and typed assets as elements; zones as boundaries; data assets and data sets as
assets; flows; business objectives; assumptions. Its threats are listed in
:attr:`~workbench.interop.ImportResult.threats` (with the status and score of the risks
that relate to them); scenarios, attack patterns, attack trees and paths, abuse cases,
profiles and the other sections are listed in
:attr:`~workbench.interop.ImportResult.unmapped`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from ..engine import Analysis, AttackPath, Finding
from ..errors import ModelFileError
from ..model import FORMAT_VERSION, Asset, Boundary, Decision, Element, Flow, Objective, ThreatModel
from ..model.kinds import KINDS, DfdType
from ..model.parts import DecisionScope
from ..model.statuses import STATUS_RULES
from ..parsing import parse_json
from ..register import Entry, Register, build_register
from ..version import __version__
from .common import (
    GENERATOR,
    ForeignThreat,
    IdAllocator,
    ImportResult,
    ModelBuilder,
    Report,
    as_dict,
    as_list,
    as_str,
    dump,
    is_finding_id,
    parse_any,
    strings,
)

# =========================================================================== vocabulary
SPEC_FORMAT = "CycloneDX"
SPEC_VERSION = "2.0"
PRE_RELEASE_NOTE = (
    "CycloneDX 2.0 threat-model BOM (pre-release: the 2.0 specification and its "
    "threat-model extension are not final)"
)
DATA = "workbench:data"
"""Name of the property that holds what CycloneDX has no field for (JSON)."""
ASSET_PROP = "workbench:asset"
"""Name of the property of a flow's data object that names the asset it is."""
SYSTEM_REF = "workbench:system"
BLUEPRINT_REF = "workbench:blueprint"
OUTSIDE_REF = "workbench:outside"
APPETITE_REF = "workbench:risk-appetite"


def ref(namespace: str, item_id: str) -> str:
    """The bom-ref of a derived item (``placement:app``, ``trust:vpc`` ...). Our IDs hold
    no ``:``, so these never clash with an element's, flow's or zone's own bom-ref."""
    return f"{namespace}:{item_id}"


ELEMENT_SECTION: dict[str, tuple[str, str]] = {
    # kind: (section, CycloneDX type or persona archetype)
    "data_source": ("component", "data"),
    "dataset": ("component", "data"),
    "data_pipeline": ("component", "application"),
    "labeling": ("component", "application"),
    "feature_store": ("component", "data"),
    "vector_store": ("component", "data"),
    "document_store": ("component", "data"),
    "training_job": ("component", "application"),
    "fine_tuning_job": ("component", "application"),
    "evaluation_job": ("component", "application"),
    "model_artifact": ("component", "machine-learning-model"),
    "model_registry": ("component", "platform"),
    "model_hub": ("service", "service"),
    "foundation_model_api": ("service", "service"),
    "inference_endpoint": ("service", "service"),
    "llm_app": ("service", "service"),
    "agent": ("service", "service"),
    "tool": ("service", "service"),
    "guardrail": ("service", "service"),
    "client_app": ("component", "application"),
    "user": ("actor", "end-user"),
    "operator": ("actor", "operator"),
    "external_service": ("service", "service"),
    "log_store": ("component", "data"),
    "secrets_store": ("component", "data"),
    "process": ("component", "application"),
    "data_store": ("component", "data"),
    "external_entity": ("service", "service"),
}
"""Where each kind goes: a ``component`` (of a type), a ``service`` or a blueprint
``actor`` (with a persona archetype)."""

COMPONENT_KIND = {
    "data": "data_store",
    "file": "data_store",
    "machine-learning-model": "model_artifact",
    "application": "process",
    "platform": "process",
    "container": "process",
    "device": "process",
}
"""The kind of an architecture component of another tool, by type."""
LIBRARY_TYPES = frozenset(
    (
        "library",
        "framework",
        "operating-system",
        "device-driver",
        "firmware",
        "cryptographic-asset",
    )
)
"""Component types that are parts of software, not elements of an architecture: imported
only when a blueprint places them."""
PERSONA_KIND = {
    "end-user": "user",
    "power-user": "user",
    "customer": "user",
    "guest": "user",
    "anonymous": "user",
    "public": "user",
    "administrator": "operator",
    "developer": "operator",
    "operator": "operator",
    "internal": "operator",
}
ASSET_TYPE_KIND = {
    "actor": "external_entity",
    "agent": "agent",
    "tool": "tool",
    "model": "model_artifact",
    "data-store": "data_store",
    "cache": "data_store",
    "queue": "data_store",
    "broker": "process",
    "stream": "process",
}
"""The kind of a blueprint asset that is an element (not ``data``); others: process."""
DATASTORE_KIND = {
    "vector": "vector_store",
    "document": "document_store",
    "event-log": "log_store",
    "search": "document_store",
}
"""The kind of a blueprint data store, by type; others: data_store."""

TRUST_LEVEL = {"untrusted": "untrusted", "partner": "semi-trusted", "trusted": "trusted"}
TRUST_IN = {
    "untrusted": "untrusted",
    "semi-trusted": "partner",
    "trusted": "trusted",
    "highly-trusted": "trusted",
}
CLASSIFICATION_IN = {
    "public": "public",
    "internal": "internal",
    "confidential": "confidential",
    "restricted": "restricted",
    "classified": "restricted",
}
CROWN_JEWEL = "critical"
PII_CATEGORY = "personal-data"
STRIDE_CATEGORY = {
    "S": "spoofing",
    "T": "tampering",
    "R": "repudiation",
    "I": "information-disclosure",
    "D": "denial-of-service",
    "E": "elevation-of-privilege",
}
LIKELIHOOD_LEVEL = {1: "very-low", 2: "low", 3: "medium", 4: "high", 5: "very-high"}
IMPACT_LEVEL = {1: "negligible", 2: "low", 3: "moderate", 4: "major", 5: "catastrophic"}
CRITICALITY = {
    "negligible": "minimal",
    "minor": "low",
    "moderate": "moderate",
    "major": "high",
    "severe": "critical",
}
CRITICALITY_IN = {v: k for k, v in CRITICALITY.items()}
APPETITE = {
    "info": "averse",
    "low": "minimal",
    "medium": "cautious",
    "high": "open",
    "critical": "hungry",
}
APPETITE_IN = {v: k for k, v in APPETITE.items()}
RISK_STATUS = {
    "open": "identified",
    "in_progress": "assessed",
    "mitigated": "mitigated",
    "accepted": "accepted",
    "transferred": "transferred",
    "avoided": "retired",
    "false_positive": "retired",
    "not_applicable": "retired",
}
"""A risk's ``status`` for each of our statuses (three of ours are ``retired``: our data
tells them apart)."""
RISK_STATUS_IN = {
    "identified": "open",
    "assessed": "in_progress",
    "mitigated": "mitigated",
    "accepted": "accepted",
    "transferred": "transferred",
    "retired": "avoided",
}
STRATEGY = {
    "open": "reduce",
    "in_progress": "reduce",
    "mitigated": "reduce",
    "accepted": "accept",
    "transferred": "transfer",
    "avoided": "avoid",
}
"""A response's strategy; false positives and decisions that a threat does not apply
have no response."""
RESPONSE_STATUS = {"open": "proposed", "in_progress": "in-progress", "mitigated": "implemented"}


# =========================================================================== export
def to_cyclonedx(
    model: ThreatModel, analysis: Analysis | None = None, *, threats: bool = True
) -> dict[str, Any]:
    """The model as a CycloneDX 2.0 threat-model BOM (plain data).

    With ``threats`` (the default), the findings of ``analysis`` (default: an analysis
    with the built-in catalog) are exported as threats and risks with their decisions,
    with the attack paths (and attack trees, when :mod:`workbench.attack_trees` is
    there)."""
    if threats and analysis is None:
        from ..engine import analyze

        analysis = analyze(model)
    return _Exporter(model, analysis if threats else None).bom()


def dumps_cyclonedx(
    model: ThreatModel, analysis: Analysis | None = None, *, threats: bool = True
) -> str:
    """The BOM as JSON text."""
    return (
        json.dumps(to_cyclonedx(model, analysis, threats=threats), indent=2, ensure_ascii=False)
        + "\n"
    )


def _props(data: Any) -> list[dict[str, str]]:
    """The ``properties`` holding our data (none when there is nothing to hold)."""
    if not data:
        return []
    return [{"name": DATA, "value": json.dumps(data, ensure_ascii=False, sort_keys=True)}]


def _with_props(item: dict[str, Any], data: Any) -> dict[str, Any]:
    props = _props(data)
    if props:
        item["properties"] = props
    return item


def _party(name: str, role: str = "owner", *, person: bool = False) -> dict[str, Any]:
    return {"roles": [{"role": role}], ("person" if person else "organization"): {"name": name}}


def _date_time(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _flow_name(f: Flow, names: dict[str, str]) -> str:
    """A flow's name: ours, or "SOURCE to TARGET" when ours is empty (CycloneDX needs one)."""
    return f.name or f"{names.get(f.source, f.source)} to {names.get(f.target, f.target)}"


def _element_out(e: Element, section: str) -> dict[str, Any]:
    data = dump(e)
    if section == "actor":
        party: dict[str, Any] = {
            "roles": [{"role": "operator" if e.kind == "operator" else "end-user"}],
            "persona": {
                "archetype": ELEMENT_SECTION[e.kind][1]
                if e.kind in ELEMENT_SECTION
                else "external",
                "scope": "internal" if e.kind == "operator" else "external",
            },
        }
        if e.tags:
            party["tags"] = list(e.tags)
        item: dict[str, Any] = {"bom-ref": e.id, "party": party}
        if e.boundary is not None:
            item["zone"] = e.boundary
        item["properties"] = [{"name": "workbench:name", "value": e.name}, *_props(data)]
        return item
    item = {}
    if section == "component":
        item["type"] = ELEMENT_SECTION[e.kind][1]
    item["bom-ref"] = e.id
    item["name"] = e.name
    if e.description:
        item["description"] = e.description
    if section == "component" and KINDS[e.kind].external:
        item["isExternal"] = True
    if section == "service":
        auth = e.properties.authentication
        if auth is not None:
            item["authenticated"] = auth != "none"
        if e.boundary is not None:
            item["trustZone"] = e.boundary
    if e.tags:
        item["tags"] = list(e.tags)
    return _with_props(item, data)


def _placement(e: Element) -> dict[str, Any]:
    item: dict[str, Any] = {"bom-ref": ref("placement", e.id), "componentRef": e.id}
    if e.boundary is not None:
        item["zone"] = e.boundary
    if e.owner:
        item["ownership"] = [_party(e.owner)]
    return item


def _asset_out(a: Asset) -> dict[str, Any]:
    classification: dict[str, Any] = {"classification": a.classification}
    if a.crown_jewel:
        classification["criticality"] = CROWN_JEWEL
    if a.pii:
        classification["categories"] = [PII_CATEGORY]
    item = {"bom-ref": a.id, "type": "data", "name": a.name, "classification": classification}
    return _with_props(item, dump(a))


def _flow_out(f: Flow, names: dict[str, str], assets: dict[str, Asset]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "bom-ref": f.id,
        "name": _flow_name(f, names),
        "type": "data",
        "source": f.source,
        "destination": f.target,
    }
    if "bidirectional" in f.tags:
        item["bidirectional"] = True
    if f.encrypted is not None:
        item["encrypted"] = f.encrypted
    if f.protocol:
        item["protocols"] = [f.protocol]
    if f.data:
        item["dataObjects"] = [
            {
                "name": assets[a].name if a in assets else a,
                "properties": [{"name": ASSET_PROP, "value": a}],
            }
            for a in f.data
        ]
    if f.authenticated is not None:
        item["authentication"] = ["none"] if not f.authenticated else [{"name": "authenticated"}]
    return _with_props(item, dump(f))


def _rating(likelihood: int, impact: int) -> dict[str, Any]:
    from ..engine.risk import level

    if likelihood <= 0 or impact <= 0:
        return {"score": {"level": "info", "score": 0, "methodology": "qualitative-matrix"}}
    return {
        "likelihood": {"level": LIKELIHOOD_LEVEL[likelihood], "score": likelihood},
        "impact": {"level": IMPACT_LEVEL[impact], "score": impact},
        "score": {
            "level": level(likelihood * impact),
            "score": likelihood * impact,
            "methodology": "qualitative-matrix",
        },
    }


def _response(d: Decision) -> dict[str, Any] | None:
    strategy = STRATEGY.get(d.status)
    if strategy is None:
        return None
    item: dict[str, Any] = {"bom-ref": ref("response", d.key), "strategy": strategy}
    if d.rationale:
        item["description"] = d.rationale
    if d.mitigations:
        item["controls"] = [ref("control", m) for m in d.mitigations]
    if d.status in RESPONSE_STATUS:
        item["status"] = RESPONSE_STATUS[d.status]
    if d.owner:
        item["owner"] = _party(d.owner, person=True)
    if d.due is not None:
        item["targetDate"] = _date_time(d.due)
    if d.ticket:
        item["externalReferences"] = [{"type": "issue-tracker", "url": d.ticket}]
    return item


def _decision_fields(risk: dict[str, Any], d: Decision) -> dict[str, Any]:
    """``risk`` with the decision's status, owner and response, and our data of it."""
    risk["status"] = RISK_STATUS[d.status]
    if d.owner:
        risk["owner"] = _party(d.owner, person=True)
    response = _response(d)
    if response is not None:
        risk["responses"] = [response]
    return _with_props(risk, {"decision": dump(d)})


class _Exporter:
    """Builds one BOM."""

    def __init__(self, model: ThreatModel, analysis: Analysis | None) -> None:
        self.model = model
        self.analysis = analysis
        self.names = {e.id: e.name for e in model.elements}
        self.controls: dict[str, None] = {}
        self.techniques: dict[str, None] = {}
        self._crossing_findings: dict[str, list[str]] | None = None
        self._applied_by: dict[str, list[str]] | None = None
        self._register_built: Register | None = None

    def _applied(self) -> dict[str, list[str]]:
        """Per decision key, the findings it applies to (the register, built once)."""
        if self._applied_by is None:
            self._applied_by = defaultdict(list)
            if self.analysis is not None:
                for e in self._register(self.analysis).entries:
                    if e.applied:
                        self._applied_by[e.applied].append(e.finding.id)
        return self._applied_by

    def _register(self, analysis: Analysis) -> Register:
        """The register of ``analysis`` (built once)."""
        if self._register_built is None:
            self._register_built = build_register(analysis)
        return self._register_built

    def bom(self) -> dict[str, Any]:
        m = self.model
        body: dict[str, Any] = {"metadata": self._metadata()}
        components: list[dict[str, Any]] = []
        services: list[dict[str, Any]] = []
        actors: list[dict[str, Any]] = []
        for e in m.elements:
            section = ELEMENT_SECTION.get(e.kind, ("component", "application"))[0]
            out = _element_out(e, section)
            {"component": components, "service": services, "actor": actors}[section].append(out)
        if components:
            body["components"] = components
        if services:
            body["services"] = services
        body["blueprints"] = [self._blueprint(actors)]
        tm: dict[str, Any] = {"methodologies": ["STRIDE", "PASTA", "attack-tree"]}
        risks: list[dict[str, Any]] = []
        if self.analysis is not None:
            tm.update(self._threats(self.analysis, risks))
        tm["trustBoundaries"] = [self._trust_boundary(b) for b in m.boundaries]
        if not tm["trustBoundaries"]:
            del tm["trustBoundaries"]
        body["threats"] = tm
        risks += self._standalone_decisions()
        risk_section: dict[str, Any] = {"riskAppetites": [self._appetite()]}
        if risks:
            risk_section["risks"] = risks
        body["risks"] = risk_section
        controls = self._controls()
        if controls:
            body["controls"] = controls
        if m.objectives:
            body["definitions"] = {"businessObjectives": [self._objective(o) for o in m.objectives]}
        text = json.dumps(body, sort_keys=True, ensure_ascii=False)
        serial = uuid.UUID(bytes=hashlib.sha256(text.encode("utf-8")).digest()[:16], version=4)
        return {
            "specFormat": SPEC_FORMAT,
            "specVersion": SPEC_VERSION,
            "serialNumber": serial.urn,
            "version": 1,
            **body,
        }

    # ---------------------------------------------------------------- model parts
    def _metadata(self) -> dict[str, Any]:
        s = self.model.system
        component: dict[str, Any] = {"type": "application", "bom-ref": SYSTEM_REF, "name": s.name}
        if s.version:
            component["version"] = s.version
        if s.description:
            component["description"] = s.description
        if s.owners:
            component["parties"] = [_party(o) for o in s.owners]
        if s.repository:
            component["externalReferences"] = [{"type": "vcs", "url": s.repository}]
        _with_props(component, {"system": dump(s)})
        meta: dict[str, Any] = {
            "tools": {
                "components": [{"type": "application", "name": GENERATOR, "version": __version__}]
            },
            "component": component,
        }
        data = {
            "generator": f"{GENERATOR} {__version__}",
            "format_version": FORMAT_VERSION,
            "scope": dump(self.model.scope),
            "risk_tolerance": dump(self.model.risk_tolerance),
        }
        meta["properties"] = _props(data)
        return meta

    def _blueprint(self, actors: list[dict[str, Any]]) -> dict[str, Any]:
        m = self.model
        bp: dict[str, Any] = {
            "bom-ref": BLUEPRINT_REF,
            "name": m.system.name,
            "metadata": {
                "validityPeriod": {"reviewFrequency": f"P{m.risk_tolerance.review_cadence_days}D"}
            },
            "modelTypes": ["data-flow"],
        }
        placed = [
            _placement(e)
            for e in m.elements
            if ELEMENT_SECTION.get(e.kind, ("component",))[0] != "actor"
        ]
        assets = placed + [_asset_out(a) for a in m.assets]
        if assets:
            bp["assets"] = assets
        if m.boundaries:
            zones = [self._zone(b) for b in m.boundaries]
            if any(b.parent is None for b in m.boundaries):
                zones.append(
                    _with_props(
                        {
                            "bom-ref": OUTSIDE_REF,
                            "name": "Outside every trust boundary",
                            "type": "trust",
                        },
                        {"synthetic": True},
                    )
                )
            bp["zones"] = zones
            bp["boundaries"] = [self._edge(b) for b in m.boundaries]
        if m.flows:
            assets_by_id = {a.id: a for a in m.assets}
            bp["flows"] = [_flow_out(f, self.names, assets_by_id) for f in m.flows]
        relationships = []
        for e in m.elements:
            if e.assets:
                verb = "contains" if KINDS[e.kind].dfd is DfdType.DATA_STORE else "associates"
                relationships.append({"ref": e.id, verb: list(e.assets)})
        if relationships:
            bp["relationships"] = relationships
        if actors:
            bp["actors"] = actors
        if m.scope.assumptions:
            bp["assumptions"] = [{"description": a} for a in dict.fromkeys(m.scope.assumptions)]
        return bp

    def _zone(self, b: Boundary) -> dict[str, Any]:
        item: dict[str, Any] = {"bom-ref": b.id, "name": b.name, "type": "trust"}
        if b.parent is not None:
            item["parent"] = b.parent
        return _with_props(item, dump(b))

    def _edge(self, b: Boundary) -> dict[str, Any]:
        return {
            "bom-ref": ref("edge", b.id),
            "name": b.name,
            "type": "trust",
            "zones": [b.id, b.parent if b.parent is not None else OUTSIDE_REF],
        }

    def _trust_boundary(self, b: Boundary) -> dict[str, Any]:
        item: dict[str, Any] = {
            "bom-ref": ref("trust", b.id),
            "boundary": ref("edge", b.id),
            "name": b.name,
            "trustLevel": TRUST_LEVEL[b.trust],
        }
        if b.description:
            item["description"] = b.description
        crossing = self._crossing().get(b.id)
        if crossing:
            item["threatsAtBoundary"] = crossing
        return item

    def _crossing(self) -> dict[str, list[str]]:
        """Per boundary, the findings on flows that cross it (one end inside it, nested
        boundaries included, and the other outside); computed once."""
        if self._crossing_findings is not None:
            return self._crossing_findings
        out: dict[str, list[str]] = defaultdict(list)
        self._crossing_findings = out
        if self.analysis is None:
            return out
        parent = {b.id: b.parent for b in self.model.boundaries}
        chains: dict[str, set[str]] = {}
        for e in self.model.elements:
            chain: list[str] = []
            at = e.boundary
            while at is not None and at not in chain:
                chain.append(at)
                at = parent.get(at)
            chains[e.id] = set(chain)
        flows = {f.id: f for f in self.model.flows}
        for f in self.analysis.findings:
            flow = flows.get(f.target) if f.target_type == "flow" else None
            if flow is None:
                continue
            for b in sorted(chains.get(flow.source, set()) ^ chains.get(flow.target, set())):
                out[b].append(f.id)
        return out

    def _appetite(self) -> dict[str, Any]:
        t = self.model.risk_tolerance
        item: dict[str, Any] = {"bom-ref": APPETITE_REF, "level": APPETITE[t.accept_up_to]}
        if t.statement:
            item["statement"] = t.statement
        return item

    def _objective(self, o: Objective) -> dict[str, Any]:
        item = {"bom-ref": o.id, "name": o.title, "criticality": CRITICALITY[o.impact]}
        return _with_props(item, dump(o))

    # ---------------------------------------------------------------- findings
    def _threats(self, analysis: Analysis, risks: list[dict[str, Any]]) -> dict[str, Any]:
        from ..statements import StatementWriter

        writer = StatementWriter(analysis)
        objectives: dict[str, list[str]] = defaultdict(list)
        for o in self.model.objectives:
            for e in o.elements:
                objectives[e].append(o.id)
        out_threats = []
        for entry in self._register(analysis).entries:
            f = entry.finding
            out_threats.append(self._threat(analysis, f, objectives.get(f.target, [])))
            risks.append(self._finding_risk(entry, writer.statement(f).text, objectives))
        tm: dict[str, Any] = {"threats": out_threats}
        patterns = self._attack_patterns(analysis)
        if patterns:
            tm["attackPatterns"] = patterns
        paths = [self._path(p) for p in analysis.attack_paths]
        if paths:
            tm["attackPaths"] = paths
        trees = self._trees(analysis, out_threats)
        if trees:
            tm["attackTrees"] = trees
        return tm

    def _trees(self, analysis: Analysis, threats: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The attack trees (one per crown jewel and business objective) when
        :mod:`workbench.attack_trees` is there; each threat lists the trees it is in."""
        module = attack_trees_module()
        build = getattr(module, "attack_trees", None)
        if build is None:
            return []
        trees = build(analysis, objectives=True)
        out = [_tree_out(t, self.controls, self.techniques) for t in trees]
        in_trees: dict[str, list[str]] = defaultdict(list)
        for t in trees:
            for node in t.nodes():
                for f in node.findings:
                    in_trees[f].append(ref("tree", str(t.goal)))
        for threat in threats:
            refs = list(dict.fromkeys(in_trees.get(threat["bom-ref"], [])))
            if refs:
                threat["attackTrees"] = refs
        return out

    def _threat(self, analysis: Analysis, f: Finding, objectives: list[str]) -> dict[str, Any]:
        cat = analysis.catalog.threats.get(f.threat_id)
        item: dict[str, Any] = {"bom-ref": f.id, "name": f.title}
        if cat is not None:
            item["description"] = cat.description
        item["source"] = f"{GENERATOR} catalog, threat {f.threat_id}"
        item["categories"] = [
            {"taxonomy": "STRIDE", "category": STRIDE_CATEGORY[s]}
            for s in f.stride
            if s in STRIDE_CATEGORY
        ]
        cwes = sorted(
            {
                int(c.split("-")[-1])
                for c in f.references.get("cwe", ())
                if c.split("-")[-1].isdigit()
            }
        )
        if cwes:
            item["weaknesses"] = [{"cweId": c} for c in cwes if c >= 1]
        if f.atlas:
            self.techniques.update(dict.fromkeys(f.atlas))
            item["attackPatterns"] = [ref("technique", t) for t in dict.fromkeys(f.atlas)]
        item["affectedAssets"] = [f.target]
        if objectives:
            item["relatedBusinessObjectives"] = list(objectives)
        if f.mitigations:
            self.controls.update(dict.fromkeys(f.mitigations))
            item["mitigations"] = [ref("control", m) for m in dict.fromkeys(f.mitigations)]
        data = {
            "threat": f.threat_id,
            "target": f.target,
            "likelihood": f.likelihood,
            "impact": f.impact,
            "references": {k: list(v) for k, v in f.references.items()},
        }
        return _with_props(item, data)

    def _finding_risk(
        self, entry: Entry, statement: str, objectives: dict[str, list[str]]
    ) -> dict[str, Any]:
        f = entry.finding
        risk: dict[str, Any] = {
            "bom-ref": ref("risk", f.id),
            "name": f"{f.title}: {f.target_name}",
            "statement": statement,
            "domains": [{"type": "security"}],
            "affects": [f.target],
            "relatedThreats": [f.id],
        }
        if objectives.get(f.target):
            risk["relatedBusinessObjectives"] = list(objectives[f.target])
        risk["inherentRisk"] = _rating(f.likelihood, f.impact)
        risk["residualRisk"] = _rating(entry.residual_likelihood, entry.residual_impact)
        d = entry.decision
        if d is not None and not d.scoped:
            self.controls.update(dict.fromkeys(d.mitigations))
            return _decision_fields(risk, d)
        risk["status"] = RISK_STATUS[entry.status] if d is not None else "identified"
        return risk

    def _standalone_decisions(self) -> list[dict[str, Any]]:
        """Risks for the decisions no finding's risk carries: scoped ones, decisions on
        findings the analysis no longer has, and every decision without an analysis."""
        findings = {f.id for f in self.analysis.findings} if self.analysis is not None else set()
        out = []
        for d in self.model.decisions:
            if d.finding is not None and d.finding in findings:
                continue
            self.controls.update(dict.fromkeys(d.mitigations))
            risk: dict[str, Any] = {
                "bom-ref": ref("risk", d.key),
                "name": f"Decision on {d.key}",
                "statement": d.rationale or f"{d.threat_id}: {d.status.replace('_', ' ')}",
                "domains": [{"type": "security"}],
            }
            affects = self._scope_refs(d)
            if affects:
                risk["affects"] = affects
            applies = self._applied().get(d.key) if d.scoped else None
            if applies:
                risk["relatedThreats"] = applies
            out.append(_decision_fields(risk, d))
        return out

    def _scope_refs(self, d: Decision) -> list[str]:
        ids = self.model.ids()
        if d.finding is not None:
            target = d.finding.rsplit("@", 1)[1]
            return [target] if target in ids else []
        if isinstance(d.scope, DecisionScope):
            inside = d.scope.boundary or d.scope.element
            return [str(inside)] if inside in ids else []
        return [SYSTEM_REF]

    def _controls(self) -> list[dict[str, Any]]:
        catalog = self.analysis.catalog if self.analysis is not None else None
        out = []
        for m in self.controls:
            cm = catalog.mitigations.get(m) if catalog is not None else None
            item: dict[str, Any] = {"bom-ref": ref("control", m), "name": cm.title if cm else m}
            if cm is not None:
                item["description"] = cm.description
            out.append(_with_props(item, {"mitigation": m}))
        return out

    def _attack_patterns(self, analysis: Analysis) -> list[dict[str, Any]]:
        frameworks = analysis.catalog.frameworks
        titles = (
            {e.id: e.title for e in frameworks["atlas"].entries} if "atlas" in frameworks else {}
        )
        out = []
        for t in self.techniques:
            name = titles.get(t, t)
            out.append(
                {
                    "bom-ref": ref("technique", t),
                    "name": name,
                    "techniques": [{"id": t, "name": name}],
                }
            )
        return out

    def _path(self, p: AttackPath) -> dict[str, Any]:
        boundary = {e.id: e.boundary for e in self.model.elements}
        flows = {f.id: f for f in self.model.flows}
        steps = []
        prev = p.source
        for s in p.steps:
            flow = flows.get(s.flow)
            label = (flow.name or s.flow) if flow is not None else s.flow
            if s.kind == "access":
                text = f"{self.names.get(prev, prev)} uses the flow '{label}' it initiates"
            else:
                text = f"{self.names.get(prev, prev)} sends content along the flow '{label}'"
            step: dict[str, Any] = {
                "name": f"{self.names.get(prev, prev)} → {self.names.get(s.element, s.element)}",
                "description": f"{text} to reach {self.names.get(s.element, s.element)}",
                "source": prev,
                "destination": s.element,
            }
            before, after = boundary.get(prev), boundary.get(s.element)
            if before != after:
                crossed = after if after is not None else before
                step["boundaryCrossed"] = ref("trust", str(crossed))
            steps.append(
                _with_props(
                    step,
                    {
                        "flow": s.flow,
                        "kind": s.kind,
                        "findings": list(s.findings),
                        "likelihood": s.likelihood,
                    },
                )
            )
            prev = s.element
        realizes = list(dict.fromkeys(f for s in p.steps for f in s.findings))
        item: dict[str, Any] = {
            "bom-ref": ref("path", p.id),
            "name": f"{self.names.get(p.source, p.source)} to {self.names.get(p.target, p.target)}",
            "objective": f"reach {self.names.get(p.target, p.target)}",
            "actor": p.source,
            "steps": steps,
        }
        if realizes:
            item["realizes"] = realizes
        return _with_props(
            item, {"likelihood": p.likelihood, "impact": p.impact, "notes": list(p.notes)}
        )


def attack_trees_module() -> Any:
    """:mod:`workbench.attack_trees`, or ``None`` when it is not installed: the trees are
    optional in the BOM."""
    try:
        from .. import attack_trees
    except ImportError:
        return None
    return attack_trees


def _tree_out(tree: Any, controls: dict[str, None], techniques: dict[str, None]) -> dict[str, Any]:
    """One :class:`workbench.attack_trees.AttackTree` as a CycloneDX attack tree: every
    node by bom-ref (``tree:GOAL/NODE``), root first; a node's gate is its operator, its
    catalog mitigations are controls, a node tied to an ATLAS technique names it as its
    attack pattern. CycloneDX tree nodes hold no properties: the findings a node is tied
    to are named at the end of its description."""
    goal = str(tree.goal)
    nodes: list[dict[str, Any]] = []
    for node in tree.nodes():
        item: dict[str, Any] = {"bom-ref": ref("tree", f"{goal}/{node.id}"), "name": node.label}
        words = [node.detail] if node.detail else []
        if node.findings:
            words.append(f"Findings: {', '.join(node.findings)}.")
        if words:
            item["description"] = "\n\n".join(words)
        if node.gate in ("and", "or") and node.children:
            item["operator"] = node.gate
            item["children"] = list(
                dict.fromkeys(ref("tree", f"{goal}/{c.id}") for c in node.children)
            )
        technique = next((t for t in node.references if t in techniques), None)
        if technique is not None:
            item["attackPattern"] = ref("technique", technique)
        mitigations = list(dict.fromkeys(m.id for m in node.mitigations))
        if mitigations:
            controls.update(dict.fromkeys(mitigations))
            item["mitigations"] = [ref("control", m) for m in mitigations]
        nodes.append(item)
    return {
        "bom-ref": ref("tree", goal),
        "name": tree.title,
        "description": f"Attack tree of {tree.goal_kind} '{goal}': the ways an attacker "
        "reaches it, from the attack paths and findings",
        "root": ref("tree", f"{goal}/{tree.root.id}"),
        "nodes": nodes,
    }


# =========================================================================== import
def loads_cyclonedx(text: str, filename: str = "<string>") -> ImportResult:
    """Import a CycloneDX BOM from JSON text."""
    return from_cyclonedx(parse_any(text, filename), filename)


def from_cyclonedx(data: Any, filename: str = "<string>") -> ImportResult:
    """Import a CycloneDX 2.0 threat-model BOM (parsed JSON)."""
    r = Report(filename)
    if not isinstance(data, dict):
        raise r.fail("", "expected a CycloneDX BOM (an object)")
    fmt = data.get("specFormat", data.get("bomFormat"))
    if fmt != SPEC_FORMAT:
        raise r.fail("specFormat", "missing or not 'CycloneDX': this is not a CycloneDX BOM")
    version = as_str(data.get("specVersion"))
    if not version:
        raise r.fail("specVersion", "missing: the CycloneDX version is needed")
    if version.split(".")[0] != "2":
        r.warn(
            "specVersion",
            f"CycloneDX {version}: read as {SPEC_VERSION} (pre-release) where the fields agree",
        )
    model = _Importer(data, r).run()
    return r.result(model, "cyclonedx")


_MISSING: Any = object()


def _keep(
    stored: Any, native: Any, out: Callable[[Any], Any], inn: Callable[[Any], Any], default: Any
) -> Any:
    """A field's value: ``stored`` (our data) while the CycloneDX field still says what
    ``out(stored)`` exports, else the CycloneDX value read with ``inn`` (``default`` when
    the field is gone)."""
    if native == out(stored):
        return stored
    if native is _MISSING:
        return default
    return inn(native)


def _get(item: dict[str, Any], key: str) -> Any:
    return item.get(key, _MISSING)


def _same(value: Any) -> Any:
    return value


def _or_missing(value: Any) -> Any:
    return value if value not in (None, "", [], {}) else _MISSING


def _date_in(value: Any) -> Any:
    text = as_str(value)
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        return None


def _party_name(value: Any) -> str:
    p = as_dict(value)
    for key in ("person", "organization", "system", "persona"):
        name = as_str(as_dict(p.get(key)).get("name")).strip()
        if name:
            return name
    return ""


def _names(items: Any) -> dict[str, str]:
    return {
        as_str(i.get("bom-ref")): as_str(i.get("name"))
        for i in as_list(items)
        if isinstance(i, dict)
    }


class _Importer:
    def __init__(self, data: dict[str, Any], report: Report) -> None:
        self.data = data
        self.r = report
        self.b = ModelBuilder(report)
        self.ids = IdAllocator()
        self.element_of: dict[str, str] = {}
        """bom-ref → our element ID."""
        self.ours = False
        """Whether the BOM was written by the workbench (its derived sections are
        recomputed, not reported)."""
        self.seen_refs: set[str] = set()

    # ---------------------------------------------------------------- helpers
    def blob(self, item: dict[str, Any], path: str) -> dict[str, Any]:
        """Our data on ``item`` (``{}`` when there is none or it is not an object)."""
        for i, p in enumerate(as_list(item.get("properties"))):
            if isinstance(p, dict) and p.get("name") == DATA:
                text = p.get("value")
                try:
                    value = parse_json(text, self.r.filename) if isinstance(text, str) else None
                except ModelFileError:
                    value = None
                if not isinstance(value, dict):
                    self.r.warn(
                        f"{path}.properties[{i}]", f"'{DATA}' is not a JSON object; left out"
                    )
                    return {}
                self.ours = True
                return value
        return {}

    def items(
        self, value: Any, path: str, *, need_ref: bool = True
    ) -> list[tuple[str, dict[str, Any]]]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.r.warn(path, f"expected a list, got {type(value).__name__}; left out")
            return []
        out = []
        for i, item in enumerate(value):
            p = f"{path}[{i}]"
            if not isinstance(item, dict):
                self.r.warn(p, f"expected an object, got {type(item).__name__}; dropped")
                continue
            if need_ref:
                bom_ref = item.get("bom-ref")
                if not isinstance(bom_ref, str) or not bom_ref:
                    self.r.warn(p, "has no bom-ref; dropped")
                    continue
                if bom_ref in self.seen_refs:
                    self.r.warn(p, f"duplicate bom-ref '{bom_ref}'; dropped")
                    continue
                self.seen_refs.add(bom_ref)
            out.append((p, item))
        return out

    def section(self, key: str) -> dict[str, Any]:
        value = self.data.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.r.fail(key, f"expected an object, got {type(value).__name__}")
        return value

    # ---------------------------------------------------------------- run
    def run(self) -> ThreatModel:
        meta = self.section("metadata")
        meta_blob = self.blob(meta, "metadata") if meta else {}
        self._system(meta, meta_blob)
        bp_path, bp = self._blueprint()
        tm = self.section("threats")
        zones = self.items(bp.get("zones"), f"{bp_path}.zones")
        edges = self.items(bp.get("boundaries"), f"{bp_path}.boundaries")
        trust = self.items(tm.get("trustBoundaries"), "threats.trustBoundaries")
        bp_assets = self.items(bp.get("assets"), f"{bp_path}.assets")
        components = self.items(self.data.get("components"), "components")
        services = self.items(self.data.get("services"), "services")
        actors = self.items(bp.get("actors"), f"{bp_path}.actors")
        stores = self.items(bp.get("dataStores"), f"{bp_path}.dataStores")
        data_sets = self.items(bp.get("dataSets"), f"{bp_path}.dataSets")
        flows = self.items(bp.get("flows"), f"{bp_path}.flows")
        defs = self.section("definitions")
        objectives = self.items(defs.get("businessObjectives"), "definitions.businessObjectives")
        self._scope(meta_blob, bp, bp_path)
        self._boundaries(zones, edges, trust)
        placements, data_assets, typed = self._split_assets(bp_assets)
        self._assets(data_assets, data_sets)
        self._elements(components, services, actors, stores, typed, placements, bp, flows)
        self._relationships(bp, bp_path)
        self._flows(flows)
        self._objectives(objectives)
        self._risks_and_threats(tm)
        self._unmapped(tm, bp, defs)
        return self.b.build("Imported CycloneDX model")

    def _system(self, meta: dict[str, Any], meta_blob: dict[str, Any]) -> None:
        component = as_dict(meta.get("component"))
        blob = (
            as_dict(self.blob(component, "metadata.component").get("system")) if component else {}
        )
        name = as_str(component.get("name")).strip()
        system: dict[str, Any] = dict(blob)
        system["name"] = _keep(blob.get("name", ""), name or _MISSING, _or_missing, _same, "") or (
            "Imported CycloneDX model"
        )
        system["description"] = _keep(
            blob.get("description", ""), _get(component, "description"), _or_missing, as_str, ""
        )
        system["version"] = _keep(
            blob.get("version", ""), _get(component, "version"), _or_missing, as_str, ""
        )
        owners = [_party_name(p) for p in as_list(component.get("parties"))]
        native_owners = [o for o in owners if o] or _MISSING
        system["owners"] = _keep(blob.get("owners", []), native_owners, _or_missing, _same, [])
        vcs = [
            as_str(x.get("url"))
            for x in as_list(component.get("externalReferences"))
            if isinstance(x, dict) and x.get("type") == "vcs"
        ]
        system["repository"] = _keep(
            blob.get("repository", ""), vcs[0] if vcs else _MISSING, _or_missing, _same, ""
        )
        self.b.system = system
        self.b.risk_tolerance = as_dict(meta_blob.get("risk_tolerance"))

    def _blueprint(self) -> tuple[str, dict[str, Any]]:
        bps = self.data.get("blueprints")
        if bps is None:
            return "blueprints[0]", {}
        if not isinstance(bps, list):
            raise self.r.fail("blueprints", f"expected a list, got {type(bps).__name__}")
        found = [(i, b) for i, b in enumerate(bps) if isinstance(b, dict)]
        if len(found) > 1:
            self.r.note_unmapped(
                f"blueprints: {len(found) - 1} blueprint(s) after the first "
                "(only the first is read)"
            )
        if not found:
            return "blueprints[0]", {}
        i, bp = found[0]
        return f"blueprints[{i}]", bp

    def _scope(self, meta_blob: dict[str, Any], bp: dict[str, Any], bp_path: str) -> None:
        scope = dict(as_dict(meta_blob.get("scope")))
        native = [
            as_str(a.get("description"))
            for _, a in self.items(bp.get("assumptions"), f"{bp_path}.assumptions", need_ref=False)
            if as_str(a.get("description")).strip()
        ]
        stored = strings(scope.get("assumptions"))
        scope["assumptions"] = _keep(
            stored, native or _MISSING, lambda v: list(dict.fromkeys(v)) or _MISSING, _same, []
        )
        self.b.scope = scope
        tolerance = dict(self.b.risk_tolerance)
        freq = as_str(
            as_dict(as_dict(bp.get("metadata")).get("validityPeriod")).get("reviewFrequency")
        )
        cadence = tolerance.get("review_cadence_days", 90)
        days = _days(freq)
        tolerance["review_cadence_days"] = _keep(
            cadence, days if days is not None else _MISSING, _same, _same, cadence
        )
        appetites = [
            a
            for _, a in self.items(
                as_dict(self.data.get("risks")).get("riskAppetites"),
                "risks.riskAppetites",
                need_ref=False,
            )
        ]
        if appetites:
            a = appetites[0]
            stored_up_to = tolerance.get("accept_up_to", "low")
            level = as_str(a.get("level"))
            tolerance["accept_up_to"] = _keep(
                stored_up_to,
                level or _MISSING,
                lambda v: APPETITE.get(v, _MISSING),
                lambda v: APPETITE_IN.get(v, "low"),
                stored_up_to,
            )
            tolerance["statement"] = _keep(
                tolerance.get("statement", ""), _get(a, "statement"), _or_missing, as_str, ""
            )
            if len(appetites) > 1:
                self.r.note_unmapped("risks.riskAppetites: appetites after the first")
        self.b.risk_tolerance = tolerance

    # ---------------------------------------------------------------- boundaries
    def _boundaries(
        self,
        zones: list[tuple[str, dict[str, Any]]],
        edges: list[tuple[str, dict[str, Any]]],
        trust: list[tuple[str, dict[str, Any]]],
    ) -> None:
        level, orphans = _trust_levels(zones, edges, trust)
        synthetic: set[str] = set()
        blobs = {}
        for path, z in zones:
            blob = self.blob(z, path)
            if blob.get("synthetic") is True or z["bom-ref"] == OUTSIDE_REF:
                synthetic.add(z["bom-ref"])
                continue
            blobs[z["bom-ref"]] = blob
            self.ids.claim("zone", z["bom-ref"], z["bom-ref"], self.r, path)
        for path, z in zones:
            zref = z["bom-ref"]
            new = self.ids.get("zone", zref)
            if zref in synthetic or new is None:
                continue
            blob = blobs[zref]
            raw = dict(blob)
            raw["id"] = new
            raw["name"] = _keep(blob.get("name", ""), _get(z, "name"), _or_missing, as_str, new)
            parent = as_str(z.get("parent"))
            native_parent = (
                self.ids.get("zone", parent) if parent and parent not in synthetic else None
            )
            raw["parent"] = _keep(
                blob.get("parent"), native_parent or _MISSING, lambda v: v or _MISSING, _same, None
            )
            word, _, annotation = level.get(zref, ("", "", {}))
            raw["description"] = _keep(
                blob.get("description", ""),
                _get(annotation, "description"),
                _or_missing,
                as_str,
                blob.get("description", "") if not annotation else "",
            )
            stored = blob.get("trust", "trusted")
            raw["trust"] = _keep(
                stored,
                word or _MISSING,
                lambda v: TRUST_LEVEL.get(v, _MISSING),
                lambda v: TRUST_IN.get(v, "trusted"),
                stored if blob else "trusted",
            )
            if word and word not in TRUST_IN:
                self.r.warn(
                    level[zref][1],
                    f"trust level '{word}' is not one of {', '.join(TRUST_IN)}; read as trusted",
                )
            self.b.boundaries.append((path, raw))
        self._orphan_trust_boundaries(orphans)

    def _orphan_trust_boundaries(self, orphans: list[tuple[str, dict[str, Any]]]) -> None:
        """Trust boundaries whose blueprint boundary is not there: boundaries without
        members (the trust level and name are all there is)."""
        for path, t in orphans:
            new = self.ids.claim("zone", t["bom-ref"], t["bom-ref"], self.r, path)
            if new is None:
                continue
            self.r.warn(
                f"{path}.boundary",
                f"'{as_str(t.get('boundary'))}' is not a blueprint boundary between zones; "
                "the trust boundary was imported as a boundary without members",
            )
            self.b.boundaries.append(
                (
                    path,
                    {
                        "id": new,
                        "name": as_str(t.get("name")).strip() or new,
                        "description": as_str(t.get("description")),
                        "trust": TRUST_IN.get(as_str(t.get("trustLevel")), "trusted"),
                    },
                )
            )

    # ---------------------------------------------------------------- assets
    def _split_assets(
        self, bp_assets: list[tuple[str, dict[str, Any]]]
    ) -> tuple[
        dict[str, dict[str, Any]],
        list[tuple[str, dict[str, Any]]],
        list[tuple[str, dict[str, Any]]],
    ]:
        placements: dict[str, dict[str, Any]] = {}
        data_assets, typed = [], []
        for path, a in bp_assets:
            component = a.get("componentRef")
            if isinstance(component, str) and component:
                if component in placements:
                    self.r.warn(path, f"'{component}' is placed twice; this placement was dropped")
                    continue
                placements[component] = {**a, "_path": path}
            elif a.get("type") == "data":
                data_assets.append((path, a))
            elif "partyRef" in a:
                self.r.note_unmapped("blueprint assets: party references")
            else:
                typed.append((path, a))
        return placements, data_assets, typed

    def _assets(
        self,
        data_assets: list[tuple[str, dict[str, Any]]],
        data_sets: list[tuple[str, dict[str, Any]]],
    ) -> None:
        for path, a in [*data_assets, *data_sets]:
            new = self.ids.claim("asset", a["bom-ref"], a["bom-ref"], self.r, path)
            if new is None:
                continue
            blob = self.blob(a, path)
            raw = dict(blob)
            raw["id"] = new
            raw["name"] = _keep(blob.get("name", ""), _get(a, "name"), _or_missing, as_str, new)
            cls = as_dict(a.get("classification"))
            native_cls = cls.get("classification", _MISSING)
            if native_cls is not _MISSING and not isinstance(native_cls, str):
                self.r.warn(f"{path}.classification", "a custom classification; read as internal")
                native_cls = "internal"
            elif isinstance(native_cls, str) and native_cls not in CLASSIFICATION_IN:
                native_cls = "internal"
            raw["classification"] = _keep(
                blob.get("classification", "internal"),
                native_cls,
                _same,
                lambda v: CLASSIFICATION_IN.get(v, "internal"),
                "internal",
            )
            raw["crown_jewel"] = _keep(
                blob.get("crown_jewel", False),
                cls.get("criticality", _MISSING),
                lambda v: CROWN_JEWEL if v else _MISSING,
                lambda v: v == CROWN_JEWEL,
                False,
            )
            categories = strings(cls.get("categories"))
            raw["pii"] = _keep(
                blob.get("pii", False),
                PII_CATEGORY in categories,
                _same,
                _same,
                False,
            )
            if "description" in a:
                raw["description"] = _keep(
                    blob.get("description", ""), a["description"], _or_missing, as_str, ""
                )
            self.b.assets.append((path, raw))

    # ---------------------------------------------------------------- elements
    def _elements(
        self,
        components: list[tuple[str, dict[str, Any]]],
        services: list[tuple[str, dict[str, Any]]],
        actors: list[tuple[str, dict[str, Any]]],
        stores: list[tuple[str, dict[str, Any]]],
        typed: list[tuple[str, dict[str, Any]]],
        placements: dict[str, dict[str, Any]],
        bp: dict[str, Any],
        flows: list[tuple[str, dict[str, Any]]],
    ) -> None:
        ends = {as_str(f.get(k)) for _, f in flows for k in ("source", "destination")}
        libraries = 0
        candidates: list[tuple[str, dict[str, Any], str]] = []
        for path, c in components:
            wanted = c["bom-ref"] in placements or c["bom-ref"] in ends
            if as_str(c.get("type")) in LIBRARY_TYPES and not wanted:
                libraries += 1
                continue
            candidates.append((path, c, "component"))
        if libraries:
            self.r.note_unmapped(
                f"components: {libraries} library-like component(s) (library, framework ...) "
                "that no blueprint places: not architecture elements"
            )
        for _, c in components:
            if c.get("components"):
                self.r.note_unmapped("components: nested components")
                break
        candidates += [(p, s, "service") for p, s in services]
        candidates += [(p, a, "actor") for p, a in actors]
        candidates += [(p, s, "store") for p, s in stores]
        candidates += [(p, a, "asset") for p, a in typed]
        for path, item, _ in candidates:
            self.ids.claim("element", item["bom-ref"], item["bom-ref"], self.r, path)
        for path, item, section in candidates:
            new = self.ids.get("element", item["bom-ref"])
            if new is None:
                continue
            self.element_of[item["bom-ref"]] = new
            self.b.elements.append(
                (path, self._element(path, item, section, new, placements.get(item["bom-ref"])))
            )
        for cref, p in placements.items():
            if cref not in self.element_of:
                self.r.warn(
                    p["_path"], f"componentRef '{cref}' is not a component or service; left out"
                )

    def _element(
        self,
        path: str,
        item: dict[str, Any],
        section: str,
        new: str,
        placement: dict[str, Any] | None,
    ) -> dict[str, Any]:
        blob = self.blob(item, path)
        raw = dict(blob)
        raw["id"] = new
        stored_kind = as_str(blob.get("kind"))
        guessed, native_type = self._native_kind(item, section)
        if (
            stored_kind in KINDS
            and ELEMENT_SECTION.get(stored_kind, ("", ""))[0] == _section_of(section)
            and (native_type == _native_type(stored_kind, section))
        ):
            raw["kind"] = stored_kind
        else:
            raw["kind"] = guessed
        if section == "actor":
            names = {
                p.get("name"): p.get("value")
                for p in as_list(item.get("properties"))
                if isinstance(p, dict)
            }
            native_name = (
                as_str(names.get("workbench:name")) or _party_name(item.get("party")) or _MISSING
            )
            raw["name"] = _keep(blob.get("name", ""), native_name, _or_missing, as_str, new)
            zone = item.get("zone", _MISSING)
            tags = as_dict(item.get("party")).get("tags", _MISSING)
        else:
            raw["name"] = _keep(blob.get("name", ""), _get(item, "name"), _or_missing, as_str, new)
            if section != "asset" or "description" in item:
                raw["description"] = _keep(
                    blob.get("description", ""), _get(item, "description"), _or_missing, as_str, ""
                )
            zone = (placement or {}).get("zone", item.get("zone", _MISSING))
            if zone is _MISSING and section == "service":
                zone = item.get("trustZone", _MISSING)
            tags = item.get("tags", _MISSING)
            if placement is not None and "tags" in placement and tags is _MISSING:
                tags = placement["tags"]
        native_zone = self.ids.get("zone", zone) if isinstance(zone, str) else None
        if isinstance(zone, str) and native_zone is None and zone != OUTSIDE_REF:
            self.r.warn(path, f"zone '{zone}' is not a zone of the blueprint; left out")
        raw["boundary"] = _keep(
            blob.get("boundary"), native_zone or _MISSING, lambda v: v or _MISSING, _same, None
        )
        raw["tags"] = _keep(blob.get("tags", []), tags, _or_missing, strings, [])
        if placement is not None or section != "actor":
            owners = [_party_name(p) for p in as_list((placement or {}).get("ownership"))]
            native_owner = next((o for o in owners if o), _MISSING)
            raw["owner"] = _keep(blob.get("owner", ""), native_owner, _or_missing, _same, "")
        if section == "service" and "authenticated" in item:
            props = dict(as_dict(blob.get("properties")))
            stored = props.get("authentication")
            native = item["authenticated"]
            value = _keep(
                stored,
                native,
                lambda v: _MISSING if v is None else v != "none",
                lambda v: "none" if v is False else _MISSING,
                None,
            )
            if value is _MISSING:
                props.pop("authentication", None)
            else:
                props["authentication"] = value
            if props.get("authentication") is None:
                props.pop("authentication", None)
            raw["properties"] = props
        return raw

    def _native_kind(self, item: dict[str, Any], section: str) -> tuple[str, str]:
        """The kind another tool's item reads as, and its native type (to compare)."""
        if section == "component":
            t = as_str(item.get("type"))
            return COMPONENT_KIND.get(t, "process"), t
        if section == "service":
            return "process", "service"
        if section == "actor":
            a = as_str(as_dict(as_dict(item.get("party")).get("persona")).get("archetype"))
            return PERSONA_KIND.get(a, "external_entity"), a
        native = as_str(item.get("type"))
        if section == "store":
            return DATASTORE_KIND.get(native, "data_store"), "store"
        return ASSET_TYPE_KIND.get(native, "process"), "asset"

    def _relationships(self, bp: dict[str, Any], bp_path: str) -> None:
        held: dict[str, list[str]] = defaultdict(list)
        for i, rel in enumerate(as_list(bp.get("relationships"))):
            rel = as_dict(rel)
            element = self.element_of.get(as_str(rel.get("ref")))
            verbs = [v for v in ("contains", "associates") if v in rel]
            others = [k for k in rel if k not in ("ref", "contains", "associates")]
            if others:
                self.r.note_unmapped(f"blueprint relationships: {', '.join(sorted(others))}")
            if element is None:
                if verbs:
                    self.r.warn(
                        f"{bp_path}.relationships[{i}]",
                        f"'{as_str(rel.get('ref'))}' is not an imported element; left out",
                    )
                continue
            for v in verbs:
                for a in strings(rel.get(v)):
                    new = self.ids.get("asset", a)
                    if new is not None:
                        held[element].append(new)
                    elif self.ids.get("element", a) is None:
                        self.r.warn(
                            f"{bp_path}.relationships[{i}].{v}",
                            f"'{a}' is not a data asset; left out",
                        )
        for _, raw in self.b.elements:
            native = list(dict.fromkeys(held.get(raw["id"], []))) or _MISSING
            stored = strings(raw.get("assets"))
            raw["assets"] = _keep(stored, native, _or_missing, _same, [])

    # ---------------------------------------------------------------- flows
    def _flows(self, flows: list[tuple[str, dict[str, Any]]]) -> None:
        names = {raw["id"]: raw["name"] for _, raw in self.b.elements}
        asset_names = {raw["name"]: raw["id"] for _, raw in self.b.assets}
        for path, f in flows:
            new = self.ids.claim("flow", f["bom-ref"], f["bom-ref"], self.r, path)
            if new is None:
                continue
            blob = self.blob(f, path)
            raw = dict(blob)
            raw["id"] = new
            src, dst = as_str(f.get("source")), as_str(f.get("destination"))
            raw["source"] = self.element_of.get(src, src)
            raw["target"] = self.element_of.get(dst, dst)
            stored_name = as_str(blob.get("name"))
            native_name = as_str(f.get("name"))
            ends = [names.get(raw[k], raw[k]) for k in ("source", "target")]
            fallback = f"{ends[0]} to {ends[1]}"
            ours = bool(blob) and (stored_name or fallback) == native_name
            raw["name"] = stored_name if ours else native_name
            protocols = strings(f.get("protocols"))
            if len(protocols) > 1:
                self.r.warn(
                    f"{path}.protocols",
                    f"{len(protocols)} protocols; the first is kept ({protocols[0]})",
                )
            raw["protocol"] = _keep(
                blob.get("protocol", ""),
                protocols[:1] or _MISSING,
                lambda v: [v] if v else _MISSING,
                lambda v: v[0],
                "",
            )
            encrypted = f.get("encrypted", _MISSING)
            raw["encrypted"] = _keep(
                blob.get("encrypted"),
                encrypted if isinstance(encrypted, bool) else _MISSING,
                lambda v: _MISSING if v is None else v,
                _same,
                None,
            )
            auth = f.get("authentication", _MISSING)
            raw["authenticated"] = _keep(
                blob.get("authenticated"),
                auth if isinstance(auth, list) and auth else _MISSING,
                lambda v: (
                    _MISSING if v is None else (["none"] if not v else [{"name": "authenticated"}])
                ),
                lambda v: v != ["none"],
                None,
            )
            tags = strings(blob.get("tags"))
            bidirectional = f.get("bidirectional") is True
            if bidirectional and "bidirectional" not in tags:
                self.r.warn(
                    path,
                    "bidirectional flow imported as one flow from source to destination, "
                    "tagged 'bidirectional'",
                )
                tags.append("bidirectional")
            elif not bidirectional and "bidirectional" in tags:
                tags.remove("bidirectional")
            raw["tags"] = tags
            data = []
            for j, obj in enumerate(as_list(f.get("dataObjects"))):
                obj = as_dict(obj)
                props = {
                    p.get("name"): p.get("value")
                    for p in as_list(obj.get("properties"))
                    if isinstance(p, dict)
                }
                asset = self.ids.get("asset", props.get(ASSET_PROP)) or asset_names.get(
                    as_str(obj.get("name"))
                )
                if asset is None:
                    self.r.warn(
                        f"{path}.dataObjects[{j}]",
                        f"'{as_str(obj.get('name'))}' is not an imported data asset; left out",
                    )
                    continue
                data.append(asset)
            raw["data"] = _keep(
                strings(blob.get("data")),
                list(dict.fromkeys(data)) or _MISSING,
                _or_missing,
                _same,
                [],
            )
            for key in (
                "dataProfiles",
                "volume",
                "timing",
                "authorization",
                "synchronous",
                "sequence",
            ):
                if key in f:
                    self.r.note_unmapped(f"blueprint flows: '{key}'")
            self.b.flows.append((path, raw))

    # ---------------------------------------------------------------- objectives
    def _objectives(self, objectives: list[tuple[str, dict[str, Any]]]) -> None:
        for path, o in objectives:
            new = self.ids.claim("objective", o["bom-ref"], o["bom-ref"], self.r, path)
            if new is None:
                continue
            blob = self.blob(o, path)
            raw = dict(blob)
            raw["id"] = new
            raw["title"] = _keep(blob.get("title", ""), _get(o, "name"), _or_missing, as_str, new)
            raw["impact"] = _keep(
                blob.get("impact", "moderate"),
                _get(o, "criticality"),
                lambda v: CRITICALITY.get(v, _MISSING),
                lambda v: CRITICALITY_IN.get(v, "moderate"),
                "moderate",
            )
            raw["elements"] = [self.element_of.get(e, e) for e in strings(blob.get("elements"))]
            self.b.objectives.append((path, raw))

    # ---------------------------------------------------------------- risks
    def _risks_and_threats(self, tm: dict[str, Any]) -> None:
        risks = self.items(as_dict(self.data.get("risks")).get("risks"), "risks.risks")
        controls = {c["bom-ref"]: c for _, c in self.items(self.data.get("controls"), "controls")}
        requirements = _names(as_dict(self.data.get("definitions")).get("requirements"))
        targets = set(self.element_of.values()) | {raw["id"] for _, raw in self.b.flows}
        related: dict[str, list[dict[str, Any]]] = defaultdict(list)
        decisions: dict[str, dict[str, Any]] = {}
        for path, risk in risks:
            blob = self.blob(risk, path)
            stored = as_dict(blob.get("decision"))
            for t in strings(risk.get("relatedThreats")):
                related[t].append(risk)
            if stored:
                d = self._decision(path, risk, stored, controls)
                key = _decision_key(d)
                if key is not None:
                    decisions.setdefault(key, d)
                continue
            finding = next(
                (
                    t
                    for t in strings(risk.get("relatedThreats"))
                    if is_finding_id(t) and t.rsplit("@", 1)[1] in targets
                ),
                None,
            )
            status = as_str(risk.get("status"))
            if finding is not None and status in RISK_STATUS_IN and status != "identified":
                d = self._decision(path, risk, {"finding": finding}, controls)
                decisions.setdefault(finding, d)
        self.b.decisions = [("risks.risks", d) for d in decisions.values()]
        for path, threat in self.items(tm.get("threats"), "threats.threats"):
            tref = threat["bom-ref"]
            blob = self.blob(threat, path)
            if is_finding_id(tref) and (blob.get("threat") or tref.rsplit("@", 1)[1] in targets):
                continue  # one of our findings: recomputed from the model
            self.r.threats.append(
                self._foreign(path, threat, related.get(tref, []), controls, requirements)
            )

    def _decision(
        self,
        path: str,
        risk: dict[str, Any],
        stored: dict[str, Any],
        controls: dict[str, dict[str, Any]],
    ) -> dict[str, Any]:
        d = dict(stored)
        before = as_str(d.get("status")) or "open"
        native = as_str(risk.get("status"))
        if native and native not in RISK_STATUS_IN:
            self.r.warn(
                f"{path}.status",
                f"status '{native}' is not a CycloneDX risk status; the decision's status was kept",
            )
        elif native and RISK_STATUS.get(before) != native:
            status = RISK_STATUS_IN[native]
            d["status"] = status
            if "rationale" in STATUS_RULES[status].needs and not as_str(d.get("rationale")).strip():
                d["rationale"] = f"CycloneDX risk status '{native}'."
        owner = _party_name(risk.get("owner"))
        d["owner"] = _keep(as_str(d.get("owner")), owner or _MISSING, _or_missing, _same, "")
        responses = [as_dict(x) for x in as_list(risk.get("responses"))]
        response = responses[0] if responses else {}
        if len(responses) > 1:
            self.r.note_unmapped("risks: responses after the first")
        d["rationale"] = _keep(
            as_str(d.get("rationale")),
            _get(response, "description"),
            _or_missing,
            as_str,
            as_str(d.get("rationale")),
        )
        native_controls = [self._mitigation(c, controls) for c in strings(response.get("controls"))]
        d["mitigations"] = _keep(
            strings(d.get("mitigations")),
            [c for c in native_controls if c] or _MISSING,
            _or_missing,
            _same,
            [],
        )
        due = response.get("targetDate", _MISSING)
        d["due"] = _keep(
            d.get("due"),
            due,
            lambda v: (
                _date_time(dt.date.fromisoformat(v))
                if isinstance(v, str) and _date_in(v)
                else _MISSING
            ),
            _date_in,
            None,
        )
        if d.get("due") is None:
            d.pop("due", None)
        tickets = [
            as_str(x.get("url"))
            for x in as_list(response.get("externalReferences"))
            if isinstance(x, dict) and x.get("type") == "issue-tracker"
        ]
        d["ticket"] = _keep(
            as_str(d.get("ticket")), tickets[0] if tickets else _MISSING, _or_missing, _same, ""
        )
        return d

    def _mitigation(self, control_ref: str, controls: dict[str, dict[str, Any]]) -> str:
        c = controls.get(control_ref)
        if c is not None:
            m = as_str(as_dict(self.blob(c, "controls")).get("mitigation"))
            if m:
                return m
        return control_ref.removeprefix("control:")

    def _foreign(
        self,
        path: str,
        t: dict[str, Any],
        risks: list[dict[str, Any]],
        controls: dict[str, dict[str, Any]],
        requirements: dict[str, str],
    ) -> ForeignThreat:
        affected = [self.element_of.get(a) for a in strings(t.get("affectedAssets"))]
        target = next((a for a in affected if a), "")
        names = {raw["id"]: raw["name"] for _, raw in self.b.elements}
        status = ", ".join(
            dict.fromkeys(as_str(r.get("status")) for r in risks if as_str(r.get("status")))
        )
        severity = ", ".join(
            dict.fromkeys(
                as_str(as_dict(as_dict(r.get("inherentRisk")).get("score")).get("level"))
                for r in risks
                if as_str(as_dict(as_dict(r.get("inherentRisk")).get("score")).get("level"))
            )
        )
        mitigations = []
        for m in strings(t.get("mitigations")):
            name = as_str(as_dict(controls.get(m)).get("name")) or requirements.get(m) or m
            mitigations.append(name)
        return ForeignThreat(
            target=target,
            target_name=names.get(target, ""),
            title=as_str(t.get("name")) or t["bom-ref"],
            status=status,
            severity=severity,
            description=as_str(t.get("description")),
            mitigations=tuple(mitigations),
            source=path,
        )

    # ---------------------------------------------------------------- the rest
    def _unmapped(self, tm: dict[str, Any], bp: dict[str, Any], defs: dict[str, Any]) -> None:
        derived = ("attackPaths", "attackTrees", "attackPatterns")
        for key in ("scenarios", "abuseCases", *derived):
            items = [x for _, x in self.items(tm.get(key), f"threats.{key}")]
            if key in derived:
                items = [x for x in items if not _is_ours(x)]
            if items:
                self.r.note_unmapped(
                    f"threats.{key}: {len(items)} (not part of the workbench model)"
                )
        for key in tm:
            if key not in (
                "threats",
                "scenarios",
                "abuseCases",
                "trustBoundaries",
                "methodologies",
                "properties",
                *derived,
            ):
                self.r.note_unmapped(f"threats: '{key}'")
        for key in ("requirements", "standards", "useCases", "patents"):
            if as_list(defs.get(key)):
                self.r.note_unmapped(f"definitions.{key}")
        for key in (
            "behaviors",
            "visualizations",
            "useCases",
            "requirements",
            "externalReferences",
        ):
            if bp.get(key):
                self.r.note_unmapped(f"blueprint: '{key}'")
        mapped = {
            "$schema",
            "specFormat",
            "bomFormat",
            "specVersion",
            "serialNumber",
            "version",
            "metadata",
            "components",
            "services",
            "blueprints",
            "threats",
            "risks",
            "controls",
            "definitions",
        }
        for key in sorted(k for k in self.data if k not in mapped and self.data[k]):
            self.r.note_unmapped(f"section '{key}'")


def _trust_levels(
    zones: list[tuple[str, dict[str, Any]]],
    edges: list[tuple[str, dict[str, Any]]],
    trust: list[tuple[str, dict[str, Any]]],
) -> tuple[dict[str, tuple[str, str, dict[str, Any]]], list[tuple[str, dict[str, Any]]]]:
    """The trust level (and where it is written) of each zone: a trust boundary's level
    belongs to the first zone of the blueprint boundary it annotates. Also the trust
    boundaries whose blueprint boundary is not there."""
    edge_zone = {}
    for _, e in edges:
        zs = strings(e.get("zones"))
        if zs:
            edge_zone[e["bom-ref"]] = zs[0]
    zone_refs = {z["bom-ref"] for _, z in zones}
    level: dict[str, tuple[str, str, dict[str, Any]]] = {}
    orphans = []
    for path, t in trust:
        zone = edge_zone.get(as_str(t.get("boundary")))
        if zone is None:
            orphans.append((path, t))
        elif zone in zone_refs and zone not in level:
            level[zone] = (as_str(t.get("trustLevel")), path, t)
    return level, orphans


def _is_ours(item: dict[str, Any]) -> bool:
    r = as_str(item.get("bom-ref"))
    return r.startswith(("path:", "tree:", "technique:"))


def _section_of(section: str) -> str:
    return {"store": "component", "asset": "component"}.get(section, section)


def _native_type(kind: str, section: str) -> str:
    _, t = ELEMENT_SECTION.get(kind, ("component", "application"))
    if section == "service":
        return "service"
    return t


def _days(period: str) -> int | None:
    """Days of an ISO 8601 period such as ``P30D``, ``P2W``, ``P3M`` (30 days a month,
    365 a year); ``None`` when unreadable."""
    import re

    m = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?", period)
    if not m or not any(m.groups()):
        return None
    y, mo, w, d = (int(g) if g else 0 for g in m.groups())
    total = y * 365 + mo * 30 + w * 7 + d
    return total if 1 <= total <= 3660 else None


def _decision_key(d: dict[str, Any]) -> str | None:
    if isinstance(d.get("finding"), str):
        return str(d["finding"])
    if isinstance(d.get("threat"), str):
        scope = d.get("scope")
        if isinstance(scope, dict):
            return f"{d['threat']}@{','.join(f'{k}:{v}' for k, v in sorted(scope.items()))}"
        return f"{d['threat']}@{scope}"
    return None
