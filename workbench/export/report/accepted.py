"""Accepted and transferred risks, with who decided, why and until when; then
the findings closed without residual risk (avoided, false positive, not applicable)."""

from __future__ import annotations

from ...model import Decision
from ...register import Entry
from ..safehtml import Html, h, join, link, risk_badge, small, table
from .context import ReportContext, url_text
from .options import SHORT_LIMIT

CLOSING = ("avoided", "false_positive", "not_applicable")


def render(ctx: ReportContext) -> Html:
    """The accepted and transferred risks, with who decided, why, when and until when;
    then the closed findings, with the decision (scoped or not) that closed them."""
    rows = []
    closed = []
    for e in ctx.ranked:
        d = e.decision
        if d is None:
            continue
        if d.status in CLOSING:
            closed.append(e)
            continue
        if d.status not in ("accepted", "transferred"):
            continue
        rows.append(
            (
                _finding(ctx, e),
                join(_decision(ctx, e), h("br"), ctx.clip(d.owner, SHORT_LIMIT)),
                join(
                    risk_badge(e.residual_risk),
                    join(h("br"), h("strong", "above tolerance", class_="warn"))
                    if e.above_tolerance
                    else None,
                ),
                h("span", ctx.clip(d.rationale), class_="rationale"),
                _dates(ctx, d),
            )
        )
    return join(
        h(
            "p",
            "Risks the team decided to carry or hand over, with who decided, why and until "
            "when. Accepted risks above the tolerance need the sign-off below; a decision "
            "past its review date is expired and counts as open until it is reviewed.",
            class_="intro",
        ),
        table(
            ("Finding", "Decision and owner", "Residual", "Rationale", "Dates and ticket"),
            rows,
            empty="No risks have been accepted or transferred.",
            widths=("30%", "17%", "13%", "22%", "18%"),
        ),
        h("h3", f"Closed without residual risk ({len(closed)})") if closed else None,
        h(
            "p",
            "Findings the team closed: the design avoids the threat, the suggestion is a "
            "false positive, or the threat does not apply to this system. 'Scope' marks a "
            "decision on the threat across a boundary, an element or the whole model.",
            class_="intro",
        )
        if closed
        else None,
        _closed_table(ctx, closed) if closed else None,
    )


def _decision(ctx: ReportContext, e: Entry) -> Html:
    d = e.decision
    if d is None:  # pragma: no cover - only decided entries are listed
        return Html("")
    return join(
        ctx.status(e),
        join(h("br"), small(e.expiry_note())) if e.expired else None,
    )


def _closed_table(ctx: ReportContext, entries: list[Entry]) -> Html:
    rows = []
    for e in entries:
        d = e.decision
        if d is None:  # pragma: no cover - only decided entries are listed
            continue
        rows.append(
            (
                _finding(ctx, e),
                join(ctx.status(e), h("br"), ctx.clip(d.owner, SHORT_LIMIT)),
                h("span", ctx.clip(d.rationale), class_="rationale"),
                _dates(ctx, d),
            )
        )
    return table(
        ("Finding", "Decision and owner", "Rationale", "Dates"),
        rows,
        class_="closed",
        widths=("32%", "20%", "30%", "18%"),
    )


def _finding(ctx: ReportContext, e: Entry) -> Html:
    """A finding's ID, its threat and its target."""
    return join(
        ctx.finding_ref(e),
        h("br"),
        h("span", e.finding.title, class_="title"),
        h("br"),
        small("on ", ctx.name(e.finding.target)),
    )


def _dates(ctx: ReportContext, d: Decision) -> Html:
    parts: list[object] = []
    if d.decided:
        parts += ["decided ", d.decided.isoformat()]
    if d.review_by:
        parts += [h("br") if parts else None, "review by ", d.review_by.isoformat()]
    if d.due:
        parts += [h("br") if parts else None, "due ", d.due.isoformat()]
    if d.ticket:
        parts += [
            h("br") if parts else None,
            link(
                d.ticket,
                url_text(d.ticket) if len(d.ticket) <= SHORT_LIMIT else ctx.clip(d.ticket),
                class_="ticket",
            ),
        ]
    return join(parts)
