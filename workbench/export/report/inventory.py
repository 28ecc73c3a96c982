"""Section 4, elements, data and trust boundaries: the decomposition (PASTA stage 3)."""

from __future__ import annotations

from collections import Counter, defaultdict

from ...model import Flow
from ...model.kinds import KINDS
from ..safehtml import Html, h, join, small, table, yes_no
from .context import ReportContext
from .options import SHORT_LIMIT


def render(ctx: ReportContext) -> Html:
    """Tables of the trust boundaries, elements, assets and data flows (flows summed up by pair of
    boundaries when the report is compact)."""
    members: Counter[str | None] = Counter(e.boundary for e in ctx.model.elements)
    boundaries = [
        (
            join(b.name, h("br"), small(b.id)),
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
            join(a.name, h("br"), small(a.id)),
            a.classification,
            yes_no(a.pii),
            yes_no(a.crown_jewel),
            ", ".join(holders[a.id]),
            ctx.clip(a.description),
        )
        for a in ctx.model.assets
    ]
    return join(
        h("h3", f"Trust boundaries ({len(ctx.model.boundaries)})"),
        table(
            ("Boundary", "Trust", "Inside", "Elements", "Description"),
            boundaries,
            empty="No trust boundaries.",
            widths=("22%", "10%", "18%", "10%", "40%"),
        ),
        h("h3", f"Elements ({len(ctx.model.elements)})"),
        _elements_table(ctx),
        h("h3", f"Data and other assets ({len(ctx.model.assets)})"),
        table(
            ("Asset", "Classification", "PII", "Crown jewel", "Held by", "Description"),
            assets,
            empty="No assets recorded.",
            widths=("20%", "12%", "7%", "9%", "22%", "30%"),
        ),
        h("h3", f"Data flows ({len(ctx.model.flows)})"),
        _flows_by_boundary(ctx) if ctx.compact else _flows_table(ctx),
    )


def _flags(ctx: ReportContext, eid: str) -> list[str]:
    flags = []
    if eid in ctx.untrusted:
        flags.append("untrusted")
    if eid in ctx.entry_points:
        flags.append("entry point")
    if eid in ctx.crown_jewels:
        flags.append("crown jewel")
    return flags


def _elements_table(ctx: ReportContext) -> Html:
    rows = []
    for e in ctx.model.elements:
        b = ctx.boundaries.get(e.boundary or "")
        rows.append(
            (
                ctx.named(e.id),
                KINDS[e.kind].label,
                b.name if b else "",
                e.properties.exposure or "",
                ctx.clip(e.owner, SHORT_LIMIT),
                ", ".join(ctx.assets[a].name for a in e.assets if a in ctx.assets),
                ", ".join(_flags(ctx, e.id)),
                ctx.clip(e.description),
            )
        )
    return table(
        ("Element", "Kind", "Boundary", "Exposure", "Owner", "Assets", "Flags", "Description"),
        rows,
        class_="inventory",
        row_ids=[f"e-{e.id}" for e in ctx.model.elements],
        empty="No elements.",
        widths=("16%", "11%", "12%", "8%", "11%", "12%", "10%", "20%"),
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
    )


def _flows_table(ctx: ReportContext) -> Html:
    crossing = {f.id for f in ctx.model.graph().boundary_crossings()}
    rows = [
        (
            join(f.name or "(unnamed)", h("br"), small(f.id)),
            join(ctx.name(f.source), " → ", ctx.name(f.target)),
            ", ".join(ctx.assets[a].name for a in f.data if a in ctx.assets),
            ctx.clip(f.protocol, SHORT_LIMIT),
            yes_no(f.encrypted),
            yes_no(f.authenticated),
            "yes" if f.id in crossing else "no",
        )
        for f in ctx.model.flows
    ]
    return table(
        (
            "Flow",
            "From → to",
            "Data",
            "Protocol",
            "Encrypted",
            "Authenticated",
            "Crosses boundary",
        ),
        rows,
        empty="No data flows.",
        widths=("17%", "23%", "16%", "10%", "11%", "13%", "10%"),
    )
