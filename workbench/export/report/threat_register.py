"""Section 5, threat register: the findings by cause (:mod:`.causes`), then every
finding one by one (or, when findings are summarised, by threat and the worst ones)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from ...model.kinds import STRIDE_NAMES
from ...register import Entry
from ..safehtml import Html, h, join, link, risk_badge, small, table
from .causes import groups_table
from .context import LEVELS_DESC, ReportContext

REGISTER_COLUMNS = (
    "Finding",
    "Target",
    "STRIDE",
    "PASTA",
    "ATLAS",
    "OWASP",
    "L×I",
    "Inherent",
    "Status",
    "Residual",
    "Owner",
    "Why",
)


def render(ctx: ReportContext) -> Html:
    """The findings by cause, then the register: every finding one by one or, when compact, by
    threat and the highest residual risks."""
    shown = ctx.ranked[: ctx.options.max_findings] if ctx.compact else ctx.ranked
    rows = [_register_row(ctx, e) for e in shown]
    n_groups = len(ctx.groups)
    intro = h(
        "p",
        f"The analysis suggested {len(ctx.ranked)} findings from {n_groups} causes. "
        "They are listed first by cause, worst first: a control missing on one element "
        "(several threats follow from it), one threat on several targets, or a finding "
        "of its own; each cause with the fix that addresses it. The register after it "
        "lists every finding one by one — decisions are recorded per finding.",
        class_="intro",
    )
    if ctx.compact:
        register_intro = h(
            "p",
            f"The first table sums the findings up by threat; the second lists the "
            f"{len(shown)} with the highest residual risk one by one. Every finding is "
            "in the HTML report and in the machine-readable register (threat-workbench "
            "analyze --format json|csv|sarif).",
            class_="intro",
        )
    else:
        register_intro = h(
            "p",
            "Every finding the analysis suggested, highest residual risk first. L×I is "
            "the inherent likelihood × impact (1–5 each); residual risk follows the "
            "team's decision (none when the finding was avoided, a false positive or not "
            "applicable). A decision past its review date is marked expired and counts as "
            "open; 'scope' names a decision on the threat across a boundary, an element "
            "or everywhere. Why: the clauses of the threat's rule that held on the model.",
            class_="intro",
        )
    return join(
        intro,
        h("h3", "Findings by cause", id="register-groups"),
        groups_table(ctx),
        h("h3", "Threat register: every finding" if not ctx.compact else "By threat"),
        register_intro,
        by_threat(ctx, ctx.ranked) if ctx.compact else None,
        h("h3", f"The {len(shown)} highest residual risks") if ctx.compact else None,
        table(
            REGISTER_COLUMNS,
            rows,
            class_="register",
            row_ids=[f"f-{e.id}" for e in shown],
            empty="No findings.",
            widths=("16%", "10%", "6%", "5%", "9%", "6%", "4%", "6%", "7%", "6%", "8%", "17%"),
        ),
    )


def _register_row(ctx: ReportContext, e: Entry) -> tuple[object, ...]:
    f = e.finding
    anchor = ctx.group_anchor.get(e.id)
    return (
        join(
            ctx.finding_ref(e),
            h("br"),
            h("span", f.title, class_="title"),
            join(h("br"), small("cause: ", link(*anchor))) if anchor else None,
        ),
        ctx.named(f.target),
        h("span", "".join(f.stride), title=", ".join(STRIDE_NAMES[s] for s in f.stride)),
        f.pasta_stage,
        ctx.refs("atlas", f.atlas),
        ctx.owasp_refs(f),
        f"{f.likelihood}×{f.impact}",
        risk_badge(f.risk),
        ctx.status(e),
        risk_badge(e.residual_risk),
        ctx.owner_of(e),
        h("span", "; ".join(f.why), class_="why"),
    )


def by_threat(ctx: ReportContext, entries: Sequence[Entry], limit: int = 8) -> Html:
    """One row per threat: how many findings, their residual risks, where."""
    groups: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        groups[e.finding.threat_id].append(e)
    order = sorted(groups, key=lambda t: (-groups[t][0].residual_score, -len(groups[t]), t))
    rows = []
    for tid in order:
        group = groups[tid]
        f = group[0].finding
        residual: Counter[str] = Counter(e.residual_risk for e in group)
        where = ", ".join(ctx.name(e.finding.target) for e in group[:limit])
        if len(group) > limit:
            where += f" … (+{len(group) - limit})"
        rows.append(
            (
                join(h("span", f.title, class_="title"), h("br"), small(tid)),
                "".join(f.stride),
                f.pasta_stage,
                ctx.refs("atlas", f.atlas),
                ctx.owasp_refs(f),
                len(group),
                join(
                    join(risk_badge(lv), f" {residual[lv]} ") for lv in LEVELS_DESC if residual[lv]
                ),
                sum(e.is_open for e in group),
                sum(e.above_tolerance for e in group),
                where,
            )
        )
    return table(
        (
            "Threat",
            "STRIDE",
            "PASTA",
            "ATLAS",
            "OWASP",
            "Findings",
            "Residual risk",
            "Open",
            "Above tolerance",
            "Where (highest risk first)",
        ),
        rows,
        class_="by-threat",
        empty="No findings.",
        widths=("20%", "5%", "5%", "10%", "7%", "6%", "14%", "5%", "7%", "21%"),
    )
