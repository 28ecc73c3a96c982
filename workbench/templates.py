"""Renamed: the starter architectures are :mod:`workbench.starters` (this module still
imports for one release)."""

from .starters import load_starter, load_template, names

__all__ = ["load_starter", "load_template", "names"]
