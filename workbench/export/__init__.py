"""Exports: risk assessment reports and model cards (rendered to HTML and PDF by the
nbconvert exporters in :mod:`workbench.export.exporters`), and machine-readable registers.
Heavy imports (nbconvert, WeasyPrint) happen only inside the functions that need them."""

from .model_card import build_card, card_elements, to_markdown, to_mct
from .register_formats import to_csv, to_json, to_sarif, to_table
from .report import ReportOptions, build_report, report_html, report_notebook, report_pdf

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
