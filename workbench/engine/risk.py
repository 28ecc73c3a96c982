"""PASTA stage 7 arithmetic: likelihood x impact on a 5x5 scale, and risk levels."""

from __future__ import annotations

from ..model.types import RISK_RANK, RiskLevel

LEVELS: tuple[RiskLevel, ...] = ("info", "low", "medium", "high", "critical")


def level(score: int) -> RiskLevel:
    """The risk level of a likelihood x impact score (1..25).

    1-4 low, 5-9 medium, 10-16 high, 20-25 critical (the usual 5x5 banding; 17-19 cannot
    occur as a product of two scores)."""
    if score >= 20:
        return "critical"
    if score >= 10:
        return "high"
    if score >= 5:
        return "medium"
    return "low"


def at_least(risk: str, threshold: str) -> bool:
    """Whether ``risk`` is ``threshold`` or worse."""
    return RISK_RANK[risk] >= RISK_RANK[threshold]


def clamp(score: int) -> int:
    """Keep a likelihood or impact score on the 1..5 scale."""
    return max(1, min(5, score))


class Scored:
    """Something with a likelihood and an impact (a finding, a path, a group): its score
    and risk level. Subclasses define ``likelihood`` and ``impact``."""

    __slots__ = ()  # a subclass may keep its fields in slots (findings: thousands of them)

    likelihood: int
    impact: int

    @property
    def score(self) -> int:
        """Likelihood x impact (1..25)."""
        return self.likelihood * self.impact

    @property
    def risk(self) -> RiskLevel:
        """The risk level of the score."""
        return level(self.score)
