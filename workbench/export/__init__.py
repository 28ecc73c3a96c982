"""Exports: risk assessment reports and model cards (rendered to HTML and PDF by the
nbconvert exporters in :mod:`workbench.export.exporters`), and machine-readable registers.
Heavy imports (nbconvert, WeasyPrint) happen only inside the functions that need them.

The names below are imported on first use (``from workbench.export import report_html``),
so that importing one module of the package (the safe-HTML kit
:mod:`workbench.export.safehtml`, which the notebook widgets use) does not load the
report and model card builders.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model_card import build_card, card_elements, to_markdown, to_mct
    from .register_formats import to_csv, to_json, to_sarif, to_table
    from .render import report_html, report_pdf
    from .report import ReportOptions, build_report, report_notebook

_HOMES = {
    "ReportOptions": "report",
    "build_card": "model_card",
    "build_report": "report",
    "card_elements": "model_card",
    "report_html": "render",
    "report_notebook": "report",
    "report_pdf": "render",
    "to_csv": "register_formats",
    "to_json": "register_formats",
    "to_markdown": "model_card",
    "to_mct": "model_card",
    "to_sarif": "register_formats",
    "to_table": "register_formats",
}

__all__ = [
    "ReportOptions",
    "build_card",
    "build_report",
    "card_elements",
    "report_html",
    "report_notebook",
    "report_pdf",
    "to_csv",
    "to_json",
    "to_markdown",
    "to_mct",
    "to_sarif",
    "to_table",
]


def __getattr__(name: str) -> Any:
    """Import the exported names on first use (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value
