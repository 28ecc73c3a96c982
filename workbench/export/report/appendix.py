"""The last appendix: method, catalog provenance, glossary, decisions without a finding,
problems, and the long texts that tables cut short."""

from __future__ import annotations

from pathlib import Path

from ...register import orphan_reason
from ..safehtml import Html, bullets, h, join, link, table
from .context import ReportContext, catalog_label, in_columns, url_text


def render(ctx: ReportContext) -> Html:
    """The method, the catalog's provenance, the glossary, decisions without a finding, problems and
    the long texts."""
    return join(
        h("h3", "Method"),
        _method(ctx),
        h("h3", "Catalog provenance"),
        _provenance(ctx),
        h("h3", "Glossary"),
        _glossary(),
        h("h3", "Decisions without a finding, and problems"),
        bullets(
            [
                join(
                    d.key,
                    " (",
                    d.status,
                    d.owner and f", {d.owner}",
                    "; ",
                    orphan_reason(d, ctx.model),
                    ")",
                )
                for d in ctx.register.orphaned
            ]
            + list(ctx.register.problems),
            empty="None: every decision matches a finding, and the analysis reported no problem.",
        ),
        h("h3", "Long texts") if ctx.long_texts else None,
        join(
            h("div", h("h4", f"Long text {i}", id=f"long-{i}"), h("p", value), class_="long")
            for value, i in ctx.long_texts.items()
        ),
    )


def _method(ctx: ReportContext) -> Html:
    r = ctx.ref
    items = [
        f"PASTA stage 1: business objectives, their impact, and the risk tolerance ({r('scope')}).",
        f"PASTA stage 2: technical scope ({r('scope')}).",
        "PASTA stage 3: decomposition into elements, data flows, assets and trust "
        f"boundaries ({r('architecture')}, {r('inventory')}).",
        "PASTA stage 4: threat analysis — STRIDE per element by data-flow-diagram type, "
        "plus AI-specific threats of the catalog whose rules hold on the model; the "
        "findings are grouped by cause, each written as a threat statement "
        f"({r('causes')}; every finding with its rule evidence in {r('register')}).",
        "PASTA stage 5: weakness analysis — controls the model shows to be missing "
        f"({r('register')}, on each element's heading row; the causes of kind 'a control "
        f"missing on one element' in {r('causes')}).",
        "PASTA stage 6: attack paths along data flows from untrusted actors to crown "
        f"jewels ({r('attack_paths')}, {r('paths')}).",
        "PASTA stage 7: risk = likelihood × impact on 1–5 scales; likelihood +1 when "
        "untrusted actors reach the target directly; impact raised to that of the most "
        "important objective depending on it. Residual risk: the team's own scores, "
        "else a mitigated finding's likelihood drops by two "
        f"({r('plan')}, {r('coverage')}, {r('matrix')}, {r('accepted')}).",
    ]
    return h("ol", [h("li", x) for x in items], class_="method")


def _provenance(ctx: ReportContext) -> Html:
    rows = []
    for fid in sorted(ctx.catalog.frameworks):
        fw = ctx.catalog.frameworks[fid]
        rows.append((fw.name, link(fw.url, url_text(fw.url)) if fw.url else "", len(fw.entries)))
    sources = [
        "built-in catalog" if Path(s).name in ("catalogs", "_catalogs") else Path(s).name
        for s in ctx.catalog.sources
    ]
    return join(
        h(
            "p",
            f"Catalog: {catalog_label(ctx.catalog)}. Loaded from: {', '.join(sources)}. "
            "The catalog is written in the project's own words and cites the IDs of "
            "the frameworks below.",
        ),
        table(
            ("Framework", "Published at", "IDs known"),
            rows,
            class_="provenance",
            widths=("50%", "40%", "10%"),
        ),
    )


def _glossary() -> Html:
    terms = [
        ("Attack path", "A route along data flows from an untrusted actor to a crown jewel."),
        ("ATLAS", "MITRE ATLAS: adversary tactics and techniques against AI systems."),
        (
            "Cause",
            "Findings that share one fix, described together: a control missing on one "
            "element, one threat on several targets, or a finding of its own.",
        ),
        (
            "Crown jewel",
            "An element holding data classified confidential or above, or an "
            "asset marked as a crown jewel.",
        ),
        ("Entry point", "An element that untrusted actors can reach directly."),
        ("Inherent risk", "Risk before the team's decisions."),
        (
            "OWASP LLM / ML Top 10",
            "OWASP's lists of the most critical risks to LLM "
            "applications and to machine-learning systems.",
        ),
        (
            "PASTA",
            "Process for Attack Simulation and Threat Analysis, a seven-stage risk-centric method.",
        ),
        ("Residual risk", "Risk after the team's decision on a finding."),
        (
            "Threat statement",
            "A finding in words: who can do what, to which asset, through which route, "
            "with what impact, and what would stop it.",
        ),
        (
            "Risk tolerance",
            "The highest residual risk that may stay open without an explicit decision.",
        ),
        (
            "STRIDE",
            "Spoofing, Tampering, Repudiation, Information disclosure, Denial of "
            "service, Elevation of privilege.",
        ),
        ("Trust boundary", "Where the level of trust changes between elements."),
    ]
    return in_columns("dl", [join(h("dt", t), h("dd", d)) for t, d in terms], 2, "glossary")
