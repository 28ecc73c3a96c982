"""A model card in Google's model-card-toolkit JSON schema v0.0.2."""

from __future__ import annotations

from typing import Any

from ...model.kinds import KINDS
from .data import MCT_SCHEMA_VERSION, ModelCard
from .lineage import lineage


def to_mct(card: ModelCard) -> dict[str, Any]:
    """The card in Google's model-card-toolkit JSON schema v0.0.2."""
    model = card.analysis.model
    e = card.element
    details = {s.title: s for s in card.sections}
    lin = lineage(model, e.id)
    owners = [e.owner] if e.owner else list(model.system.owners)
    refs = [r["url"] for r in card.risk_assessment["references"] if r["url"]]
    data = [
        {"name": d.name, "description": f"{role} data: {d.description}".rstrip(": ")}
        | (
            {"sensitive": {"sensitive_data": ["personal data"]}}
            if d.properties.contains_pii
            else {}
        )
        for role, group in (("Training", lin.training_data), ("Evaluation", lin.evaluation_data))
        for d in group
    ]
    mcat = card.analysis.catalog.mitigations
    risks = [
        {
            "name": f"{en.finding.title} ({en.finding.target_name}; residual {en.residual_risk}, "
            f"{en.state})",
            "mitigation_strategy": "; ".join(
                mcat[m].title if m in mcat else m for m in en.finding.mitigations
            ),
        }
        for en in card.entries
    ]
    limits = [{"description": n} for n in details["Caveats and recommendations"].notes]
    doc: dict[str, Any] = {
        "schema_version": MCT_SCHEMA_VERSION,
        "model_details": {
            "name": e.name,
            "overview": e.description or f"{KINDS[e.kind].label} in {model.system.name}",
            "owners": [{"name": o} for o in owners],
            "version": {"name": model.system.version or "unversioned"},
            "references": [{"reference": r} for r in refs],
        },
        "model_parameters": {"data": data},
        "considerations": {
            "users": [{"description": u.name} for u in lin.users],
            "use_cases": [{"description": model.system.description}]
            if model.system.description
            else [],
            "limitations": limits,
            "ethical_considerations": risks,
        },
    }
    return doc
