"""The threat catalog: threats, mitigations, frameworks, and the rule language (its
grammar; the engine evaluates it, see :mod:`workbench.engine.rules`)."""

from .entries import Framework, Mitigation, MitigationKind, Threat
from .loader import Catalog, load_catalog
from .predicates import OPERATORS, Match, Predicate

__all__ = [
    "OPERATORS",
    "Catalog",
    "Framework",
    "Match",
    "Mitigation",
    "MitigationKind",
    "Predicate",
    "Threat",
    "load_catalog",
]
