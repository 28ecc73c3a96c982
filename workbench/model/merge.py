"""Three-way merge of threat models: someone else's saved changes with one's own unsaved
ones.

Two notebooks (or a notebook and an editor) working on one model file: when the file
changes under a workbench that has unsaved edits, :func:`merge` takes both sides' changes
against the model both started from (``base``). Items are matched by ID (decisions by
their key: the finding, or the threat and scope); the model's system, scope and risk
tolerance are one item each. An item changed (added, edited or removed) on one side only
takes that side's version; changed the same way on both, that version; changed in two
different ways, it is a conflict and one's own version is kept (the caller says so and
offers the file's). Order follows the file's, one's own additions after it.

Pure: no file access, no UI. The result is validated like any model; a merge whose two
sides fit only apart (a flow of one's own to an element the file removed) keeps one's own
model and reports why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .threat_model import ThreatModel

SECTIONS = ("boundaries", "assets", "elements", "flows", "objectives", "decisions")
"""The lists merged item by item."""
PARTS = ("system", "scope", "risk_tolerance")
"""The parts merged as one item each."""


@dataclass(frozen=True)
class Merge:
    """The merged model and what could not be merged."""

    model: ThreatModel
    """Both sides' changes; one's own version where they conflict."""
    theirs: tuple[str, ...]
    """What the merge took from the file, e.g. ``element 'vector_store' changed``."""
    conflicts: tuple[str, ...]
    """What both sides changed differently, e.g. ``element 'vector_store'``: one's own
    version was kept."""
    error: str = ""
    """Why the two sides could not be put together (then ``model`` is one's own)."""

    @property
    def clean(self) -> bool:
        """Whether everything merged without a conflict."""
        return not self.conflicts and not self.error


def merge(base: ThreatModel, mine: ThreatModel, theirs: ThreatModel) -> Merge:
    """``mine`` and ``theirs``, two edits of ``base``, merged (see the module)."""
    fields: dict[str, Any] = {}
    taken: list[str] = []
    conflicts: list[str] = []
    for part in PARTS:
        b, m, t = getattr(base, part), getattr(mine, part), getattr(theirs, part)
        value, how = _pick(b, m, t)
        fields[part] = value
        _note(how, part.replace("_", " "), taken, conflicts)
    for section in SECTIONS:
        fields[section] = _merge_list(
            section,
            getattr(base, section),
            getattr(mine, section),
            getattr(theirs, section),
            _key_of(section),
            taken,
            conflicts,
        )
    try:
        merged = mine.replace(**fields)
    except ValueError as exc:
        return Merge(mine, tuple(taken), tuple(conflicts), error=str(exc))
    return Merge(merged, tuple(taken), tuple(conflicts))


def _key_of(section: str) -> Callable[[Any], str]:
    if section == "decisions":
        return lambda d: str(d.key)
    return lambda item: str(item.id)


def _pick(base: Any, mine: Any, theirs: Any) -> tuple[Any, str]:
    """The merged value of one item (``None``: absent) and how: ``same``, ``mine``,
    ``theirs`` or ``conflict``."""
    if mine == theirs:
        return mine, "same"
    if mine == base:
        return theirs, "theirs"
    if theirs == base:
        return mine, "mine"
    return mine, "conflict"


def _note(how: str, what: str, taken: list[str], conflicts: list[str]) -> None:
    if how == "theirs":
        taken.append(f"{what} changed")
    elif how == "conflict":
        conflicts.append(what)


def _merge_list(
    section: str,
    base: Sequence[Any],
    mine: Sequence[Any],
    theirs: Sequence[Any],
    key: Callable[[Any], str],
    taken: list[str],
    conflicts: list[str],
) -> list[Any]:
    b = {key(x): x for x in base}
    m = {key(x): x for x in mine}
    t = {key(x): x for x in theirs}
    order = [*t, *(k for k in m if k not in t)]
    order += [k for k in b if k not in t and k not in m]
    out = []
    noun = section[:-1]
    for k in order:
        value, how = _pick(b.get(k), m.get(k), t.get(k))
        what = f"{noun} {k!r}"
        if how == "theirs":
            change = "added" if k not in b else "removed" if value is None else "changed"
            taken.append(f"{what} {change}")
        elif how == "conflict":
            conflicts.append(what)
        if value is not None:
            out.append(value)
    return out
