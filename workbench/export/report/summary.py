"""The executive summary, two pages at most: the scope, the residual risk against
the tolerance, the key risks in words, and the decisions the team still has to take."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ...register import Entry
from ...register.grouping import GroupedEntries
from ..safehtml import Html, h, join, link, risk_badge, small, table
from .context import LEVELS_DESC, ReportContext
from .options import SHORT_LIMIT

KEY_RISKS = 5
"""Causes the summary describes in words."""
DECISION_ROWS = 8
"""Causes listed in the summary's table of decisions needed."""
LIST_LIMIT = 10
"""Items of the summary's other lists (accepted above tolerance, expired)."""


def render(ctx: ReportContext) -> Html:
    """The executive summary."""
    expired = [e for e in ctx.ranked if e.expired]
    above_accepted = [e for e in ctx.ranked if e.above_tolerance and not e.is_open]
    return join(
        _scope(ctx),
        h("h3", "Residual risk against the tolerance"),
        _against_tolerance(ctx, expired),
        h("h3", "Key risks"),
        _key_risks(ctx),
        h("h3", "Decisions needed"),
        _decisions(ctx),
        h("h4", f"Risks accepted above tolerance, needing sign-off ({len(above_accepted)})")
        if above_accepted
        else None,
        _entry_list(ctx, above_accepted, owner=True) if above_accepted else None,
        h("h4", f"Decisions past their review date ({len(expired)})") if expired else None,
        h(
            "p",
            "These findings count as open again until the team reviews the decision and "
            "sets a new review date.",
        )
        if expired
        else None,
        _entry_list(ctx, expired, owner=True, expiry=True) if expired else None,
        _orphan_note(ctx),
    )


def _scope(ctx: ReportContext) -> Html:
    s = ctx.model.system
    sc = ctx.model.scope
    stages = ", ".join(x.replace("_", " ") for x in sc.lifecycle)
    return h(
        "p",
        h("strong", "Scope. "),
        "This assessment covers ",
        h("strong", s.name),
        f" ({', '.join(s.owners)})" if s.owners else None,
        f": {len(ctx.model.elements)} elements, {len(ctx.model.flows)} data flows and "
        f"{len(ctx.model.boundaries)} trust boundaries",
        f", in the lifecycle stages {stages}" if stages else None,
        f"; {len(sc.in_scope)} items are in scope and {len(sc.out_of_scope)} out of scope "
        f"({ctx.ref('scope')}). ",
        f"{len(ctx.analysis.attack_paths)} attack paths lead from untrusted actors to "
        "crown jewels. The findings were suggested from the architecture by the "
        f"workbench's catalog and scored by likelihood × impact; {ctx.ref('method')} "
        "explains how.",
        class_="lead",
    )


def _against_tolerance(ctx: ReportContext, expired: Sequence[Entry]) -> Html:
    entries = ctx.register.entries
    status: Counter[str] = Counter(e.status for e in entries)
    n_open = sum(e.is_open for e in entries)
    above_open = [e for e in ctx.ranked if e.above_tolerance and e.is_open]
    worst = next(iter(ctx.ranked), None)
    tolerance = ctx.register.tolerance
    lead = h(
        "p",
        f"The team accepts residual risk up to {tolerance} without an explicit decision. "
        f"The analysis suggests {len(entries)} findings; {n_open} are open"
        f"{_open_detail(status, len(expired))}, {status['mitigated']} mitigated, "
        f"{status['accepted']} accepted and {status['transferred']} transferred"
        f"{_closed_detail(status)}. ",
        h("strong", f"{len(above_open)} open findings are above the risk tolerance"),
        ". ",
        join("The highest residual risk is ", risk_badge(worst.residual_risk), ".")
        if worst
        else None,
    )
    counts = _counts(ctx)
    rows = [
        (
            risk_badge(lv),
            counts["inherent"][lv],
            counts["residual"][lv],
            counts["open"][lv],
            counts["above"][lv],
        )
        for lv in LEVELS_DESC
    ]
    return join(
        lead,
        table(
            ("Risk", "Inherent", "Residual", "Open (residual)", "Above tolerance"),
            rows,
            class_="counts",
        ),
    )


