"""Findings by cause: one block per finding group of the engine (a control
missing on one element, one threat on several targets, a finding of its own), worst
first. Each block says the threat once, as a threat statement (who can do what, to which
asset, through which route, with what impact, and what would stop it; see
:mod:`workbench.statements`), names the recommended fix, and lists the targets under it
with their scores and decisions. The rule evidence is in the appendix's register."""

from __future__ import annotations

from ...register import Entry
from ...register.grouping import GroupedEntries
from ..safehtml import Html, h, join, link, risk_badge, small
from .context import ReportContext
from .options import GROUP_MEMBERS_COMPACT, SHORT_LIMIT

GROUP_COLUMNS = ("Finding", "Target", "L×I", "Inherent", "Residual", "Decision")
_GROUP_WIDTHS = ("27%", "29%", "6%", "10%", "10%", "18%")
CAUSES = {
    "missing_control": "a control missing on one element",
    "threat": "one threat on several targets",
    "single": "a finding of its own",
}


def render(ctx: ReportContext) -> Html:
    """The introduction, then one table: per cause (or, when findings are summarised, the
    worst causes) a heading row with the statement and the fix, then its targets."""
    shown = ctx.shown_groups
    n = len(ctx.register.entries)
    intro = h(
        "p",
        f"The analysis suggested {n} finding{'s' if n != 1 else ''} from "
        f"{len(ctx.groups)} causes, listed here worst first. A cause is a control missing "
        "on one element (several threats follow from it), one threat on several targets, "
        "or a finding of its own. Each cause is described once, as a threat statement: "
        "who can do what, to which asset, through which route, with what impact, and "
        "what would stop it; the findings it gives, one per target, are listed under it "
        "with the team's decision on each (and the decision's owner). L×I is the "
        "inherent likelihood × impact (1–5 each). The rule evidence of every finding "
        f"and the owners of the elements are in {ctx.ref('register')}.",
        class_="intro",
    )
    if not shown:
        return join(intro, h("p", "No findings.", class_="empty"))
    limit = GROUP_MEMBERS_COMPACT if ctx.compact else None
    more = len(ctx.groups) - len(shown)
    tail = (
        h(
            "p",
            f"{more} more causes are not described here: {ctx.ref('register')} lists "
            "their findings; the HTML report and the machine-readable register "
            "(threat-workbench analyze --format json|csv|sarif) have them all.",
            class_="empty",
        )
        if more > 0
        else None
    )
    cols = h("colgroup", [h("col", style=f"width:{w}") for w in _GROUP_WIDTHS])
    head = h("thead", h("tr", [h("th", x, scope="col") for x in GROUP_COLUMNS]))
    bodies = [_group_body(ctx, i, ge, limit) for i, ge in enumerate(shown, 1)]
    return join(intro, h("table", cols, head, bodies, class_="groups"), tail)


def _group_body(ctx: ReportContext, number: int, ge: GroupedEntries, limit: int | None) -> Html:
    """A cause's heading row (its number, risk, title, counts, the fix, the statement)
    and one row per finding."""
    g = ge.group
    n = len(ge.entries)
    shown = ge.entries[:limit] if limit else ge.entries
    title = h(
        "h3",
        f"{number}. ",
        risk_badge(g.risk),
        " ",
        h("span", g.title, class_="title"),
        class_="group-title",
    )
    facts = h(
        "div",
        small(f"{n} finding{'s' if n != 1 else ''}, {ge.open} open"),
        small(" · ", CAUSES[g.cause]) if g.cause == "missing_control" else None,
        small(" · fix: "),
        _fix(ctx, g.fix, g.fix_title),
        class_="group-facts",
    )
    head = h(
        "tr",
        h("td", title, facts, _statements(ctx, ge), colspan=str(len(GROUP_COLUMNS))),
        class_=f"group-head group-{g.cause.replace('_', '-')}",
        id=f"g-{g.id}",
    )
    several = len({e.finding.threat_id for e in ge.entries}) > 1
    rows = [_member(ctx, e, several) for e in shown]
    hidden = len(ge.entries) - len(shown)
    if hidden > 0:
        rows.append(
            h(
                "tr",
                h(
                    "td",
                    f"… and {hidden} more: see {ctx.ref('register')}.",
                    colspan=str(len(GROUP_COLUMNS)),
                    class_="empty",
                ),
            )
        )
    return h("tbody", head, rows, class_="group")


def _statements(ctx: ReportContext, ge: GroupedEntries) -> Html:
    """The threat statement once per threat of the group: for one threat on several
    targets, the statement of the worst target (the others are listed under it); for a
    missing control, each member's threat in turn."""
    seen: dict[str, Entry] = {}
    for e in ge.entries:
        seen.setdefault(e.finding.threat_id, e)
    if len(seen) == 1:
        e = next(iter(seen.values()))
        lead = (
            small(f"Written for {e.finding.target_name}, the worst of {len(ge.entries)} targets: ")
            if len(ge.entries) > 1
            else None
        )
        return h("p", lead, ctx.statements(e.finding).text, class_="statement")
    return h(
        "ul",
        [
            h("li", h("strong", e.finding.title), ": ", ctx.statements(e.finding).text)
            for e in seen.values()
        ],
        class_="statement",
    )


def _fix(ctx: ReportContext, fix: str, title: str) -> Html:
    """A recommended mitigation: its title, linked to where the report describes it."""
    if not fix:
        return h("span", "none in the catalog", class_="empty")
    label = title or fix
    return link(f"#m-{fix}", label) if fix in ctx.mitigation_use else h("span", label)


def _member(ctx: ReportContext, e: Entry, several: bool) -> Html:
    """A finding of the cause: its threat's title only when the cause's members are
    different threats (otherwise the statement says it)."""
    f = e.finding
    first = (
        join(ctx.finding_ref(e), h("br"), h("span", f.title, class_="title"))
        if several
        else ctx.finding_ref(e)
    )
    cells = (
        first,
        ctx.name(f.target),
        f"{f.likelihood}×{f.impact}",
        risk_badge(f.risk),
        risk_badge(e.residual_risk),
        join(ctx.status(e), join(" · ", ctx.clip(e.owner, SHORT_LIMIT)) if e.owner else None),
    )
    return h("tr", [h("td", c) for c in cells], id=f"f-{f.id}", class_="group-member")
