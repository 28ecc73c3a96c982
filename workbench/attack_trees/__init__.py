"""Attack trees (PASTA stage 6): for a crown jewel or a business objective, the ways an
attacker gets there, built from the engine's typed attack paths and findings.

**Shape.** The goal is the root, an OR over the ways in. Ways are grouped by entry point
(the first element inside the system that the attacker's content reaches, with the
untrusted actors it comes from), so the root's children are the entry points (OR over
their ways), or a way itself when it is the only one through its entry point. A way is an
AND over the steps it needs; a step is an OR over the findings that make it possible
(the leaves). Every attack path (:attr:`workbench.engine.Analysis.attack_paths`) to the
goal falls into one way:

* the path's leading untrusted actors are its origins; its steps from the entry point on
  are the route;
* a step *needs* the attacker to exploit something when a finding on its flow or on the
  element it reaches lets someone on this route make it: a finding whose threat source
  (its threat statement's, :mod:`workbench.statements`) is an outsider (or a user, when
  the way starts with people or their client apps; or whoever has access, on a step
  that uses an element's access) and whose STRIDE letters help on the way (spoofing,
  tampering, elevation) or, at the goal, harm it (anything but repudiation alone; only
  disclosure when the step can only read a store; for an objective, the letters that
  threaten its category). Steps with no such finding are content passing through
  (named in the way's route, not drawn as steps). A defence on the way (a guardrail, input
  validation, a human approval) is a step only when one of its findings says how to get
  past it as the engine's paths count it (an evasion technique,
  :data:`workbench.engine.paths.EVASION`); otherwise it only lowers the likelihood, as
  the way's notes say;
* paths with the same entry point, origin kind and needed steps are one way (paths that
  differ only in what their content passes through merge); a path whose last step has
  no such finding is not a way (nothing is known to do at the goal): the root counts it;
* at most :data:`MAX_ENTRIES` entry points, :data:`MAX_WAYS` ways per entry point and
  :data:`MAX_FINDINGS` findings per step are drawn, most dangerous first; the rest are
  folded into one ``more`` node each, tied to their findings and counted in the cut sets.

**Mitigations and cut sets.** Each finding lists its catalog mitigations (any one cuts
it); a step lists the mitigations that cut it on their own. *In place* means decided: a
mitigation is in place on a finding when the decision that applies to it
(:class:`workbench.register.Decider`: the finding's own or a scoped one, not past its
review date) is ``mitigated`` and names the mitigation; a finding is *cut* when that
decision is ``mitigated`` (naming mitigations or not) or closes it (``avoided``,
``false_positive``, ``not_applicable``). Accepted and transferred risks are not cut: the
attack still works. Mitigations the model shows (``Finding.in_place``: a property such as
``rate_limited: true``, a guardrail on the route) are marked *shown*: the engine lowers
the finding's likelihood for them, but they do not cut it until the team records the
decision. A **cut set** is a set of mitigations that, put in place on every finding of
the tree that lists them, cuts every way to the goal (see :mod:`workbench.attack_trees.cuts`).

**Exports.** :func:`to_mermaid` (flowchart text), :func:`to_deciduous` (deciduous-style
YAML: facts, attacks, mitigations, goals), :meth:`AttackTree.to_json`, and
:func:`to_svg` / :func:`figure` (an SVG drawn here, like :mod:`workbench.diagram`:
one column per way, legible on A4), :func:`compact_figure` (the same tree small, one row
per way with its steps, for a printed report).
"""

from __future__ import annotations

import datetime as dt

from ..engine import Analysis
from .build import MAX_ENTRIES, MAX_FINDINGS, MAX_WAYS, TreeBuilder
from .compact import compact_figure
from .cuts import MAX_CUT
from .formats import to_deciduous, to_mermaid
from .svg import A4_TEXT, Figure, figure, to_svg
from .tree import AttackTree, MitigationRef, TreeNode

__all__ = [
    "A4_TEXT",
    "MAX_CUT",
    "MAX_ENTRIES",
    "MAX_FINDINGS",
    "MAX_WAYS",
    "AttackTree",
    "Figure",
    "MitigationRef",
    "TreeBuilder",
    "TreeNode",
    "attack_tree",
    "attack_trees",
    "compact_figure",
    "figure",
    "figures",
    "goals",
    "to_deciduous",
    "to_mermaid",
    "to_svg",
]


def attack_tree(
    analysis: Analysis, goal: str | None = None, *, today: dt.date | str | None = None
) -> AttackTree:
    """The attack tree of ``goal``: an element (a crown jewel or any other) or a business
    objective of the model, by ID (default: the first crown jewel). ``today``: the date
    decisions' review dates are compared with. ``KeyError`` when there is no such goal."""
    builder = TreeBuilder(analysis, today=today)
    if goal is None:
        if not analysis.crown_jewels:
            raise KeyError("the model has no crown jewel: name a goal")
        goal = analysis.crown_jewels[0]
    return builder.tree(goal)


def attack_trees(
    analysis: Analysis, *, objectives: bool = False, today: dt.date | str | None = None
) -> tuple[AttackTree, ...]:
    """One attack tree per crown jewel (in ID order), then, with ``objectives``, one per
    business objective."""
    builder = TreeBuilder(analysis, today=today)
    return tuple(
        builder.tree(goal) for goal, kind, _ in builder.goals() if kind == "element" or objectives
    )


def goals(analysis: Analysis) -> list[tuple[str, str, str]]:
    """(ID, ``element`` or ``objective``, title) of the goals that have a tree by default:
    the crown jewels, then the business objectives."""
    return TreeBuilder(analysis).goals()


def figures(
    analysis: Analysis,
    *,
    fit: tuple[float, float] = A4_TEXT,
    objectives: bool = False,
    today: dt.date | str | None = None,
) -> tuple[tuple[AttackTree, Figure], ...]:
    """One figure per crown jewel (then, with ``objectives``, per business objective),
    each drawn to fit ``fit`` = (width, height) in points with no text under 7 pt (default:
    an A4 page's text area), with its tree: what a report prints, one per page.
    ``Figure.fits`` says whether it fit; ``AttackTree.way_count`` is 0 when no way is known
    (the root's ``detail`` says why)."""
    return tuple(
        (tree, figure(tree, fit=fit))
        for tree in attack_trees(analysis, objectives=objectives, today=today)
    )