def _key_risks(ctx: ReportContext) -> Html:
    """The worst causes, each in one sentence: who can do what, with what impact."""
    groups = ctx.groups[:KEY_RISKS]
    if not groups:
        return h("p", "No findings.", class_="empty")
    items = []
    for ge in groups:
        g = ge.group
        st = ctx.statements(ge.entries[0].finding)
        pre = f" {st.prerequisites}" if st.prerequisites else ""
        sentence = f"{st.source}{pre} can {st.action}"
        sentence += f", {st.impact}." if st.impact else "."
        n = len(ge.entries)
        items.append(
            h(
                "li",
                risk_badge(g.risk),
                " ",
                link(f"#g-{g.id}", h("strong", g.title)) if g.id else h("strong", g.title),
                small(f" ({n} finding{'s' if n != 1 else ''}, {ge.open} open)"),
                h("br"),
                sentence,
            )
        )
    more = len(ctx.groups) - len(groups)
    tail = (
        h("p", f"{more} more causes are described in {ctx.ref('causes')}.", class_="sub")
        if more > 0
        else None
    )
    return join(h("ol", items, class_="key-risks"), tail)


def _decisions(ctx: ReportContext) -> Html:
    """The causes with open findings above the tolerance: how many, the fix, who owns
    them."""
    pending = [ge for ge in ctx.groups if any(e.is_open and e.above_tolerance for e in ge.entries)]
    intro = h(
        "p",
        "Each cause below has open findings above the tolerance: fix it (the recommended "
        "mitigation, or another), accept the risk with an owner, a rationale and a review "
        "date, or transfer it.",
    )
    if not pending:
        return h("p", "None: no open finding is above the risk tolerance.", class_="empty")
    rows = [_decision_row(ctx, ge) for ge in pending[:DECISION_ROWS]]
    more = len(pending) - len(rows)
    return join(
        intro,
        table(
            ("Cause", "Open above tolerance", "Recommended fix", "Owner"),
            rows,
            class_="decisions",
            widths=("44%", "14%", "26%", "16%"),
        ),
        h("p", f"… and {more} more causes: see {ctx.ref('causes')}.", class_="sub")
        if more > 0
        else None,
    )


def _decision_row(ctx: ReportContext, ge: GroupedEntries) -> tuple[object, ...]:
    g = ge.group
    above = [e for e in ge.entries if e.is_open and e.above_tolerance]
    owners = sorted({ctx.owner_text(e)[0] for e in above} - {""})
    fix = ctx.catalog.mitigations.get(g.fix)
    return (
        join(risk_badge(g.risk), " ", link(f"#g-{g.id}", g.title)),
        len(above),
        link(f"#m-{g.fix}", fix.title) if fix else h("span", "none in the catalog", class_="empty"),
        ctx.clip(", ".join(owners), SHORT_LIMIT),
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


def _entry_list(
    ctx: ReportContext, entries: Sequence[Entry], *, owner: bool = False, expiry: bool = False
) -> Html:
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
            f"; {e.expiry_note()}" if expiry else None,
            f" (owner: {e.owner})" if owner and e.owner else None,
        )
        for e in entries[:LIST_LIMIT]
    ]
    more = len(entries) - LIST_LIMIT
    tail = h("p", f"… and {more} more: see {ctx.ref('causes')}.") if more > 0 else None
    return join(h("ul", items, class_="above"), tail)


def _orphan_note(ctx: ReportContext) -> Html | None:
    if not ctx.register.orphaned:
        return None
    return h(
        "p",
        f"{len(ctx.register.orphaned)} decisions match no finding any more (an element was "
        "removed or renamed, or a threat no longer applies); they are listed in "
        f"{ctx.ref('method')}.",
        class_="warning",
    )
