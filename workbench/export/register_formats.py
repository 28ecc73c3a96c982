"""Machine-readable registers: JSON, CSV, SARIF 2.1.0 and a plain-text table."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

import yaml

from ..engine import Analysis
from ..io import Source
from ..model import Decision
from ..model.parts import scope_label
from ..model.references import decision_key
from ..model.statuses import STATUS_RULES
from ..parsing import node_at
from ..register import Entry, Register, build_register
from ..register.grouping import GroupedEntries, group_entries, group_of
from ..statements import StatementWriter
from ..terminal import safe_line, safe_text
from ..version import __version__

_SARIF_LEVEL = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "note",
    "info": "note",
}
_SECURITY_SEVERITY = {
    "critical": "9.5",
    "high": "8.0",
    "medium": "5.5",
    "low": "3.0",
    "info": "1.0",
}


MAX_RELATED = 25
"""Most other members of a finding's group listed as SARIF related locations."""


def entry_dict(e: Entry, group: str | None = None) -> dict[str, Any]:
    """One register entry as plain data; ``group``: the ID of its finding group."""
    f = e.finding
    return {
        "id": f.id,
        "group": group,
        "threat": f.threat_id,
        "title": f.title,
        "target": f.target,
        "target_type": f.target_type,
        "target_name": f.target_name,
        "layer": f.layer,
        "stride": list(f.stride),
        "pasta_stage": f.pasta_stage,
        "atlas": list(f.atlas),
        "owasp": list(f.owasp),
        "references": {k: list(v) for k, v in sorted(f.references.items())},
        "likelihood": f.likelihood,
        "impact": f.impact,
        "score": f.score,
        "risk": f.risk,
        "status": e.status,
        "expired": e.expired,
        "review_by": e.review_by.isoformat() if e.review_by else None,
        "decision_key": e.applied or None,
        "scoped": e.scoped,
        "owner": e.owner,
        "residual_likelihood": e.residual_likelihood,
        "residual_impact": e.residual_impact,
        "residual_risk": e.residual_risk,
        "above_tolerance": e.above_tolerance,
        "why": list(f.why),
        "scoring": list(f.scoring),
        "mitigations": list(f.mitigations),
        "in_place": list(f.in_place),
        "decision": _decision_dict(e),
    }


def group_dict(ge: GroupedEntries) -> dict[str, Any]:
    """One finding group as plain data: its cause, recommended fix and members (worst
    first; those in the register)."""
    g = ge.group
    return {
        "id": g.id,
        "cause": g.cause,
        "title": g.title,
        "fix": g.fix,
        "fix_title": g.fix_title,
        "risk": g.risk,
        "score": g.score,
        "likelihood": g.likelihood,
        "impact": g.impact,
        "members": [e.id for e in ge.entries],
        "targets": list(dict.fromkeys(e.finding.target for e in ge.entries)),
        "open": ge.open,
    }


def grouped(analysis: Analysis, register: Register) -> list[GroupedEntries]:
    """The register's entries by finding group, worst group first."""
    return group_entries(register.entries, analysis.groups)


def _decision_dict(e: Entry) -> dict[str, Any] | None:
    """The team's decision on a finding, as plain data (``None`` when there is none)."""
    d = e.decision
    if d is None:
        return None
    return {
        "key": d.key,
        "finding": d.finding,
        "threat": d.threat_id,
        "scope": _scope_value(d),
        "status": d.status,
        "owner": d.owner,
        "rationale": d.rationale,
        "mitigations": list(d.mitigations),
        "controls": list(d.controls),
        "decided": d.decided.isoformat() if d.decided else None,
        "review_by": d.review_by.isoformat() if d.review_by else None,
        "due": d.due.isoformat() if d.due else None,
        "ticket": d.ticket,
        "residual_likelihood": d.residual_likelihood,
        "residual_impact": d.residual_impact,
    }


def _scope_value(d: Decision) -> Any:
    """A decision's scope as plain data: ``None`` (one finding), ``"all"``, or
    ``{"boundary": ID}`` / ``{"element": ID}``."""
    if d.scope is None or d.scope == "all":
        return d.scope
    return d.scope.model_dump(exclude_defaults=True)


