"""The attack tree's data: nodes with their gate, what they are tied to (findings, route,
techniques), the mitigations that cut them and whether those are in place (see
:mod:`workbench.attack_trees` for what each kind of node means)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

NodeKind = Literal["goal", "element", "entry", "way", "step", "finding", "more"]
"""``goal``: the root; ``element``: an element an objective depends on (objective trees
only); ``entry``: the ways that come in through one element; ``way``: one distinct way in,
the steps it needs; ``step``: one move of a way, over one flow; ``finding``: a finding
that makes the move possible (a leaf); ``more``: the siblings left out to keep the tree
narrow (a leaf, tied to the findings of what it stands for)."""

Gate = Literal["or", "and", "leaf"]
"""How a node's children combine: ``or``, any one of them is enough for the attacker;
``and``, the attacker needs every one; ``leaf``, no children."""

MitigationState = Literal["in_place", "shown", "missing"]
"""``in_place``: a valid ``mitigated`` decision on the finding names it (it cuts the
finding); ``shown``: the model shows it (the finding's ``in_place``: a property, a screen
on the route — it lowered the likelihood, it does not cut); ``missing``: neither."""


@dataclass(frozen=True)
class MitigationRef:
    """A catalog mitigation as a node shows it."""

    id: str
    """Catalog mitigation ID."""
    title: str
    """Its catalog title (the ID when the catalog does not know it)."""
    state: MitigationState
    """Whether it is in place (see :data:`MitigationState`)."""
    cuts: bool = True
    """Whether it stops the step (``False``: it detects, tests, recovers or governs: its
    catalog ``kind`` is not ``preventive``, see :func:`workbench.attack_trees.cuts.supporting`;
    or the threat's ``limited_by`` names it)."""
    limits: bool = False
    """Whether the threat's ``limited_by`` names it: it reduces the damage, it does not stop
    the step."""

    def to_dict(self) -> dict[str, object]:
        """Plain data."""
        out: dict[str, object] = {
            "id": self.id,
            "title": self.title,
            "state": self.state,
            "cuts": self.cuts,
        }
        if self.limits:
            out["limits"] = True
        return out


@dataclass(frozen=True)
class TreeNode:
    """One node of an attack tree."""

    id: str
    """Unique in the tree: ``g`` for the root, then the path of child numbers
    (``g.2.1``)."""
    kind: NodeKind
    """What the node is (see :data:`NodeKind`)."""
    gate: Gate
    """How its children combine."""
    label: str
    """One line that names it."""
    detail: str = ""
    """More words: the route and notes of a way, the flow of a step, the threat statement
    of a finding."""
    children: tuple[TreeNode, ...] = ()
    """Its children, most dangerous first."""
    route: tuple[str, ...] = ()
    """Element and flow IDs of the route it stands for, origin first (what the canvas
    highlights)."""
    findings: tuple[str, ...] = ()
    """Finding IDs it is tied to: a leaf's own, a step's relevant findings, a ``more``
    node's hidden ones; empty above the steps."""
    references: tuple[str, ...] = ()
    """ATLAS techniques and OWASP IDs of a finding (a step: of its findings)."""
    mitigations: tuple[MitigationRef, ...] = ()
    """A finding: its catalog mitigations (any one cuts it). A step: the mitigations
    that cut it on their own (each cuts every finding of the step)."""
    cut: bool = False
    """Whether mitigations in place (decisions) already cut it: a finding decided
    ``mitigated`` (or closed); a step whose findings are all cut; a way with a cut step;
    an OR node whose children are all cut."""
    cut_sets: tuple[tuple[str, ...], ...] = ()
    """The smallest sets of mitigations that, put in place, would cut it (empty when it is
    cut already or no set of at most :data:`~workbench.attack_trees.cuts.MAX_CUT` does)."""
    score: int = 0
    """Likelihood x impact of its most dangerous attack path (0 for findings: see
    ``likelihood``)."""
    likelihood: int = 0
    """A finding's likelihood; a step's likeliest finding's; else its best path's."""
    paths: tuple[str, ...] = ()
    """IDs of the engine's attack paths it stands for (above the steps)."""
    origins: tuple[str, ...] = ()
    """A way or an entry point: the untrusted actors its attack paths start from."""
    hidden: int = 0
    """A ``more`` node: how many siblings it stands for."""

    def walk(self) -> Iterator[TreeNode]:
        """This node and every node below it, depth first, in order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def to_dict(self) -> dict[str, Any]:
        """Plain data (empty fields left out)."""
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "gate": self.gate}
        out["label"] = self.label
        for name in ("detail", "route", "findings", "references", "paths", "origins"):
            value = getattr(self, name)
            if value:
                out[name] = list(value) if isinstance(value, tuple) else value
        if self.mitigations:
            out["mitigations"] = [m.to_dict() for m in self.mitigations]
        out["cut"] = self.cut
        if self.cut_sets:
            out["cut_sets"] = [list(s) for s in self.cut_sets]
        if self.score:
            out["score"] = self.score
        if self.likelihood:
            out["likelihood"] = self.likelihood
        if self.hidden:
            out["hidden"] = self.hidden
        if self.children:
            out["children"] = [c.to_dict() for c in self.children]
        return out


@dataclass(frozen=True)
class AttackTree:
    """The attack tree of one goal: a crown jewel (or any element), or a business
    objective."""

    goal: str
    """The element or objective ID."""
    goal_kind: Literal["element", "objective"]
    """Which of the two the goal is."""
    title: str
    """The goal in words (the root's label)."""
    root: TreeNode
    """The root: an OR over the ways in."""
    cut_sets: tuple[tuple[str, ...], ...]
    """The smallest sets of mitigations that, put in place, cut every way to the goal
    (every attack path the tree stands for, the ones left out of the drawing included),
    fewest first, then those that cut most findings; ``((),)`` when the mitigations in
    place already cut every way; empty when no set of at most
    :data:`~workbench.attack_trees.cuts.MAX_CUT` mitigations does."""
    mitigation_titles: dict[str, str] = field(default_factory=dict)
    """Title of every mitigation the tree names."""
    names: dict[str, str] = field(default_factory=dict)
    """Name of every element and flow the tree's routes name."""
    routes: int = 0
    """Attack paths to the goal that the engine found."""
    unexplained: tuple[str, ...] = ()
    """Attack paths that reach the goal but carry no finding that says what an attacker
    can do there (not a way in the tree)."""
    way_count: int = 0
    """How many distinct ways in the tree has (those folded into ``more`` nodes too)."""
    complete: bool = True
    """Whether the search for cut sets was exhaustive (up to
    :data:`~workbench.attack_trees.cuts.MAX_CUT` mitigations); ``False`` when it kept
    only the most promising partial sets at some node."""

    @property
    def cut(self) -> bool:
        """Whether the mitigations in place already cut every way (or there is none)."""
        return self.root.cut

    def nodes(self) -> Iterator[TreeNode]:
        """Every node, depth first from the root."""
        return self.root.walk()

    def node(self, node_id: str) -> TreeNode:
        """The node with ``node_id`` (``KeyError`` if there is none)."""
        for n in self.nodes():
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def leaves(self) -> list[TreeNode]:
        """The nodes without children (the root too, when no way is known)."""
        return [n for n in self.nodes() if not n.children]

    def to_dict(self) -> dict[str, Any]:
        """Plain data: the goal, the cut sets with the mitigations' titles, the tree."""
        return {
            "goal": self.goal,
            "goal_kind": self.goal_kind,
            "title": self.title,
            "routes": self.routes,
            "ways": self.way_count,
            "unexplained": list(self.unexplained),
            "cut": self.cut,
            "cut_sets": [list(s) for s in self.cut_sets],
            "cut_sets_complete": self.complete,
            "mitigations": dict(sorted(self.mitigation_titles.items())),
            "root": self.root.to_dict(),
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON (ends with a newline)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"
