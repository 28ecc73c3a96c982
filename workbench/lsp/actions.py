"""Hover and code actions: what the workbench knows about an element, a flow or a threat,
and recording a decision on a finding, written into the file by the project's
comment-preserving writer (:func:`workbench.saving.dumps_model`) as one text edit."""

from __future__ import annotations

import datetime as dt

from lsprotocol import types

from ..catalog.entries import Threat
from ..io import loads_model
from ..model import Decision
from ..model.statuses import today as current_date
from ..register import Entry
from ..register.coverage import CONTROL_FRAMEWORKS, FRAMEWORK_LABELS, controls_of
from ..saving import dumps_model
from .document import ModelDocument, file_format

MAX_HOVER_FINDINGS = 12
"""Most findings listed in an element's hover (worst first); the rest are counted."""

MAX_SUGGESTED = 3
"""Mitigations a "mitigate" action records (the catalog's first recommended ones)."""

_CONTROL_PREFIX = {
    "nist_ai_rmf": "AIRMF",
    "iso42001": "ISO42001",
    "sp800_53": "SP800-53",
    "atlas_mitigation": "ATLAS",
}
"""How a decision's ``controls`` names each framework (see
:func:`workbench.register.coverage.parse_control`)."""


# ----------------------------------------------------------------------------- hover
def hover(doc: ModelDocument, pos: types.Position) -> types.Hover | None:
    """On a threat ID: its catalog entry; on an element or flow (its ID, a reference to
    it, or anywhere in its item): its findings with their risk and decision."""
    line, col = doc.place(pos)
    found = doc.outline.at(line, col)
    if found is not None and found[0] == "threat":
        threat = doc.catalog.threats.get(found[1])
        if threat is None:
            return None
        return types.Hover(_markdown(threat_text(doc, threat)), doc.range(found[2]))
    if found is not None and found[0] in ("element", "flow"):
        return _target_hover(doc, found[1], doc.range(found[2]))
    item = doc.outline.item_at(line, col)
    if item is not None and item.kind in ("element", "flow"):
        return _target_hover(doc, item.id, doc.range(item.id_span))
    return None


def _markdown(text: str) -> types.MarkupContent:
    return types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)


def _target_hover(doc: ModelDocument, target: str, where: types.Range) -> types.Hover | None:
    text = target_text(doc, target)
    return types.Hover(_markdown(text), where) if text else None


def target_text(doc: ModelDocument, target: str) -> str:
    """An element's or flow's findings as Markdown: risk, finding, title, decision."""
    loaded = doc.loaded
    if loaded is None:
        return ""
    model = loaded.model
    elements = {e.id: e for e in model.elements}
    flows = {f.id: f for f in model.flows}
    if target in elements:
        e = elements[target]
        head = f"**{e.name}** (`{e.id}`, {e.kind})"
    elif target in flows:
        fl = flows[target]
        head = f"**{fl.name or fl.id}** (flow `{fl.id}`: `{fl.source}` → `{fl.target}`)"
    else:
        return ""
    entries = sorted(
        (e for e in loaded.register.entries if e.finding.target == target),
        key=lambda e: (-e.residual_score, e.id),
    )
    lines = [head, ""]
    if not doc.fresh:
        lines += ["*(as of the last text that loaded)*", ""]
    opened = sum(e.is_open for e in entries)
    lines.append(f"{len(entries)} findings, {opened} open")
    if entries:
        lines += ["", "| risk | finding | decision |", "|---|---|---|"]
        for entry in entries[:MAX_HOVER_FINDINGS]:
            lines.append(
                f"| {_risk(entry)} | `{entry.id}` {entry.finding.title} | {_decision(entry)} |"
            )
        if len(entries) > MAX_HOVER_FINDINGS:
            lines.append(f"\n… and {len(entries) - MAX_HOVER_FINDINGS} more")
    return "\n".join(lines)


def _risk(e: Entry) -> str:
    f = e.finding
    inherent = f.likelihood * f.impact
    if e.residual_score != inherent:
        return f"{e.residual_risk} (inherent {inherent})"
    return e.residual_risk


def _decision(e: Entry) -> str:
    if e.decision is None:
        return "none"
    text = e.state
    if e.scoped:
        text += f" (scoped: {e.applied})"
    if e.expired:
        text += f": {e.expiry_note()}"
    return text


def threat_text(doc: ModelDocument, threat: Threat) -> str:
    """A catalog threat as Markdown: title, description, STRIDE, default risk, references
    (ATLAS, OWASP …) and the mitigations with the controls they map to."""
    lines = [
        f"**{threat.id}: {threat.title}**",
        "",
        threat.description.strip(),
        "",
        f"STRIDE {''.join(threat.stride)} · PASTA stage {threat.pasta_stage} · "
        f"likelihood {threat.likelihood}, impact {threat.impact}",
    ]
    refs = threat.references.model_dump()
    shown = [f"{name}: {', '.join(ids)}" for name, ids in refs.items() if ids]
    if shown:
        lines += ["", "References: " + "; ".join(shown)]
    if threat.mitigations:
        lines += ["", "Mitigations:"]
        for mid in threat.mitigations:
            m = doc.catalog.mitigations.get(mid)
            if m is None:
                lines.append(f"- `{mid}`")
                continue
            controls = controls_of([mid], doc.catalog)
            listed = "; ".join(
                f"{FRAMEWORK_LABELS[fw]} {', '.join(controls[fw])}"
                for fw in CONTROL_FRAMEWORKS
                if fw in controls
            )
            lines.append(f"- `{mid}` {m.title}" + (f" ({listed})" if listed else ""))
    return "\n".join(lines)


