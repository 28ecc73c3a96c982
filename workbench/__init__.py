"""AI Threat Workbench: threat modeling for AI systems.

The core is pure Python and imports no UI library::

    from workbench import ThreatModel
    model = ThreatModel.from_template("rag_assistant")

The model classes below are imported on first use (``workbench.ThreatModel`` or
``from workbench import ThreatModel``), so that ``import workbench`` itself stays quick:
pydantic and the models take about 150 ms to import, which a command that only needs
``workbench.__version__`` or a submodule should not pay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

from . import conveniences  # noqa: F401 - provides the model's load, save, graph (workbench.hooks)
from .version import __version__

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

_FROM_MODEL = frozenset(__all__) - {"__version__"}


def __getattr__(name: str) -> Any:
    """Import the model classes on first use (PEP 562)."""
    if name in _FROM_MODEL:
        from . import model

        value = getattr(model, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
