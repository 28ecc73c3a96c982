"""An item as an issue: its title and its description, with the marker line.

The description says what to do first (the recommended fix and the controls it maps
to), then each open finding: its ID (the key of its decision in the model file), residual
risk and status, its threat statement, the route, the recommended controls and the
references. Everything taken from the model or the catalog is escaped for the tracker's
markup (Markdown for GitHub and GitLab, wiki markup for Jira), so no name can add a link,
an image, a mention of a person or a marker line.

The **marker** is the description's first line: ``<!-- threat-workbench: MODEL KEY -->``
(a comment, not shown, in Markdown) or ``{{threat-workbench: MODEL KEY}}`` (Jira), where
MODEL is the system's name as a slug and KEY the item's key. :func:`read_marker` finds
it again (in Markdown on any line: escaped text cannot make one).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..catalog import Catalog
from ..model import ThreatModel
from ..register import Entry
from ..register.review import md
from ..statements import Statement
from .items import TrackItem
from .trackers import Draft, Markup

__all__ = ["MAX_BODY", "draft", "marker", "model_slug", "read_marker"]

MAX_BODY = 30_000
"""Longest description written (Jira takes 32,767 characters, GitHub 65,536)."""

MAX_DETAILED = 12
"""Open members described in full; the others are listed by ID."""

MAX_LIST = 200
"""Open members listed at all."""

MAX_TITLE = 250
"""Longest title (GitHub takes 256 characters, GitLab and Jira 255)."""

FRAMEWORKS = (
    ("sp800_53", "NIST SP 800-53"),
    ("iso42001", "ISO/IEC 42001"),
    ("nist_ai_rmf", "NIST AI RMF"),
    ("atlas_mitigation", "MITRE ATLAS"),
)
"""The control frameworks a recommended fix is mapped to in the description."""

REFERENCES = (
    ("atlas", "ATLAS"),
    ("owasp_llm", "OWASP LLM"),
    ("owasp_ml", "OWASP ML"),
    ("owasp_agentic", "OWASP Agentic"),
    ("cwe", "CWE"),
)
"""The references of a finding shown in the description."""

FOOTER = (
    "Written by threat-workbench track: running it again updates this description "
    "(edits made here are replaced). Record decisions in the threat model file, under "
    "the finding IDs above. When this issue is closed as done, "
    "threat-workbench track --sync proposes the status mitigated for them."
)


def model_slug(model: ThreatModel) -> str:
    """The system's name in lower case, runs of other characters as ``-``."""
    slug = re.sub(r"[^a-z0-9]+", "-", model.system.name.lower()).strip("-")
    return slug[:60].strip("-") or "model"


def marker(model: ThreatModel, key: str, markup: Markup) -> str:
    """The marker line of the issue of ``key`` (see the module's documentation)."""
    if markup == "jira":
        return "{{threat-workbench: " + model_slug(model) + " " + key + "}}"
    return f"<!-- threat-workbench: {model_slug(model)} {key} -->"


_MARKERS = (
    re.compile(r"<!-- threat-workbench: (\S+) (\S+) -->"),
    re.compile(r"\{\{threat-workbench: (\S+) (\S+)\}\}"),
)


def read_marker(body: str, markup: Markup) -> tuple[str, str] | None:
    """The model slug and key of a description's marker line, if it has one: in Jira the
    first line (backslashes that escape a character ignored), in Markdown any line."""
    lines = body.replace("\r\n", "\n").split("\n")
    if markup == "jira":
        lines = [lines[0].replace("\\", "")] if lines else []
    for line in lines:
        for pattern in _MARKERS:
            m = pattern.fullmatch(line.strip())
            if m:
                return m.group(1), m.group(2)
    return None


# ------------------------------------------------------------------------------ markup
_JIRA_SPECIAL = re.compile(r"([\\*_\-+^~?{}\[\]|!#])")


def _jira(text: str) -> str:
    return _JIRA_SPECIAL.sub(r"\\\1", " ".join(text.split()))


@dataclass(frozen=True)
class _Style:
    esc: Callable[[str], str]
    code: Callable[[str], str]
    bold: Callable[[str], str]
    heading: Callable[[int, str], str]
    bullet: str
    rule: str


def _md(text: str) -> str:
    """Escaped Markdown in which ``@name`` mentions nobody (a word joiner after ``@``)."""
    return md(text).replace("@", "@\u2060")


def _md_code(text: str) -> str:
    return f"`{text}`" if "`" not in text and "\n" not in text else _md(text)


STYLES = {
    "markdown": _Style(
        esc=_md,
        code=_md_code,
        bold=lambda s: f"**{s}**",
        heading=lambda n, s: f"{'#' * (n + 2)} {s}",
        bullet="- ",
        rule="---",
    ),
    "jira": _Style(
        esc=_jira,
        code=lambda s: "{{" + _jira(s) + "}}",
        bold=lambda s: f"*{s}*",
        heading=lambda n, s: f"h{n + 2}. {s}",
        bullet="* ",
        rule="----",
    ),
}


