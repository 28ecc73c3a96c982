"""Section 1, executive summary: counts by risk level, the top risks, and what is open
above the risk tolerance."""

from __future__ import annotations

from collections import Counter

from ...register import Entry
from ..safehtml import Html, h, join, risk_badge, table
from .context import LEVELS_DESC, ReportContext


def render(ctx: ReportContext) -> Html:
    """The executive summary: the lead paragraph, counts by risk level, the top risks and the open
    and accepted items above the tolerance."""
    entries = ctx.register.entries
    counts = _counts(ctx)
    status: Counter[str] = Counter(e.status for e in entries)
    n_open = sum(e.is_open for e in entries)
    expired = [e for e in ctx.ranked if e.expired]
    above = [e for e in ctx.ranked if e.above_tolerance]
    above_open = [e for e in above if e.is_open]
    above_accepted = [e for e in above if not e.is_open]
    s = ctx.model.system
    worst = next(iter(ctx.ranked), None)
    lead = join(
        "This assessment covers ",
        h("strong", s.name),
        f" ({len(ctx.model.elements)} elements, {len(ctx.model.flows)} data flows, "
        f"{len(ctx.model.boundaries)} trust boundaries). The analysis suggests "
        f"{len(entries)} findings; {n_open} are open{_open_detail(status, len(expired))}, "
        f"{status['mitigated']} mitigated, {status['accepted']} accepted and "
        f"{status['transferred']} transferred{_closed_detail(status)}. ",
        f"{len(above_open)} open findings are above the risk tolerance (accept up to "
        f"{ctx.register.tolerance}). ",
        f"{len(ctx.analysis.attack_paths)} attack paths lead from untrusted actors to "
        "crown jewels. ",
        join("The highest residual risk is ", risk_badge(worst.residual_risk), ".")
        if worst
        else "",
    )
    count_rows = [
        (
            risk_badge(lv),
            counts["inherent"][lv],
            counts["residual"][lv],
            counts["open"][lv],
            counts["above"][lv],
        )
        for lv in LEVELS_DESC
    ]
    top = ctx.ranked[: ctx.options.top_risks]
    top_rows = [
        (
            ctx.finding_ref(e),
            h("span", e.finding.title, class_="title"),
            ctx.named(e.finding.target),
            risk_badge(e.finding.risk),
            risk_badge(e.residual_risk),
            ctx.status(e),
            ctx.owner_of(e),
        )
        for e in top
    ]
    return join(
        h("p", lead, class_="lead"),
        h("div", _stat_boxes(ctx, len(entries), n_open, len(above_open)), class_="stats"),
        h("h3", "Findings by risk level"),
        table(
            ("Risk", "Inherent", "Residual", "Open (residual)", "Above tolerance"),
            count_rows,
            class_="counts",
        ),
        h("h3", f"Top {len(top)} risks"),
        table(
            ("Finding", "Threat", "Target", "Inherent", "Residual", "Status", "Owner"),
            top_rows,
            class_="top",
            empty="No findings.",
            widths=("18%", "23%", "15%", "10%", "10%", "11%", "13%"),
        ),
        h("h3", f"Open items above tolerance ({len(above_open)})"),
        _above_list(ctx, above_open),
        h("h3", f"Risks accepted above tolerance, needing sign-off ({len(above_accepted)})")
        if above_accepted
        else None,
        _above_list(ctx, above_accepted) if above_accepted else None,
        h("h3", f"Decisions past their review date ({len(expired)})") if expired else None,
        h(
            "p",
            "These findings count as open again until the team reviews the decision and "
            "sets a new review date.",
        )
        if expired
        else None,
        _expired_list(ctx, expired) if expired else None,
        _orphan_note(ctx),
    )


def _counts(ctx: ReportContext) -> dict[str, Counter[str]]:
    c: dict[str, Counter[str]] = {
        "inherent": Counter(),
        "residual": Counter(),
        "open": Counter(),
        "above": Counter(),
    }
    for e in ctx.register.entries:
        c["inherent"][e.finding.risk] += 1
        c["residual"][e.residual_risk] += 1
        if e.is_open:
            c["open"][e.residual_risk] += 1
        if e.above_tolerance:
            c["above"][e.residual_risk] += 1
    return c


def _open_detail(status: Counter[str], expired: int) -> str:
    """``(3 in progress, 1 expired)`` after the open count ('' when neither)."""
    parts = [f"{status['in_progress']} in progress"] if status["in_progress"] else []
    parts += [f"{expired} past the review date"] if expired else []
    return f" ({', '.join(parts)})" if parts else ""


def _closed_detail(status: Counter[str]) -> str:
    """``; 2 avoided, 1 false positive`` for the statuses that close findings ('' when
    none)."""
    parts = [
        f"{status[s]} {s.replace('_', ' ')}"
        for s in ("avoided", "false_positive", "not_applicable")
        if status[s]
    ]
    return f"; {', '.join(parts)} (closed, no residual risk)" if parts else ""


def _expired_list(ctx: ReportContext, entries: list[Entry], limit: int = 30) -> Html:
    items = [
        h(
            "li",
            risk_badge(e.residual_risk),
            " ",
            ctx.finding_ref(e),
            ": ",
            e.finding.title,
            " — ",
            e.expiry_note(),
            f" (owner: {e.owner})" if e.owner else "",
        )
        for e in entries[:limit]
    ]
    more = len(entries) - limit
    tail = h("p", f"… and {more} more: see the threat register.") if more > 0 else None
    return join(h("ul", items, class_="above"), tail)


def _stat_boxes(ctx: ReportContext, n: int, n_open: int, above: int) -> Html:
    boxes = [
        ("findings", n),
        ("open", n_open),
        ("above tolerance", above),
        ("attack paths", len(ctx.analysis.attack_paths)),
        ("weaknesses", len(ctx.analysis.weaknesses)),
    ]
    return join(
        h("div", h("span", str(v), class_="num"), h("span", k, class_="lbl"), class_="stat")
        for k, v in boxes
    )


def _above_list(ctx: ReportContext, entries: list[Entry], limit: int = 30) -> Html:
    if not entries:
        return h("p", "None.", class_="empty")
    items = [
        h(
            "li",
            risk_badge(e.residual_risk),
            " ",
            ctx.finding_ref(e),
            ": ",
            e.finding.title,
            " — ",
            h("em", ctx.name(e.finding.target)),
        )
        for e in entries[:limit]
    ]
    more = len(entries) - limit
    tail = h("p", f"… and {more} more: see the threat register.") if more > 0 else None
    return join(h("ul", items, class_="above"), tail)


def _orphan_note(ctx: ReportContext) -> Html | None:
    if not ctx.register.orphaned:
        return None
    return h(
        "p",
        f"{len(ctx.register.orphaned)} decisions match no finding any more (an element was "
        "removed or renamed, or a threat no longer applies); they are listed in the "
        "appendix.",
        class_="warning",
    )
