"""Risk assessment reports.

A report is a notebook (nbformat) whose cells each show one section as an HTML output
built here; the exporters in :mod:`workbench.export.exporters` render it to HTML or PDF
with the template shipped in ``workbench/export/templates/``.

Safety: every string that comes from a model, a catalog or a decision is text. Markup is
built only by :func:`h`, which escapes every ``str`` it is given (attributes too) and
accepts only :class:`Html` produced by this module as markup. Links are kept only for
``http(s)`` URLs and in-page anchors; images only as ``data:`` URIs. No Markdown cell
carries user text, so nothing is read as Markdown, LaTeX or a template.

Heavy imports (nbformat, nbconvert, WeasyPrint) happen inside the functions that need them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .. import __version__
from ..engine import Analysis, AttackPath, Finding, PathStep
from ..engine.risk import level
from ..model import Decision, Flow, ThreatModel
from ..model.kinds import KINDS, STRIDE_NAMES
from ..model.types import RISK_RANK
from ..register import Entry, Register, build_register
from ..register.coverage import (
    FrameworkCoverage,
    MitigationUse,
    control_coverage,
    mitigation_use,
    risk_matrix,
)
from ..register.grouping import GroupedEntries, group_entries

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..catalog.schema import ControlRefs, Mitigation

Paper = Literal["a4", "letter"]
PAPERS: tuple[Paper, ...] = ("a4", "letter")
Progress = Callable[[str], None]

METADATA_KEY = "threat_workbench"
"""Notebook metadata key of the workbench (``nb.metadata["threat_workbench"]``)."""
REPORT_KIND = "risk_assessment"
SECTION_TAG = "threat-workbench-section"
HIDE_INPUT_TAG = "remove_input"
HIDE_CELL_TAG = "remove_cell"

# ============================================================================ HTML
_BIDI = re.compile(
    "[\u0590-\u08ff\u200e\u200f\u202a-\u202e\u2066-\u2069\ufb1d-\ufdff\ufe70-\ufefc"
    "\U00010800-\U00010fff\U0001e800-\U0001efff]"
)
_SAFE_HREF = re.compile(r"^https?://[^\s\x00-\x1f\x7f\"'<>\\`]+$", re.IGNORECASE)
_SAFE_ANCHOR = re.compile(r"^#[A-Za-z0-9_.:@\-]+$")
_SAFE_SRC = re.compile(r"^data:image/(svg\+xml|png|jpeg);base64,[A-Za-z0-9+/=]*$")
_VOID = frozenset({"br", "img", "col", "hr", "wbr", "meta"})


class Html(str):
    """Markup built by this module: inserted as it is. Any other ``str`` is text and is
    escaped."""

    __slots__ = ()


def text(value: object) -> Html:
    """``value`` as HTML text: escaped, and isolated with ``<bdi>`` when it holds
    right-to-left characters or bidi controls (so they cannot reorder what follows)."""
    s = str(value)
    escaped = html.escape(s, quote=True)
    if _BIDI.search(s):
        return Html(f"<bdi>{escaped}</bdi>")
    return Html(escaped)


def safe_url(url: str, attribute: str = "href") -> bool:
    """Whether ``url`` may go into ``href`` (http, https, in-page anchor) or ``src``
    (``data:`` image)."""
    if attribute == "src":
        return bool(_SAFE_SRC.match(url))
    return bool(_SAFE_HREF.match(url) or _SAFE_ANCHOR.match(url))


def _render(child: object, out: list[str]) -> None:
    if child is None or child is False:
        return
    if isinstance(child, Html):
        out.append(child)
    elif isinstance(child, str):
        out.append(text(child))
    elif isinstance(child, (list, tuple, Iterator)):
        for c in child:
            _render(c, out)
    else:
        out.append(text(child))


def join(*children: object) -> Html:
    """Children rendered one after another (``str`` escaped)."""
    out: list[str] = []
    _render(children, out)
    return Html("".join(out))


def h(tag: str, *children: object, **attrs: object) -> Html:
    """An element. Attribute names: a trailing ``_`` is dropped (``class_``), other ``_``
    become ``-``; ``None``/``False`` leave the attribute out, ``True`` writes it bare.
    ``href``/``src`` values that are not safe (see :func:`safe_url`) are dropped."""
    parts = [f"<{tag}"]
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")
        if name in ("href", "src") and not safe_url(str(value), name):
            continue
        if value is True:
            parts.append(f" {name}")
        else:
            parts.append(f' {name}="{html.escape(str(value), quote=True)}"')
    parts.append(">")
    if tag in _VOID:
        return Html("".join(parts))
    _render(children, parts)
    parts.append(f"</{tag}>")
    return Html("".join(parts))


def link(url: str, label: object, **attrs: object) -> Html:
    """A link when ``url`` is safe, otherwise just the label."""
    if url and safe_url(url):
        external = not url.startswith("#")
        return h("a", label, href=url, rel="noopener noreferrer" if external else None, **attrs)
    return h("span", label, **attrs)


def table(
    headers: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    class_: str = "",
    widths: Sequence[str] | None = None,
    row_ids: Sequence[str] | None = None,
    empty: str = "None.",
) -> Html:
    """A table whose header repeats on every printed page (``thead``)."""
    body: list[str] = []
    for i, row in enumerate(rows):
        rid = row_ids[i] if row_ids else None
        body.append(h("tr", [h("td", c) for c in row], id=rid))
    if not body:
        return h("p", empty, class_="empty")
    cols = h("colgroup", [h("col", style=f"width:{w}") for w in widths]) if widths else None
    head = h("thead", h("tr", [h("th", x, scope="col") for x in headers]))
    return h("table", cols, head, h("tbody", Html("".join(body))), class_=class_ or None)


def risk_badge(risk: str) -> Html:
    """A coloured label of a risk level."""
    return h("span", risk, class_=f"risk risk-{risk}")


def yes_no(value: bool | None) -> str:
    """``yes``, ``no`` or ``unknown``."""
    return "unknown" if value is None else ("yes" if value else "no")


def small(*children: object) -> Html:
    """Secondary text (IDs under names)."""
    return h("span", *children, class_="sub")


def bullets(items: Iterable[object], empty: str = "None recorded.") -> Html:
    """A bullet list, or a note that there is none."""
    lis = [h("li", x) for x in items]
    return h("ul", lis) if lis else h("p", empty, class_="empty")


_SVG_SIZE = re.compile(r'<svg[^>]*?width="([\d.]+)pt"[^>]*?height="([\d.]+)pt"')
DIAGRAM_BOX_MM = (267.0, 128.0)
"""Room for the diagram on a landscape A4 page (Letter is close), in millimetres."""


def svg_size(svg: str) -> tuple[float, float] | None:
    """Width and height (pt) that Graphviz wrote on the ``<svg>`` element."""
    m = _SVG_SIZE.search(svg[:2000])
    return (float(m.group(1)), float(m.group(2))) if m else None


def best_svg(model: ThreatModel, to_svg: Callable[..., str]) -> str:
    """The diagram laid out left-to-right or, when that is much wider than the page
    allows, top-to-bottom: whichever fits the landscape page at the larger scale."""
    wide = to_svg(model, rankdir="LR")
    size = svg_size(wide)
    box_w, box_h = DIAGRAM_BOX_MM
    if size is None or size[0] / max(size[1], 1.0) < 1.5 * box_w / box_h:
        return wide
    tall = to_svg(model, rankdir="TB")
    other = svg_size(tall)
    if other is None:
        return wide

    def scale(s: tuple[float, float]) -> float:
        return min(box_w / s[0], box_h / s[1])

    return tall if scale(other) > scale(size) else wide


def svg_data_uri(svg: str) -> str:
    """A ``data:`` URI of an SVG document (shown through ``<img>``: no script, no fetch)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


