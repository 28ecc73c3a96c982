"""Shared machinery of the importers and exporters: bounded parsing, ID allocation,
item-by-item validation and the import report.

Every importer follows the same rules:

* the input is parsed as every file the workbench reads (:mod:`workbench.parsing`):
  refused when larger than :data:`~workbench.parsing.MAX_FILE_BYTES`; JSON by the one
  strict parser (duplicate keys and ``NaN``/``Infinity`` refused), YAML safely (bombs,
  tags and duplicate keys refused); nesting deeper than
  :data:`~workbench.parsing.MAX_DEPTH` is refused;
* a problem with the document as a whole raises :class:`~workbench.errors.ModelFileError`;
* a problem with one item (a component, a cell, a link ...) drops that item, or only the
  bad value of it, with **one warning per dropped thing** in :attr:`ImportResult.warnings`;
* the model is assembled from validated parts and validated again as a whole, so an
  :class:`ImportResult` always holds a complete, valid :class:`~workbench.model.ThreatModel`.

Text (names, descriptions) is kept as written, including markup such as ``<script>``: the
model stores plain text and every view escapes it when it shows it. What the model's
text limits refuse is cleaned before validation (:func:`fit_part`), one warning per
changed value: line breaks and tabs in a one-line field (a name, an owner, a tag) become
spaces, control characters are removed (in a one-line field, bidirectional controls too:
free text keeps them for right-to-left writing), a value longer than its field
allows is shortened with "…" and written in full into the item's description (or a
decision's rationale), and items beyond a list's limit are left out (listed there too when
they are text).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .. import io as wio
from ..errors import ModelFileError, Problem
from ..model import (
    Asset,
    Boundary,
    Decision,
    Element,
    Flow,
    Objective,
    RiskTolerance,
    Scope,
    SystemInfo,
    ThreatModel,
)
from ..model.references import boundary_chain
from ..model.statuses import STATUS_RULES
from ..model.statuses import today as current_date
from ..model.types import (
    FINDING_ID_PATTERN,
    ID_PATTERN,
)
from ..parsing import (
    MAX_FILE_BYTES,
    check_depth,
    decode_text,
    parse_json,
    parse_yaml,
    read_limited,
    too_big,
)
from .fitting import fit_part

EXT = "workbench"
"""Key under which exports keep what the other format has no field for."""

GENERATOR = "ai-threat-workbench"

_ID_RE = re.compile(ID_PATTERN)
_FINDING_RE = re.compile(FINDING_ID_PATTERN)

M = TypeVar("M", bound=BaseModel)


# --------------------------------------------------------------------------- report
@dataclass(frozen=True)
class ForeignThreat:
    """A threat (with its mitigations) from the other tool that is not one of our findings:
    the model has no place for it, so it is listed in the import report."""

    target: str
    """ID of the imported element or flow it was attached to ('' when none)."""
    target_name: str
    """Display name of that element or flow."""
    title: str
    """The threat's title."""
    status: str
    """Its status or state, as the other tool wrote it."""
    severity: str
    """Its severity or risk, as the other tool wrote it."""
    description: str
    """Its description."""
    mitigations: tuple[str, ...]
    """Mitigation text or names (with their state where the tool records one)."""
    source: str
    """Where it is in the input file."""

    def to_dict(self) -> dict[str, Any]:
        """Plain data for a JSON report."""
        return {
            "target": self.target,
            "target_name": self.target_name,
            "title": self.title,
            "status": self.status,
            "severity": self.severity,
            "description": self.description,
            "mitigations": list(self.mitigations),
            "source": self.source,
        }


