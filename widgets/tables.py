"""The findings table as plain HTML: one row per register entry (risk, status, STRIDE,
stage, target, threat and why), grouped by cause in collapsible blocks (a checkbox and CSS,
no script). Built with the workbench's safe-HTML kit (:mod:`workbench.export.safehtml`),
so every piece of text is escaped. Used by the threat panel, the PASTA view, the served
app and the notebook snapshot; needs no widget library.
"""

from __future__ import annotations

from collections.abc import Sequence

from workbench.engine import FindingGroup
from workbench.export.safehtml import Html, join
from workbench.export.safehtml import h_single as h
from workbench.model.types import RISK_RANK
from workbench.register import Entry
from workbench.register.grouping import GroupedEntries, group_entries

from ._payload import RISK_COLOURS

MAX_ROWS = 200
"""Most findings drawn in the table at once (the rest are counted)."""

_STYLE = Html(
    """<style>
.atw-findings{line-height:1.35}
.atw-findings table{border-collapse:collapse;width:100%;font-size:12px}
.atw-findings th,.atw-findings td{border-bottom:1px solid #e2e8f0;padding:3px 6px;
text-align:left;vertical-align:top}
.atw-findings th{background:#f8fafc;position:sticky;top:0}
.atw-findings .atw-risk{color:#fff;border-radius:8px;padding:0 7px;font-weight:600;
white-space:nowrap}
.atw-findings .atw-why{color:#475569;font-size:11px;margin-top:2px}
.atw-findings td:nth-child(6),.atw-findings td:nth-child(7){font-size:11px;max-width:120px}
.atw-findings code{font-size:11px}
.atw-findings tr.atw-cause-head td{background:#f1f5f9;border-top:2px solid #cbd5e1;
padding:4px 6px}
.atw-findings label.atw-cause-summary{display:block;cursor:pointer;font-weight:normal;
text-transform:none;letter-spacing:normal}
.atw-findings input.atw-fold{position:absolute;opacity:0;width:1px;height:1px;margin:0}
.atw-findings .atw-caret::before{content:"\\25BE";display:inline-block;width:1em;
color:#475569}
.atw-findings input.atw-fold:focus-visible+.atw-caret{outline:2px solid #93c5fd}
.atw-findings tbody.atw-cause:has(input.atw-fold:checked) .atw-caret::before{
content:"\\25B8"}
.atw-findings tbody.atw-cause:has(input.atw-fold:checked) tr[data-finding]{display:none}
.atw-findings .atw-cause-title{font-weight:600}
.atw-findings .atw-cause-meta{color:#475569;font-size:11px}
</style>"""
)


def _row(entry: Entry) -> Html:
    f = entry.finding
    colour = RISK_COLOURS.get(f.risk, "#64748b")
    residual = "" if entry.residual_risk == f.risk else f" → {entry.residual_risk}"
    status = entry.state + (f" ({entry.owner})" if entry.owner else "")
    if entry.expired:
        status = entry.expiry_note() + (f" ({entry.owner})" if entry.owner else "")
    elif entry.review_by is not None and not entry.is_open:
        status += f", review by {entry.review_by.isoformat()}"
    return h(
        "tr",
        h("td", h("span", f.risk, class_="atw-risk", style=f"background:{colour}"), residual),
        h(
            "td",
            h("b", f.title),
            " ",
            h("code", f.threat_id),
            h("div", "; ".join(f.why), class_="atw-why"),
        ),
        h("td", f.target_name),
        h("td", "".join(f.stride)),
        h("td", str(f.pasta_stage)),
        h("td", " ".join(f.atlas)),
        h("td", " ".join(f.owasp)),
        h("td", status),
        data_finding=f.id,
        data_status=entry.status,
        data_expired="true" if entry.expired else None,
    )


_HEADS = ("Risk", "Threat and why", "Target", "STRIDE", "Stage", "ATLAS", "OWASP", "Status")


def findings_table(
    entries: Sequence[Entry],
    *,
    limit: int = MAX_ROWS,
    total: int | None = None,
    groups: Sequence[FindingGroup] | None = None,
) -> Html:
    """An HTML table of register entries; all text escaped. ``total`` is how many
    findings there are in all when ``entries`` is already cut short.

    Without ``groups``: highest risk first. With ``groups`` (the analysis's finding
    groups): one ``<tbody class='atw-cause'>`` per group that has a member among
    ``entries``, worst group first: a heading row with the group's risk, title,
    recommended fix and how many of its findings are shown (clicking it folds the group:
    a checkbox and CSS, no script), then its members, worst first. At most ``limit``
    findings are drawn either way."""
    total = max(total or 0, len(entries))
    if not entries:
        return h("div", h("i", "No findings."), class_="atw-findings")
    blocks: int | None = None
    if groups is None:
        ordered = sorted(entries, key=lambda e: (-RISK_RANK[e.finding.risk], e.id))[:limit]
        bodies, drawn = h("tbody", [_row(e) for e in ordered]), len(ordered)
    else:
        bodies, drawn, blocks = _grouped(group_entries(entries, groups), limit)
    head = h("thead", h("tr", [h("th", x) for x in _HEADS]))
    more = None
    if total > drawn:
        more = h("p", h("i", f"{total - drawn} more not shown: select an element to narrow."))
    return join(
        _STYLE,
        h(
            "div",
            h("table", head, bodies),
            more,
            class_="atw-findings",
            data_count=total,
            data_groups=blocks,
        ),
    )


def _grouped(grouped: Sequence[GroupedEntries], limit: int) -> tuple[Html, int, int]:
    """The ``<tbody>`` of each of ``grouped`` until ``limit`` findings are drawn; how
    many findings and how many groups were drawn."""
    parts = []
    drawn = 0
    for ge in grouped:
        if drawn >= limit:
            break
        members = ge.entries[: limit - drawn]
        drawn += len(members)
        parts.append(_group_block(ge, members))
    return join(parts), drawn, len(parts)


def _group_block(ge: GroupedEntries, members: Sequence[Entry]) -> Html:
    """One group: a heading row (risk, title, fix, count; a click folds the group) and
    its members' rows."""
    g = ge.group
    colour = RISK_COLOURS.get(g.risk, "#64748b")
    n = len(g.members)
    count = f"{n} finding{'s' if n != 1 else ''}"
    if len(members) < n:
        count = f"{len(members)} of {count}"
    fix = join(" · fix: ", g.fix_title or g.fix, " ", h("code", g.fix)) if g.fix else None
    summary = h(
        "label",
        h("input", type="checkbox", class_="atw-fold", aria_label="fold this group"),
        h("span", class_="atw-caret"),
        h("span", g.risk, class_="atw-risk", style=f"background:{colour}"),
        " ",
        h("span", g.title, class_="atw-cause-title"),
        " ",
        h("span", h("span", count, data_role="group-count"), fix, class_="atw-cause-meta"),
        class_="atw-cause-summary",
    )
    return h(
        "tbody",
        h("tr", h("td", summary, colspan=len(_HEADS)), class_="atw-cause-head"),
        [_row(e) for e in members],
        class_="atw-cause",
        data_group=g.id,
        data_cause=g.cause,
        data_risk=g.risk,
        data_members=len(members),
    )
