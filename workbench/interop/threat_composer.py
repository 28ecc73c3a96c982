"""AWS Threat Composer (``.tc.json``, schema 1) export and import.

Mapping (ours ↔ Threat Composer):

==========================  ==========================================================
workbench                   Threat Composer
==========================  ==========================================================
system name, description    ``applicationInfo.name``, ``applicationInfo.description``
                            (owners, version and repository listed under it)
boundaries and elements     ``architecture.description``: the trust boundaries and the
                            elements in each (kind, properties, assets) as Markdown
flows                       ``dataflow.description``: one line per flow
scope assumptions           ``assumptions`` (read back into the scope)
finding                     a ``threats`` entry in the threat grammar, from the
                            finding's threat statement (:mod:`workbench.statements`):
                            ``threatSource`` (without its article), ``prerequisites``,
                            ``threatAction``, ``threatImpact``, ``impactedAssets``
                            (asset names), ``impactedGoal`` (security goals of its
                            STRIDE letters), ``statement`` (the whole sentence),
                            metadata ``STRIDE``, ``Priority`` (High for high and
                            critical risk, Medium, Low), ``custom:finding`` and
                            ``custom:status``; ATLAS and OWASP IDs as tags; status
                            ``threatIdentified`` (open, in progress, accepted,
                            transferred), ``threatResolved`` (mitigated, avoided),
                            ``threatResolvedNotUseful`` (false positive, not
                            applicable)
catalog mitigation          a ``mitigations`` entry (title; description as
                            ``Comments``; ``custom:mitigation``): resolved when a
                            mitigated decision chose it, in progress when an
                            in-progress decision did; ``mitigationLinks`` to every
                            threat that lists it
==========================  ==========================================================

Threat Composer has no architecture model: the descriptions are for people. So that
ours → Threat Composer → ours gives back an equal model, the architecture description
ends with the model itself (canonical YAML, in a fenced block under the heading
"AI Threat Workbench model"); a model too large for Threat Composer's 100,000 characters
is not embedded (the export still works; the round trip then keeps only what the
mapping above reads back). On import that block is the model; a threat's status changed
in Threat Composer (told apart from our status by ``custom:status``) becomes its
finding's decision: resolved → mitigated, resolved as not useful → false positive
(with a rationale saying so), identified → open.

A workspace from Threat Composer itself (no embedded model) imports as a model without
elements: the application's name and description, the architecture and data-flow
descriptions as the scope's description, the assumptions. Its threats (with their
linked mitigations) are listed in :attr:`~workbench.interop.ImportResult.threats`;
images, brainstorm items and assumption links in
:attr:`~workbench.interop.ImportResult.unmapped`.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from typing import Any

from ..engine import Analysis, Finding
from ..errors import ModelFileError
from ..model import ThreatModel
from ..model.statuses import STATUS_RULES
from ..register import Entry, build_register
from .common import (
    ForeignThreat,
    ImportResult,
    ModelBuilder,
    Report,
    as_dict,
    as_list,
    as_str,
    clean_name,
    clean_text,
    dump,
    is_finding_id,
    parse_any,
    strings,
)

SCHEMA_VERSION = 1
MAX_DESCRIPTION = 100_000
"""Threat Composer's limit on a description (characters)."""
MODEL_HEADING = "### AI Threat Workbench model"
"""Heading of the block that holds the model in the architecture description."""
NAMESPACE = uuid.UUID("9a4f3c5e-2b1d-4c8e-9f7a-6d5e4c3b2a10")
"""Namespace of the (deterministic) UUIDs of exported threats, mitigations and
assumptions."""
FINDING_KEY = "custom:finding"
STATUS_KEY = "custom:status"
MITIGATION_KEY = "custom:mitigation"

THREAT_STATUS = {
    "open": "threatIdentified",
    "in_progress": "threatIdentified",
    "accepted": "threatIdentified",
    "transferred": "threatIdentified",
    "mitigated": "threatResolved",
    "avoided": "threatResolved",
    "false_positive": "threatResolvedNotUseful",
    "not_applicable": "threatResolvedNotUseful",
}
THREAT_STATUS_IN = {
    "threatIdentified": "open",
    "threatResolved": "mitigated",
    "threatResolvedNotUseful": "false_positive",
}
PRIORITY = {"critical": "High", "high": "High", "medium": "Medium", "low": "Low", "info": "Low"}
_ARTICLE = re.compile(r"^(?:an?|the)\s+", re.IGNORECASE)
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&])")


