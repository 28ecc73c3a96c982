"""Building a model card from an analysis: the Mitchell et al. sections, what the
threat model knows filled in, and the YAML front matter with the risk assessment."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from ...catalog import Mitigation
from ...engine import Analysis
from ...engine.risk import LEVELS
from ...model import Element, ThreatModel
from ...model.kinds import KINDS
from ...model.types import RISK_RANK
from ...register import Entry, Register, build_register
from ...version import __version__
from ..safehtml import yes_no
from .data import SCHEMA_ID, CardSection, Item, Lineage, ModelCard
from .lineage import _Graph, lineage
from .schema import validate_front_matter, validate_risk_assessment


def _names(elements: Iterable[Element]) -> str | None:
    names = [e.name for e in elements]
    return ", ".join(names) if names else None


def _flag(value: bool | None) -> str | None:
    return None if value is None else yes_no(value)


def _data_line(model: ThreatModel, e: Element, sources: Sequence[Element]) -> str:
    assets = {a.id: a for a in model.assets}
    classes = [assets[a].classification for a in e.assets if a in assets]
    if e.properties.data_classification:
        classes.append(e.properties.data_classification)
    pii: bool | None = e.properties.contains_pii
    if any(assets[a].pii for a in e.assets if a in assets):
        pii = True
    parts = [
        f"classification {max(classes, key=_CLASS_RANK.__getitem__) if classes else 'unknown'}",
        f"personal data {yes_no(pii)}",
        f"provenance tracked {yes_no(e.properties.provenance_tracked)}",
        f"signed {yes_no(e.properties.artifacts_signed)}",
    ]
    if sources:
        parts.append("from " + ", ".join(s.name for s in sources))
    return "; ".join(parts)


_CLASS_RANK = {"public": 0, "internal": 1, "confidential": 2, "restricted": 3}


def _details(model: ThreatModel, e: Element, lin: Lineage) -> CardSection:
    p = e.properties
    info = KINDS[e.kind]
    third = p.third_party if p.third_party is not None else (True if info.external else None)
    boundary = next((b.name for b in model.boundaries if b.id == e.boundary), None)
    owner = e.owner or None
    if owner is None and third:
        owner = f"a third party ({boundary})" if boundary else "a third party"
    return CardSection(
        "Model details",
        (
            Item("Name", e.name),
            Item("Element", f"{e.id} ({info.label})"),
            Item("Description", e.description or None),
            Item(
                "System",
                model.system.name
                + (f", version {model.system.version}" if model.system.version else ""),
            ),
            Item("Developed and owned by", owner),
            Item("Operated by a third party", _flag(third)),
            Item("Base models", _names(lin.base_models)),
            *([Item("Obtained from", _names(lin.obtained_from))] if lin.obtained_from else []),
            *([Item("Base model of", _names(lin.derived))] if lin.derived else []),
            Item("Produced by", _names(lin.producers)),
            Item("Serialization format", p.model_format),
            Item("Artifacts signed", _flag(p.artifacts_signed)),
            Item("Versions pinned", _flag(p.versions_pinned)),
            Item("Provenance tracked", _flag(p.provenance_tracked)),
            Item("Trust boundary", boundary),
            Item("License", None),
            Item("Citation", None),
            Item("Contact", None),
        ),
    )


def _intended_use(model: ThreatModel, lin: Lineage) -> CardSection:
    return CardSection(
        "Intended use",
        (
            Item("Primary intended uses", model.system.description or None),
            Item("Served through", _names(lin.serving)),
            Item("Called by", _names(lin.callers)),
            Item("Primary intended users", _names(lin.users)),
            Item("Out-of-scope uses", None),
        ),
    )


def _factors() -> CardSection:
    return CardSection(
        "Factors",
        (
            Item("Relevant factors (groups, instrumentation, environments)", None),
            Item("Evaluation factors", None),
        ),
    )


def _metrics(lin: Lineage, e: Element) -> CardSection:
    tested = [x.properties.adversarially_tested for x in (e, *lin.evaluations)]
    known = [t for t in tested if t is not None]
    return CardSection(
        "Metrics",
        (
            Item("Evaluated by", _names(lin.evaluations)),
            Item("Adversarially tested", yes_no(any(known)) if known else None),
            Item("Model performance measures", None),
            Item("Decision thresholds", None),
            Item("Variation approaches", None),
        ),
    )


def _data_section(
    title: str,
    model: ThreatModel,
    data: Sequence[Element],
    sources: Sequence[Element],
    g: _Graph,
) -> CardSection:
    items = []
    for d in data:
        upstream = [
            s
            for s in sources
            if s.id
            in {
                x.id
                for x in g.near([d.id], ("data_source", "model_hub", "labeling"), up=True, hops=2)
            }
        ]
        items.append(Item(d.name, _data_line(model, d, upstream)))
    if not items:
        items.append(Item("Datasets", None))
    items.append(Item("Preprocessing and provenance details", None))
    return CardSection(title, tuple(items))


def _ethics(model: ThreatModel, e: Element, lin: Lineage) -> CardSection:
    pii = personal_data(model, e, lin)
    ids = {x.id for x in (e, *lin.elements())}
    objectives = [
        f"{o.title} ({o.category}, impact {o.impact})"
        for o in model.objectives
        if o.category in ("privacy", "fairness", "safety") and ids & set(o.elements)
    ]
    privacy = [p.properties.privacy_preserving_training for p in lin.producers]
    hitl = [s.properties.human_in_the_loop for s in lin.serving]
    return CardSection(
        "Ethical considerations",
        (
            Item("Personal data", "; ".join(pii) if pii else None),
            Item(
                "Privacy-preserving training",
                yes_no(all(privacy)) if privacy and None not in privacy else None,
            ),
            Item(
                "Human in the loop where it is served",
                yes_no(all(hitl)) if hitl and None not in hitl else None,
            ),
            Item("Objectives at stake", "; ".join(objectives) if objectives else None),
            Item("Fairness and harm assessment", None),
        ),
    )


def _holds_pii(model: ThreatModel, x: Element) -> bool:
    assets = {a.id: a for a in model.assets}
    return bool(x.properties.contains_pii) or any(assets[a].pii for a in x.assets if a in assets)


def personal_data(model: ThreatModel, e: Element, lin: Lineage) -> list[str]:
    """Where personal data meets the model, each a fact of the model: the model holds it,
    its training or evaluation data holds it, or a flow into it carries a personal-data
    asset (named, with its sender)."""
    assets = {a.id: a for a in model.assets}
    out = []
    if _holds_pii(model, e):
        out.append(f"{e.name} holds personal data")
    for title, group in (("training", lin.training_data), ("evaluation", lin.evaluation_data)):
        holding = [x.name for x in group if _holds_pii(model, x)]
        if holding:
            out.append(f"its {title} data holds personal data ({', '.join(holding)})")
    names = {x.id: x.name for x in model.elements}
    for f in model.flows:
        carried = [assets[a].name for a in f.data if a in assets and assets[a].pii]
        if f.target == e.id and carried:
            out.append(f"{names[f.source]} sends it {', '.join(carried)}")
    return out


def _caveats(entries: Sequence[Entry], analysis: Analysis) -> CardSection:
    above = [e for e in entries if e.above_tolerance and e.is_open]
    accepted = [e for e in entries if e.status in ("accepted", "transferred") and not e.expired]
    expired = [e for e in entries if e.expired]
    mits: Counter[str] = Counter(m for e in entries if e.is_open for m in e.finding.mitigations)
    cat = analysis.catalog.mitigations
    notes = [
        f"{len(above)} open findings are above the risk tolerance "
        f"(accept up to {analysis.model.risk_tolerance.accept_up_to})."
    ]
    notes += [
        f"Open ({e.residual_risk}): {e.finding.title} — {e.finding.target_name}."
        for e in above[:10]
    ]
    notes += [
        f"{e.status.capitalize()} by {e.owner}: {e.finding.title} — {e.finding.target_name}."
        for e in accepted[:10]
    ]
    notes += [
        f"Review due ({e.expiry_note()}): {e.finding.title} — {e.finding.target_name}."
        for e in expired[:10]
    ]
    notes += [
        f"Recommended: {cat[m].title if m in cat else m} ({n} findings)."
        for m, n in mits.most_common(8)
    ]
    return CardSection("Caveats and recommendations", (), tuple(notes))


def _entries(register: Register, ids: set[str]) -> list[Entry]:
    return sorted(
        (e for e in register.entries if e.finding.target in ids),
        key=lambda e: (-e.residual_score, -e.finding.score, e.id),
    )


def _card_scope(model: ThreatModel, element_id: str, lin: Lineage) -> set[str]:
    ids = {element_id, *(e.id for e in lin.elements())}
    # flows between two elements of the card's scope
    ids |= {f.id for f in model.flows if f.source in ids and f.target in ids}
    return ids


PIPELINE_TAGS = {
    "llm": "text-generation",
    "embedding": "feature-extraction",
    "speech_to_text": "automatic-speech-recognition",
    "text_to_speech": "text-to-speech",
    "vision": "image-classification",
    "image_generation": "text-to-image",
}
"""Hugging Face ``pipeline_tag`` by model type (a classifier's task depends on its input,
so it gets none)."""


def front_matter(analysis: Analysis, element: Element) -> dict[str, Any]:
    """The YAML front matter: Hugging Face model-card metadata keys only (``model_name``,
    ``tags``, and ``pipeline_tag`` when the model's type is known). The risk assessment is
    in the body and the sidecar JSON (:func:`risk_assessment`)."""
    from ...engine.facts import Facts

    front: dict[str, Any] = {
        "model_name": element.name,
        "tags": ["ai-threat-workbench", "threat-model", element.kind.replace("_", "-")],
    }
    model_type = Facts(analysis.model.graph()).model_types.get(element.id)
    if model_type in PIPELINE_TAGS:
        front["pipeline_tag"] = PIPELINE_TAGS[model_type]
    return front


def risk_assessment(
    analysis: Analysis,
    element: Element,
    entries: Sequence[Entry],
    scope: set[str],
    date: dt.date,
) -> dict[str, Any]:
    """The risk assessment of a card as data: what the threat model says about the
    model and its lifecycle (findings, mitigations with their controls, residual risk)."""
    model = analysis.model
    cat = analysis.catalog
    by_risk = Counter(e.residual_risk for e in entries)
    worst = max((e.residual_risk for e in entries), key=RISK_RANK.__getitem__, default="info")
    mids = sorted({m for e in entries for m in e.finding.mitigations})
    decided = {
        m for e in entries if e.decision and e.status == "mitigated" for m in e.decision.mitigations
    }
    planned = {
        m
        for e in entries
        if e.decision and e.status in ("open", "in_progress")
        for m in e.decision.mitigations
    }
    frameworks = sorted(
        {fw for e in entries for fw in e.finding.references}
        | {"nist_ai_rmf", "iso42001", "sp800_53"}
    )
    return {
        "schema": SCHEMA_ID,
        "generator": f"AI Threat Workbench {__version__}",
        "date": date.isoformat(),
        "system": {"name": model.system.name, "version": model.system.version},
        "element": {"id": element.id, "kind": element.kind, "name": element.name},
        "scope": sorted(scope & ({e.id for e in model.elements} | {element.id})),
        "risk_tolerance": model.risk_tolerance.accept_up_to,
        "residual_risk": worst,
        "summary": {
            "findings": len(entries),
            "open": sum(e.is_open for e in entries),
            "above_tolerance": sum(e.above_tolerance for e in entries),
            "by_residual_risk": {lv: by_risk[lv] for lv in LEVELS if by_risk[lv]},
        },
        "findings": [
            {
                "id": e.id,
                "threat": e.finding.threat_id,
                "title": e.finding.title,
                "target": e.finding.target,
                "stride": list(e.finding.stride),
                "likelihood": e.finding.likelihood,
                "impact": e.finding.impact,
                "risk": e.finding.risk,
                "status": e.status,
                "expired": e.expired,
                "owner": e.owner,
                "residual_risk": e.residual_risk,
                "above_tolerance": e.above_tolerance,
                "mitigations": list(e.finding.mitigations),
                "references": {k: list(v) for k, v in sorted(e.finding.references.items())},
            }
            for e in entries
        ],
        "mitigations": [
            {
                "id": m,
                "title": cat.mitigations[m].title if m in cat.mitigations else m,
                "status": "implemented"
                if m in decided
                else ("planned" if m in planned else "recommended"),
                "controls": _controls(cat.mitigations[m]) if m in cat.mitigations else {},
            }
            for m in mids
        ],
        "references": [
            {"framework": fw, "name": cat.frameworks[fw].name, "url": cat.frameworks[fw].url}
            for fw in frameworks
            if fw in cat.frameworks
        ],
    }


def build_card(
    analysis: Analysis,
    element_id: str,
    register: Register | None = None,
    *,
    date: dt.date | None = None,
    validate: bool = True,
) -> ModelCard:
    """The model card of one element (``KeyError`` for an unknown ID). The front matter
    is validated against the schema when ``validate`` (and jsonschema is installed)."""
    model = analysis.model
    element = model.element(element_id)
    register = register or build_register(analysis)
    lin = lineage(model, element_id)
    scope = _card_scope(model, element_id, lin)
    entries = _entries(register, scope)
    g = _Graph(model)
    fm = front_matter(analysis, element)
    ra = risk_assessment(analysis, element, entries, scope, date or dt.date.today())
    if validate:
        validate_front_matter(fm)
        validate_risk_assessment({"model_name": element.name, "risk_assessment": ra})
    sections = (
        _details(model, element, lin),
        _intended_use(model, lin),
        _factors(),
        _metrics(lin, element),
        _data_section("Evaluation data", model, lin.evaluation_data, lin.data_sources, g),
        _data_section("Training data", model, lin.training_data, lin.data_sources, g),
        CardSection("Quantitative analyses", (Item("Unitary and intersectional results", None),)),
        _ethics(model, element, lin),
        _caveats(entries, analysis),
    )
    return ModelCard(
        element=element,
        system=model.system.name,
        front_matter=fm,
        sections=sections,
        entries=tuple(entries),
        analysis=analysis,
        risk_assessment=ra,
    )


def _controls(mitigation: Mitigation) -> dict[str, Any]:
    """A mitigation's controls per framework, and why none fits where a list is empty
    (``<framework>_none``)."""
    refs = mitigation.controls
    out: dict[str, Any] = {
        k: list(v) for k, v in refs.model_dump(exclude={"atlas_none"}).items() if v
    }
    for k, reason in refs.reasons().items():
        out[f"{k}_none"] = reason
    return out
