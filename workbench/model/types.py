"""Shared field types and vocabularies of the threat model."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints


def empty_list() -> Any:
    """Default of a list field: an empty list, made fresh for every object.

    Written as ``Field(default_factory=list)`` rather than ``= []``: pydantic deep-copies a
    mutable default for every object that leaves the field out (``copy.deepcopy``, about
    1 µs each: a sixth of a 1,000-element model's validation). The JSON Schema still shows
    ``"default": []``, and ``exclude_defaults`` still leaves empty lists out."""
    return Field(default_factory=list, json_schema_extra={"default": []})


ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$"

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
"""An identifier: letters, digits, ``_``, ``.`` and ``-``; starts with a letter or digit;
at most 100 characters. IDs are unique across the whole model."""

ElementId = Id
FlowId = Id
BoundaryId = Id
AssetId = Id
ObjectiveId = Id

FINDING_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}@[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$"
FindingId = Annotated[str, StringConstraints(pattern=FINDING_ID_PATTERN)]
"""A finding's ID: ``THREAT-ID@target-id``, the target being an element or a flow."""

Text = Annotated[str, StringConstraints(max_length=20_000)]
"""Free text written by people: stored as typed, escaped wherever it is shown."""

Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]

Classification = Literal["public", "internal", "confidential", "restricted"]
"""Data classification, from least to most sensitive."""

CLASSIFICATION_RANK: dict[str, int] = {
    "public": 0,
    "internal": 1,
    "confidential": 2,
    "restricted": 3,
}

ModelType = Literal[
    "classifier",
    "regressor",
    "ranker",
    "llm",
    "embedding",
    "speech_to_text",
    "text_to_speech",
    "vision",
    "image_generation",
    "other",
]
"""What a model does; rules about evasion, inversion or prompt injection depend on it."""

InputModality = Literal["text", "tabular", "image", "audio", "video", "time_series", "multimodal"]
"""What a model takes in."""

Exposure = Literal["internet", "partner", "internal", "isolated"]
"""Who can reach an element over the network."""

RiskLevel = Literal["info", "low", "medium", "high", "critical"]
"""Risk levels, from least to most severe."""

RISK_RANK: dict[str, int] = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}

ImpactLevel = Literal["negligible", "minor", "moderate", "major", "severe"]
"""Business impact on a five-point scale (1 = negligible ... 5 = severe)."""

IMPACT_SCORE: dict[str, int] = {
    "negligible": 1,
    "minor": 2,
    "moderate": 3,
    "major": 4,
    "severe": 5,
}

Score = Annotated[int, Field(ge=1, le=5)]
"""A likelihood or impact score on the 1..5 scale."""

LifecycleStage = Literal[
    "data_collection",
    "data_preparation",
    "training",
    "evaluation",
    "deployment",
    "operation",
    "monitoring",
    "retirement",
]
"""AI lifecycle stages (after ISO/IEC 22989 and the NIST AI RMF lifecycle)."""

DecisionStatus = Literal["open", "mitigated", "accepted", "transferred"]
"""What the team decided about a finding."""
