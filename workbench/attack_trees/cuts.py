"""Cut sets: which sets of mitigations, put in place, cut an attack tree's node.

The attacker's side of a node is a monotone formula over its leaves; cutting it is the dual
formula over mitigations:

* a finding is cut by any one of its mitigations (``OR``), or is cut already (a decision);
* a step (the attacker needs *any* finding of it) is cut when *every* finding is cut;
* a way (the attacker needs *every* step) is cut when *any* step is cut;
* an OR node (any way will do) is cut when *every* child is cut.

A :data:`Family` holds the minimal sets that make that formula true: ``{frozenset()}``
means cut already, an empty family means no set of at most :data:`MAX_CUT` mitigations
cuts it. AND of families is the pairwise union (kept minimal and at most :data:`MAX_CUT`
large), OR is the union of the families (kept minimal). Each family keeps at most
:data:`MAX_KEPT` sets, the most promising first (fewest mitigations, then those cutting
most findings): :class:`Cuts` records when it had to drop any.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..catalog import Catalog

Family = tuple[frozenset[str], ...]
"""Minimal cut sets, in :class:`Cuts` order."""

MAX_CUT = 4
"""Cut sets of more mitigations than this are not searched for."""
MAX_KEPT = 64
"""Sets kept per node while combining (the most promising)."""


def supporting(catalog: Catalog) -> frozenset[str]:
    """The catalog's mitigations that detect, recover from, test or govern an attack rather
    than stop a step of it (``kind`` other than ``preventive``: monitoring, logging, red
    teaming, backups, incident response, policy, reviews; see
    :data:`workbench.catalog.MitigationKind`): a finding lists them, but they cut nothing,
    so no cut set is made of them ("put monitoring in place and every way is cut" would be
    wrong). A custom catalog says it the same way."""
    return frozenset(m.id for m in catalog.mitigations.values() if not m.cuts)


CUT: Family = (frozenset(),)
"""The family of a node already cut."""
NEVER: Family = ()
"""The family of a node that no set of at most :data:`MAX_CUT` mitigations cuts."""


class Cuts:
    """Combines families. ``weight`` ranks mitigations (how many findings each cuts);
    ``shown`` are those the model already shows on some finding of the tree: they are
    there and the finding still holds (the engine only lowered its likelihood), so sets
    of other mitigations come first; ``supporting`` are those that cut nothing
    (:func:`supporting`)."""

    def __init__(
        self,
        weight: Mapping[str, int],
        shown: Iterable[str] = (),
        supporting: Iterable[str] = (),
    ) -> None:
        self.weight = weight
        self.shown = frozenset(shown)
        self.supporting = frozenset(supporting)
        self.complete = True
        """Whether no family was ever trimmed to :data:`MAX_KEPT` sets."""

    def key(self, s: frozenset[str]) -> tuple[int, int, int, tuple[str, ...]]:
        """Order of cut sets: fewest mitigations, then fewest that the model already shows,
        then most findings cut, then by ID."""
        return (
            len(s),
            len(s & self.shown),
            -sum(self.weight.get(m, 0) for m in s),
            tuple(sorted(s)),
        )

    def minimal(self, sets: Iterable[frozenset[str]]) -> Family:
        """The sets none of the others is a subset of, in order, at most :data:`MAX_KEPT`."""
        kept: list[frozenset[str]] = []
        for s in sorted(set(sets), key=self.key):
            if any(k <= s for k in kept):
                continue
            if len(kept) == MAX_KEPT:
                self.complete = False
                break
            kept.append(s)
        return tuple(kept)

    def leaf(self, mitigations: Iterable[str], *, cut: bool) -> Family:
        """A finding: cut already, or cut by any one of its mitigations (not the
        supporting ones)."""
        if cut:
            return CUT
        return self.minimal(frozenset([m]) for m in mitigations if m not in self.supporting)

    def any_of(self, families: Iterable[Family]) -> Family:
        """Cut when any of the parts is cut (a way: any of its steps)."""
        return self.minimal(s for f in families for s in f)

    def all_of(self, families: Iterable[Family]) -> Family:
        """Cut when every part is cut (a step: all its findings; an OR node: all its
        children)."""
        out: Family = CUT
        for family in families:
            if not family:
                return NEVER
            joined = (a | b for a in out for b in family)
            out = self.minimal(s for s in joined if len(s) <= MAX_CUT)
            if not out:
                return NEVER
        return out


def shown(family: Family, most: int) -> tuple[tuple[str, ...], ...]:
    """The first ``most`` sets of a family, each sorted, for display; none when the family
    says the node is cut already."""
    if family == CUT:
        return ()
    return tuple(tuple(sorted(s)) for s in family[:most])
