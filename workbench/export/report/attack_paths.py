"""Section 7, attack paths from untrusted actors to crown jewels (PASTA stage 6)."""

from __future__ import annotations

from ...engine import AttackPath, PathStep
from ..safehtml import Html, h, join, link, risk_badge, table
from .context import ReportContext


def render(ctx: ReportContext) -> Html:
    """The highest scoring attack paths, each with its hops, likelihood, impact, risk and the
    findings on the way."""
    paths = ctx.analysis.attack_paths
    shown = paths[: ctx.options.max_attack_paths]
    rows = [
        (
            i,
            _path_chain(ctx, p),
            len(p.steps),
            p.likelihood,
            p.impact,
            risk_badge(p.risk),
            _path_findings(p),
        )
        for i, p in enumerate(shown, start=1)
    ]
    note = (
        f"Showing the {len(shown)} highest scoring of {len(paths)} paths."
        if len(paths) > len(shown)
        else f"{len(paths)} paths."
    )
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
        table(
            ("#", "Path", "Hops", "L", "I", "Risk", "Findings on the way"),
            rows,
            empty="No attack paths: no untrusted actor reaches a crown jewel.",
            widths=("4%", "46%", "6%", "4%", "4%", "8%", "28%"),
        ),
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


def _path_findings(p: AttackPath) -> Html:
    ids = sorted({fid for s in p.steps for fid in s.findings})
    if not ids:
        return Html("")
    shown = ids[:4]
    items = [link(f"#f-{i}", i, class_="fid") for i in shown]
    out: list[object] = []
    for i, x in enumerate(items):
        if i:
            out.append(Html(", "))
        out.append(x)
    if len(ids) > len(shown):
        out.append(f" … (+{len(ids) - len(shown)})")
    return join(out)
