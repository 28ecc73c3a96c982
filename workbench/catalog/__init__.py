"""The threat catalog: threats, mitigations, frameworks, and the rule language."""

from .loader import Catalog, load_catalog
from .predicates import OPERATORS, Facts, Match, Predicate, evaluate
from .schema import Framework, Mitigation, Threat

__all__ = [
    "OPERATORS",
    "Catalog",
    "Facts",
    "Framework",
    "Match",
    "Mitigation",
    "Predicate",
    "Threat",
    "evaluate",
    "load_catalog",
]
