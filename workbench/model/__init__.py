"""The threat model of an AI system: typed, strict, frozen pydantic models."""

from .kinds import KINDS, STRIDE_NAMES, DfdType, ElementKind, KindInfo, Layer, kind_info, stride_for
from .parts import (
    Asset,
    Boundary,
    Decision,
    DecisionScope,
    Element,
    ElementProperties,
    Flow,
    Objective,
    Position,
    RiskTolerance,
    Scope,
    SystemInfo,
)
from .references import RefProblem, reference_problems
from .threat_model import FORMAT_VERSION, ThreatModel

__all__ = [
    "FORMAT_VERSION",
    "KINDS",
    "STRIDE_NAMES",
    "Asset",
    "Boundary",
    "Decision",
    "DecisionScope",
    "DfdType",
    "Element",
    "ElementKind",
    "ElementProperties",
    "Flow",
    "KindInfo",
    "Layer",
    "Objective",
    "Position",
    "RefProblem",
    "RiskTolerance",
    "Scope",
    "SystemInfo",
    "ThreatModel",
    "kind_info",
    "reference_problems",
    "stride_for",
]
