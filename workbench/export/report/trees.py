"""Attack trees (PASTA stage 6, attack modeling): for each crown jewel, the ways in as an
AND/OR tree built from the attack paths' typed steps and the findings on them
(:mod:`workbench.attack_trees`), with the smallest sets of mitigations that cut every way.

The HTML report draws every tree whole (:func:`workbench.attack_trees.figure`: one column
per way, the findings behind each step). The print draws every crown jewel's tree too, but
small (:func:`workbench.attack_trees.compact_figure`: one row per way with its steps and
the first mitigation that cuts each, the findings left out), so that the printed
assessment stays within its page budget; the
:attr:`~workbench.export.report.options.ReportOptions.print_trees` most at-risk jewels are
drawn whole instead (``report --trees N``). Worst first. A crown jewel with no known way in
gets one line saying why.
"""

from __future__ import annotations

from collections.abc import Iterable

from ...attack_trees import AttackTree, attack_trees, compact_figure, figure
from ..safehtml import Html, h, join, svg_data_uri
from . import attack_paths
from .context import ReportContext

FIT_PT = (481.0, 690.0)
"""Room for one tree: the text width of the narrower of A4 and Letter, most of a page's
height (points)."""
COMPACT_WIDTH_PT = 520.0
"""Width of a small printed tree: A4's text width between the report's 12 mm side
margins (527 pt; Letter's is wider), less a little so it is never scaled down."""


def render_with_paths(ctx: ReportContext) -> Html:
    """The attack paths after the body's, then the attack trees (one appendix: the print
    keeps the paths to a line, and the trees need no page of their own)."""
    return join(attack_paths.render_more(ctx), h("h3", "Attack trees", id="trees"), render(ctx))


def render(ctx: ReportContext) -> Html:
    """One figure per crown jewel with a way in, worst first (in print, small but for the
    ``print_trees`` first); the others in a list."""
    trees = attack_trees(ctx.analysis, today=ctx.options.date)
    if not trees:
        return h("p", "No crown jewels: nothing to draw a tree for.", class_="empty")
    ways = sorted((t for t in trees if t.way_count), key=lambda t: (-t.root.score, t.title))
    none = [t for t in trees if not t.way_count]
    whole = ways[: ctx.options.print_trees] if ctx.options.for_print else ways
    parts: list[object] = [h("p", _intro(ctx, len(whole), len(ways)), class_="intro")]
    for tree in ways:
        if tree in whole:
            parts.append(_figure(tree, figure(tree, fit=FIT_PT).svg, caption=True))
        else:
            small = compact_figure(tree, width=COMPACT_WIDTH_PT)
            parts.append(_figure(tree, small.svg, caption=False))
    if none:
        parts.append(h("p", _no_way(none), class_="legend"))
    return join(parts)


def _no_way(trees: list[AttackTree]) -> str:
    """Why the crown jewels without a way in have no tree, in one paragraph."""
    reached = [t for t in trees if t.routes]
    alone = [t for t in trees if not t.routes]
    parts = []
    if reached:
        names = _listed(
            f"{t.title} ({t.routes} attack path{'s' if t.routes != 1 else ''})" for t in reached
        )
        parts.append(
            f"{names}: attack paths reach {'them' if len(reached) > 1 else 'it'}, but no "
            "finding says what an attacker can do there"
        )
    if alone:
        names = _listed(t.title for t in alone)
        parts.append(f"{names}: no attack path from an untrusted actor reaches it")
    return "No tree for " + "; ".join(parts) + "."


def _listed(words: Iterable[str]) -> str:
    items = list(words)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _intro(ctx: ReportContext, whole: int, ways: int) -> str:
    text = (
        "Each tree's root is a crown jewel; below it, OR over the ways in (grouped by "
        "where outsiders' content enters), AND over the steps a way needs"
    )
    if whole == ways:
        return text + (
            ", and at the leaves the findings that make a step possible. Each figure ends "
            "with the smallest sets of mitigations that, put in place, cut every way."
        )
    text += (
        ". Drawn small here: left to right, the crown jewel, the entry points and one row "
        "per way with its steps in order, each with the first mitigation that cuts it on "
        "its own (ID without MIT-; ✓ in place, ◐ shown in the model, ✗ not; +N others; "
        "green: cut); under each tree, the smallest sets of mitigations that cut every "
        "way (appendix E describes them)."
    )
    if whole:
        text += f" The {whole} most at-risk {'is' if whole == 1 else 'are'} drawn whole."
    return text + (
        " The HTML report draws every tree whole, with the findings behind each step "
        "(report --trees N prints the N most at-risk whole)."
    )


def _figure(tree: AttackTree, svg: str, *, caption: bool) -> Html:
    img = h("img", src=svg_data_uri(svg), alt=f"Attack tree: {tree.title}", class_="tree")
    if not caption:
        return h("figure", img, class_="tree")
    words = f"{tree.title}: {tree.way_count} way{'s' if tree.way_count != 1 else ''} in"
    return h("figure", img, h("figcaption", words), class_="tree")
