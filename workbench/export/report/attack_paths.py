"""Attack paths from untrusted actors to crown jewels (PASTA stage 6): the highest
scoring in the body (:func:`render`), the next ones in the appendix
(:func:`render_more`)."""

from __future__ import annotations

from ...engine import AttackPath, PathStep
from ..safehtml import Html, h, join, link, risk_badge, table
from .context import ReportContext, ident

TOP_PATHS = 5
"""Attack paths described in the body; the others go to the appendix."""


def render(ctx: ReportContext) -> Html:
    """The highest scoring attack paths, each with its hops, likelihood, impact, risk and the
    findings on the way."""
    paths = ctx.analysis.attack_paths
    listed = min(len(paths), ctx.options.max_attack_paths)
    top = min(listed, TOP_PATHS)
    if len(paths) > listed:
        note = f"The {top} highest scoring of {len(paths)} paths; {ctx.ref('paths')} lists "
        note += f"the next {listed - top}."
    elif listed > top:
        note = f"The {top} highest scoring of {len(paths)} paths; {ctx.ref('paths')} lists "
        note += "the others."
    else:
        note = f"{len(paths)} path{'s' if len(paths) != 1 else ''}."
    return join(
        h(
            "p",
            "PASTA stage 6: routes along data flows from untrusted actors to crown "
            "jewels. Each hop says how the attacker takes it: send (their content "
            "travels along the flow, forward) or access (an element they already "
            "influence uses a flow it starts, against the flow's direction: it reads a "
            "store, calls an API), and over which flow. A path's likelihood is its "
            "weakest hop (the likeliest finding on each hop; 1 when nothing is known "
            "to be weak), adjusted for defences on the way as its notes say; its "
            f"impact is what reaching the target costs. {note}",
            class_="intro",
        ),
        _paths_table(ctx, 0, top),
    )


def render_more(ctx: ReportContext) -> Html:
    """The appendix's attack paths: those after the body's, up to ``max_attack_paths``."""
    paths = ctx.analysis.attack_paths
    listed = min(len(paths), ctx.options.max_attack_paths)
    if listed <= TOP_PATHS:
        return h("p", f"None: {ctx.ref('attack_paths')} lists every attack path.", class_="empty")
    more = len(paths) - listed
    if ctx.options.for_print:
        return h(
            "p",
            f"The HTML report lists attack paths {TOP_PATHS + 1} to {listed}, and the "
            "machine-readable register (threat-workbench analyze --format json) every "
            "path with its steps.",
            class_="empty",
        )
    return join(
        h(
            "p",
            f"Attack paths {TOP_PATHS + 1} to {listed} by score, read as in "
            f"{ctx.ref('attack_paths')}."
            + (f" {more} lower scoring paths are not listed." if more else ""),
            class_="intro",
        ),
        _paths_table(ctx, TOP_PATHS, listed),
    )


def _paths_table(ctx: ReportContext, start: int, stop: int) -> Html:
    paths = ctx.analysis.attack_paths[start:stop]
    rows = [
        (
            i,
            _path_chain(ctx, p),
            len(p.steps),
            p.likelihood,
            p.impact,
            risk_badge(p.risk),
            _path_findings(ctx, p),
        )
        for i, p in enumerate(paths, start=start + 1)
    ]
    return table(
        ("#", "Path", "Hops", "L", "I", "Risk", "Findings on the way"),
        rows,
        class_="paths",
        empty="No attack paths: no untrusted actor reaches a crown jewel.",
        widths=("4%", "48%", "6%", "4%", "4%", "9%", "25%"),
    )


def _path_chain(ctx: ReportContext, p: AttackPath) -> Html:
    """The elements of a path with each step's kind, direction and flow between them,
    and the path's notes under it."""
    parts: list[object] = [h("span", ctx.name(p.source), class_="hop")]
    for step in p.steps:
        parts += [
            " → ",
            _step(ctx, step),
            " → ",
            h("span", ctx.name(step.element), class_="hop"),
        ]
    notes = h("ul", [h("li", n) for n in p.notes], class_="compact path-notes")
    return join(h("div", parts, class_="chain"), notes if p.notes else None)


def _step(ctx: ReportContext, step: PathStep) -> Html:
    """``(send, forward: question)``: how a step uses which flow."""
    return h(
        "span",
        f"({step.kind}, {step.direction}: ",
        ctx.name(step.flow),
        ")",
        class_=f"step step-{step.kind}",
    )


def _path_findings(ctx: ReportContext, p: AttackPath) -> Html:
    ids = sorted({fid for s in p.steps for fid in s.findings})
    if not ids:
        return Html("")
    shown = ids[:2]
    anchor = {i: "f" if i in ctx.listed else "r" for i in shown}
    items = [link(f"#{anchor[i]}-{i}", ident(i), class_="fid") for i in shown]
    out: list[object] = []
    for i, x in enumerate(items):
        if i:
            out.append(Html(", "))
        out.append(x)
    if len(ids) > len(shown):
        out.append(f" … (+{len(ids) - len(shown)})")
    return join(out)
