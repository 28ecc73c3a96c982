"""Section 9, control coverage by framework."""

from __future__ import annotations

from ...register.coverage import FrameworkCoverage, control_coverage
from ..safehtml import Html, h, join, table
from .context import ReportContext


def render(ctx: ReportContext) -> Html:
    """A summary of control coverage per framework, then each framework's recommended controls and
    whether they are in place."""
    parts: list[object] = [
        h(
            "p",
            "For each framework: the controls that the recommended mitigations "
            "implement, and whether they are in place — named in a mitigated "
            "decision's controls, or implemented through a mitigation.",
            class_="intro",
        )
    ]
    summary_rows = []
    bodies = []
    for cov in _control_coverage(ctx):
        rows = _coverage_rows(ctx, cov)
        pct = "–" if cov.percent is None else f"{cov.percent:.0f}%"
        summary_rows.append((cov.name, len(rows), cov.in_place, pct))
        bodies.append(h("h3", cov.name))
        bodies.append(
            table(
                ("Control", "Title", "Mitigations", "Findings", "Status"),
                rows,
                empty="No controls from this framework are recommended.",
                widths=("14%", "52%", "11%", "10%", "13%"),
            )
        )
    parts.append(
        table(
            ("Framework", "Controls recommended", "In place", "Coverage"),
            summary_rows,
            class_="counts",
        )
    )
    parts.extend(bodies)
    return join(parts)


def _control_coverage(ctx: ReportContext) -> tuple[FrameworkCoverage, ...]:
    """Controls per framework: recommended, and whether they are in place."""
    return control_coverage(ctx.analysis, ctx.register)


def _coverage_rows(ctx: ReportContext, cov: FrameworkCoverage) -> list[tuple[object, ...]]:
    return [
        (
            ctx.refs(cov.framework, [c.control]),
            c.title,
            len(c.mitigations),
            len(c.findings),
            h("span", "in place", class_="ok") if c.in_place else "not yet",
        )
        for c in cov.controls
    ]
