"""Appendix, trust boundaries and assets: the decomposition (PASTA stage 3) beside the
elements and flows, which the register appendix describes one by one with their findings
(:mod:`.threat_register`). The assets table names which elements hold each asset; a
summarised report sums the data flows up by pair of trust boundaries."""

from __future__ import annotations

from collections import Counter, defaultdict

from ...model import Flow
from ..safehtml import Html, h, join, small, table, yes_no
from .context import ReportContext, ident
from .options import LIST_COMPACT


def render(ctx: ReportContext) -> Html:
    """Tables of the trust boundaries and the assets (and, when the report is compact, the
    flows summed up by pair of boundaries)."""
    members: Counter[str | None] = Counter(e.boundary for e in ctx.model.elements)
    boundaries = [
        (
            join(b.name, h("br"), small(ident(b.id))),
            b.trust,
            ctx.boundaries[b.parent].name if b.parent in ctx.boundaries else "",
            members[b.id],
            ctx.clip(b.description),
        )
        for b in ctx.model.boundaries
    ]
    holders: dict[str, list[str]] = defaultdict(list)
    for e in ctx.model.elements:
        for a in e.assets:
            holders[a].append(e.name)
    assets = [
        (
            join(a.name, h("br"), small(ident(a.id))),
            a.classification,
            yes_no(a.pii),
            yes_no(a.crown_jewel),
            _some(holders[a.id], LIST_COMPACT if ctx.compact else None),
            ctx.clip(a.description),
        )
        for a in ctx.model.assets
    ]
    return join(
        h("h3", f"Trust boundaries ({len(ctx.model.boundaries)})"),
        table(
            ("Boundary", "Trust", "Inside", "Elements", "Description"),
            boundaries,
            class_="inventory",
            empty="No trust boundaries.",
            widths=("22%", "10%", "18%", "9%", "41%"),
        ),
        h("h3", f"Data and other assets ({len(ctx.model.assets)})"),
        table(
            ("Asset", "Classification", "PII", "Crown jewel", "Held by", "Description"),
            assets,
            class_="inventory",
            empty="No assets recorded.",
            widths=("18%", "12%", "6%", "9%", "25%", "30%"),
        ),
        h(
            "p",
            f"The {len(ctx.model.elements)} elements and {len(ctx.model.flows)} data "
            f"flows are described in {ctx.ref('register')}, each with its findings.",
        ),
        h("h3", f"Data flows by trust boundary ({len(ctx.model.flows)})") if ctx.compact else None,
        _flows_by_boundary(ctx) if ctx.compact else None,
    )


def _flows_by_boundary(ctx: ReportContext) -> Html:
    """Flows summed up per pair of trust boundaries (for large models in print)."""
    groups: dict[tuple[str, str], list[Flow]] = defaultdict(list)
    for f in ctx.model.flows:
        src = ctx.elements[f.source].boundary or ""
        dst = ctx.elements[f.target].boundary or ""
        groups[(src, dst)].append(f)

    def bname(bid: str) -> str:
        return ctx.boundaries[bid].name if bid in ctx.boundaries else "(no boundary)"

    rows = [
        (
            bname(src),
            bname(dst),
            "yes" if src != dst else "no",
            len(fl),
            sum(f.encrypted is True for f in fl),
            sum(f.authenticated is True for f in fl),
            sum(f.encrypted is None or f.authenticated is None for f in fl),
        )
        for (src, dst), fl in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]
    more = len(rows) - LIST_COMPACT
    rows = rows[:LIST_COMPACT]
    return join(
        h(
            "p",
            f"{len(ctx.model.flows)} flows, summed up by the trust boundaries they connect; "
            "each flow is listed in the HTML report.",
            class_="intro",
        ),
        table(
            (
                "From boundary",
                "To boundary",
                "Crosses",
                "Flows",
                "Encrypted",
                "Authenticated",
                "Unknown protection",
            ),
            rows,
            empty="No data flows.",
            widths=("24%", "24%", "9%", "9%", "11%", "12%", "11%"),
        ),
        h("p", f"… and {more} more pairs of boundaries.", class_="sub") if more > 0 else None,
    )


def _some(names: list[str], limit: int | None) -> str:
    """``names`` joined, at most ``limit`` of them and how many more."""
    if limit is None or len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f" and {len(names) - limit} more"
