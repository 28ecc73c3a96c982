"""AI Threat Workbench: threat modeling for AI systems.

The core is pure Python and imports no UI library::

    from workbench import ThreatModel
    model = ThreatModel.from_template("rag_assistant")
"""

from .model import (
    Asset,
    Boundary,
    Decision,
    Element,
    ElementProperties,
    Flow,
    Objective,
    RiskTolerance,
    Scope,
    SystemInfo,
    ThreatModel,
)

__version__ = "0.1.0"

__all__ = [
    "Asset",
    "Boundary",
    "Decision",
    "Element",
    "ElementProperties",
    "Flow",
    "Objective",
    "RiskTolerance",
    "Scope",
    "SystemInfo",
    "ThreatModel",
    "__version__",
]
