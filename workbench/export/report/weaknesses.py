"""Section 6, weaknesses: controls the model shows to be missing (PASTA stage 5)."""

from __future__ import annotations

from collections.abc import Iterable

from ..safehtml import Html, h, join, link, risk_badge, small, table
from .context import ReportContext
from .threat_register import by_threat


def render(ctx: ReportContext) -> Html:
    """The weaknesses (PASTA stage 5 findings) with what is missing and the recommended mitigations,
    by threat first when they are many."""
    weak = [e for e in ctx.ranked if e.finding.pasta_stage == 5]
    shown = weak[: ctx.options.max_findings] if ctx.compact else weak
    rows = [
        (
            join(ctx.finding_ref(e), h("br"), h("span", e.finding.title, class_="title")),
            ctx.named(e.finding.target),
            h("span", "; ".join(e.finding.why), class_="why"),
            _mitigation_list(ctx, e.finding.mitigations),
            risk_badge(e.residual_risk),
            ctx.status(e),
        )
        for e in shown
    ]
    more = len(weak) - len(shown)
    return join(
        h(
            "p",
            "PASTA stage 5: controls that the model shows to be missing or unknown. "
            "A property left out of the model counts as unknown."
            + (f" The {len(shown)} highest residual risks are listed one by one." if more else ""),
            class_="intro",
        ),
        by_threat(ctx, weak) if more else None,
        table(
            (
                "Weakness",
                "Target",
                "What is missing",
                "Recommended mitigations",
                "Residual",
                "Status",
            ),
            rows,
            empty="No weaknesses found.",
            widths=("22%", "13%", "27%", "24%", "7%", "7%"),
        ),
    )


def _mitigation_list(ctx: ReportContext, ids: Iterable[str]) -> Html:
    out = []
    for mid in ids:
        m = ctx.catalog.mitigations.get(mid)
        out.append(h("li", link(f"#m-{mid}", m.title if m else mid), " ", small(mid)))
    return h("ul", out, class_="compact")
