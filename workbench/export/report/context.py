"""What every section of a report reads: :class:`ReportContext` (the model, its analysis,
the register and the options, with lookups and the helpers that draw names, findings and
references the same way in every section)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from ...engine import Analysis, Finding
from ...model import ThreatModel
from ...model.statuses import STATUSES
from ...register import Entry, Register, build_register
from ...register.coverage import MitigationUse, mitigation_use
from ...register.grouping import GroupedEntries, group_entries
from ...statements import Statement, StatementWriter
from ...version import __version__
from ..safehtml import Html, h, join, link, small, text
from .options import (
    CELL_LIMIT,
    GROUP_MEMBERS_COMPACT,
    GROUPS_COMPACT,
    PARA_LIMIT,
    SHORT_LIMIT,
    ReportOptions,
)

if TYPE_CHECKING:
    from ...catalog import Catalog

STATUS_ORDER = STATUSES
"""Every decision status, in the order of :mod:`workbench.model.statuses`."""
LEVELS_DESC = ("critical", "high", "medium", "low")
ID_NOWRAP = 40
"""Longest part of an ID printed without a line break (a longer one may break, rather
than run into the next column)."""


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


class ReportContext:
    """One report's inputs, shared by its sections.

    Parameters
    ----------
    analysis
        The analysis the report is about (its model and catalog come with it).
    register
        The risk register (default: built from ``analysis``).
    options
        The layout (default: :class:`ReportOptions`'s).
    outline
        The numbered sections, in order, as ``(id, title)``: headings and the table of
        contents number themselves from it.
    appendix
        The IDs of the sections in ``outline`` that are appendices: lettered (A, B, …)
        instead of numbered, after the body.
    """

    def __init__(
        self,
        analysis: Analysis,
        register: Register | None = None,
        options: ReportOptions | None = None,
        *,
        outline: Sequence[tuple[str, str]] = (),
        appendix: Iterable[str] = (),
    ) -> None:
        self.analysis = analysis
        self.model = analysis.model
        self.catalog = analysis.catalog
        self.options = options or ReportOptions()
        # Review dates are compared with the report's date when it has one.
        self.register = register or build_register(analysis, today=self.options.date)
        self.outline = tuple(outline)
        self.appendix = frozenset(appendix)
        self.date = self.options.date or dt.date.today()
        self.elements = {e.id: e for e in self.model.elements}
        self.flows = {f.id: f for f in self.model.flows}
        self.boundaries = {b.id: b for b in self.model.boundaries}
        self.assets = {a.id: a for a in self.model.assets}
        self.entry_points = set(analysis.entry_points)
        self.crown_jewels = set(analysis.crown_jewels)
        self.untrusted = set(analysis.untrusted_actors)
        self.landscape: set[str] = set()
        """Sections that asked for a landscape page for their heading and figure (the
        architecture, for a wide diagram)."""
        self.long_texts: dict[str, int] = {}
        """Texts cut short by :meth:`clip`, with their number: the appendix prints them
        whole."""

    # ------------------------------------------------------------------ ordering
    @cached_property
    def ranked(self) -> list[Entry]:
        """Entries by residual risk, then inherent risk, then ID."""
        return sorted(
            self.register.entries, key=lambda e: (-e.residual_score, -e.finding.score, e.id)
        )

    @cached_property
    def crossing(self) -> frozenset[str]:
        """IDs of the flows that cross a trust boundary."""
        return frozenset(f.id for f in self.model.graph().boundary_crossings())

    @cached_property
    def number(self) -> dict[str, str]:
        """Section labels: numbers for the body (``"4"``), letters for the appendices
        (``"B"``)."""
        out: dict[str, str] = {}
        body = letters = 0
        for sid, _ in self.outline:
            if sid in self.appendix:
                out[sid] = _letter(letters)
                letters += 1
            else:
                body += 1
                out[sid] = str(body)
        return out

    def ref(self, sid: str, *, start: bool = False) -> str:
        """How text refers to a section: "section 4", "appendix B" (``start``: "Section
        4", to begin a sentence)."""
        kind = "appendix" if sid in self.appendix else "section"
        if start:
            kind = kind.capitalize()
        return f"{kind} {self.number.get(sid, '?')}"

    @cached_property
    def statements(self) -> _Statements:
        """Threat statements of the findings, written on first use (see
        :mod:`workbench.statements`)."""
        return _Statements(self.analysis)

    @cached_property
    def compact(self) -> bool:
        """Whether findings are summarised (more of them than ``max_findings``)."""
        limit = self.options.max_findings
        return limit is not None and len(self.register.entries) > limit

    @cached_property
    def groups(self) -> list[GroupedEntries]:
        """The register's entries by finding group (by cause), worst group first."""
        return group_entries(self.register.entries, self.analysis.groups)

    @cached_property
    def shown_groups(self) -> list[GroupedEntries]:
        """The groups listed under "Findings by cause": all of them, or when findings are
        summarised, the worst (at most :data:`GROUPS_COMPACT`) until about
        ``max_findings`` members are listed."""
        if not self.compact:
            return self.groups
        out: list[GroupedEntries] = []
        rows, limit = 0, self.options.max_findings or 0
        for ge in self.groups[:GROUPS_COMPACT]:
            size = min(len(ge.entries), GROUP_MEMBERS_COMPACT)
            if out and rows + size > limit:
                break
            out.append(ge)
            rows += size
        return out

    @cached_property
    def listed(self) -> frozenset[str]:
        """IDs of the findings listed under their causes (section "Findings by cause"):
        all of them, or the first members of each shown group when findings are
        summarised."""
        limit = GROUP_MEMBERS_COMPACT if self.compact else None
        return frozenset(
            e.id for ge in self.shown_groups for e in (ge.entries[:limit] if limit else ge.entries)
        )

    @cached_property
    def mitigation_use(self) -> dict[str, MitigationUse]:
        """Per mitigation: entries it is recommended for, chosen by, and implemented by."""
        return mitigation_use(self.register)

    def flags(self, eid: str) -> list[str]:
        """What the analysis says of an element: untrusted, entry point, crown jewel."""
        out = []
        if eid in self.untrusted:
            out.append("untrusted")
        if eid in self.entry_points:
            out.append("entry point")
        if eid in self.crown_jewels:
            out.append("crown jewel")
        return out

    # ------------------------------------------------------------------ drawing
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
        return join(self.name(target), h("br"), small(ident(target)))

    def finding_ref(self, e: Entry | Finding, anchor: str = "f") -> Html:
        """A finding's ID, linked to its row under its cause (``anchor="f"``) or in the
        appendix's register (``"r"``). Printed without a break inside, except after the
        ``@``."""
        f = e.finding if isinstance(e, Entry) else e
        if anchor == "f" and f.id not in self.listed:
            anchor = "r"  # summarised: not under its cause, perhaps in the register
        return link(f"#{anchor}-{f.id}", ident(f.id), class_="fid")

    def status(self, e: Entry) -> Html:
        """A finding's status as the report shows it: the recorded status; under it
        "expired: review by …" when the review date has passed, and the scoped decision
        that applies ("scope: boundary:internet")."""
        return join(
            e.status.replace("_", " "),
            join(h("br"), h("strong", "expired", class_="warn")) if e.expired else None,
            join(h("br"), small("scope: ", e.decision.key.split("@", 1)[1]))
            if e.decision is not None and e.decision.scoped
            else None,
        )

    def owner_text(self, e: Entry) -> tuple[str, bool]:
        """Who owns a finding: the decision's owner, else the target element's owner (a
        flow: its target's), else ''; and whether it is the element's."""
        if e.owner:
            return e.owner, False
        f = e.finding
        target = f.target
        if f.target_type == "flow" and target in self.flows:
            target = self.flows[target].target
        el = self.elements.get(target)
        return (el.owner, True) if el is not None and el.owner else ("", False)

    def owner_of(self, e: Entry) -> Html:
        """The decision's owner, else the target element's owner (in italics), else ''."""
        owner, of_element = self.owner_text(e)
        if not owner:
            return Html("")
        shown = self.clip(owner, SHORT_LIMIT)
        if of_element:
            return h("span", shown, class_="element-owner", title="the element's owner")
        return shown

    def clip(self, value: str, limit: int = CELL_LIMIT) -> Html:
        """``value`` as text, cut after ``limit`` characters with a link to its full text
        in the appendix (long strings would otherwise fill pages of narrow table cells)."""
        if len(value) <= limit:
            return text(value)
        idx = self.long_texts.setdefault(value, len(self.long_texts) + 1)
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
            title = self.catalog.title(framework, ref) or None
            out.append(link(self.catalog.link(framework, ref), ref, title=title, class_="ref"))
        return join(out)

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

    def heading(self, sid: str, title: str) -> Html:
        """A numbered (or, in the appendix, lettered) section heading, the target of the
        contents' links."""
        return h("h2", f"{self.number[sid]}. {title}", id=f"sec-{sid}")


def in_columns(tag: str, items: Sequence[Html], n: int, class_: str, **attrs: object) -> Html:
    """``items`` in ``n`` columns, top to bottom then left to right, as a borderless table
    of ``n`` cells each holding a ``tag`` list (``ol``, ``ul`` or ``dl``). A table, not CSS
    columns: WeasyPrint balances columns by laying their content out again and again."""
    rows = -(-len(items) // n) if items else 0
    cells = []
    for c in range(n):
        part = items[c * rows : (c + 1) * rows]
        first = c * rows + 1
        extra = {"start": first} if tag == "ol" and first > 1 else {}
        cells.append(h("td", h(tag, part, class_=class_, **attrs, **extra) if part else None))
    return h("table", h("tbody", h("tr", cells)), class_=f"columns columns-{n} {class_}-columns")


_ID_IN_TEXT = re.compile(r"\b[A-Z][A-Z0-9]*(?:[-.][A-Z0-9]+)+(?:\([0-9]+\))?")


def prose(value: str) -> Html:
    """Free text whose catalog IDs (``MIT-LLM-TOKEN-BUDGETS``, ``AML.T0051``) never break
    at their hyphens or dots."""
    out: list[object] = []
    at = 0
    for m in _ID_IN_TEXT.finditer(value):
        out += [value[at : m.start()], h("span", m.group(), class_="id")]
        at = m.end()
    out.append(value[at:])
    return join(out)


def url_text(value: str) -> Html:
    """A URL as text that may break after its slashes, dots and hyphens, never inside a
    word."""
    return _pieces(re.split(r"(?<=[/.\-])(?=[^/.\-])", value))


def ident(value: str) -> Html:
    """An ID as text that never breaks inside a word: no line break at its hyphens, dots
    or underscores, only after an ``@`` (``THREAT@target``)."""
    head, at, tail = value.partition("@")
    return _pieces([head + at, tail] if at else [value])


def _pieces(parts: Sequence[str]) -> Html:
    """Text that may break between ``parts`` only: each part unbroken (unless longer than
    :data:`ID_NOWRAP`, when it may break rather than run into the next column), a
    ``<wbr>`` between them. (WeasyPrint would otherwise fill a narrow cell character by
    character, ignoring the ``<wbr>``.)"""
    return join(
        join(h("wbr") if i else None, h("span", p, class_="id" if len(p) <= ID_NOWRAP else None))
        for i, p in enumerate(parts)
        if p
    )


def _letter(i: int) -> str:
    """``A`` .. ``Z``, then ``AA``, ``AB`` …"""
    return _letter(i // 26 - 1) + chr(65 + i % 26) if i >= 26 else chr(65 + i)


class _Statements:
    """The threat statements of one analysis's findings, each written when first asked
    for (a report of a large model shows only some)."""

    def __init__(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self._writer: StatementWriter | None = None
        self._done: dict[str, Statement] = {}

    def __call__(self, finding: Finding) -> Statement:
        hit = self._done.get(finding.id)
        if hit is None:
            if self._writer is None:
                self._writer = StatementWriter(self.analysis)
            hit = self._done[finding.id] = self._writer.statement(finding)
        return hit