def _uuid(kind: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def md(text: str) -> str:
    """``text`` for a Markdown description: one line, every ASCII punctuation character
    that Markdown or HTML could read escaped with a backslash (so that a name holding
    ``<script>`` or ``**`` shows as written)."""
    return _MARKDOWN.sub(r"\\\1", " ".join(text.split()))


def _fence(text: str) -> str:
    """A backtick fence longer than any run of backticks in ``text``."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


# =========================================================================== export
def to_threat_composer(
    model: ThreatModel, analysis: Analysis | None = None, *, threats: bool = True
) -> dict[str, Any]:
    """The model as a Threat Composer workspace (plain data).

    With ``threats`` (the default), the findings of ``analysis`` (default: an analysis
    with the built-in catalog) become threats in Threat Composer's grammar, with their
    catalog mitigations."""
    if threats and analysis is None:
        from ..engine import analyze

        analysis = analyze(model)
    doc: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "applicationInfo": {
            "name": model.system.name,
            "description": _cut(_application(model), MAX_DESCRIPTION),
        },
        "architecture": {"description": _architecture(model)},
        "dataflow": {"description": _cut(_dataflows(model), MAX_DESCRIPTION)},
    }
    assumptions = list(dict.fromkeys(model.scope.assumptions))
    doc["assumptions"] = [
        {
            "id": _uuid("assumption", a),
            "numericId": i,
            "displayOrder": i,
            "content": _cut(a, 1000),
        }
        for i, a in enumerate(assumptions, start=1)
    ]
    doc["mitigations"] = []
    doc["assumptionLinks"] = []
    doc["mitigationLinks"] = []
    doc["threats"] = []
    if threats and analysis is not None:
        _threats_out(analysis, doc)
    return doc


def dumps_threat_composer(
    model: ThreatModel, analysis: Analysis | None = None, *, threats: bool = True
) -> str:
    """The workspace as JSON text (a ``.tc.json`` file)."""
    import json

    doc = to_threat_composer(model, analysis, threats=threats)
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _application(model: ThreatModel) -> str:
    s = model.system
    lines = [s.description.strip()] if s.description.strip() else []
    facts = []
    if s.owners:
        facts.append(f"- Owners: {', '.join(md(o) for o in s.owners)}")
    if s.version:
        facts.append(f"- Version: {md(s.version)}")
    if s.repository:
        facts.append(f"- Repository: {md(s.repository)}")
    if facts:
        lines.append("\n".join(facts))
    return "\n\n".join(lines)


def _architecture(model: ThreatModel) -> str:
    names = {a.id: a.name for a in model.assets}
    lines = []
    if model.scope.description:
        lines += [model.scope.description.strip(), ""]
    if model.boundaries:
        lines.append("### Trust boundaries")
        lines.append("")
        for b in model.boundaries:
            inside = f", inside {md(model.boundary(b.parent).name)}" if b.parent else ""
            lines.append(f"- **{md(b.name)}** ({b.trust}{inside})")
        lines.append("")
    lines.append("### Elements")
    lines.append("")
    for e in model.elements:
        where = f" in {md(model.boundary(e.boundary).name)}" if e.boundary else ""
        props = ", ".join(f"{k}: {md(str(v))}" for k, v in dump(e.properties).items())
        held = ", ".join(md(names.get(a, a)) for a in e.assets)
        text = f"- **{md(e.name)}** ({e.kind.replace('_', ' ')}{where})"
        if e.description:
            text += f": {md(e.description)}"
        if props:
            text += f". Properties: {props}"
        if held:
            text += f". Assets: {held}"
        lines.append(text)
    readable = "\n".join(lines).strip()
    canonical = model.to_yaml()
    fence = _fence(canonical)
    block = (
        f"\n\n{MODEL_HEADING}\n\nThe model as AI Threat Workbench keeps it (for "
        "`threat-workbench import`; edit the model in the workbench).\n\n"
        f"{fence}yaml\n{canonical}{fence}\n"
    )
    if len(readable) + len(block) <= MAX_DESCRIPTION:
        return readable + block
    return _cut(readable, MAX_DESCRIPTION)


def _dataflows(model: ThreatModel) -> str:
    names = {e.id: e.name for e in model.elements}
    assets = {a.id: a.name for a in model.assets}
    lines = ["### Data flows", ""]
    for f in model.flows:
        facts = []
        if f.protocol:
            facts.append(md(f.protocol))
        for flag, yes, no in (
            (f.encrypted, "encrypted", "not encrypted"),
            (f.authenticated, "authenticated", "not authenticated"),
        ):
            if flag is not None:
                facts.append(yes if flag else no)
        if f.untrusted_content:
            facts.append("carries content outsiders can write")
        text = f"- {md(names.get(f.source, f.source))} → {md(names.get(f.target, f.target))}"
        if f.name:
            text += f": **{md(f.name)}**"
        if facts:
            text += f" ({', '.join(facts)})"
        if f.data:
            text += f"; carries {', '.join(md(assets.get(a, a)) for a in f.data)}"
        lines.append(text)
    if not model.flows:
        lines.append("No data flows.")
    return "\n".join(lines)


def _source(text: str) -> str:
    """A statement's source as Threat Composer's grammar wants it: without its article
    (Threat Composer puts "A" or "An" in front)."""
    rest = _ARTICLE.sub("", text.strip())
    return rest[:1].lower() + rest[1:] if rest[:1].isupper() and rest[1:2].islower() else rest


def _threats_out(analysis: Analysis, doc: dict[str, Any]) -> None:
    from ..statements import StatementWriter

    writer = StatementWriter(analysis)
    catalog = analysis.catalog
    resolved: dict[str, str] = {}
    linked: dict[str, list[str]] = defaultdict(list)
    for number, entry in enumerate(build_register(analysis).entries, start=1):
        f = entry.finding
        threat = _threat(entry, writer.statement(f), number)
        doc["threats"].append(threat)
        d = entry.decision
        chosen = list(d.mitigations) if d is not None and not d.scoped else []
        for m in dict.fromkeys([*chosen, *f.mitigations]):
            linked[m].append(threat["id"])
        for m in chosen:
            if entry.status == "mitigated":
                resolved[m] = "mitigationResolved"
            elif entry.status == "in_progress":
                resolved.setdefault(m, "mitigationInProgress")
    for number, m in enumerate(linked, start=1):
        cm = catalog.mitigations.get(m)
        item: dict[str, Any] = {
            "id": _uuid("mitigation", m),
            "numericId": number,
            "displayOrder": number,
            "metadata": [{"key": MITIGATION_KEY, "value": m}],
            "content": _cut(cm.title if cm else m, 1000),
            "status": resolved.get(m, "mitigationIdentified"),
        }
        if cm is not None:
            item["metadata"].insert(0, {"key": "Comments", "value": _cut(cm.description, 1000)})
        doc["mitigations"].append(item)
        for threat_id in dict.fromkeys(linked[m]):
            doc["mitigationLinks"].append({"mitigationId": item["id"], "linkedId": threat_id})


def _threat(entry: Entry, statement: Any, number: int) -> dict[str, Any]:
    f: Finding = entry.finding
    impact = statement.impact.removeprefix("so that ")
    tags = [t for t in dict.fromkeys([*f.atlas, *f.owasp]) if 1 <= len(t) <= 30]
    item: dict[str, Any] = {
        "id": _uuid("finding", f.id),
        "numericId": number,
        "displayOrder": number,
        "metadata": [
            {"key": "STRIDE", "value": [s for s in f.stride if s in "STRIDE"]},
            {"key": "Priority", "value": PRIORITY[f.risk]},
            {"key": FINDING_KEY, "value": f.id},
            {"key": STATUS_KEY, "value": entry.status},
        ],
        "tags": tags,
        "threatSource": _cut(_source(statement.source), 200),
        "prerequisites": _cut(statement.prerequisites, 200),
        "threatAction": _cut(statement.action, 200),
        "threatImpact": _cut(impact, 200),
        "impactedGoal": [_cut(g, 200) for g in statement.goals],
        "impactedAssets": [_cut(a.name, 200) for a in statement.assets],
        "statement": _cut(statement.text, 1400),
        "status": THREAT_STATUS[entry.status],
    }
    if not tags:
        del item["tags"]
    return item


# =========================================================================== import
def loads_threat_composer(text: str, filename: str = "<string>") -> ImportResult:
    """Import a Threat Composer workspace from JSON text."""
    return from_threat_composer(parse_any(text, filename), filename)


def is_threat_composer(data: Any) -> bool:
    """Whether ``data`` looks like a Threat Composer workspace."""
    if not isinstance(data, dict):
        return False
    schema = data.get("schema")
    known = ("applicationInfo", "architecture", "dataflow", "threats", "mitigations")
    return (
        isinstance(schema, (int, float))
        and not isinstance(schema, bool)
        and any(k in data for k in known)
    )


def from_threat_composer(data: Any, filename: str = "<string>") -> ImportResult:
    """Import a Threat Composer workspace (parsed JSON)."""
    r = Report(filename)
    _check_document(data, r)
    embedded = _embedded_model(data, r)
    b = ModelBuilder(r)
    if embedded is not None:
        doc = embedded.to_dict()
        b.system = dict(doc.get("system", {}))
        b.scope = dict(doc.get("scope", {}))
        b.risk_tolerance = dict(doc.get("risk_tolerance", {}))
        for key in ("objectives", "assets", "boundaries", "elements", "flows"):
            setattr(
                b,
                key,
                [
                    (f"architecture.description: {key}[{i}]", x)
                    for i, x in enumerate(doc.get(key, []))
                ],
            )
        decisions = {d.key: dump(d) for d in embedded.decisions}
    else:
        _foreign_model(data, b, r)
        decisions = {}
    _assumptions(data, b, r, embedded is not None)
    targets = embedded.ids() if embedded is not None else set()
    _threats_in(data, r, decisions, targets)
    b.decisions = [("threats", d) for d in decisions.values()]
    for key in ("brainstorm",):
        if data.get(key):
            r.note_unmapped(f"section '{key}'")
    for key in ("architecture", "dataflow"):
        if as_dict(data.get(key)).get("image"):
            r.note_unmapped(f"{key}: image")
    if as_list(data.get("assumptionLinks")):
        r.note_unmapped("assumptionLinks (links of assumptions to threats and mitigations)")
    return r.result(b.build("Imported Threat Composer model"), "threat-composer")


def _check_document(data: Any, r: Report) -> None:
    """Refuse what is not a workspace, or whose sections have the wrong shape."""
    if not is_threat_composer(data):
        raise r.fail("", "not a Threat Composer workspace (no 'schema' with its sections)")
    if data["schema"] != SCHEMA_VERSION:
        r.warn("schema", f"schema {data['schema']}: read as schema {SCHEMA_VERSION}")
    for key in ("applicationInfo", "architecture", "dataflow"):
        if key in data and not isinstance(data[key], dict):
            raise r.fail(key, f"expected an object, got {type(data[key]).__name__}")
    for key in ("threats", "mitigations", "assumptions", "mitigationLinks", "assumptionLinks"):
        if data.get(key) is not None and not isinstance(data[key], list):
            raise r.fail(key, f"expected a list, got {type(data[key]).__name__}")


def _embedded_model(data: dict[str, Any], r: Report) -> ThreatModel | None:
    text = as_str(as_dict(data.get("architecture")).get("description"))
    at = text.find(MODEL_HEADING)
    if at < 0:
        return None
    m = re.compile(r"^(`{3,})yaml\n(.*?)\n?\1[ \t]*$", re.MULTILINE | re.DOTALL).search(text, at)
    if m is None:
        r.warn("architecture.description", "the workbench model block has no YAML in it; left out")
        return None
    try:
        return ThreatModel.from_yaml(m.group(2), "architecture.description (workbench model)")
    except ModelFileError as exc:
        first = exc.problems[0] if exc.problems else None
        r.warn(
            "architecture.description",
            f"the workbench model in it is not valid ({first}); imported without it",
        )
        return None


def _foreign_model(data: dict[str, Any], b: ModelBuilder, r: Report) -> None:
    app = as_dict(data.get("applicationInfo"))
    b.system = {
        "name": clean_name(app.get("name"), "Imported Threat Composer model", r, "applicationInfo"),
        "description": clean_text(app.get("description"), r, "applicationInfo.description"),
    }
    parts = []
    for key, title in (("architecture", "Architecture"), ("dataflow", "Data flows")):
        text = as_str(as_dict(data.get(key)).get("description")).strip()
        if text:
            parts.append(f"{title}:\n\n{text}")
    b.scope = {"description": "\n\n".join(parts)}


def _assumptions(data: dict[str, Any], b: ModelBuilder, r: Report, ours: bool) -> None:
    texts = []
    for i, a in enumerate(as_list(data.get("assumptions"))):
        if not isinstance(a, dict):
            r.warn(f"assumptions[{i}]", f"expected an object, got {type(a).__name__}; dropped")
            continue
        content = as_str(a.get("content")).strip()
        if content:
            texts.append(content)
        if a.get("metadata") or a.get("tags"):
            r.note_unmapped("assumptions: metadata and tags")
    stored = strings(b.scope.get("assumptions"))
    if ours and [_cut(t, 1000).strip() for t in stored] == texts:
        return
    scope = dict(b.scope)
    scope["assumptions"] = texts
    b.scope = scope


def _metadata(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in as_list(item.get("metadata")):
        if isinstance(m, dict) and isinstance(m.get("key"), str):
            out.setdefault(m["key"], m.get("value"))
    return out


def _threats_in(
    data: dict[str, Any], r: Report, decisions: dict[str, dict[str, Any]], targets: set[str]
) -> None:
    """Threats of our findings (``custom:finding`` naming a target of the embedded
    model) set their findings' decisions; the others are listed as foreign threats."""
    mitigations = {
        as_str(m.get("id")): m for m in as_list(data.get("mitigations")) if isinstance(m, dict)
    }
    links: dict[str, list[str]] = defaultdict(list)
    for link in as_list(data.get("mitigationLinks")):
        link = as_dict(link)
        links[as_str(link.get("linkedId"))].append(as_str(link.get("mitigationId")))
    used: set[str] = set()
    for i, t in enumerate(as_list(data.get("threats"))):
        path = f"threats[{i}]"
        if not isinstance(t, dict):
            r.warn(path, f"expected an object, got {type(t).__name__}; dropped")
            continue
        meta = _metadata(t)
        linked = [mitigations[m] for m in links.get(as_str(t.get("id")), []) if m in mitigations]
        used.update(as_str(m.get("id")) for m in linked)
        finding = meta.get(FINDING_KEY)
        status = as_str(t.get("status"))
        if is_finding_id(finding) and str(finding).rsplit("@", 1)[1] in targets:
            _decision(path, str(finding), as_str(meta.get(STATUS_KEY)), status, r, decisions)
            continue
        r.threats.append(
            ForeignThreat(
                target="",
                target_name="",
                title=as_str(t.get("statement")) or _statement(t),
                status=status,
                severity=as_str(meta.get("Priority")),
                description=as_str(meta.get("Comments")),
                mitigations=tuple(
                    as_str(m.get("content"))
                    + (f" ({as_str(m.get('status'))})" if m.get("status") else "")
                    for m in linked
                ),
                source=path,
            )
        )
    unused = [m for m in mitigations if m not in used]
    if unused:
        r.note_unmapped(f"mitigations: {len(unused)} not linked to a threat")


def _statement(t: dict[str, Any]) -> str:
    """A threat in Threat Composer's grammar, from its parts."""
    source = as_str(t.get("threatSource")).strip() or "threat source"
    text = f"{'An' if source[:1].lower() in 'aeiou' else 'A'} {source}"
    if as_str(t.get("prerequisites")).strip():
        text += f" {as_str(t.get('prerequisites')).strip()}"
    text += f" can {as_str(t.get('threatAction')).strip() or 'act'}"
    if as_str(t.get("threatImpact")).strip():
        text += f", which leads to {as_str(t.get('threatImpact')).strip()}"
    goals = [g for g in strings(t.get("impactedGoal")) if g]
    assets = [a for a in strings(t.get("impactedAssets")) if a]
    if goals:
        text += f", resulting in reduced {' and '.join(goals)}"
        if assets:
            text += f" of {', '.join(assets)}"
    return text


def _decision(
    path: str,
    finding: str,
    ours: str,
    status: str,
    r: Report,
    decisions: dict[str, dict[str, Any]],
) -> None:
    """A finding's decision after its threat's status in Threat Composer: kept while the
    status is what ours exports, else the status Threat Composer's stands for."""
    if status not in THREAT_STATUS_IN:
        if status:
            r.warn(f"{path}.status", f"'{status}' is not a Threat Composer threat status; left out")
        return
    current = decisions.get(finding)
    before = as_str((current or {}).get("status")) or (ours if ours in THREAT_STATUS else "open")
    if THREAT_STATUS.get(before) == status:
        return
    new_status = THREAT_STATUS_IN[status]
    d = dict(current or {"finding": finding})
    d["status"] = new_status
    if "rationale" in STATUS_RULES[new_status].needs and not as_str(d.get("rationale")).strip():
        d["rationale"] = f"Threat Composer status '{status}'."
    decisions[finding] = d
