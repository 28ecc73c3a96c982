"""Appendix, the register by element and flow: every element and data flow with what the
model says of it, then its findings (or, when findings are summarised, those among the
highest residual risks) with their framework references, scores, decision and the rule
evidence — the clauses of the threat's rule that held on the model. Each element's
heading row names its weaknesses (PASTA stage 5): the controls whose absence made the
rules hold."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from ...engine.groups import missing_properties
from ...model.kinds import KINDS, STRIDE_NAMES
from ...register import Entry
from ..safehtml import Html, h, join, risk_badge, small, yes_no
from .context import ReportContext, ident, prose

REGISTER_COLUMNS = (
    "Finding",
    "Threat",
    "STRIDE",
    "PASTA",
    "L×I",
    "Inherent",
    "Residual",
    "Status",
)
"""The columns of a finding's first row; its second row, across them all, holds its
ATLAS and OWASP references, the rule evidence (why it was suggested) and how the score
was adjusted."""
_WIDTHS = ("22%", "29%", "8%", "7%", "5%", "9%", "9%", "11%")


def render(ctx: ReportContext) -> Html:
    """The introduction and one table: per element, then per data flow, a heading row
    with its facts, then its findings."""
    shown = ctx.ranked[: ctx.options.max_findings] if ctx.compact else ctx.ranked
    by_target: dict[str, list[Entry]] = defaultdict(list)
    for e in shown:
        by_target[e.finding.target].append(e)
    # a summarised report leaves out the elements and flows without a listed finding
    known = [e.id for e in ctx.model.elements if not ctx.compact or e.id in by_target]
    known += [f.id for f in ctx.model.flows if not ctx.compact or f.id in by_target]
    order = known + sorted(set(by_target) - set(known))
    bodies = [_target_body(ctx, t, by_target.get(t, ())) for t in order]
    if ctx.compact:
        intro = (
            f"The elements, then the data flows, that have one of the {len(shown)} "
            f"findings with the highest residual risk (of {len(ctx.ranked)}), with those "
            "findings. Every element, flow and finding is in the HTML report, and every "
            "finding in the machine-readable register (threat-workbench analyze --format "
            "json|csv|sarif)."
        )
    else:
        intro = (
            f"Every element, then every data flow, with what the model says of it and the "
            f"findings on it ({len(shown)} in all), highest residual risk first. "
            "Decisions are recorded per finding; 'scope' names a decision on the threat "
            "across a boundary, an element or everywhere, and a decision past its review "
            "date is marked expired and counts as open."
        )
    intro += (
        " PASTA 4 marks a threat, 5 a weakness: a control that the model shows to be "
        "missing, or unknown because the property is not set; each element's weaknesses "
        "are named on its heading row. The evidence lists the clauses of the threat's "
        "rule that held on the model (those its findings share once, on the heading "
        "row), and how the score was adjusted."
    )
    if not bodies:
        return join(h("p", intro, class_="intro"), h("p", "No elements.", class_="empty"))
    cols = h("colgroup", [h("col", style=f"width:{w}") for w in _WIDTHS])
    head = h("thead", h("tr", [h("th", x, scope="col") for x in REGISTER_COLUMNS]))
    return join(
        h("p", intro, class_="intro"),
        h("table", cols, head, bodies, class_="register"),
    )


def _target_body(ctx: ReportContext, target: str, entries: Sequence[Entry]) -> Html:
    """A target's heading row (name, ID, what the model says of it, its weaknesses and
    the evidence its findings share) and its findings."""
    el = ctx.elements.get(target)
    anchor = f"e-{target}" if el is not None else f"t-{target}"
    about = _element_facts(ctx, target) if el is not None else _flow_facts(ctx, target)
    weak = _weaknesses(ctx, target, entries)
    shared = _shared(entries)
    description = el.description if el is not None else ""
    head = h(
        "tr",
        h(
            "td",
            h("strong", ctx.name(target)),
            " ",
            small(ident(target)),
            " ",
            small("· ", about),
            join(h("br"), h("span", ctx.clip(description), class_="desc")) if description else None,
            join(h("br"), h("span", "Weaknesses: ", class_="lbl"), weak) if weak else None,
            join(
                h("br"),
                h("span", "Evidence shared by its findings: ", class_="lbl"),
                prose(_end(shared)),
            )
            if shared
            else None,
            None if entries else join(h("br"), h("span", "No findings.", class_="empty")),
            colspan=str(len(REGISTER_COLUMNS)),
        ),
        class_="target-head",
        id=anchor,
    )
    return h("tbody", head, [_row(ctx, e, shared) for e in entries], class_="target")


def _element_facts(ctx: ReportContext, eid: str) -> str:
    """``LLM application · in Application subnet · exposure internal · owner … · entry
    point · holds …``."""
    el = ctx.elements[eid]
    b = ctx.boundaries.get(el.boundary or "")
    parts = [KINDS[el.kind].label]
    parts += [f"in {b.name}"] if b else []
    exposure = el.properties.exposure
    parts += [f"exposure {exposure}"] if exposure else []
    parts += [f"owner {el.owner}"] if el.owner else []
    parts += ctx.flags(eid)
    held = [ctx.assets[a].name for a in el.assets if a in ctx.assets]
    parts += [f"holds {', '.join(held)}"] if held else []
    return " · ".join(parts)


def _flow_facts(ctx: ReportContext, fid: str) -> str:
    """``data flow · A → B · carries … · HTTPS · encrypted yes · authenticated unknown ·
    crosses a trust boundary``."""
    f = ctx.flows.get(fid)
    if f is None:
        return "data flow"
    parts = ["data flow", f"{ctx.name(f.source)} → {ctx.name(f.target)}"]
    data = [ctx.assets[a].name for a in f.data if a in ctx.assets]
    parts += [f"carries {', '.join(data)}"] if data else []
    parts += [f.protocol] if f.protocol else []
    parts += [f"encrypted {yes_no(f.encrypted)}", f"authenticated {yes_no(f.authenticated)}"]
    parts += ["crosses a trust boundary"] if fid in ctx.crossing else []
    return " · ".join(parts)


def _weaknesses(ctx: ReportContext, target: str, entries: Sequence[Entry]) -> str:
    """The properties whose absence (false, or not set) made the target's findings'
    rules hold: ``"authorization is false, input validation is unknown"``."""
    el = ctx.elements.get(target) or ctx.flows.get(target)
    if el is None:
        return ""
    names: dict[str, None] = {}
    for e in entries:
        threat = ctx.catalog.threats.get(e.finding.threat_id)
        if threat is not None:
            names.update(dict.fromkeys(missing_properties(threat.applies_to, el)))
    out = []
    for name in names:
        props = getattr(el, "properties", el)
        value = getattr(props, name, None)
        out.append(f"{name.replace('_', ' ')} is {'unknown' if value is None else 'false'}")
    return ", ".join(out)


def _row(ctx: ReportContext, e: Entry, shared: Sequence[str]) -> Html:
    """A finding's two rows: its facts, then its evidence across the table."""
    f = e.finding
    own = [c for c in f.why if c not in shared]
    evidence: list[object] = [_references(ctx, e), h("span", "Evidence: ", class_="lbl")]
    if len(own) < len(f.why):
        evidence.append(small("the shared evidence" + ("; " if own else ".")))
    if own:
        evidence.append(prose(_end(own)))
    if f.scoring:
        evidence.append(join(" ", h("span", "Scoring: ", class_="lbl"), prose(_end(f.scoring))))
    ref = ctx.finding_ref(e) if e.id in ctx.listed else h("span", ident(f.id), class_="fid")
    cells = (
        ref,
        h("span", f.title, class_="title"),
        h("span", "".join(f.stride), title=", ".join(STRIDE_NAMES[s] for s in f.stride)),
        f.pasta_stage,
        f"{f.likelihood}×{f.impact}",
        risk_badge(f.risk),
        risk_badge(e.residual_risk),
        ctx.status(e),
    )
    return join(
        h("tr", [h("td", c) for c in cells], id=f"r-{f.id}", class_="finding"),
        h(
            "tr",
            h("td", evidence, colspan=str(len(REGISTER_COLUMNS)), class_="why"),
            class_="evidence",
        ),
    )


def _references(ctx: ReportContext, e: Entry) -> Html:
    """``ATLAS: … · OWASP: … · `` (what the finding has)."""
    f = e.finding
    parts: list[object] = []
    if f.atlas:
        parts += [h("span", "ATLAS: ", class_="lbl"), ctx.refs("atlas", f.atlas), " · "]
    owasp = ctx.owasp_refs(f)
    if owasp:
        parts += [h("span", "OWASP: ", class_="lbl"), owasp, " · "]
    return join(parts)


def _shared(entries: Sequence[Entry]) -> list[str]:
    """Evidence clauses that two or more of a target's findings share (its kind, what it
    serves, the route outsiders' content takes): printed once, on its heading row."""
    seen: dict[str, int] = {}
    for e in entries:
        for clause in dict.fromkeys(e.finding.why):
            seen[clause] = seen.get(clause, 0) + 1
    return [c for c, n in seen.items() if n > 1]


def _end(clauses: Sequence[str]) -> str:
    return "; ".join(clauses) + "."
