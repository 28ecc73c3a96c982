"""Machine-readable registers: JSON, CSV, SARIF 2.1.0 and a plain-text table."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import yaml

from .. import __version__
from ..engine import Analysis
from ..io import Source, node_at
from ..register import Entry, Register, build_register

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


def entry_dict(e: Entry) -> dict[str, Any]:
    """One register entry as plain data."""
    f = e.finding
    return {
        "id": f.id,
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
        "owner": e.owner,
        "residual_likelihood": e.residual_likelihood,
        "residual_impact": e.residual_impact,
        "residual_risk": e.residual_risk,
        "above_tolerance": e.above_tolerance,
        "why": list(f.why),
        "scoring": list(f.scoring),
        "mitigations": list(f.mitigations),
        "decision": _decision_dict(e),
    }


def _decision_dict(e: Entry) -> dict[str, Any] | None:
    """The team's decision on a finding, as plain data (``None`` when there is none)."""
    d = e.decision
    if d is None:
        return None
    return {
        "status": d.status,
        "owner": d.owner,
        "rationale": d.rationale,
        "mitigations": list(d.mitigations),
        "controls": list(d.controls),
        "decided": d.decided.isoformat() if d.decided else None,
        "due": d.due.isoformat() if d.due else None,
        "ticket": d.ticket,
        "residual_likelihood": d.residual_likelihood,
        "residual_impact": d.residual_impact,
    }


def to_json(analysis: Analysis, register: Register | None = None) -> str:
    """The register as JSON: findings, attack paths, orphaned decisions."""
    register = register or build_register(analysis)
    doc = {
        "tool": {"name": "ai-threat-workbench", "version": __version__},
        "system": analysis.model.system.name,
        "risk_tolerance": register.tolerance,
        "summary": _summary(register),
        "findings": [entry_dict(e) for e in register.entries],
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
        "orphaned_decisions": [d.finding for d in register.orphaned],
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
        "above_tolerance": len(register.above_tolerance()),
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
]


def to_csv(analysis: Analysis, register: Register | None = None) -> str:
    """The register as CSV (UTF-8, one row per finding, formula-like cells neutralised)."""
    register = register or build_register(analysis)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for e in register.entries:
        row = entry_dict(e)
        d = row["decision"] or {}
        row.update({k: d.get(k) or "" for k in ("rationale", "due", "ticket")})
        w.writerow([_cell(row[c]) for c in CSV_COLUMNS])
    return buf.getvalue()


def _source_lines(analysis: Analysis) -> dict[str, int]:
    """Line of each element and flow in the file the model was loaded from."""
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
    return lines


def to_sarif(
    analysis: Analysis, register: Register | None = None, artifact: str | None = None
) -> str:
    """The open findings as SARIF 2.1.0 (for GitHub code scanning and other tools).

    Decided findings (mitigated, accepted, transferred) are included as suppressed
    results, so the history stays visible."""
    register = register or build_register(analysis)
    src = analysis.model._source
    uri = artifact or (src.path.name if isinstance(src, Source) and src.path else "model.yaml")
    lines = _source_lines(analysis)
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
        location: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": uri}}}
        if f.target in lines:
            location["physicalLocation"]["region"] = {"startLine": lines[f.target]}
        location["logicalLocations"] = [{"name": f.target, "kind": f.target_type}]
        result: dict[str, Any] = {
            "ruleId": f.threat_id,
            "level": _SARIF_LEVEL[e.residual_risk],
            "message": {
                "text": f"{f.title} on {f.target_name}: suggested because " + "; ".join(f.why) + "."
            },
            "locations": [location],
            "partialFingerprints": {"findingId": f.id},
            "properties": {
                "risk": f.risk,
                "residual_risk": e.residual_risk,
                "residual_likelihood": e.residual_likelihood,
                "residual_impact": e.residual_impact,
                "above_tolerance": e.above_tolerance,
                "status": e.status,
                "owner": e.owner,
                "likelihood": f.likelihood,
                "impact": f.impact,
                **({"decision": _decision_dict(e)} if e.decision else {}),
            },
        }
        if e.status != "open":
            result["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": (e.decision.rationale if e.decision else "") or e.status,
                }
            ]
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


def to_table(analysis: Analysis, register: Register | None = None) -> str:
    """A plain-text table for terminals."""
    register = register or build_register(analysis)
    header = ("RISK", "STATUS", "STRIDE", "STAGE", "FINDING", "ATLAS", "OWASP", "TITLE")
    rows = [header]
    order = sorted(register.entries, key=lambda e: (-e.finding.score, e.id))
    for e in order:
        f = e.finding
        rows.append(
            (
                f.risk,
                e.status,
                "".join(f.stride),
                str(f.pasta_stage),
                f.id,
                ",".join(f.atlas[:2]) + ("…" if len(f.atlas) > 2 else ""),
                ",".join(f.owasp),
                f.title,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header) - 1)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1]
        for r in rows
    ]
    s = _summary(register)
    lines.append("")
    lines.append(
        f"{s['findings']} findings; by risk: "
        + ", ".join(f"{k} {v}" for k, v in sorted(s["by_risk"].items()))
        + f"; above tolerance ({register.tolerance}): {s['above_tolerance']}; "
        f"attack paths: {len(analysis.attack_paths)}"
    )
    if register.orphaned:
        lines.append("orphaned decisions: " + ", ".join(d.finding for d in register.orphaned))
    return "\n".join(lines) + "\n"