@dataclass(frozen=True)
class ImportResult:
    """A model imported from another tool's file, with what did not map."""

    model: ThreatModel
    """The imported model (complete and valid)."""
    format: str
    """``otm``, ``threat-dragon`` or ``threagile``."""
    warnings: tuple[Problem, ...]
    """One per item dropped, value left out, ID renamed or type guessed."""
    unmapped: tuple[str, ...]
    """Parts of the input the model has no place for (kept only in this report)."""
    threats: tuple[ForeignThreat, ...]
    """Threats of the other tool that are not decisions on our findings."""

    def report(self) -> dict[str, Any]:
        """The report as plain data (for ``--report FILE``)."""
        m = self.model
        return {
            "format": self.format,
            "counts": {
                "elements": len(m.elements),
                "flows": len(m.flows),
                "boundaries": len(m.boundaries),
                "assets": len(m.assets),
                "decisions": len(m.decisions),
                "foreign_threats": len(self.threats),
            },
            "warnings": [str(w) for w in self.warnings],
            "unmapped": list(self.unmapped),
            "threats": [t.to_dict() for t in self.threats],
        }


class Report:
    """Collects warnings, unmapped parts and foreign threats while importing."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.warnings: list[Problem] = []
        self.unmapped: list[str] = []
        self.threats: list[ForeignThreat] = []

    def warn(self, path: str, message: str) -> None:
        """Record one warning at ``path`` of the input."""
        self.warnings.append(Problem(self.filename, None, None, path, message))

    def note_unmapped(self, text: str) -> None:
        """Record a part of the input that has no place in the model."""
        if text not in self.unmapped:
            self.unmapped.append(text)

    def fail(self, path: str, message: str) -> ModelFileError:
        """An error about the document as a whole (raise it)."""
        return ModelFileError.one(self.filename, message, path=path)

    def result(self, model: ThreatModel, fmt: str) -> ImportResult:
        """The finished :class:`ImportResult`."""
        return ImportResult(
            model=model,
            format=fmt,
            warnings=tuple(self.warnings),
            unmapped=tuple(self.unmapped),
            threats=tuple(self.threats),
        )


# --------------------------------------------------------------------------- parsing
def read_text(path: str | Path) -> str:
    """Read a file to import: size-capped, UTF-8; :class:`ModelFileError` otherwise."""
    name = str(path)
    return decode_text(read_limited(path, name), name)


def parse_any(text: str, filename: str) -> Any:
    """JSON when the text starts with ``{`` or ``[``, YAML (safe) otherwise; both bounded
    as every file the workbench reads (:mod:`workbench.parsing`)."""
    if text.lstrip()[:1] in ("{", "["):
        return parse_json(text, filename)
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        raise ModelFileError([too_big(filename, size)])
    data, _ = parse_yaml(text, filename)
    check_depth(data, filename)
    return data


# --------------------------------------------------------------------------- values
def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a mapping, else ``{}``."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list, else ``[]``."""
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str:
    """``value`` when it is a string, else ``''``."""
    return value if isinstance(value, str) else ""


def as_number(value: Any) -> float | None:
    """A finite number (not a bool), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def strings(value: Any) -> list[str]:
    """The strings of a list, in order, without repeats."""
    return list(dict.fromkeys(v for v in as_list(value) if isinstance(v, str)))


def clean_name(value: Any, fallback: str, report: Report, path: str) -> str:
    """A display name: stripped, ``fallback`` when empty. Its length and characters are
    fitted to the model later, with the item (:func:`fit_part`)."""
    text = as_str(value).strip()
    return text or fallback


def clean_text(value: Any, report: Report, path: str) -> str:
    """Free text (a string, else ``''``); fitted to the model later (:func:`fit_part`)."""
    return as_str(value)


def is_finding_id(value: Any) -> bool:
    """Whether ``value`` looks like one of our finding IDs (``THREAT@target``)."""
    return isinstance(value, str) and _FINDING_RE.match(value) is not None


def slug(text: str, fallback: str = "item") -> str:
    """A valid ID made from ``text`` (``fallback`` when nothing usable is left)."""
    s = re.sub(r"[^A-Za-z0-9_.\-]+", "-", text).strip("-")
    s = re.sub(r"-{2,}", "-", s)
    s = re.sub(r"^[^A-Za-z0-9]+", "", s)[:100].rstrip("-")
    return s if s and _ID_RE.match(s) else fallback


class IdAllocator:
    """Gives every imported item a valid ID, unique across the whole model (elements,
    flows, boundaries, assets and objectives share one namespace). IDs of the other
    format are looked up per namespace, because formats keep separate ones."""

    def __init__(self, reserved: Iterable[str] = ()) -> None:
        self.used: set[str] = set(reserved)
        self.maps: dict[str, dict[str, str]] = defaultdict(dict)

    def claim(self, ns: str, key: str, preferred: str, report: Report, path: str) -> str | None:
        """A new ID for ``key`` in ``ns``; ``None`` (and a warning) when ``key`` was
        already used in that namespace."""
        if key in self.maps[ns]:
            report.warn(path, f"duplicate ID '{key}'; this {ns} was dropped")
            return None
        base = preferred if _ID_RE.match(preferred) else slug(preferred, slug(key, ns))
        new, n = base, 2
        while new in self.used:
            new = f"{base[:94]}-{n}"
            n += 1
        if new != preferred:
            report.warn(
                path,
                f"ID '{preferred}' changed to '{new}' (IDs must be unique and "
                "use letters, digits, '_', '.', '-')",
            )
        self.used.add(new)
        self.maps[ns][key] = new
        return new

    def get(self, ns: str, key: Any) -> str | None:
        """The ID given to ``key`` in ``ns``, if any."""
        return self.maps[ns].get(key) if isinstance(key, str) else None


# --------------------------------------------------------------------------- validation
def _delete(data: Any, loc: tuple[Any, ...]) -> bool:
    """Delete the deepest existing value along ``loc`` below the top level."""
    parents: list[tuple[Any, Any]] = []
    node: Any = data
    for part in loc:
        in_dict = isinstance(node, dict) and isinstance(part, str) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (in_dict or in_list):
            break
        parents.append((node, part))
        node = node[part]
    if not parents:
        return False
    container, key = parents[-1]
    del container[key]
    return True


def validate_part(
    cls: type[M], data: Mapping[str, Any], report: Report, path: str, what: str
) -> M | None:
    """Validate one item leniently: a bad optional value is left out (with a warning);
    an item whose required fields are bad is dropped (with one warning)."""
    work: Any = json.loads(json.dumps(data, default=str))
    required = {n for n, f in cls.model_fields.items() if f.is_required()}
    for _ in range(200):
        try:
            return cls.model_validate(work)
        except ValidationError as exc:
            problems = wio.validation_problems(exc, report.filename, None, root_cls=cls)
            errors = exc.errors(include_url=False)
            for p, e in zip(problems, errors, strict=True):
                loc = tuple(e["loc"])
                fatal = not loc or loc[0] in required or loc[0] not in work
                if fatal or not _delete(work, loc):
                    at = f"{path}.{p.path}" if p.path else path
                    report.warn(at, f"{p.message}; this {what} was dropped")
                    return None
                # one value at a time: list indices shift after a deletion
                report.warn(f"{path}.{p.path}", f"{p.message}; left out")
                break
    report.warn(path, f"too many problems; this {what} was dropped")
    return None


# --------------------------------------------------------------------------- assembly
@dataclass
class ModelBuilder:
    """Collects raw parts, checks cross-references item by item, and builds the model.

    Each list holds ``(path in the input, raw dict)`` pairs."""

    report: Report
    system: dict[str, Any] = field(default_factory=dict)
    scope: dict[str, Any] = field(default_factory=dict)
    risk_tolerance: dict[str, Any] = field(default_factory=dict)
    objectives: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    assets: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    boundaries: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    elements: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    flows: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    decisions: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def _parts(
        self, cls: type[M], items: list[tuple[str, dict[str, Any]]], what: str
    ) -> list[tuple[str, M]]:
        out = []
        for path, raw in items:
            fitted = fit_part(cls, raw, self.report, path)
            part = validate_part(cls, fitted, self.report, path, what)
            if part is not None:
                out.append((path, part))
        return out

    def build(self, fallback_name: str) -> ThreatModel:
        """The validated model; raises :class:`ModelFileError` if it cannot be built."""
        r = self.report
        system = validate_part(
            SystemInfo,
            fit_part(
                SystemInfo, {"name": fallback_name, **self.system}, r, "system", fallback_name
            ),
            r,
            "system",
            "system info",
        ) or SystemInfo(name=fallback_name)
        scope = (
            validate_part(Scope, fit_part(Scope, self.scope, r, "scope"), r, "scope", "scope")
            or Scope()
        )
        tolerance = (
            validate_part(
                RiskTolerance,
                fit_part(RiskTolerance, self.risk_tolerance, r, "risk_tolerance"),
                r,
                "risk_tolerance",
                "tolerance",
            )
            or RiskTolerance()
        )
        seen: set[str] = set()
        objectives = self._unique(self._parts(Objective, self.objectives, "objective"), seen)
        assets = self._unique(self._parts(Asset, self.assets, "asset"), seen)
        boundaries = self._unique(self._parts(Boundary, self.boundaries, "boundary"), seen)
        elements = self._unique(self._parts(Element, self.elements, "element"), seen)
        flows = self._unique(self._parts(Flow, self.flows, "flow"), seen)
        decisions = self._parts(Decision, self.decisions, "decision")

        asset_ids = {a.id for _, a in assets}
        boundaries = self._boundary_refs(boundaries)
        boundary_ids = {b.id for _, b in boundaries}
        elements = [(p, self._element_refs(p, e, boundary_ids, asset_ids)) for p, e in elements]
        element_ids = {e.id for _, e in elements}
        flows = self._flow_refs(flows, element_ids, asset_ids)
        objectives = [
            (p, self._filtered(p, o, "elements", element_ids, "an element")) for p, o in objectives
        ]
        unique_decisions = []
        findings: set[str] = set()
        cadence = tolerance.review_cadence_days
        for p, d in decisions:
            if d.key in findings:
                what = f"finding '{d.key}'" if d.finding else f"threat {d.threat_id} in this scope"
                r.warn(p, f"second decision for {what}; this one was dropped")
                continue
            findings.add(d.key)
            unique_decisions.append(_dated(d, cadence, r, p))
        try:
            return ThreatModel.model_validate(
                {
                    "system": system,
                    "scope": scope,
                    "risk_tolerance": tolerance,
                    "objectives": [o for _, o in objectives],
                    "assets": [a for _, a in assets],
                    "boundaries": [b for _, b in boundaries],
                    "elements": [e for _, e in elements],
                    "flows": [f for _, f in flows],
                    "decisions": unique_decisions,
                }
            )
        except ValidationError as exc:  # pragma: no cover - the checks above prevent it
            problems = wio.validation_problems(exc, r.filename, None)
            raise ModelFileError(problems) from None

    def _unique(self, items: list[tuple[str, M]], seen: set[str]) -> list[tuple[str, M]]:
        out = []
        for path, item in items:
            item_id = getattr(item, "id", "")
            if item_id in seen:
                self.report.warn(path, f"duplicate ID '{item_id}'; this item was dropped")
                continue
            seen.add(item_id)
            out.append((path, item))
        return out

    def _filtered(self, path: str, item: M, name: str, known: set[str], what: str) -> M:
        values = getattr(item, name)
        kept = [v for v in values if v in known]
        for v in values:
            if v not in known:
                self.report.warn(f"{path}.{name}", f"'{v}' is not {what} ID; left out")
        return item if kept == values else item.model_copy(update={name: kept})

    def _boundary_refs(self, items: list[tuple[str, Boundary]]) -> list[tuple[str, Boundary]]:
        ids = {b.id for _, b in items}
        fixed: list[tuple[str, Boundary]] = []
        for p, b in items:
            if b.parent is not None and b.parent not in ids:
                self.report.warn(f"{p}.parent", f"'{b.parent}' is not a boundary ID; left out")
                b = b.model_copy(update={"parent": None})
            fixed.append((p, b))
        parent = {b.id: b.parent for _, b in fixed}
        broken: set[str] = set()
        for _, b in fixed:
            _, node = boundary_chain(parent, b.id)
            if node is not None:  # a cycle through `node`
                parent[node] = None
                broken.add(node)
        out = []
        for p, b in fixed:
            if b.id in broken:
                self.report.warn(
                    f"{p}.parent", f"boundary '{b.id}' is inside itself; its parent was left out"
                )
                b = b.model_copy(update={"parent": None})
            out.append((p, b))
        return out

    def _element_refs(
        self, path: str, e: Element, boundaries: set[str], assets: set[str]
    ) -> Element:
        if e.boundary is not None and e.boundary not in boundaries:
            self.report.warn(f"{path}.boundary", f"'{e.boundary}' is not a boundary ID; left out")
            e = e.model_copy(update={"boundary": None})
        return self._filtered(path, e, "assets", assets, "an asset")

    def _flow_refs(
        self, items: list[tuple[str, Flow]], elements: set[str], assets: set[str]
    ) -> list[tuple[str, Flow]]:
        out = []
        for p, f in items:
            missing = [end for end in (f.source, f.target) if end not in elements]
            if missing:
                self.report.warn(
                    p,
                    f"flow '{f.id}' connects '{missing[0]}', which is not an imported "
                    "element; this flow was dropped",
                )
                continue
            if f.source == f.target:
                self.report.warn(
                    p, f"flow '{f.id}' goes from '{f.source}' to itself; this flow was dropped"
                )
                continue
            out.append((p, self._filtered(p, f, "data", assets, "an asset")))
        return out


def _dated(d: Decision, cadence: int, r: Report, path: str) -> Decision:
    """An acceptance with a review date: one without gets its decision date (else today)
    plus the review cadence, with a warning (as loading a file does)."""
    if d.status != "accepted" or d.review_by is not None:
        return d
    decided = d.decided or current_date()
    review_by = decided + dt.timedelta(days=cadence)
    r.warn(
        path,
        f"accepted without a review date: review_by set to {review_by.isoformat()} "
        f"({'decided' if d.decided else 'today'} + the review cadence of {cadence} days)",
    )
    return d.model_copy(update={"decided": decided, "review_by": review_by})


def foreign_decision(
    current: dict[str, Any] | None,
    finding: str,
    status: str,
    scoped: dict[str, set[str]],
    origin: str,
    words: Mapping[str, str],
) -> dict[str, Any] | None:
    """The decision (as data) for a finding whose status another tool reports, or
    ``None`` when nothing changes. ``current``: the finding's own decision from our data;
    ``scoped``: per threat, the statuses of the scoped decisions from our data (a status
    one of them gives needs no decision of its own, so a round trip adds none);
    ``origin`` (``Threat Dragon status 'NA'``): the rationale of a status that needs one
    when our data has none; ``words``: the other tool's word for each of our statuses
    (two statuses with one word, such as in_progress and open in Threat Dragon, are the
    same status there: the one our data has is kept)."""

    def alike(a: str, b: str) -> bool:
        return a == b or (a in words and words.get(a) == words.get(b))

    before = as_str((current or {}).get("status")) or "open"
    if alike(status, before):
        return None
    theirs = scoped.get(finding.rsplit("@", 1)[0], set())
    if current is None and any(alike(status, s) for s in theirs):
        return None
    new = dict(current or {})
    new["finding"] = finding
    new["status"] = status
    if "rationale" in STATUS_RULES[status].needs and not as_str(new.get("rationale")).strip():
        new["rationale"] = f"{origin}."
    return new


def scoped_statuses(decisions: Any) -> dict[str, set[str]]:
    """Per threat, the statuses of the scoped decisions among ``decisions`` (raw data)."""
    out: dict[str, set[str]] = {}
    for d in as_list(decisions):
        if isinstance(d, dict) and isinstance(d.get("threat"), str) and "finding" not in d:
            out.setdefault(d["threat"], set()).add(as_str(d.get("status")) or "open")
    return out


def dump(part: BaseModel) -> dict[str, Any]:
    """A part as JSON-ready data without defaults (what our extension data holds)."""
    return part.model_dump(mode="json", exclude_defaults=True)
