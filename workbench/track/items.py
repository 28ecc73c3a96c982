"""What becomes an issue: the open groups (or findings) at or above a level.

A group of findings (:mod:`workbench.engine.groups`: a missing control on one element,
one threat on several targets, or a finding on its own) becomes one issue when one of
its members counts as open (:attr:`workbench.register.Entry.is_open`: no decision,
``open``, ``in_progress``, or past its review date) with a residual risk at or above the
level; the issue lists every open member, worst first. With ``per="finding"`` each open
finding at or above the level is an issue of its own. The key of an item is the
group's ID (``missing:ELEMENT:PROPERTY``, ``threat:THREAT-ID``, ``finding:FINDING-ID``):
stable across runs, it is what the issue's marker line names.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from ..engine import Analysis, FindingGroup
from ..engine.risk import at_least
from ..model.types import RISK_RANK, RiskLevel
from ..register import Entry, Register
from ..register.grouping import group_entries, lone_group

__all__ = ["Per", "TrackItem", "track_items"]

Per = Literal["group", "finding"]


@dataclass(frozen=True)
class TrackItem:
    """One issue to have: a group (or a finding) and its open members."""

    key: str
    """The group's ID, or ``finding:FINDING-ID``."""
    title: str
    """The issue's title: the group's cause, or the finding's title and target."""
    group: FindingGroup
    entries: tuple[Entry, ...]
    """The members that count as open, worst first."""
    decided: int = 0
    """Members of the group that are decided (not in :attr:`entries`)."""

    @property
    def risk(self) -> RiskLevel:
        """The worst residual risk among the open members."""
        return max((e.residual_risk for e in self.entries), key=RISK_RANK.__getitem__)

    @property
    def finding_ids(self) -> tuple[str, ...]:
        """The open members' finding IDs."""
        return tuple(e.id for e in self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)


def _title(group: FindingGroup, entries: tuple[Entry, ...]) -> str:
    if len(group.members) == 1:
        f = entries[0].finding
        return f"{f.title} (on {f.target_name})"
    return group.title


def track_items(
    analysis: Analysis, register: Register, *, level: str = "high", per: Per = "group"
) -> list[TrackItem]:
    """The items to track, worst first (the engine's order of groups)."""
    items: list[TrackItem] = []
    if per == "finding":
        at_level = register.open_at_or_above(level)
        for e in sorted(at_level, key=lambda e: (-e.residual_score, e.id)):
            g = lone_group(e)
            items.append(TrackItem(g.id, _title(g, (e,)), g, (e,)))
        return items
    for ge in group_entries(register.entries, analysis.groups):
        opens = tuple(
            sorted(
                (e for e in ge.entries if e.is_open),
                key=lambda e: (-e.residual_score, e.id),
            )
        )
        if not any(at_least(e.residual_risk, level) for e in opens):
            continue
        g = ge.group
        items.append(TrackItem(g.id, _title(g, opens), g, opens, len(ge.entries) - len(opens)))
    return items
