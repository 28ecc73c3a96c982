"""Control coverage by framework: how many of the controls that the recommended
mitigations implement are in place, per framework, in the body (:func:`render`); each
framework's controls in the appendix (:func:`render_controls`)."""

from __future__ import annotations

from ...register.coverage import ControlCoverage, FrameworkCoverage, control_coverage
from ..safehtml import Html, h, join, small, table
from .context import ReportContext, in_columns

PRINT_TITLES = 40
"""Printed, a framework with more controls than this is listed by ID only."""


def render(ctx: ReportContext) -> Html:
    """Per framework: the controls recommended, how many are in place, and the share."""
    rows = []
    for cov in _control_coverage(ctx):
        pct = "–" if cov.percent is None else f"{cov.percent:.0f}%"
        rows.append((cov.name, len(cov.controls), cov.in_place, pct))
    return join(
        h(
            "p",
            "For each framework: the controls that the recommended mitigations "
            "implement, and how many are in place — named in a mitigated decision's "
            "controls, or implemented through a mitigation. "
            f"{ctx.ref('controls', start=True)} lists them one by one.",
            class_="intro",
        ),
        table(
            ("Framework", "Controls recommended", "In place", "Coverage"),
            rows,
            class_="counts coverage",
            widths=("58%", "16%", "12%", "14%"),
        ),
    )


def render_controls(ctx: ReportContext) -> Html:
    """Each framework's recommended controls and whether they are in place."""
    parts: list[object] = [
        h(
            "p",
            "Per framework, the controls that the recommended mitigations implement, with "
            "how many findings lead to each; those in place are marked."
            + (
                f" Printed, a framework with more than {PRINT_TITLES} controls is listed by "
                "ID (the HTML report gives their titles too)."
                if ctx.options.for_print
                else ""
            ),
            class_="intro",
        )
    ]
    for cov in _control_coverage(ctx):
        parts.append(h("h3", f"{cov.name} ({cov.in_place} of {len(cov.controls)} in place)"))
        if not cov.controls:
            parts.append(h("p", "No controls from this framework are recommended.", class_="empty"))
        elif ctx.options.for_print and len(cov.controls) > PRINT_TITLES:
            parts.append(_by_id(ctx, cov))
        else:
            items = [_item(ctx, cov, c) for c in cov.controls]
            parts.append(in_columns("ul", items, 3, "controls"))
    return join(parts)


def _item(ctx: ReportContext, cov: FrameworkCoverage, c: ControlCoverage) -> Html:
    """A control: its ID, title, how many findings lead to it, whether it is in place."""
    n = len(c.findings)
    return h(
        "li",
        ctx.refs(cov.framework, [c.control]),
        " ",
        short_title(c.title),
        small(f" · {n} finding{'s' if n != 1 else ''}"),
        join(" · ", h("span", "in place", class_="ok")) if c.in_place else None,
    )


def _by_id(ctx: ReportContext, cov: FrameworkCoverage) -> Html:
    """The controls by ID only, those in place marked, in one paragraph."""
    items = [
        join(
            ", " if i else None,
            ctx.refs(cov.framework, [c.control]),
            h("span", " (in place)", class_="ok") if c.in_place else None,
        )
        for i, c in enumerate(cov.controls)
    ]
    return h("p", items, class_="controls-by-id")


def _control_coverage(ctx: ReportContext) -> tuple[FrameworkCoverage, ...]:
    """Controls per framework: recommended, and whether they are in place."""
    return control_coverage(ctx.analysis, ctx.register)


def short_title(title: str) -> str:
    """A control's title without its base control's (SP 800-53 enhancements are titled
    "Least Privilege | Authorize Access to Security Functions")."""
    return title.rsplit(" | ", 1)[-1]