def to_json(analysis: Analysis, register: Register | None = None) -> str:
    """The register as JSON: finding groups (worst first), then the findings (each with
    its group's ID and its threat statement, see :mod:`workbench.statements`), attack
    paths, orphaned decisions."""
    register = register or build_register(analysis)
    groups = grouped(analysis, register)
    of = group_of(groups)
    say = StatementWriter(analysis)
    doc = {
        "tool": {"name": "ai-threat-workbench", "version": __version__},
        "system": analysis.model.system.name,
        "risk_tolerance": register.tolerance,
        "summary": {**_summary(register), "groups": len(groups)},
        "groups": [group_dict(ge) for ge in groups],
        "findings": [
            {**entry_dict(e, of[e.id].id), "statement": say.statement(e.finding).to_dict()}
            for e in register.entries
        ],
        "attack_paths": [
            {
                "id": p.id,
                "source": p.source,
                "target": p.target,
                "elements": list(p.elements),
                "flows": [list(s.flows) for s in p.steps],
                "steps": [
                    {
                        "flow": s.flow,
                        "direction": s.direction,
                        "kind": s.kind,
                        "element": s.element,
                        "likelihood": s.likelihood,
                        "findings": list(s.findings),
                    }
                    for s in p.steps
                ],
                "likelihood": p.likelihood,
                "impact": p.impact,
                "risk": p.risk,
                "notes": list(p.notes),
                "findings": sorted({f for s in p.steps for f in s.findings}),
            }
            for p in analysis.attack_paths
        ],
        "orphaned_decisions": [d.key for d in register.orphaned],
        "problems": list(register.problems),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _summary(register: Register) -> dict[str, Any]:
    by_risk: dict[str, int] = {}
    by_status: dict[str, int] = {}
    for e in register.entries:
        by_risk[e.finding.risk] = by_risk.get(e.finding.risk, 0) + 1
        by_status[e.status] = by_status.get(e.status, 0) + 1
    return {
        "findings": len(register.entries),
        "by_risk": by_risk,
        "by_status": by_status,
        "open": sum(e.is_open for e in register.entries),
        "expired": len(register.expired()),
        "above_tolerance": len(register.above_tolerance()),
        "today": register.today.isoformat(),
    }


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def _cell(value: Any) -> str:
    """A spreadsheet-safe cell: text that a spreadsheet would run as a formula is
    prefixed with an apostrophe."""
    text = "; ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


CSV_COLUMNS = [
    "id",
    "threat",
    "title",
    "target",
    "target_name",
    "layer",
    "stride",
    "pasta_stage",
    "atlas",
    "owasp",
    "likelihood",
    "impact",
    "risk",
    "status",
    "owner",
    "residual_risk",
    "above_tolerance",
    "why",
    "mitigations",
    "residual_likelihood",
    "residual_impact",
    "rationale",
    "due",
    "ticket",
    "group",
    "in_place",
    "expired",
    "review_by",
    "decision_key",
]


def to_csv(analysis: Analysis, register: Register | None = None) -> str:
    """The register as CSV (UTF-8, one row per finding with the ID of its finding group,
    formula-like cells neutralised)."""
    register = register or build_register(analysis)
    of = group_of(grouped(analysis, register))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for e in register.entries:
        row = entry_dict(e, of[e.id].id)
        d = row["decision"] or {}
        row.update({k: d.get(k) or "" for k in ("rationale", "due", "ticket")})
        row.update({k: row[k] or "" for k in ("review_by", "decision_key")})
        w.writerow([_cell(row[c]) for c in CSV_COLUMNS])
    return buf.getvalue()


def _source_lines(analysis: Analysis) -> dict[str, int]:
    """Line of each element and flow in the file the model was loaded from, and of each
    decision (under its key, see ``Decision.key``)."""
    src = analysis.model._source
    if not isinstance(src, Source) or src.fmt != "yaml":
        return {}
    try:
        root = yaml.compose(src.text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    lines: dict[str, int] = {}
    for section in ("elements", "flows"):
        seq = node_at(root, (section,))
        for item in getattr(seq, "value", []) if isinstance(seq, yaml.SequenceNode) else []:
            id_node = node_at(item, ("id",))
            if isinstance(id_node, yaml.ScalarNode):
                lines[id_node.value] = item.start_mark.line + 1
    seq = node_at(root, ("decisions",))
    for item in getattr(seq, "value", []) if isinstance(seq, yaml.SequenceNode) else []:
        key = decision_key(_plain_mapping(item))
        if key is not None:
            lines[_DECISION + key] = item.start_mark.line + 1
    return lines


_DECISION = "decision:"
"""Prefix of a decision's key in :func:`_source_lines` (keys never clash with IDs)."""


def _plain_mapping(node: yaml.Node) -> dict[str, Any]:
    """The scalars of a mapping node, two levels deep (enough for a decision's key)."""
    out: dict[str, Any] = {}
    for k, v in node.value if isinstance(node, yaml.MappingNode) else []:
        if isinstance(v, yaml.ScalarNode):
            out[str(k.value)] = v.value
        elif isinstance(v, yaml.MappingNode):
            out[str(k.value)] = {
                str(kk.value): vv.value for kk, vv in v.value if isinstance(vv, yaml.ScalarNode)
            }
    return out


def _location(
    uri: str, lines: dict[str, int], target: str, kind: str, **extra: Any
) -> dict[str, Any]:
    """A SARIF location: the model file (at the element's or flow's line when known) and
    the element or flow as a logical location."""
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
    if target in lines:
        physical["region"] = {"startLine": lines[target]}
    return {
        **extra,
        "physicalLocation": physical,
        "logicalLocations": [{"name": target, "kind": kind}],
    }


def _related(e: Entry, ge: GroupedEntries, uri: str, lines: dict[str, int]) -> list[dict[str, Any]]:
    """The other members of a finding's group as SARIF related locations (at most
    :data:`MAX_RELATED`), each with a message naming the group."""
    others = [o.finding for o in ge.entries if o.id != e.id][:MAX_RELATED]
    g = ge.group
    return [
        _location(
            uri,
            lines,
            o.target,
            o.target_type,
            id=i,
            message={
                "text": f"Same cause (group {g.id}: {g.title}): {o.id}, {o.title} on "
                f"{o.target_name}."
            },
        )
        for i, o in enumerate(others, start=1)
    ]


def to_sarif(
    analysis: Analysis, register: Register | None = None, artifact: str | None = None
) -> str:
    """The open findings as SARIF 2.1.0 (for GitHub code scanning and other tools).

    One result per finding (its ID is the fingerprint, so tools can track it across
    runs); the other members of its finding group are its related locations, and
    ``properties.group`` names the group and its recommended fix. Findings a decision
    takes off the gate (mitigated, accepted, transferred, avoided, false_positive,
    not_applicable; see :mod:`workbench.model.statuses`) are included as suppressed
    results (an ``external`` suppression with the decision's justification), so the history
    stays visible; an expired decision's suppression is ``underReview``, which does not
    suppress the result."""
    register = register or build_register(analysis)
    src = analysis.model._source
    uri = artifact or (src.path.name if isinstance(src, Source) and src.path else "model.yaml")
    lines = _source_lines(analysis)
    groups = {e.id: ge for ge in grouped(analysis, register) for e in ge.entries}
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for e in register.entries:
        f = e.finding
        threat = analysis.catalog.threats[f.threat_id]
        if f.threat_id not in rules:
            tags = ["security", *(f"STRIDE-{s}" for s in f.stride), *f.atlas, *f.owasp]
            rules[f.threat_id] = {
                "id": f.threat_id,
                "name": "".join(w.capitalize() for w in f.title.split()[:8] if w.isalnum()),
                "shortDescription": {"text": f.title},
                "fullDescription": {"text": threat.description},
                "help": {"text": "Mitigations: " + ", ".join(threat.mitigations)},
                "properties": {
                    "tags": tags,
                    "pasta_stage": f.pasta_stage,
                    "security-severity": _SECURITY_SEVERITY[f.risk],
                },
            }
        ge = groups[e.id]
        g = ge.group
        result: dict[str, Any] = {
            "ruleId": f.threat_id,
            "level": _SARIF_LEVEL[e.residual_risk],
            "message": {
                "text": f"{f.title} on {f.target_name}: suggested because " + "; ".join(f.why) + "."
            },
            "locations": [_location(uri, lines, f.target, f.target_type)],
            "partialFingerprints": {"findingId": f.id},
            "properties": {
                "risk": f.risk,
                "residual_risk": e.residual_risk,
                "residual_likelihood": e.residual_likelihood,
                "residual_impact": e.residual_impact,
                "above_tolerance": e.above_tolerance,
                "status": e.status,
                "expired": e.expired,
                "owner": e.owner,
                "likelihood": f.likelihood,
                "impact": f.impact,
                "in_place": list(f.in_place),
                "group": {
                    "id": g.id,
                    "title": g.title,
                    "cause": g.cause,
                    "fix": g.fix,
                    "fix_title": g.fix_title,
                    "risk": g.risk,
                    "findings": len(ge.entries),
                },
                **({"decision": _decision_dict(e)} if e.decision else {}),
            },
        }
        related = _related(e, ge, uri, lines)
        if related:
            result["relatedLocations"] = related
        suppression = _suppression(e, uri, lines)
        if suppression is not None:
            result["suppressions"] = [suppression]
        results.append(result)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ai-threat-workbench",
                        "version": __version__,
                        "rules": [rules[k] for k in sorted(rules)],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _suppression(e: Entry, uri: str, lines: dict[str, int]) -> dict[str, Any] | None:
    """The SARIF suppression of a decided finding, kept in the model file (``external``):
    ``accepted`` when the decision takes the finding off the gate (mitigated, accepted,
    transferred, avoided, false_positive, not_applicable), ``underReview`` when that
    decision has expired (the finding counts as open: not suppressed); none for open and
    in-progress findings. The justification is the rationale and the status; the location
    is the decision's line in the model file; ``properties`` name the decision (its key:
    the finding, or the threat and scope of a scoped decision) and its review date."""
    d = e.decision
    if d is None or (STATUS_RULES[d.status].gate and not e.expired):
        return None
    words = d.status.replace("_", " ")
    if d.scoped:
        words += f"; decision on {d.threat_id} in scope {scope_label(d.scope)}"
    justification = f"{d.rationale} ({words})" if d.rationale else words
    if e.expired:
        justification = f"{e.expiry_note()}. {justification}"
    out: dict[str, Any] = {
        "kind": "external",
        "status": "underReview" if e.expired else "accepted",
        "justification": justification,
    }
    line = lines.get(_DECISION + d.key)
    if line is not None:
        out["location"] = {
            "physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": line}}
        }
    out["properties"] = {
        "decision": d.key,
        "status": d.status,
        "scoped": d.scoped,
        "owner": d.owner,
        "review_by": d.review_by.isoformat() if d.review_by else None,
        "expired": e.expired,
    }
    return out


