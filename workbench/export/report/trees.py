"""Attack trees (PASTA stage 6, attack modeling): for each crown jewel, the ways in as an
AND/OR tree built from the attack paths' typed steps and the findings on them
(:mod:`workbench.attack_trees`), with the smallest sets of mitigations that cut every way.

Every tree is drawn in the HTML report; the print draws
:attr:`~workbench.export.report.options.ReportOptions.print_trees` of them (none by
default: a tree takes most of a page, and the printed assessment must stay short), the
most at-risk goals first, and names the others. A crown jewel with no known way in gets
one line saying why.
"""

from __future__ import annotations

from ...attack_trees import figures
from ..safehtml import Html, h, join, svg_data_uri
from . import attack_paths
from .context import ReportContext

FIT_PT = (481.0, 690.0)
"""Room for one tree: the text width of the narrower of A4 and Letter, most of a page's
height (points)."""


def render_with_paths(ctx: ReportContext) -> Html:
    """The attack paths after the body's, then the attack trees (one appendix: the print
    keeps the paths to a line, and the trees need no page of their own)."""
    return join(attack_paths.render_more(ctx), h("h3", "Attack trees", id="trees"), render(ctx))


def render(ctx: ReportContext) -> Html:
    """One figure per crown jewel with a way in, worst first; the others in a list."""
    drawn = figures(ctx.analysis, fit=FIT_PT, today=ctx.options.date)
    if not drawn:
        return h("p", "No crown jewels: nothing to draw a tree for.", class_="empty")
    ways = sorted(
        ((t, f) for t, f in drawn if t.way_count),
        key=lambda tf: (-tf[0].root.score, tf[0].title),
    )
    none = [t for t, _ in drawn if not t.way_count]
    shown = ways[: ctx.options.print_trees] if ctx.options.for_print else ways
    intro = (
        "Each tree's root is a crown jewel; below it, OR over the ways in (grouped by "
        "where outsiders' content enters), AND over the steps a way needs, and at the "
        "leaves the findings that make a step possible. Each figure ends with the "
        "smallest sets of mitigations that, put in place, cut every way."
    )
    if len(shown) < len(ways):
        intro += (
            f" {len(shown) or 'None'} of the {len(ways)} trees {'is' if len(shown) == 1 else 'are'}"
            " drawn in print (report --trees N draws more); the HTML report and "
            "threat-workbench attack-tree FILE -f svg draw them all."
        )
    parts: list[object] = [h("p", intro, class_="intro")]
    for tree, fig in shown:
        img = h(
            "img",
            src=svg_data_uri(fig.svg),
            alt=f"Attack tree: {tree.title}",
            class_="tree",
        )
        caption = f"{tree.title}: {tree.way_count} way{'s' if tree.way_count != 1 else ''} in"
        parts.append(h("figure", img, h("figcaption", caption), class_="tree"))
    rest = [t for t, _ in ways[len(shown) :]]
    if rest:
        parts.append(
            h(
                "p",
                "Not drawn here: ",
                ", ".join(f"{t.title} ({t.way_count} ways)" for t in rest),
                ".",
                class_="legend",
            )
        )
    if none:
        parts.append(h("p", "No way in is known for:", class_="legend"))
        parts.append(h("ul", [h("li", t.title, ": ", t.root.detail) for t in none]))
    return join(parts)