# -------------------------------------------------------------------------- the parts
def _controls(catalog: Catalog, mitigation_id: str, s: _Style) -> str:
    m = catalog.mitigations.get(mitigation_id)
    if m is None:
        return ""
    parts = []
    for field, label in FRAMEWORKS:
        ids = getattr(m.controls, field, None) or []
        if ids:
            parts.append(f"{label} {', '.join(s.esc(i) for i in ids)}")
    return "; ".join(parts)


def _fix(item: TrackItem, catalog: Catalog, s: _Style) -> list[str]:
    fix = item.group.fix
    if not fix:
        return []
    m = catalog.mitigations.get(fix)
    title = m.title if m is not None else item.group.fix_title
    lines = [s.heading(1, "Recommended fix"), "", f"{s.bold(s.esc(fix))}: {s.esc(title)}"]
    mapped = _controls(catalog, fix, s)
    if mapped:
        lines += ["", f"Maps to {mapped}."]
    return [*lines, ""]


def _member(e: Entry, st: Statement | None, s: _Style) -> list[str]:
    f = e.finding
    head = f"{s.code(f.id)}: {s.esc(f.title)} (on {s.esc(f.target_name)})"
    status = e.state + (f", owner {e.owner}" if e.owner else "")
    lines = [
        s.heading(2, head),
        "",
        f"Residual risk {s.bold(e.residual_risk)} (likelihood {e.residual_likelihood} × "
        f"impact {e.residual_impact}); status {s.esc(status)}.",
        "",
    ]
    if st is not None:
        lines += [s.esc(st.text), ""]
    bullets = []
    if st is not None and st.route:
        bullets.append(f"Route: {s.esc(' → '.join(st.route))}")
    if st is not None and st.recommended:
        recs = "; ".join(f"{s.bold(s.esc(c.id))} {s.esc(c.title)}" for c in st.recommended)
        bullets.append(f"Recommended controls: {recs}")
    if st is not None and st.in_place:
        bullets.append(f"In place: {'; '.join(s.esc(c.title) for c in st.in_place)}")
    refs = [
        f"{label} {', '.join(s.esc(r) for r in f.references.get(key, ()))}"
        for key, label in REFERENCES
        if f.references.get(key)
    ]
    if refs:
        bullets.append(f"References: {'; '.join(refs)}")
    lines += [s.bullet + b for b in bullets]
    return [*lines, ""] if bullets else lines


def _body(
    item: TrackItem,
    model: ThreatModel,
    catalog: Catalog,
    statements: dict[str, Statement],
    *,
    markup: Markup,
    file_name: str,
    detailed: int,
) -> str:
    s = STYLES[markup]
    n = len(item.entries)
    summary = (
        f"{s.bold('Residual risk: ' + item.risk)} · {n} open finding{'s' if n != 1 else ''}"
        + (f" ({item.decided} of the group decided)" if item.decided else "")
        + f" · threat model {s.esc(model.system.name)} ({s.code(file_name)})"
    )
    lines = [marker(model, item.key, markup), "", summary, ""]
    if len(item.group.members) > 1:
        lines += [f"Cause: {s.esc(item.group.title)}", ""]
    lines += _fix(item, catalog, s)
    lines += [s.heading(1, "Findings"), ""]
    for e in item.entries[:detailed]:
        lines += _member(e, statements.get(e.id), s)
    rest = item.entries[detailed:MAX_LIST]
    if rest:
        lines += [f"Also open in this group ({len(item.entries) - detailed}):", ""]
        lines += [
            f"{s.bullet}{s.code(e.id)} (residual risk {e.residual_risk}, on "
            f"{s.esc(e.finding.target_name)})"
            for e in rest
        ]
        if len(item.entries) > MAX_LIST:
            lines.append(f"{s.bullet}… and {len(item.entries) - MAX_LIST} more (see the model)")
        lines.append("")
    lines += [s.rule, "", s.esc(FOOTER)]
    return "\n".join(lines) + "\n"


def _title(item: TrackItem) -> str:
    title = " ".join(item.title.split())
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"


def draft(
    item: TrackItem,
    model: ThreatModel,
    catalog: Catalog,
    statements: dict[str, Statement],
    *,
    markup: Markup,
    file_name: str,
    labels: tuple[str, ...],
) -> Draft:
    """The title, description and labels of ``item``'s issue (``statements``: the threat
    statements by finding ID). The description stays under :data:`MAX_BODY` characters:
    fewer members are described in full when it would not."""
    detailed = MAX_DETAILED
    while True:
        body = _body(
            item,
            model,
            catalog,
            statements,
            markup=markup,
            file_name=file_name,
            detailed=detailed,
        )
        if len(body) <= MAX_BODY or detailed == 0:
            break
        detailed //= 2
    if len(body) > MAX_BODY:
        cut = body[: MAX_BODY - 40].rsplit("\n", 1)[0]
        body = cut + "\n\n… (cut: see the model)\n"
    return Draft(title=_title(item), body=body, labels=labels)