TABLE_TEXT = 90
"""Longest group title, threat title or target name in the terminal table (cut with …)."""


def _fit(text: str, limit: int = TABLE_TEXT) -> str:
    """``text`` on one line, without control characters (a name cannot move the cursor
    or recolour the terminal), cut to ``limit`` characters."""
    text = "".join(c if c.isprintable() else " " for c in text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _columns(rows: Sequence[tuple[str, ...]], indent: str = "") -> list[str]:
    """Rows as left-aligned columns (the last one not padded)."""
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return [
        (
            indent
            + "  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True))
            + "  "
            + r[-1]
        ).rstrip()
        for r in rows
    ]


def to_table(analysis: Analysis, register: Register | None = None) -> str:
    """A plain-text table for terminals: one line per finding group (worst first) with
    its risk, number of findings, recommended fix and cause, and its findings indented
    under it; then a summary line."""
    register = register or build_register(analysis)
    if not register.entries:
        tail = "".join(f"orphaned decision: {d.key}\n" for d in register.orphaned)
        return safe_text(f"no findings; attack paths: {len(analysis.attack_paths)}\n{tail}")
    groups = grouped(analysis, register)
    heads = [("RISK", "N", "FIX", "GROUP")]
    heads += [
        (ge.group.risk, str(len(ge.entries)), safe_line(ge.group.fix or "-"), _fit(ge.group.title))
        for ge in groups
    ]
    member_head = ("RISK", "STATUS", "STRIDE", "STAGE", "FINDING", "THREAT (OR TARGET)")
    members = [member_head]
    for ge in groups:
        for e in ge.entries:
            f = e.finding
            label = f.title if ge.group.cause == "missing_control" else f"on {f.target_name}"
            members.append(
                (f.risk, _table_status(e), "".join(f.stride), str(f.pasta_stage), f.id, _fit(label))
            )
    indent = "    "
    group_lines, member_lines = _columns(heads), _columns(members, indent)
    lines = [group_lines[0], member_lines[0]]
    i = 1
    for n, ge in enumerate(groups, start=1):
        lines.append(group_lines[n])
        lines += member_lines[i : i + len(ge.entries)]
        i += len(ge.entries)
    s = _summary(register)
    lines.append("")
    lines.append(
        f"{s['findings']} findings in {len(groups)} groups; by risk: "
        + ", ".join(f"{k} {v}" for k, v in sorted(s["by_risk"].items()))
        + f"; above tolerance ({register.tolerance}): {s['above_tolerance']}; "
        f"attack paths: {len(analysis.attack_paths)}"
        + (f"; expired decisions: {s['expired']}" if s["expired"] else "")
    )
    if any(e.scoped for e in register.entries):
        lines.append("status*: a decision on the threat in a scope applies (see the JSON)")
    for e in register.expired():
        lines.append(f"expired: {e.id}: {e.expiry_note()}")
    if register.orphaned:
        lines.append("orphaned decisions: " + ", ".join(d.key for d in register.orphaned))
    return safe_text("\n".join(lines) + "\n")


def _table_status(e: Entry) -> str:
    """The status column: the recorded status, ``*`` after it when a scoped decision
    applies, ``!expired`` when its review date has passed."""
    return e.status + ("*" if e.scoped else "") + (" !expired" if e.expired else "")
