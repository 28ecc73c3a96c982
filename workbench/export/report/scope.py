"""Scope and business objectives (PASTA stages 1 and 2)."""

from __future__ import annotations

from ..safehtml import Html, bullets, h, join, small, table
from .context import ReportContext, ident
from .options import PARA_LIMIT


def render(ctx: ReportContext) -> Html:
    """The business objectives, the risk tolerance and the technical scope: in and out of scope,
    assumptions and lifecycle stages."""
    sc = ctx.model.scope
    rt = ctx.model.risk_tolerance
    objectives = [
        (
            _anchor_named(o.id, o.title),
            ctx.clip(o.description),
            o.impact,
            o.category or "",
            ", ".join(ctx.name(e) for e in o.elements),
        )
        for o in ctx.model.objectives
    ]
    return join(
        h("h3", "Business objectives (PASTA stage 1)"),
        table(
            ("Objective", "Why it matters", "Impact", "Category", "Depends on"),
            objectives,
            empty="No business objectives recorded.",
            widths=("25%", "30%", "11%", "16%", "18%"),
        ),
        h("h3", "Risk tolerance"),
        h(
            "p",
            f"Residual risk up to {rt.accept_up_to} may stay open without an explicit "
            f"decision. The threat model is reviewed every {rt.review_cadence_days} days.",
        ),
        h("blockquote", ctx.clip(rt.statement, PARA_LIMIT)) if rt.statement else None,
        h("h3", "Technical scope (PASTA stage 2)"),
        h("p", ctx.clip(sc.description, PARA_LIMIT))
        if sc.description
        else h("p", "No scope statement.", class_="empty"),
        h(
            "div",
            h("div", h("h4", "In scope"), bullets(ctx.clip_all(sc.in_scope))),
            h("div", h("h4", "Out of scope"), bullets(ctx.clip_all(sc.out_of_scope))),
            class_="cols",
        ),
        h("h4", "Assumptions"),
        bullets(ctx.clip_all(sc.assumptions)),
        h("h4", "AI lifecycle stages in scope"),
        h("p", ", ".join(s.replace("_", " ") for s in sc.lifecycle) or "All stages."),
    )


def _anchor_named(oid: str, title: str) -> Html:
    return join(title, h("br"), small(ident(oid)))