# ============================================================================ data
@dataclass(frozen=True)
class ReportOptions:
    """How a report is laid out."""

    paper: Paper = "a4"
    """Paper size for print and PDF: ``a4`` or ``letter``."""
    date: dt.date | None = None
    """Date on the title page (default: today)."""
    title: str = "AI risk assessment"
    """Kind of document, shown above the system's name."""
    top_risks: int = 10
    """How many top risks the executive summary lists."""
    max_findings: int | None = None
    """List at most this many findings one by one (highest residual risk first); with more,
    the register and the weaknesses are also summarised by threat and the data flows by
    trust boundary, so that a large model still prints in reasonable time and pages.
    ``None`` lists everything (the HTML default); PDFs default to
    :data:`PRINT_MAX_FINDINGS`."""
    max_attack_paths: int = 25
    """How many attack paths are listed (the highest scoring)."""
    diagram: bool = True
    """Whether to draw the architecture (needs Graphviz's ``dot``)."""
    interactive_diagram: bool = False
    """HTML only: add a pannable, zoomable pyvis view of the architecture under the
    static diagram (about 700 KB, in a sandboxed frame; see
    :mod:`workbench.export.interactive`). PDFs always use the static diagram."""


@dataclass(frozen=True)
class Section:
    """One section of a report: an anchor ID, a heading and its HTML."""

    id: str
    title: str
    html: Html


STATUS_ORDER = ("open", "mitigated", "accepted", "transferred")
LEVELS_DESC = ("critical", "high", "medium", "low")
_GROUP_WIDTHS = ("34%", "24%", "6%", "9%", "9%", "18%")
REGISTER_COLUMNS = (
    "Finding",
    "Target",
    "STRIDE",
    "PASTA",
    "ATLAS",
    "OWASP",
    "L×I",
    "Inherent",
    "Status",
    "Residual",
    "Owner",
    "Why",
)
CELL_LIMIT = 600
"""Longest free text shown whole in a table cell (descriptions, rationales)."""
SHORT_LIMIT = 200
"""Longest owner, protocol or ticket shown whole in a table cell."""
PARA_LIMIT = 2000
"""Longest free text shown whole in a paragraph or list."""
PRINT_MAX_FINDINGS = 300
"""Default ``max_findings`` of PDFs: above it the printed register is summarised."""
GROUP_MEMBERS_COMPACT = 5
"""Members listed under each finding group when findings are summarised."""
GROUP_COLUMNS = ("Finding", "Target", "L×I", "Inherent", "Residual", "Status")
CAUSES = {
    "missing_control": "a control missing on one element",
    "threat": "one threat on several targets",
    "single": "a finding of its own",
}


def catalog_fingerprint(catalog: Catalog) -> str:
    """A short digest of the catalog's threats, mitigations and frameworks: two reports
    with the same fingerprint were made with the same catalog content."""
    doc = {
        "threats": [t.model_dump(mode="json") for t in catalog.threats.values()],
        "mitigations": [m.model_dump(mode="json") for m in catalog.mitigations.values()],
        "frameworks": sorted(catalog.frameworks),
    }
    blob = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:12]


def catalog_label(catalog: Catalog) -> str:
    """The catalog's version as a report shows it."""
    builtin = any(Path(s).name in ("catalogs", "_catalogs") for s in catalog.sources[:1])
    extra = len(catalog.sources) - (1 if builtin else 0)
    parts = [f"built-in {__version__}" if builtin else "user catalog"]
    if builtin and extra:
        parts.append(f"+ {extra} user director{'y' if extra == 1 else 'ies'}")
    return (
        " ".join(parts) + f" · {len(catalog.threats)} threats, {len(catalog.mitigations)} "
        f"mitigations · fingerprint {catalog_fingerprint(catalog)}"
    )


def model_fingerprint(model: ThreatModel) -> str:
    """A short digest of the model's content."""
    blob = model.model_dump_json().encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:12]


