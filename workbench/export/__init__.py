"""Exports: machine-readable registers (reports and model cards arrive with the export
issue). Heavy imports happen only inside the functions that need them."""

from .register_formats import to_csv, to_json, to_sarif, to_table

__all__ = ["to_csv", "to_json", "to_sarif", "to_table"]
