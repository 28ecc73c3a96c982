"""Register entries by cause: the engine's finding groups (see
:mod:`workbench.engine.groups`) with the register entries of their members.

The one place the outputs that show groups first (the CLI table, JSON, SARIF, CSV, the
report, the threat panel) join groups and entries, so they agree on the order and on what
happens to a finding that no group lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..engine import FindingGroup
from . import Entry


@dataclass(frozen=True)
class GroupedEntries:
    """One group and the entries of its members that are in the register."""

    group: FindingGroup
    entries: tuple[Entry, ...]
    """The members that are in the register, in the group's order (worst first)."""

    @property
    def complete(self) -> bool:
        """Whether every member of the group is among ``entries``."""
        return len(self.entries) == len(self.group.members)

    @property
    def open(self) -> int:
        """How many of ``entries`` still count as open (open, in progress, expired)."""
        return sum(e.is_open for e in self.entries)


def group_key(g: FindingGroup) -> tuple[int, int, str]:
    """The engine's order of groups: worst member's score, then size, then ID."""
    return (-g.score, -len(g.members), g.id)


def lone_group(e: Entry) -> FindingGroup:
    """A group of its own for an entry that no group lists (its fix: the first of its
    threat's mitigations not already in place)."""
    f = e.finding
    return FindingGroup(
        id=f"finding:{f.id}",
        cause="single",
        title=f.title,
        fix=next((m for m in f.mitigations if m not in f.in_place), ""),
        fix_title="",
        members=(f.id,),
        targets=(f.target,),
        likelihood=f.likelihood,
        impact=f.impact,
    )


def group_entries(entries: Iterable[Entry], groups: Sequence[FindingGroup]) -> list[GroupedEntries]:
    """``entries`` by group, worst group first; groups none of whose members is among
    ``entries`` are left out, and an entry no group lists gets a group of its own."""
    entries = list(entries)
    by_id = {e.id: e for e in entries}
    out: list[GroupedEntries] = []
    seen: set[str] = set()
    for g in groups:
        members = tuple(by_id[m] for m in g.members if m in by_id)
        if members:
            out.append(GroupedEntries(g, members))
            seen.update(e.id for e in members)
    out += [GroupedEntries(lone_group(e), (e,)) for e in entries if e.id not in seen]
    return sorted(out, key=lambda ge: group_key(ge.group))


def group_of(grouped: Iterable[GroupedEntries]) -> dict[str, FindingGroup]:
    """The group of each finding ID in ``grouped``."""
    return {e.id: ge.group for ge in grouped for e in ge.entries}
