"""The findings of section 5 by cause: one block per finding group (a control missing on
one element, one threat on several targets, a finding of its own) with the fix that
addresses it and its members."""

from __future__ import annotations

from ...register import Entry
from ...register.grouping import GroupedEntries
from ..safehtml import Html, h, join, link, risk_badge, small
from .context import ReportContext
from .options import GROUP_MEMBERS_COMPACT, PARA_LIMIT

_GROUP_WIDTHS = ("34%", "24%", "6%", "9%", "9%", "18%")
GROUP_COLUMNS = ("Finding", "Target", "L×I", "Inherent", "Residual", "Status")
CAUSES = {
    "missing_control": "a control missing on one element",
    "threat": "one threat on several targets",
    "single": "a finding of its own",
}


def groups_table(ctx: ReportContext) -> Html:
    """One block per finding group: a heading row (risk, cause, the threat's text once,
    the recommended fix) and its members under it."""
    shown = ctx.shown_groups
    if not shown:
        return h("p", "No findings.", class_="empty")
    limit = GROUP_MEMBERS_COMPACT if ctx.compact else None
    bodies = [_group_body(ctx, ge, limit) for ge in shown]
    cols = h("colgroup", [h("col", style=f"width:{w}") for w in _GROUP_WIDTHS])
    head = h("thead", h("tr", [h("th", x, scope="col") for x in GROUP_COLUMNS]))
    more = len(ctx.groups) - len(shown)
    tail = (
        h(
            "p",
            f"{more} more causes are not listed here: see the register below, the HTML "
            "report or the machine-readable register.",
            class_="empty",
        )
        if more > 0
        else None
    )
    return join(h("table", cols, head, bodies, class_="groups"), tail)


def _group_body(ctx: ReportContext, ge: GroupedEntries, limit: int | None) -> Html:
    g = ge.group
    n = len(g.members)
    shown = ge.entries[:limit] if limit else ge.entries
    head = h(
        "tr",
        h(
            "td",
            h(
                "div",
                risk_badge(g.risk),
                " ",
                h("span", g.title, class_="title"),
                " ",
                small(f"{n} finding{'s' if n != 1 else ''}, {ge.open} open · {g.id}"),
                class_="group-title",
            ),
            _group_threat_text(ctx, ge),
            h(
                "div",
                "Cause: ",
                CAUSES[g.cause],
                ". Recommended fix: ",
                _fix(ctx, g.fix, g.fix_title),
            ),
            colspan=str(len(GROUP_COLUMNS)),
        ),
        class_=f"group-head group-{g.cause.replace('_', '-')}",
        id=f"g-{g.id}",
    )
    rows = [_group_member(ctx, ge, e) for e in shown]
    hidden = len(ge.entries) - len(shown)
    if hidden > 0:
        rows.append(
            h(
                "tr",
                h(
                    "td",
                    f"… and {hidden} more: see the threat register.",
                    colspan=str(len(GROUP_COLUMNS)),
                    class_="empty",
                ),
            )
        )
    return h("tbody", head, rows, class_="group")


def _group_threat_text(ctx: ReportContext, ge: GroupedEntries) -> Html | None:
    """The threat's description, once for a group whose members share one threat."""
    threats = {e.finding.threat_id for e in ge.entries}
    if len(threats) != 1:
        return None
    threat = ctx.catalog.threats.get(next(iter(threats)))
    if threat is None or not threat.description:
        return None
    return h("div", ctx.clip(threat.description, PARA_LIMIT), class_="threat-text")


def _fix(ctx: ReportContext, fix: str, title: str) -> Html:
    """A recommended mitigation: its title, linked to its row when it has one."""
    if not fix:
        return h("span", "none in the catalog", class_="empty")
    label = title or fix
    shown = link(f"#m-{fix}", label) if fix in ctx.mitigation_use else h("span", label)
    return join(shown, " ", small(fix))


def _group_member(ctx: ReportContext, ge: GroupedEntries, e: Entry) -> Html:
    """A member of a group: its threat's title only when the group's members are
    different threats (otherwise the heading says it once)."""
    f = e.finding
    several = len({x.finding.threat_id for x in ge.entries}) > 1
    first = (
        join(ctx.finding_ref(e), h("br"), h("span", f.title, class_="title"))
        if several
        else ctx.finding_ref(e)
    )
    status = join(ctx.status(e), h("br"), ctx.owner_of(e)) if e.owner else ctx.status(e)
    cells = (
        first,
        ctx.named(f.target),
        f"{f.likelihood}×{f.impact}",
        risk_badge(f.risk),
        risk_badge(e.residual_risk),
        status,
    )
    return h("tr", [h("td", c) for c in cells], class_="group-member")
