"""The analysis engine (PASTA stages 4-7)."""

from .analysis import Analysis, Analyzer, Finding, analyze
from .groups import FindingGroup
from .paths import AttackPath, PathStep
from .risk import LEVELS, at_least, level

__all__ = [
    "LEVELS",
    "Analysis",
    "Analyzer",
    "AttackPath",
    "Finding",
    "FindingGroup",
    "PathStep",
    "analyze",
    "at_least",
    "level",
]
