"""Diagnostics of a model document: why it does not load (errors, each at its range),
what loading changed (information), the open findings at or above a level (warnings on
the element or flow they concern, with the threat statement and its route) and the
decisions that match no finding (warnings on the decision)."""

from __future__ import annotations

from lsprotocol import types

from ..engine import at_least
from ..register import Entry, orphan_reason
from .document import ModelDocument
from .outline import Kind, Span

SOURCE = "threat-workbench"
"""The ``source`` of every diagnostic."""

MAX_FINDINGS = 500
"""Most findings shown as diagnostics in one file (worst first); the rest are counted in
one more diagnostic at the top of the file."""


def diagnostics(doc: ModelDocument, level: str) -> list[types.Diagnostic]:
    """Every diagnostic of ``doc`` (see the module docstring)."""
    out = [
        types.Diagnostic(
            range=doc.problem_range(p),
            message=f"{p.path}: {p.message}" if p.path else p.message,
            severity=types.DiagnosticSeverity.Error,
            source=SOURCE,
            code="load-error",
        )
        for p in doc.problems
    ]
    if doc.problems or doc.loaded is None or not doc.fresh:
        return out
    out += [
        types.Diagnostic(
            range=doc.problem_range(w),
            message=f"{w.path}: {w.message}" if w.path else w.message,
            severity=types.DiagnosticSeverity.Information,
            source=SOURCE,
            code="load-warning",
        )
        for w in doc.warnings
    ]
    out += finding_diagnostics(doc, level)
    out += orphan_diagnostics(doc)
    return out


def shown_entries(doc: ModelDocument, level: str) -> list[Entry]:
    """The register entries shown as diagnostics: open, residual risk at ``level`` or
    worse, worst first."""
    if doc.loaded is None:
        return []
    entries = [
        e
        for e in doc.loaded.register.entries
        if e.is_open and e.residual_score > 0 and at_least(e.residual_risk, level)
    ]
    return sorted(entries, key=lambda e: (-e.residual_score, e.id))


def target_span(doc: ModelDocument, target: str, target_type: str) -> Span | None:
    """Where an element or flow is defined (its ID's text)."""
    kind: Kind = "flow" if target_type == "flow" else "element"
    found = doc.outline.definitions(kind, target)
    return found[0].id_span if found else None


def finding_diagnostics(doc: ModelDocument, level: str) -> list[types.Diagnostic]:
    """The open findings at or above ``level``, one warning each."""
    loaded = doc.loaded
    if loaded is None:
        return []
    entries = shown_entries(doc, level)
    out = []
    made, doc.made = doc.made, {}
    for e in entries[:MAX_FINDINGS]:
        f = e.finding
        span = target_span(doc, f.target, f.target_type)
        if span is None:
            continue
        st = doc.statement(f)
        state = f"{f.title} ({e.residual_risk} risk{_state(e)}): "
        key = (state, st, span, doc.lines[span.line] if span.line < len(doc.lines) else "")
        before = made.get(f.id)
        if before is not None and before[0] == key:
            diagnostic = before[1]  # the same words at the same place: made last time
        else:
            lines = [state + st.text]
            if len(st.route) > 1:
                lines.append("Route: " + " → ".join(st.route))
            diagnostic = types.Diagnostic(
                range=doc.range(span),
                message="\n".join(lines),
                severity=types.DiagnosticSeverity.Warning,
                source=SOURCE,
                code=f.id,
                data={"finding": f.id},
            )
        doc.made[f.id] = (key, diagnostic)
        out.append(diagnostic)
    if len(entries) > MAX_FINDINGS:
        rest = len(entries) - MAX_FINDINGS
        out.append(
            types.Diagnostic(
                range=doc.range(Span(0, 0, 0, len(doc.lines[0]))),
                message=f"{rest} more open findings at or above '{level}' are not shown",
                severity=types.DiagnosticSeverity.Information,
                source=SOURCE,
            )
        )
    return out


def _state(e: Entry) -> str:
    if e.expired:
        return f", {e.expiry_note()}"
    if e.decision is not None:
        return f", {e.state}"
    return ", no decision"


def orphan_diagnostics(doc: ModelDocument) -> list[types.Diagnostic]:
    """A warning on each decision that matches no finding, saying why."""
    loaded = doc.loaded
    if loaded is None:
        return []
    orphaned = {d.key: d for d in loaded.register.orphaned}
    out = []
    for ds in doc.outline.decisions:
        key = ds.key
        if key not in orphaned:
            continue
        out.append(
            types.Diagnostic(
                range=doc.range(ds.key_span),
                message=(
                    f"decision for {key} matches no finding "
                    f"({orphan_reason(orphaned[key], loaded.model)})"
                ),
                severity=types.DiagnosticSeverity.Warning,
                source=SOURCE,
                code="orphaned-decision",
            )
        )
    return out
