"""Section 8, mitigations and the controls each implements."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..safehtml import Html, h, join, small, table
from .context import ReportContext

if TYPE_CHECKING:
    from ...catalog.entries import ControlRefs, Mitigation


def render(ctx: ReportContext) -> Html:
    """The recommended mitigations, most widely useful first, with their status, the controls each
    implements and what to do."""
    use = ctx.mitigation_use
    order = sorted(use, key=lambda m: (-len(use[m].recommended), m))
    rows = []
    ids = []
    for mid in order:
        m = ctx.catalog.mitigations.get(mid)
        ctrl = m.controls if m else None
        rows.append(
            (
                join(m.title if m else mid, h("br"), small(mid)),
                len(use[mid].recommended),
                _mitigation_status(ctx, mid),
                _control_cell(ctx, "nist_ai_rmf", ctrl),
                _control_cell(ctx, "iso42001", ctrl),
                _control_cell(ctx, "sp800_53", ctrl),
                ctx.refs("atlas_mitigation", ctrl.atlas_mitigation) if ctrl else "",
                _what_to_do(m),
            )
        )
        ids.append(f"m-{mid}")
    return join(
        h(
            "p",
            "Mitigations the catalog recommends for the findings, most widely useful "
            "first, with the controls each implements. Status: implemented (a "
            "mitigated decision names it), planned (an open decision names it), or "
            "recommended.",
            class_="intro",
        ),
        table(
            (
                "Mitigation",
                "Findings",
                "Status",
                "NIST AI RMF",
                "ISO/IEC 42001",
                "SP 800-53",
                "ATLAS",
                "What to do",
            ),
            rows,
            row_ids=ids,
            empty="No mitigations recommended.",
            widths=("17%", "7%", "9%", "11%", "9%", "10%", "9%", "28%"),
        ),
    )


def _mitigation_status(ctx: ReportContext, mid: str) -> str:
    use = ctx.mitigation_use.get(mid)
    return use.status if use is not None else "recommended"


def _control_cell(ctx: ReportContext, framework: str, ctrl: ControlRefs | None) -> Html | str:
    """A mitigation's controls of one framework, or why none fits."""
    if ctrl is None:
        return ""
    ids = getattr(ctrl, framework)
    if ids:
        return ctx.refs(framework, ids)
    return small("none*") if framework in ctrl.reasons() else ""


def _what_to_do(m: Mitigation | None) -> Html | str:
    """A mitigation's description, then why a framework has no control for it (kept
    out of the narrow control columns)."""
    if m is None:
        return "not in the catalog"
    names = {"nist_ai_rmf": "NIST AI RMF", "iso42001": "ISO/IEC 42001", "sp800_53": "SP 800-53"}
    notes = [
        join(h("br"), small(f"* No {names[fw]} control: {why}"))
        for fw, why in m.controls.reasons().items()
        if fw in names
    ]
    return join(m.description, *notes)