# ============================================================================ report
class ReportBuilder:
    """Builds the sections of one report from an analysis and its register."""

    def __init__(
        self,
        analysis: Analysis,
        register: Register | None = None,
        options: ReportOptions | None = None,
    ) -> None:
        self.a = analysis
        self.m = analysis.model
        self.c = analysis.catalog
        self.r = register or build_register(analysis)
        self.o = options or ReportOptions()
        self.date = self.o.date or dt.date.today()
        self.elements = {e.id: e for e in self.m.elements}
        self.flows = {f.id: f for f in self.m.flows}
        self.boundaries = {b.id: b for b in self.m.boundaries}
        self.assets = {a.id: a for a in self.m.assets}
        self.entry_points = set(analysis.entry_points)
        self.crown_jewels = set(analysis.crown_jewels)
        self.untrusted = set(analysis.untrusted_actors)
        self._long: dict[str, int] = {}

    # ------------------------------------------------------------------ helpers
    @cached_property
    def ranked(self) -> list[Entry]:
        """Entries by residual risk, then inherent risk, then ID."""
        return sorted(self.r.entries, key=lambda e: (-e.residual_score, -e.finding.score, e.id))

    @cached_property
    def number(self) -> dict[str, int]:
        """Section numbers."""
        return {sid: i for i, (sid, _, _) in enumerate(self.SECTIONS, start=1)}

    def name(self, target: str) -> str:
        """Display name of an element or flow (its ID when unknown)."""
        if target in self.elements:
            return self.elements[target].name
        if target in self.flows:
            f = self.flows[target]
            return f.name or f"{self.name(f.source)} → {self.name(f.target)}"
        return target

    def named(self, target: str) -> Html:
        """Name with its ID underneath."""
        return join(self.name(target), h("br"), small(target))

    def finding_ref(self, e: Entry | Finding) -> Html:
        """A link to a finding's row in the threat register."""
        f = e.finding if isinstance(e, Entry) else e
        return link(f"#f-{f.id}", f.id, class_="fid")

    def owner_of(self, e: Entry) -> Html:
        """The decision's owner, else the target element's owner (marked), else ''."""
        if e.owner:
            return self.clip(e.owner, SHORT_LIMIT)
        f = e.finding
        target = f.target
        if f.target_type == "flow" and target in self.flows:
            target = self.flows[target].target
        el = self.elements.get(target)
        if el is not None and el.owner:
            return join(self.clip(el.owner, SHORT_LIMIT), h("br"), small("element owner"))
        return Html("")

    def clip(self, value: str, limit: int = CELL_LIMIT) -> Html:
        """``value`` as text, cut after ``limit`` characters with a link to its full text
        in the appendix (long strings would otherwise fill pages of narrow table cells)."""
        if len(value) <= limit:
            return text(value)
        idx = self._long.setdefault(value, len(self._long) + 1)
        more = f"[{len(value) - limit} more characters: see long text {idx} in the appendix]"
        return join(value[:limit], "… ", link(f"#long-{idx}", more, class_="more"))

    def clip_all(self, values: Iterable[str], limit: int = PARA_LIMIT) -> list[Html]:
        """:meth:`clip` of each value."""
        return [self.clip(v, limit) for v in values]

    def refs(self, framework: str, ids: Iterable[str]) -> Html:
        """Framework IDs, each linked where the framework publishes links."""
        out = []
        for i, ref in enumerate(ids):
            if i:
                out.append(Html(", "))
            title = self.c.title(framework, ref) or None
            out.append(link(self.c.link(framework, ref), ref, title=title, class_="ref"))
        return join(out)

    def heading(self, sid: str, title: str) -> Html:
        return h("h2", f"{self.number[sid]}. {title}", id=f"sec-{sid}")

    # ------------------------------------------------------------------ sections
    SECTIONS: tuple[tuple[str, str, str], ...] = (
        ("summary", "Executive summary", "_summary"),
        ("scope", "Scope and business objectives", "_scope"),
        ("architecture", "Architecture", "_architecture"),
        ("inventory", "Elements, data and trust boundaries", "_inventory"),
        ("register", "Threat register", "_register"),
        ("weaknesses", "Weaknesses", "_weaknesses"),
        ("attack_paths", "Attack paths", "_attack_paths"),
        ("mitigations", "Mitigations and their controls", "_mitigations"),
        ("coverage", "Control coverage by framework", "_coverage"),
        ("matrix", "Risk matrix: inherent and residual", "_matrix"),
        ("accepted", "Accepted and transferred risks", "_accepted"),
        ("incidents", "Incident readiness", "_incidents"),
        ("signoff", "Review cadence and sign-off", "_signoff"),
        ("appendix", "Appendix", "_appendix"),
    )

    def sections(self, progress: Progress | None = None) -> list[Section]:
        """Title page, contents and every numbered section, in order."""
        out = [
            Section("title", "Title page", self._title()),
            Section("contents", "Contents", self._contents()),
        ]
        for sid, title, method in self.SECTIONS:
            if progress:
                progress(f"section: {title}")
            body = getattr(self, method)()
            out.append(
                Section(
                    sid,
                    title,
                    h(
                        "section",
                        self.heading(sid, title),
                        body,
                        id=f"s-{sid}",
                        class_=f"section section-{sid.replace('_', '-')}",
                    ),
                )
            )
        return out

    # .................................................................. title page
    def _title(self) -> Html:
        s = self.m.system
        rows: list[tuple[str, object]] = [
            ("System", s.name),
            ("Version", s.version or "not stated"),
            ("Owners", ", ".join(s.owners) or "not stated"),
            ("Date", self.date.isoformat()),
            ("Risk tolerance", f"accept up to {self.m.risk_tolerance.accept_up_to}"),
            ("Catalog", catalog_label(self.c)),
            (
                "Model",
                f"{len(self.m.elements)} elements, {len(self.m.flows)} flows, "
                f"{len(self.m.boundaries)} trust boundaries · fingerprint "
                f"{model_fingerprint(self.m)}",
            ),
            ("Generated by", f"AI Threat Workbench {__version__}"),
        ]
        meta = h(
            "table",
            h("tbody", [h("tr", h("th", k, scope="row"), h("td", v)) for k, v in rows]),
            class_="meta",
        )
        return h(
            "section",
            h("p", self.o.title, class_="doc-kind"),
            h("h1", s.name, class_="doc-title", id="top"),
            h("p", self.clip(s.description, PARA_LIMIT), class_="lead") if s.description else None,
            meta,
            h(
                "p",
                "This document lists weaknesses of the system and how they could be "
                "exploited. Handle it as confidential.",
                class_="notice",
            ),
            class_="title-page",
            id="s-title",
        )

    def _contents(self) -> Html:
        items = [
            h("li", link(f"#sec-{sid}", f"{self.number[sid]}. {title}", class_="toc"))
            for sid, title, _ in self.SECTIONS
        ]
        return h(
            "nav",
            h("h2", "Contents", class_="toc-title"),
            h("ol", items, class_="toc"),
            class_="contents",
            id="s-contents",
        )

    # .................................................................. 1 summary
    def _counts(self) -> dict[str, Counter[str]]:
        c: dict[str, Counter[str]] = {
            "inherent": Counter(),
            "residual": Counter(),
            "open": Counter(),
            "above": Counter(),
        }
        for e in self.r.entries:
            c["inherent"][e.finding.risk] += 1
            c["residual"][e.residual_risk] += 1
            if e.status == "open":
                c["open"][e.residual_risk] += 1
            if e.above_tolerance:
                c["above"][e.residual_risk] += 1
        return c

    def _summary(self) -> Html:
        entries = self.r.entries
        counts = self._counts()
        status: Counter[str] = Counter(e.status for e in entries)
        above = [e for e in self.ranked if e.above_tolerance]
        above_open = [e for e in above if e.status == "open"]
        above_accepted = [e for e in above if e.status != "open"]
        s = self.m.system
        worst = next(iter(self.ranked), None)
        lead = join(
            "This assessment covers ",
            h("strong", s.name),
            f" ({len(self.m.elements)} elements, {len(self.m.flows)} data flows, "
            f"{len(self.m.boundaries)} trust boundaries). The analysis suggests "
            f"{len(entries)} findings; {status['open']} are open, {status['mitigated']} "
            f"mitigated, {status['accepted']} accepted and {status['transferred']} "
            f"transferred. ",
            f"{len(above_open)} open findings are above the risk tolerance (accept up to "
            f"{self.r.tolerance}). ",
            f"{len(self.a.attack_paths)} attack paths lead from untrusted actors to crown jewels. ",
            join("The highest residual risk is ", risk_badge(worst.residual_risk), ".")
            if worst
            else "",
        )
        count_rows = [
            (
                risk_badge(lv),
                counts["inherent"][lv],
                counts["residual"][lv],
                counts["open"][lv],
                counts["above"][lv],
            )
            for lv in LEVELS_DESC
        ]
        top = self.ranked[: self.o.top_risks]
        top_rows = [
            (
                self.finding_ref(e),
                h("span", e.finding.title, class_="title"),
                self.named(e.finding.target),
                risk_badge(e.finding.risk),
                risk_badge(e.residual_risk),
                e.status,
                self.owner_of(e),
            )
            for e in top
        ]
        return join(
            h("p", lead, class_="lead"),
            h("div", self._stat_boxes(len(entries), status, len(above_open)), class_="stats"),
            h("h3", "Findings by risk level"),
            table(
                ("Risk", "Inherent", "Residual", "Open (residual)", "Above tolerance"),
                count_rows,
                class_="counts",
            ),
            h("h3", f"Top {len(top)} risks"),
            table(
                ("Finding", "Threat", "Target", "Inherent", "Residual", "Status", "Owner"),
                top_rows,
                class_="top",
                empty="No findings.",
                widths=("18%", "23%", "15%", "10%", "10%", "11%", "13%"),
            ),
            h("h3", f"Open items above tolerance ({len(above_open)})"),
            self._above_list(above_open),
            h("h3", f"Risks accepted above tolerance, needing sign-off ({len(above_accepted)})")
            if above_accepted
            else None,
            self._above_list(above_accepted) if above_accepted else None,
            self._orphan_note(),
        )

    def _stat_boxes(self, n: int, status: Counter[str], above: int) -> Html:
        boxes = [
            ("findings", n),
            ("open", status["open"]),
            ("above tolerance", above),
            ("attack paths", len(self.a.attack_paths)),
            ("weaknesses", len(self.a.weaknesses)),
        ]
        return join(
            h("div", h("span", str(v), class_="num"), h("span", k, class_="lbl"), class_="stat")
            for k, v in boxes
        )

    def _above_list(self, entries: list[Entry], limit: int = 30) -> Html:
        if not entries:
            return h("p", "None.", class_="empty")
        items = [
            h(
                "li",
                risk_badge(e.residual_risk),
                " ",
                self.finding_ref(e),
                ": ",
                e.finding.title,
                " — ",
                h("em", self.name(e.finding.target)),
            )
            for e in entries[:limit]
        ]
        more = len(entries) - limit
        tail = h("p", f"… and {more} more: see the threat register.") if more > 0 else None
        return join(h("ul", items, class_="above"), tail)

    def _orphan_note(self) -> Html | None:
        if not self.r.orphaned:
            return None
        return h(
            "p",
            f"{len(self.r.orphaned)} decisions match no finding any more (an element was "
            "removed or renamed, or a threat no longer applies); they are listed in the "
            "appendix.",
            class_="warning",
        )

    # .................................................................. 2 scope
    def _scope(self) -> Html:
        sc = self.m.scope
        rt = self.m.risk_tolerance
        objectives = [
            (
                self._anchor_named(o.id, o.title),
                self.clip(o.description),
                o.impact,
                o.category or "",
                ", ".join(self.name(e) for e in o.elements),
            )
            for o in self.m.objectives
        ]
        return join(
            h("h3", "Business objectives (PASTA stage 1)"),
            table(
                ("Objective", "Why it matters", "Impact", "Category", "Depends on"),
                objectives,
                empty="No business objectives recorded.",
                widths=("22%", "34%", "9%", "11%", "24%"),
            ),
            h("h3", "Risk tolerance"),
            h(
                "p",
                f"Residual risk up to {rt.accept_up_to} may stay open without an explicit "
                f"decision. The threat model is reviewed every {rt.review_cadence_days} days.",
            ),
            h("blockquote", self.clip(rt.statement, PARA_LIMIT)) if rt.statement else None,
            h("h3", "Technical scope (PASTA stage 2)"),
            h("p", self.clip(sc.description, PARA_LIMIT))
            if sc.description
            else h("p", "No scope statement.", class_="empty"),
            h(
                "div",
                h("div", h("h4", "In scope"), bullets(self.clip_all(sc.in_scope))),
                h("div", h("h4", "Out of scope"), bullets(self.clip_all(sc.out_of_scope))),
                class_="cols",
            ),
            h("h4", "Assumptions"),
            bullets(self.clip_all(sc.assumptions)),
            h("h4", "AI lifecycle stages in scope"),
            h("p", ", ".join(s.replace("_", " ") for s in sc.lifecycle) or "All stages."),
        )

    def _anchor_named(self, oid: str, title: str) -> Html:
        return join(title, h("br"), small(oid))

    # .................................................................. 3 architecture
    def _architecture(self) -> Html:
        from ..diagram import has_graphviz, to_svg

        legend = h(
            "p",
            "Boxes are external entities, ellipses processes, cylinders data stores; "
            "colours mark the layer (blue data, violet model, green deployment); dashed "
            "frames are trust boundaries, red when untrusted. Arrows are data flows.",
            class_="legend",
        )
        if not self.o.diagram:
            return h("p", "Diagram left out on request.", class_="empty")
        if not self.m.elements:
            return h("p", "The model has no elements yet.", class_="empty")
        if not has_graphviz():
            return h(
                "p",
                "Diagram unavailable: Graphviz's dot is not installed (apt-get install graphviz).",
                class_="warning",
            )
        try:
            svg = best_svg(self.m, to_svg)
        except Exception as exc:  # a broken dot install must not lose the report
            return h("p", f"Diagram unavailable: {exc}", class_="warning")
        img = h(
            "img",
            src=svg_data_uri(svg),
            alt=f"Architecture of {self.m.system.name}: {len(self.m.elements)} elements and "
            f"{len(self.m.flows)} data flows",
            class_="diagram",
        )
        figure = h("figure", img, h("figcaption", legend), class_="diagram")
        return join(figure, self._interactive()) if self.o.interactive_diagram else figure

    def _interactive(self) -> Html:
        from .interactive import InteractiveDiagramError, interactive_frame

        try:
            frame = Html(interactive_frame(self.m, self.a))
        except InteractiveDiagramError as exc:
            return h("p", f"Interactive diagram unavailable: {exc}", class_="warning")
        note = h(
            "p",
            "Interactive view: drag to pan, scroll to zoom, hover for details. Borders and "
            "arrows are coloured by the highest open risk.",
            class_="legend",
        )
        return h("div", note, frame, class_="interactive screen-only")

    # .................................................................. 4 inventory
    def _inventory(self) -> Html:
        members: Counter[str | None] = Counter(e.boundary for e in self.m.elements)
        boundaries = [
            (
                join(b.name, h("br"), small(b.id)),
                b.trust,
                self.boundaries[b.parent].name if b.parent in self.boundaries else "",
                members[b.id],
                self.clip(b.description),
            )
            for b in self.m.boundaries
        ]
        holders: dict[str, list[str]] = defaultdict(list)
        for e in self.m.elements:
            for a in e.assets:
                holders[a].append(e.name)
        assets = [
            (
                join(a.name, h("br"), small(a.id)),
                a.classification,
                yes_no(a.pii),
                yes_no(a.crown_jewel),
                ", ".join(holders[a.id]),
                self.clip(a.description),
            )
            for a in self.m.assets
        ]
        return join(
            h("h3", f"Trust boundaries ({len(self.m.boundaries)})"),
            table(
                ("Boundary", "Trust", "Inside", "Elements", "Description"),
                boundaries,
                empty="No trust boundaries.",
                widths=("22%", "10%", "18%", "10%", "40%"),
            ),
            h("h3", f"Elements ({len(self.m.elements)})"),
            self._elements_table(),
            h("h3", f"Data and other assets ({len(self.m.assets)})"),
            table(
                ("Asset", "Classification", "PII", "Crown jewel", "Held by", "Description"),
                assets,
                empty="No assets recorded.",
                widths=("20%", "12%", "7%", "9%", "22%", "30%"),
            ),
            h("h3", f"Data flows ({len(self.m.flows)})"),
            self._flows_by_boundary() if self.compact else self._flows_table(),
        )

    def _flags(self, eid: str) -> list[str]:
        flags = []
        if eid in self.untrusted:
            flags.append("untrusted")
        if eid in self.entry_points:
            flags.append("entry point")
        if eid in self.crown_jewels:
            flags.append("crown jewel")
        return flags

    def _elements_table(self) -> Html:
        rows = []
        for e in self.m.elements:
            b = self.boundaries.get(e.boundary or "")
            rows.append(
                (
                    self.named(e.id),
                    KINDS[e.kind].label,
                    b.name if b else "",
                    e.properties.exposure or "",
                    self.clip(e.owner, SHORT_LIMIT),
                    ", ".join(self.assets[a].name for a in e.assets if a in self.assets),
                    ", ".join(self._flags(e.id)),
                    self.clip(e.description),
                )
            )
        return table(
            ("Element", "Kind", "Boundary", "Exposure", "Owner", "Assets", "Flags", "Description"),
            rows,
            class_="inventory",
            row_ids=[f"e-{e.id}" for e in self.m.elements],
            empty="No elements.",
            widths=("16%", "11%", "12%", "8%", "11%", "12%", "10%", "20%"),
        )

    def _flows_by_boundary(self) -> Html:
        """Flows summed up per pair of trust boundaries (for large models in print)."""
        groups: dict[tuple[str, str], list[Flow]] = defaultdict(list)
        for f in self.m.flows:
            src = self.elements[f.source].boundary or ""
            dst = self.elements[f.target].boundary or ""
            groups[(src, dst)].append(f)

        def bname(bid: str) -> str:
            return self.boundaries[bid].name if bid in self.boundaries else "(no boundary)"

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
                f"{len(self.m.flows)} flows, summed up by the trust boundaries they connect; "
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

    def _flows_table(self) -> Html:
        crossing = {f.id for f in self.m.graph().boundary_crossings()}
        rows = [
            (
                join(f.name or "(unnamed)", h("br"), small(f.id)),
                join(self.name(f.source), " → ", self.name(f.target)),
                ", ".join(self.assets[a].name for a in f.data if a in self.assets),
                self.clip(f.protocol, SHORT_LIMIT),
                yes_no(f.encrypted),
                yes_no(f.authenticated),
                "yes" if f.id in crossing else "no",
            )
            for f in self.m.flows
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

    # .................................................................. 5 register
    @cached_property
    def groups(self) -> list[GroupedEntries]:
        """The register's entries by finding group (by cause), worst group first."""
        return group_entries(self.r.entries, self.a.groups)

    @cached_property
    def shown_groups(self) -> list[GroupedEntries]:
        """The groups listed under "Findings by cause": all of them, or when findings are
        summarised, the worst until about ``max_findings`` members are listed."""
        if not self.compact:
            return self.groups
        out: list[GroupedEntries] = []
        rows, limit = 0, self.o.max_findings or 0
        for ge in self.groups:
            size = min(len(ge.entries), GROUP_MEMBERS_COMPACT)
            if out and rows + size > limit:
                break
            out.append(ge)
            rows += size
        return out

    @cached_property
    def group_anchor(self) -> dict[str, tuple[str, str]]:
        """Finding ID -> anchor and label of its group's heading, for the listed groups
        of two or more."""
        out = {}
        for ge in self.shown_groups:
            g = ge.group
            if len(g.members) < 2:
                continue
            label = (
                g.title
                if g.cause == "missing_control"
                else f"one threat on {len(g.members)} targets"
            )
            out.update({e.id: (f"#g-{g.id}", label) for e in ge.entries})
        return out

    def _register(self) -> Html:
        shown = self.ranked[: self.o.max_findings] if self.compact else self.ranked
        rows = [self._register_row(e) for e in shown]
        n_groups = len(self.groups)
        intro = h(
            "p",
            f"The analysis suggested {len(self.ranked)} findings from {n_groups} causes. "
            "They are listed first by cause, worst first: a control missing on one element "
            "(several threats follow from it), one threat on several targets, or a finding "
            "of its own; each cause with the fix that addresses it. The register after it "
            "lists every finding one by one — decisions are recorded per finding.",
            class_="intro",
        )
        if self.compact:
            register_intro = h(
                "p",
                f"The first table sums the findings up by threat; the second lists the "
                f"{len(shown)} with the highest residual risk one by one. Every finding is "
                "in the HTML report and in the machine-readable register (threat-workbench "
                "analyze --format json|csv|sarif).",
                class_="intro",
            )
        else:
            register_intro = h(
                "p",
                "Every finding the analysis suggested, highest residual risk first. L×I is "
                "the inherent likelihood × impact (1–5 each); residual risk follows the "
                "team's decision. Why: the clauses of the threat's rule that held on the "
                "model.",
                class_="intro",
            )
        return join(
            intro,
            h("h3", "Findings by cause", id="register-groups"),
            self._groups_table(),
            h("h3", "Threat register: every finding" if not self.compact else "By threat"),
            register_intro,
            self._by_threat(self.ranked) if self.compact else None,
            h("h3", f"The {len(shown)} highest residual risks") if self.compact else None,
            table(
                REGISTER_COLUMNS,
                rows,
                class_="register",
                row_ids=[f"f-{e.id}" for e in shown],
                empty="No findings.",
                widths=("16%", "10%", "6%", "5%", "9%", "6%", "4%", "6%", "7%", "6%", "8%", "17%"),
            ),
        )

    def _groups_table(self) -> Html:
        """One block per finding group: a heading row (risk, cause, the threat's text once,
        the recommended fix) and its members under it."""
        shown = self.shown_groups
        if not shown:
            return h("p", "No findings.", class_="empty")
        limit = GROUP_MEMBERS_COMPACT if self.compact else None
        bodies = [self._group_body(ge, limit) for ge in shown]
        cols = h("colgroup", [h("col", style=f"width:{w}") for w in _GROUP_WIDTHS])
        head = h("thead", h("tr", [h("th", x, scope="col") for x in GROUP_COLUMNS]))
        more = len(self.groups) - len(shown)
        tail = (
            h(
                "p",
                f"{more} more causes are not listed here: see the register below, the HTML "
                "report or the machine-readable register.",
                class_="empty",
            )
            if more > 0
            else None
        )
        return join(h("table", cols, head, bodies, class_="groups"), tail)

    def _group_body(self, ge: GroupedEntries, limit: int | None) -> Html:
        g = ge.group
        n = len(g.members)
        shown = ge.entries[:limit] if limit else ge.entries
        head = h(
            "tr",
            h(
                "td",
                h(
                    "div",
                    risk_badge(g.risk),
                    " ",
                    h("span", g.title, class_="title"),
                    " ",
                    small(f"{n} finding{'s' if n != 1 else ''}, {ge.open} open · {g.id}"),
                    class_="group-title",
                ),
                self._group_threat_text(ge),
                h(
                    "div",
                    "Cause: ",
                    CAUSES[g.cause],
                    ". Recommended fix: ",
                    self._fix(g.fix, g.fix_title),
                ),
                colspan=str(len(GROUP_COLUMNS)),
            ),
            class_=f"group-head group-{g.cause.replace('_', '-')}",
            id=f"g-{g.id}",
        )
        rows = [self._group_member(ge, e) for e in shown]
        hidden = len(ge.entries) - len(shown)
        if hidden > 0:
            rows.append(
                h(
                    "tr",
                    h(
                        "td",
                        f"… and {hidden} more: see the threat register.",
                        colspan=str(len(GROUP_COLUMNS)),
                        class_="empty",
                    ),
                )
            )
        return h("tbody", head, rows, class_="group")

    def _group_threat_text(self, ge: GroupedEntries) -> Html | None:
        """The threat's description, once for a group whose members share one threat."""
        threats = {e.finding.threat_id for e in ge.entries}
        if len(threats) != 1:
            return None
        threat = self.c.threats.get(next(iter(threats)))
        if threat is None or not threat.description:
            return None
        return h("div", self.clip(threat.description, PARA_LIMIT), class_="threat-text")

    def _fix(self, fix: str, title: str) -> Html:
        """A recommended mitigation: its title, linked to its row when it has one."""
        if not fix:
            return h("span", "none in the catalog", class_="empty")
        label = title or fix
        shown = link(f"#m-{fix}", label) if fix in self._mitigation_use else h("span", label)
        return join(shown, " ", small(fix))

    def _group_member(self, ge: GroupedEntries, e: Entry) -> Html:
        """A member of a group: its threat's title only when the group's members are
        different threats (otherwise the heading says it once)."""
        f = e.finding
        several = len({x.finding.threat_id for x in ge.entries}) > 1
        first = (
            join(self.finding_ref(e), h("br"), h("span", f.title, class_="title"))
            if several
            else self.finding_ref(e)
        )
        status = join(e.status, h("br"), self.owner_of(e)) if e.owner else e.status
        cells = (
            first,
            self.named(f.target),
            f"{f.likelihood}×{f.impact}",
            risk_badge(f.risk),
            risk_badge(e.residual_risk),
            status,
        )
        return h("tr", [h("td", c) for c in cells], class_="group-member")

    def _register_row(self, e: Entry) -> tuple[object, ...]:
        f = e.finding
        anchor = self.group_anchor.get(e.id)
        return (
            join(
                self.finding_ref(e),
                h("br"),
                h("span", f.title, class_="title"),
                join(h("br"), small("cause: ", link(*anchor))) if anchor else None,
            ),
            self.named(f.target),
            h("span", "".join(f.stride), title=", ".join(STRIDE_NAMES[s] for s in f.stride)),
            f.pasta_stage,
            self.refs("atlas", f.atlas),
            self.owasp_refs(f),
            f"{f.likelihood}×{f.impact}",
            risk_badge(f.risk),
            e.status,
            risk_badge(e.residual_risk),
            self.owner_of(e),
            h("span", "; ".join(f.why), class_="why"),
        )

    def owasp_refs(self, f: Finding) -> Html:
        """OWASP LLM, ML and Agentic IDs of a finding, linked where possible."""
        parts: list[object] = []
        for fw in ("owasp_llm", "owasp_ml", "owasp_agentic"):
            ids = f.references.get(fw, ())
            if ids:
                if parts:
                    parts.append(Html(", "))
                parts.append(self.refs(fw, ids))
        return join(parts)

    @cached_property
    def compact(self) -> bool:
        """Whether findings are summarised (more of them than ``max_findings``)."""
        limit = self.o.max_findings
        return limit is not None and len(self.r.entries) > limit

    def _by_threat(self, entries: Sequence[Entry], limit: int = 8) -> Html:
        """One row per threat: how many findings, their residual risks, where."""
        groups: dict[str, list[Entry]] = defaultdict(list)
        for e in entries:
            groups[e.finding.threat_id].append(e)
        order = sorted(groups, key=lambda t: (-groups[t][0].residual_score, -len(groups[t]), t))
        rows = []
        for tid in order:
            group = groups[tid]
            f = group[0].finding
            residual: Counter[str] = Counter(e.residual_risk for e in group)
            where = ", ".join(self.name(e.finding.target) for e in group[:limit])
            if len(group) > limit:
                where += f" … (+{len(group) - limit})"
            rows.append(
                (
                    join(h("span", f.title, class_="title"), h("br"), small(tid)),
                    "".join(f.stride),
                    f.pasta_stage,
                    self.refs("atlas", f.atlas),
                    self.owasp_refs(f),
                    len(group),
                    join(
                        join(risk_badge(lv), f" {residual[lv]} ")
                        for lv in LEVELS_DESC
                        if residual[lv]
                    ),
                    sum(e.status == "open" for e in group),
                    sum(e.above_tolerance for e in group),
                    where,
                )
            )
        return table(
            (
                "Threat",
                "STRIDE",
                "PASTA",
                "ATLAS",
                "OWASP",
                "Findings",
                "Residual risk",
                "Open",
                "Above tolerance",
                "Where (highest risk first)",
            ),
            rows,
            class_="by-threat",
            empty="No findings.",
            widths=("20%", "5%", "5%", "10%", "7%", "6%", "14%", "5%", "7%", "21%"),
        )

    # .................................................................. 6 weaknesses
    def _weaknesses(self) -> Html:
        weak = [e for e in self.ranked if e.finding.pasta_stage == 5]
        shown = weak[: self.o.max_findings] if self.compact else weak
        rows = [
            (
                join(self.finding_ref(e), h("br"), h("span", e.finding.title, class_="title")),
                self.named(e.finding.target),
                h("span", "; ".join(e.finding.why), class_="why"),
                self._mitigation_list(e.finding.mitigations),
                risk_badge(e.residual_risk),
                e.status,
            )
            for e in shown
        ]
        more = len(weak) - len(shown)
        return join(
            h(
                "p",
                "PASTA stage 5: controls that the model shows to be missing or unknown. "
                "A property left out of the model counts as unknown."
                + (
                    f" The {len(shown)} highest residual risks are listed one by one."
                    if more
                    else ""
                ),
                class_="intro",
            ),
            self._by_threat(weak) if more else None,
            table(
                (
                    "Weakness",
                    "Target",
                    "What is missing",
                    "Recommended mitigations",
                    "Residual",
                    "Status",
                ),
                rows,
                empty="No weaknesses found.",
                widths=("22%", "13%", "27%", "24%", "7%", "7%"),
            ),
        )

    def _mitigation_list(self, ids: Iterable[str]) -> Html:
        out = []
        for mid in ids:
            m = self.c.mitigations.get(mid)
            out.append(h("li", link(f"#m-{mid}", m.title if m else mid), " ", small(mid)))
        return h("ul", out, class_="compact")

    # .................................................................. 7 attack paths
    def _attack_paths(self) -> Html:
        paths = self.a.attack_paths
        shown = paths[: self.o.max_attack_paths]
        rows = [
            (
                i,
                self._path_chain(p),
                len(p.steps),
                p.likelihood,
                p.impact,
                risk_badge(p.risk),
                self._path_findings(p),
            )
            for i, p in enumerate(shown, start=1)
        ]
        note = (
            f"Showing the {len(shown)} highest scoring of {len(paths)} paths."
            if len(paths) > len(shown)
            else f"{len(paths)} paths."
        )
        return join(
            h(
                "p",
                "PASTA stage 6: routes along data flows from untrusted actors to crown "
                "jewels. Each hop says how the attacker takes it: send (their content "
                "travels along the flow, forward) or access (an element they already "
                "influence uses a flow it starts, against the flow's direction: it reads a "
                "store, calls an API), and over which flow. A path's likelihood is its "
                "weakest hop (the likeliest finding on each hop; 1 when nothing is known "
                "to be weak), adjusted for defences on the way as its notes say; its "
                f"impact is what reaching the target costs. {note}",
                class_="intro",
            ),
            table(
                ("#", "Path", "Hops", "L", "I", "Risk", "Findings on the way"),
                rows,
                empty="No attack paths: no untrusted actor reaches a crown jewel.",
                widths=("4%", "46%", "6%", "4%", "4%", "8%", "28%"),
            ),
        )

    def _path_chain(self, p: AttackPath) -> Html:
        """The elements of a path with each step's kind, direction and flow between them,
        and the path's notes under it."""
        parts: list[object] = [h("span", self.name(p.source), class_="hop")]
        for step in p.steps:
            parts += [
                " → ",
                self._step(step),
                " → ",
                h("span", self.name(step.element), class_="hop"),
            ]
        notes = h("ul", [h("li", n) for n in p.notes], class_="compact path-notes")
        return join(h("div", parts, class_="chain"), notes if p.notes else None)

    def _step(self, step: PathStep) -> Html:
        """``(send, forward: question)``: how a step uses which flow."""
        return h(
            "span",
            f"({step.kind}, {step.direction}: ",
            self.name(step.flow),
            ")",
            class_=f"step step-{step.kind}",
        )

    def _path_findings(self, p: AttackPath) -> Html:
        ids = sorted({fid for s in p.steps for fid in s.findings})
        if not ids:
            return Html("")
        shown = ids[:4]
        items = [link(f"#f-{i}", i, class_="fid") for i in shown]
        out: list[object] = []
        for i, x in enumerate(items):
            if i:
                out.append(Html(", "))
            out.append(x)
        if len(ids) > len(shown):
            out.append(f" … (+{len(ids) - len(shown)})")
        return join(out)

    # .................................................................. 8 mitigations
    @cached_property
    def _mitigation_use(self) -> dict[str, MitigationUse]:
        """Per mitigation: entries it is recommended for, chosen by, and implemented by."""
        return mitigation_use(self.r)

    def _mitigation_status(self, mid: str) -> str:
        use = self._mitigation_use.get(mid)
        return use.status if use is not None else "recommended"

    def _control_cell(self, framework: str, ctrl: ControlRefs | None) -> Html | str:
        """A mitigation's controls of one framework, or why none fits."""
        if ctrl is None:
            return ""
        ids = getattr(ctrl, framework)
        if ids:
            return self.refs(framework, ids)
        return small("none*") if framework in ctrl.reasons() else ""

    def _what_to_do(self, m: Mitigation | None) -> Html | str:
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

    def _mitigations(self) -> Html:
        use = self._mitigation_use
        order = sorted(use, key=lambda m: (-len(use[m].recommended), m))
        rows = []
        ids = []
        for mid in order:
            m = self.c.mitigations.get(mid)
            ctrl = m.controls if m else None
            rows.append(
                (
                    join(m.title if m else mid, h("br"), small(mid)),
                    len(use[mid].recommended),
                    self._mitigation_status(mid),
                    self._control_cell("nist_ai_rmf", ctrl),
                    self._control_cell("iso42001", ctrl),
                    self._control_cell("sp800_53", ctrl),
                    self.refs("atlas_mitigation", ctrl.atlas_mitigation) if ctrl else "",
                    self._what_to_do(m),
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

    # .................................................................. 9 coverage
    @cached_property
    def _control_coverage(self) -> tuple[FrameworkCoverage, ...]:
        """Controls per framework: recommended, and whether they are in place."""
        return control_coverage(self.a, self.r)

    def _coverage_rows(self, cov: FrameworkCoverage) -> list[tuple[object, ...]]:
        return [
            (
                self.refs(cov.framework, [c.control]),
                c.title,
                len(c.mitigations),
                len(c.findings),
                h("span", "in place", class_="ok") if c.in_place else "not yet",
            )
            for c in cov.controls
        ]

    def _coverage(self) -> Html:
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
        for cov in self._control_coverage:
            rows = self._coverage_rows(cov)
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

    # .................................................................. 10 matrix
    def _grid(self, cells: Counter[tuple[int, int]], caption: str) -> Html:
        rows = []
        for impact in range(5, 0, -1):
            tds = [h("th", impact, scope="row")]
            for lk in range(1, 6):
                n = cells[(lk, impact)]
                tds.append(
                    h(
                        "td",
                        n or "",
                        class_=f"cell risk-{level(lk * impact)}",
                        title=f"likelihood {lk} × impact {impact}: {n} findings",
                    )
                )
            rows.append(h("tr", tds))
        head = h(
            "tr",
            h("th", "Impact ↓ / Likelihood →", class_="corner"),
            [h("th", i, scope="col") for i in range(1, 6)],
        )
        return h(
            "table", h("caption", caption), h("thead", head), h("tbody", rows), class_="matrix"
        )

    def _matrix(self) -> Html:
        counts = risk_matrix(self.r.entries)
        inherent, residual, moved = counts.inherent, counts.residual, counts.moved
        return join(
            h(
                "p",
                "Number of findings per likelihood × impact cell, before (inherent) and "
                f"after (residual) the team's decisions; {moved} findings moved to a lower "
                "score. Bands: 1–4 low, 5–9 medium, 10–16 high, 20–25 critical.",
                class_="intro",
            ),
            h(
                "div",
                h("div", self._grid(inherent, "Inherent risk"), class_="matrix-box"),
                h("div", self._grid(residual, "Residual risk"), class_="matrix-box"),
                class_="matrices",
            ),
        )

    # .................................................................. 11 accepted
    def _accepted(self) -> Html:
        rows = []
        for e in self.ranked:
            d = e.decision
            if d is None or d.status not in ("accepted", "transferred"):
                continue
            rows.append(
                (
                    join(self.finding_ref(e), h("br"), h("span", e.finding.title, class_="title")),
                    self.named(e.finding.target),
                    d.status,
                    risk_badge(e.residual_risk),
                    h("strong", "yes", class_="warn") if e.above_tolerance else "no",
                    self.clip(d.owner, SHORT_LIMIT),
                    h("span", self.clip(d.rationale), class_="rationale"),
                    self._dates(d),
                )
            )
        return join(
            h(
                "p",
                "Risks the team decided to carry or hand over, with who decided and why. "
                "Accepted risks above the tolerance need the sign-off below.",
                class_="intro",
            ),
            table(
                (
                    "Finding",
                    "Target",
                    "Decision",
                    "Residual",
                    "Above tolerance",
                    "Owner",
                    "Rationale",
                    "Decided / due / ticket",
                ),
                rows,
                empty="No risks have been accepted or transferred.",
                widths=("16%", "11%", "10%", "8%", "8%", "11%", "24%", "12%"),
            ),
        )

    def _dates(self, d: Decision) -> Html:
        parts: list[object] = []
        if d.decided:
            parts += ["decided ", d.decided.isoformat()]
        if d.due:
            parts += [h("br") if parts else None, "due ", d.due.isoformat()]
        if d.ticket:
            parts += [
                h("br") if parts else None,
                link(d.ticket, self.clip(d.ticket, SHORT_LIMIT), class_="ticket"),
            ]
        return join(parts)

    # .................................................................. 12 incidents
    def _incidents(self) -> Html:
        groups: dict[str, list[Entry]] = defaultdict(list)
        for e in self.ranked:
            if RISK_RANK[e.residual_risk] >= RISK_RANK["high"]:
                groups[e.finding.threat_id].append(e)
        blocks = []
        fallback = ", ".join(self.m.system.owners) or "not assigned"
        for tid, entries in sorted(
            groups.items(), key=lambda kv: (-kv[1][0].residual_score, kv[0])
        ):
            t = self.c.threats.get(tid)
            owners = sorted({e.owner for e in entries if e.owner}) or sorted(
                {
                    self.elements[e.finding.target].owner
                    for e in entries
                    if e.finding.target in self.elements and self.elements[e.finding.target].owner
                }
            )
            targets = ", ".join(self.name(e.finding.target) for e in entries[:12])
            if len(entries) > 12:
                targets += f" … (+{len(entries) - 12})"
            blocks.append(
                h(
                    "div",
                    h(
                        "h3",
                        risk_badge(entries[0].residual_risk),
                        " ",
                        t.title if t else tid,
                        " ",
                        small(tid),
                    ),
                    h("p", h("strong", "Where: "), targets),
                    h(
                        "p",
                        h("strong", "Owner: "),
                        self.clip(", ".join(owners) or fallback, SHORT_LIMIT),
                    ),
                    h(
                        "div",
                        h("div", h("h4", "Detection signals"), bullets(t.detection if t else [])),
                        h("div", h("h4", "First response steps"), bullets(t.response if t else [])),
                        class_="cols",
                    ),
                    class_="runbook",
                )
            )
        return join(
            h(
                "p",
                "For every threat with a high or critical residual risk: what shows it is "
                "happening, the first steps to take, and who acts.",
                class_="intro",
            ),
            join(blocks)
            if blocks
            else h("p", "No high or critical residual risks.", class_="empty"),
        )

    # .................................................................. 13 sign-off
    def _signoff(self) -> Html:
        days = self.m.risk_tolerance.review_cadence_days
        nxt = self.date + dt.timedelta(days=days)
        above_accepted = [e for e in self.ranked if e.above_tolerance and e.status != "open"]
        roles = (
            "System owner",
            "Security",
            "ML engineering",
            "Product owner",
            "Risk and compliance",
        )
        rows = [(r, Html(""), Html(""), Html("")) for r in roles]
        return join(
            h(
                "p",
                f"Review this threat model every {days} days, and whenever the "
                f"architecture, the data or the model changes. Next review due: "
                f"{nxt.isoformat()}.",
            ),
            h(
                "p",
                f"{len(above_accepted)} accepted risks are above the tolerance and need "
                "the signatures below.",
            )
            if above_accepted
            else None,
            table(
                ("Role", "Name", "Signature", "Date"),
                rows,
                class_="signoff",
                widths=("25%", "30%", "30%", "15%"),
            ),
        )

    # .................................................................. 14 appendix
    def _appendix(self) -> Html:
        return join(
            h("h3", "Method"),
            self._method(),
            h("h3", "Catalog provenance"),
            self._provenance(),
            h("h3", "Glossary"),
            self._glossary(),
            h("h3", "Decisions without a finding"),
            bullets(
                (
                    join(d.finding, " (", d.status, d.owner and f", {d.owner}", ")")
                    for d in self.r.orphaned
                ),
                empty="None: every decision matches a finding.",
            ),
            h("h3", "Problems"),
            bullets(self.r.problems, empty="None."),
            h("h3", "Long texts") if self._long else None,
            join(
                h("div", h("h4", f"Long text {i}", id=f"long-{i}"), h("p", value), class_="long")
                for value, i in self._long.items()
            ),
        )

    def _method(self) -> Html:
        items = [
            "PASTA stage 1: business objectives, their impact, and the risk tolerance (section 2).",
            "PASTA stage 2: technical scope (section 2).",
            "PASTA stage 3: decomposition into elements, data flows, assets and trust "
            "boundaries (sections 3 and 4).",
            "PASTA stage 4: threat analysis — STRIDE per element by data-flow-diagram type, "
            "plus AI-specific threats of the catalog whose rules hold on the model "
            "(section 5).",
            "PASTA stage 5: weakness analysis — controls the model shows to be missing "
            "(section 6).",
            "PASTA stage 6: attack paths along data flows from untrusted actors to crown "
            "jewels (section 7).",
            "PASTA stage 7: risk = likelihood × impact on 1–5 scales; likelihood +1 when "
            "untrusted actors reach the target directly; impact raised to that of the most "
            "important objective depending on it. Residual risk: the team's own scores, "
            "else a mitigated finding's likelihood drops by two (sections 9–11).",
        ]
        return h("ol", [h("li", x) for x in items], class_="method")

    def _provenance(self) -> Html:
        rows = []
        for fid in sorted(self.c.frameworks):
            fw = self.c.frameworks[fid]
            rows.append((fw.name, link(fw.url, fw.url) if fw.url else "", len(fw.entries)))
        sources = [
            "built-in catalog" if Path(s).name in ("catalogs", "_catalogs") else Path(s).name
            for s in self.c.sources
        ]
        return join(
            h(
                "p",
                f"Catalog: {catalog_label(self.c)}. Loaded from: {', '.join(sources)}. "
                "The catalog is written in the project's own words and cites the IDs of "
                "the frameworks below.",
            ),
            table(("Framework", "Published at", "IDs known"), rows, widths=("50%", "38%", "12%")),
        )

    @staticmethod
    def _glossary() -> Html:
        terms = [
            ("Attack path", "A route along data flows from an untrusted actor to a crown jewel."),
            ("ATLAS", "MITRE ATLAS: adversary tactics and techniques against AI systems."),
            (
                "Cause",
                "Findings that share one fix, listed together in the threat register: a "
                "control missing on one element, one threat on several targets, or a "
                "finding of its own.",
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
                "Process for Attack Simulation and Threat Analysis, a seven-stage "
                "risk-centric method.",
            ),
            ("Residual risk", "Risk after the team's decision on a finding."),
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
        return h("dl", [join(h("dt", t), h("dd", d)) for t, d in terms], class_="glossary")


# ============================================================================ notebook
def _section_cell(section: Section, nbf: Any) -> Any:
    """A code cell whose (hidden) input only names the section and whose output is the
    section's HTML."""
    source = (
        f"# Section '{section.id}' of a risk assessment generated by AI Threat Workbench "
        f"{__version__}.\n# Rebuild the report (threat-workbench report) to refresh it."
    )
    cell = nbf.v4.new_code_cell(
        source=source,
        metadata={
            "tags": [HIDE_INPUT_TAG, SECTION_TAG, f"section-{section.id}"],
            "jupyter": {"source_hidden": True},
            "editable": False,
            "deletable": False,
        },
    )
    cell.outputs = [
        nbf.v4.new_output(
            "display_data",
            data={"text/html": str(section.html), "text/plain": section.title},
            metadata={},
        )
    ]
    return cell


def sections_notebook(sections: Sequence[Section], metadata: dict[str, Any]) -> Any:
    """A notebook of ``sections`` with ``metadata`` under :data:`METADATA_KEY`."""
    import nbformat

    nb = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata[METADATA_KEY] = metadata
    nb.cells = [_section_cell(s, nbformat) for s in sections]
    return nb


def analyse(model: ThreatModel, analysis: Analysis | None, catalog: Catalog | None) -> Analysis:
    """``analysis`` when given, else a fresh analysis of ``model`` with ``catalog``."""
    if analysis is not None:
        return analysis
    from ..engine import analyze

    return analyze(model, catalog)


def build_report(
    model: ThreatModel,
    analysis: Analysis | None = None,
    register: Register | None = None,
    *,
    catalog: Catalog | None = None,
    options: ReportOptions | None = None,
    progress: Progress | None = None,
) -> list[Section]:
    """The report's sections (title page, contents, numbered sections) as HTML."""
    options = options or ReportOptions()
    if analysis is None and progress:
        progress("analysing the model")
    analysis = analyse(model, analysis, catalog)
    return ReportBuilder(analysis, register, options).sections(progress)


def report_notebook(
    model: ThreatModel,
    analysis: Analysis | None = None,
    register: Register | None = None,
    *,
    catalog: Catalog | None = None,
    options: ReportOptions | None = None,
    model_path: str | None = None,
    progress: Progress | None = None,
) -> Any:
    """The risk assessment as a notebook (an ``nbformat.NotebookNode``), ready for the
    ``risk_html`` and ``risk_pdf`` exporters (or to open in JupyterLab)."""
    options = options or ReportOptions()
    sections = build_report(
        model, analysis, register, catalog=catalog, options=options, progress=progress
    )
    meta: dict[str, Any] = {
        "kind": REPORT_KIND,
        "version": __version__,
        "title": f"{options.title}: {model.system.name}",
        "system": model.system.name,
        "paper": options.paper,
        "date": (options.date or dt.date.today()).isoformat(),
    }
    if model_path:
        meta["model_path"] = model_path
    return sections_notebook(sections, meta)


def report_html(
    model: ThreatModel,
    analysis: Analysis | None = None,
    register: Register | None = None,
    *,
    catalog: Catalog | None = None,
    options: ReportOptions | None = None,
    progress: Progress | None = None,
) -> str:
    """The risk assessment as one self-contained HTML page (no script, no remote
    resource)."""
    from .exporters import RiskHTMLExporter

    nb = report_notebook(
        model, analysis, register, catalog=catalog, options=options, progress=progress
    )
    if progress:
        progress("rendering HTML (nbconvert)")
    body, _ = RiskHTMLExporter().from_notebook_node(nb)
    return str(body)


def report_pdf(
    model: ThreatModel,
    analysis: Analysis | None = None,
    register: Register | None = None,
    *,
    catalog: Catalog | None = None,
    options: ReportOptions | None = None,
    engine: str = "weasyprint",
    full: bool = False,
    progress: Progress | None = None,
) -> bytes:
    """The risk assessment as PDF (``engine``: ``weasyprint``, ``chromium`` or ``auto``).

    Models with more than :data:`PRINT_MAX_FINDINGS` findings print a summarised register
    (see :attr:`ReportOptions.max_findings`) unless ``full`` is true."""
    from .exporters import RiskPDFExporter

    options = replace(options or ReportOptions(), interactive_diagram=False)
    if not full and options.max_findings is None:
        options = replace(options, max_findings=PRINT_MAX_FINDINGS)
    nb = report_notebook(
        model, analysis, register, catalog=catalog, options=options, progress=progress
    )
    exporter = RiskPDFExporter(engine=engine)
    exporter.progress = progress
    pdf, _ = exporter.from_notebook_node(nb)
    return bytes(pdf)


# ============================================================================ notebooks
class NotebookModelError(ValueError):
    """A notebook names no threat model, or one that cannot be loaded."""


MODEL_SUFFIXES = (".yaml", ".yml", ".json")


def _notebook_catalogs(entries: Any, base: Path) -> list[Path]:
    """Catalog folders named in a notebook's metadata: each must stay inside the
    notebook's folder (a received notebook must not make the exporter read, or walk, the
    rest of the file system)."""
    if not isinstance(entries, list) or not all(isinstance(c, str) for c in entries):
        raise NotebookModelError(f"metadata {METADATA_KEY}.catalogs must be a list of folders")
    root = base.resolve()
    out = []
    for entry in entries:
        folder = (base / entry).resolve()
        if not folder.is_relative_to(root):
            raise NotebookModelError(
                f"metadata {METADATA_KEY}.catalogs: '{entry}' is outside the notebook's "
                "folder; catalog folders must be inside it"
            )
        out.append(folder)
    return out


def model_from_notebook(
    nb: Any, base_dir: str | Path | None = None
) -> tuple[ThreatModel, list[Path], bool]:
    """The threat model a user's notebook refers to, with its extra catalog directories
    and whether the built-in catalog is used.

    The workbench writes, and this reads, ``nb.metadata["threat_workbench"]``:

    ``model_path``
        the model file (``.yaml``, ``.yml`` or ``.json``), relative to the notebook's
        folder (``base_dir``) or absolute;
    ``model``
        or the model document itself (what ``ThreatModel.to_dict()`` gives), when the model
        lives only in the notebook;
    ``catalogs``
        optional list of extra catalog directories, relative to the notebook's folder;
    ``builtin_catalog``
        optional, ``false`` to use only ``catalogs``.
    """
    from ..errors import ModelFileError
    from ..io import load_model, loads_model

    meta = dict(nb.get("metadata", {}).get(METADATA_KEY) or {})
    base = Path(base_dir) if base_dir else Path.cwd()
    catalogs = _notebook_catalogs(meta.get("catalogs", []) or [], base)
    builtin = bool(meta.get("builtin_catalog", True))
    try:
        if isinstance(meta.get("model"), dict):
            text = json.dumps(meta["model"])
            return loads_model(text, "<notebook metadata>", "json"), catalogs, builtin
        path = meta.get("model_path")
        if isinstance(path, str) and path:
            p = Path(path)
            p = p if p.is_absolute() else base / p
            if p.suffix.lower() not in MODEL_SUFFIXES:
                raise NotebookModelError(
                    f"metadata {METADATA_KEY}.model_path must name a .yaml, .yml or .json "
                    f"file, not '{path}'"
                )
            return load_model(p), catalogs, builtin
    except ModelFileError as exc:
        raise NotebookModelError(f"the notebook's threat model does not load:\n{exc}") from None
    raise NotebookModelError(
        "this notebook holds no threat model: the workbench widget records it on save in "
        f"the notebook metadata under '{METADATA_KEY}' ('model_path', a path relative to "
        "the notebook, or 'model', the model document); or run "
        "'threat-workbench report MODEL.yaml'"
    )


def link_notebook(notebook: str | Path, model_path: str | Path) -> None:
    """Record in a notebook's metadata which model file it works on (relative to the
    notebook when possible), so that ``jupyter nbconvert --to risk_html NOTEBOOK`` finds
    it. Writes the notebook atomically."""
    import os

    import nbformat

    from ..io import write_atomic

    nb_path = Path(notebook)
    nb = nbformat.read(nb_path, as_version=4)  # type: ignore[no-untyped-call]
    target = Path(model_path)
    try:
        rel = os.path.relpath(target.resolve(), nb_path.resolve().parent)
    except ValueError:  # another drive on Windows
        rel = str(target.resolve())
    meta = dict(nb.metadata.get(METADATA_KEY) or {})
    meta["model_path"] = Path(rel).as_posix()
    nb.metadata[METADATA_KEY] = meta
    text_ = nbformat.writes(nb)  # type: ignore[no-untyped-call]
    write_atomic(nb_path, text_ + "\n", backup=False)