# ----------------------------------------------------------------------------- actions
def code_actions(
    doc: ModelDocument, params: types.CodeActionParams, *, today: dt.date | str | None = None
) -> list[types.CodeAction]:
    """For each finding among the diagnostics in the request's context (or, without any,
    on the element or flow at the range's start): record a decision — mitigated by the
    catalog's suggested mitigations and their controls, accepted (owner and review date),
    false positive."""
    loaded = doc.loaded
    if loaded is None or not doc.fresh:
        return []
    wanted: list[tuple[str, types.Diagnostic | None]] = []
    for d in params.context.diagnostics:
        data = d.data if isinstance(d.data, dict) else {}
        fid = data.get("finding") or (d.code if isinstance(d.code, str) and "@" in d.code else "")
        if fid:
            wanted.append((str(fid), d))
    if not wanted:
        line, col = doc.place(params.range.start)
        item = doc.outline.item_at(line, col)
        if item is not None and item.kind in ("element", "flow"):
            wanted = [(e.id, None) for e in loaded.register.entries if e.finding.target == item.id]
    entries = {e.id: e for e in loaded.register.entries}
    day = current_date(today)
    out: list[types.CodeAction] = []
    for fid, diag in dict(wanted).items():
        entry = entries.get(fid)
        if entry is None:
            continue
        for title, decision in _decisions(doc, entry, day):
            edit = decision_edit(doc, decision, day)
            if edit is None:
                continue
            out.append(
                types.CodeAction(
                    title=title,
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=[diag] if diag is not None else None,
                    edit=edit,
                )
            )
    return out


def _decisions(doc: ModelDocument, entry: Entry, day: dt.date) -> list[tuple[str, Decision]]:
    f = entry.finding
    catalog = doc.catalog
    suggested = [m for m in f.mitigations if m in catalog.mitigations][:MAX_SUGGESTED]
    controls = controls_of(suggested, catalog)
    refs = [f"{_CONTROL_PREFIX[fw]}:{c}" for fw in CONTROL_FRAMEWORKS for c in controls.get(fw, ())]
    owners = doc.loaded.model.system.owners if doc.loaded is not None else []
    owner = owners[0] if owners else "(owner to be named)"
    named = ", ".join(catalog.mitigations[m].title for m in suggested) or "its controls"
    out = [
        (
            f"{f.id}: record as mitigated by {named}",
            Decision(
                finding=f.id,
                status="mitigated",
                owner=owner,
                rationale=f"Mitigated by: {named}.",
                mitigations=suggested,
                controls=refs,
                decided=day,
            ),
        ),
        (
            f"{f.id}: accept the risk (owner {owner}, review by the model's cadence)",
            Decision(
                finding=f.id,
                status="accepted",
                owner=owner,
                rationale="TODO: why this risk is acceptable",
                decided=day,
            ),
        ),
        (
            f"{f.id}: mark as a false positive",
            Decision(
                finding=f.id,
                status="false_positive",
                rationale="TODO: why this threat does not apply here",
                decided=day,
            ),
        ),
    ]
    return out


def decision_edit(
    doc: ModelDocument, decision: Decision, day: dt.date
) -> types.WorkspaceEdit | None:
    """The edit that records ``decision`` in the document: the model read from the text,
    the decision set, the text written over by the comment-preserving writer, and the
    one stretch that changed as a text edit (``None`` when the text does not load)."""
    fmt = file_format(doc.uri, doc.text)
    try:
        model = loads_model(doc.text, doc.filename, fmt)
        new_text = dumps_model(model.set_decision(decision, today=day), fmt)
    except ValueError:  # ModelFileError included: the text changed meanwhile
        return None
    return types.WorkspaceEdit(changes={doc.uri: [minimal_edit(doc, new_text)]})


def minimal_edit(doc: ModelDocument, new_text: str) -> types.TextEdit:
    """One text edit that turns the document's text into ``new_text``: the stretch
    between their common start and their common end."""
    old = doc.text
    start = 0
    limit = min(len(old), len(new_text))
    while start < limit and old[start] == new_text[start]:
        start += 1
    end = 0
    while end < limit - start and old[len(old) - 1 - end] == new_text[len(new_text) - 1 - end]:
        end += 1
    return types.TextEdit(
        types.Range(_pos(doc, start), _pos(doc, len(old) - end)),
        new_text[start : len(new_text) - end],
    )


def _pos(doc: ModelDocument, offset: int) -> types.Position:
    before = doc.text[:offset]
    line = before.count("\n")
    col = offset - (before.rfind("\n") + 1)
    return doc.position(line, col)
