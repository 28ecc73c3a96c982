"""What changed between two versions of a threat model, and what that does to the risk.

:func:`diff_models` compares two models section by section — elements, flows,
boundaries, assets, objectives, decisions — and field by field inside each item (element
properties as ``properties.NAME``), plus the model-level parts (system, scope, risk
tolerance). The risk delta analyses both models with the same catalog and reuses
:func:`workbench.register.diff_analyses`: findings added, resolved, and changed in risk or
status, and decisions newly orphaned.

:func:`load_model_spec` reads ``FILE`` or, for review of a change in git, ``REV:PATH``
(through ``git show``). Render with :func:`to_text`, :func:`to_markdown` (for a pull
request comment) or :func:`to_json`.

This is model review, used by ``threat-workbench diff``. It used to be
``workbench.interop.diff``, which re-exports it for one more release.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import ModelFileError
from ..model import ThreatModel

if TYPE_CHECKING:
    from ..catalog import Catalog
    from . import Entry, RegisterDiff

SECTIONS = ("elements", "flows", "boundaries", "assets", "objectives", "decisions")
MODEL_PARTS = ("system", "scope", "risk_tolerance")
GIT_TIMEOUT = 60


@dataclass(frozen=True)
class FieldChange:
    """One field that differs; values are JSON-ready, ``None`` when unset."""

    field: str
    """Dotted path inside the item, e.g. ``properties.exposure`` or ``position.x``."""
    old: Any
    new: Any

    @property
    def kind(self) -> Literal["added", "removed", "changed"]:
        """``added`` (was unset), ``removed`` (now unset) or ``changed``."""
        if _unset(self.old):
            return "added"
        if _unset(self.new):
            return "removed"
        return "changed"


@dataclass(frozen=True)
class ItemRef:
    """An item added or removed."""

    id: str
    name: str
    detail: str
    """A short description: kind and boundary of an element, ends of a flow ..."""


@dataclass(frozen=True)
class ItemChange:
    """An item present in both models whose fields differ."""

    id: str
    name: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class SectionDiff:
    """Added, removed and changed items of one section (by ID)."""

    name: str
    added: tuple[ItemRef, ...]
    removed: tuple[ItemRef, ...]
    changed: tuple[ItemChange, ...]

    @property
    def empty(self) -> bool:
        """Whether nothing in the section changed."""
        return not (self.added or self.removed or self.changed)

    def summary(self) -> str:
        """``"1 added, 2 changed"``."""
        parts = [
            f"{len(items)} {word}"
            for items, word in (
                (self.added, "added"),
                (self.removed, "removed"),
                (self.changed, "changed"),
            )
            if items
        ]
        return ", ".join(parts) or "no changes"


@dataclass(frozen=True)
class ModelDiff:
    """The difference between two models."""

    old_label: str
    new_label: str
    model: tuple[FieldChange, ...]
    """Changes to ``system``, ``scope`` and ``risk_tolerance`` (paths start with those)."""
    sections: tuple[SectionDiff, ...]
    risk: RegisterDiff | None
    """The risk delta (``None`` when not computed)."""

    def section(self, name: str) -> SectionDiff:
        """The :class:`SectionDiff` of ``elements``, ``flows``, ``boundaries``, ``assets``,
        ``objectives`` or ``decisions``."""
        for s in self.sections:
            if s.name == name:
                return s
        raise KeyError(name)

    @property
    def elements(self) -> SectionDiff:
        """Element changes."""
        return self.section("elements")

    @property
    def flows(self) -> SectionDiff:
        """Flow changes."""
        return self.section("flows")

    @property
    def boundaries(self) -> SectionDiff:
        """Boundary changes."""
        return self.section("boundaries")

    @property
    def assets(self) -> SectionDiff:
        """Asset changes."""
        return self.section("assets")

    @property
    def model_empty(self) -> bool:
        """Whether the two models are equal."""
        return not self.model and all(s.empty for s in self.sections)

    @property
    def empty(self) -> bool:
        """Whether neither the models nor the risk differ."""
        return self.model_empty and (self.risk is None or self.risk.empty)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what :func:`to_json` writes)."""
        out: dict[str, Any] = {
            "old": self.old_label,
            "new": self.new_label,
            "model": [_change_dict(c) for c in self.model],
        }
        for s in self.sections:
            out[s.name] = {
                "added": [{"id": i.id, "name": i.name, "detail": i.detail} for i in s.added],
                "removed": [{"id": i.id, "name": i.name, "detail": i.detail} for i in s.removed],
                "changed": [
                    {"id": c.id, "name": c.name, "changes": [_change_dict(x) for x in c.changes]}
                    for c in s.changed
                ],
            }
        if self.risk is not None:
            r = self.risk
            out["risk"] = {
                "added": [_entry_dict(e) for e in r.added],
                "resolved": [_entry_dict(e) for e in r.resolved],
                "changed": [
                    {"id": c.id, "old": _entry_dict(c.old), "new": _entry_dict(c.new)}
                    for c in r.changed
                ],
                "orphaned_decisions": [d.key for d in r.orphaned],
            }
        return out


def _unset(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _change_dict(c: FieldChange) -> dict[str, Any]:
    return {"field": c.field, "kind": c.kind, "old": c.old, "new": c.new}


def _entry_dict(e: Entry) -> dict[str, Any]:
    f = e.finding
    return {
        "id": f.id,
        "title": f.title,
        "target": f.target,
        "target_name": f.target_name,
        "risk": f.risk,
        "score": f.score,
        "status": e.status,
        "expired": e.expired,
        "decision": e.applied or None,
        "residual_risk": e.residual_risk,
        "residual_score": e.residual_score,
    }


# --------------------------------------------------------------------------- compare
def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def _field_changes(old: Any, new: Any, prefix: str = "") -> tuple[FieldChange, ...]:
    a, b = _flatten(old, prefix), _flatten(new, prefix)
    changes = []
    for key in [*a, *(k for k in b if k not in a)]:
        va, vb = a.get(key), b.get(key)
        if va != vb and not (_unset(va) and _unset(vb)):
            changes.append(FieldChange(key, va, vb))
    return tuple(changes)


def _key(section: str, item: Any) -> str:
    return str(item.key if section == "decisions" else item.id)


def _name(section: str, item: Any) -> str:
    if section == "decisions":
        return str(item.status)
    if section == "objectives":
        return str(item.title)
    if section == "flows":
        return str(item.name) or f"{item.source} → {item.target}"
    return str(item.name)


def _detail(section: str, item: Any) -> str:
    if section == "elements":
        where = f", in {item.boundary}" if item.boundary else ""
        return f"{item.kind}{where}"
    if section == "flows":
        return f"{item.source} → {item.target}"
    if section == "boundaries":
        return str(item.trust) + (f", inside {item.parent}" if item.parent else "")
    if section == "assets":
        return str(item.classification) + (", crown jewel" if item.crown_jewel else "")
    if section == "objectives":
        return f"impact {item.impact}"
    return f"owner {item.owner}" if item.owner else "no owner"


def _section(name: str, old: ThreatModel, new: ThreatModel) -> SectionDiff:
    before = {_key(name, x): x for x in getattr(old, name)}
    after = {_key(name, x): x for x in getattr(new, name)}
    added = tuple(
        ItemRef(k, _name(name, after[k]), _detail(name, after[k]))
        for k in sorted(set(after) - set(before))
    )
    removed = tuple(
        ItemRef(k, _name(name, before[k]), _detail(name, before[k]))
        for k in sorted(set(before) - set(after))
    )
    changed = []
    for k in sorted(set(before) & set(after)):
        if before[k] != after[k]:
            fields = _field_changes(
                before[k].model_dump(mode="json"), after[k].model_dump(mode="json")
            )
            changed.append(ItemChange(k, _name(name, after[k]), fields))
    return SectionDiff(name, added, removed, tuple(changed))


def diff_models(
    old: ThreatModel,
    new: ThreatModel,
    *,
    catalog: Catalog | None = None,
    risk: bool = True,
    old_label: str = "old",
    new_label: str = "new",
    today: dt.date | str | None = None,
) -> ModelDiff:
    """Compare two models; with ``risk``, analyse both with ``catalog`` (default: the
    built-in catalog) for the risk delta, review dates compared with ``today`` (default:
    ``THREAT_WORKBENCH_TODAY``, else the machine's date)."""
    model_changes: list[FieldChange] = []
    for part in MODEL_PARTS:
        model_changes.extend(
            _field_changes(
                getattr(old, part).model_dump(mode="json"),
                getattr(new, part).model_dump(mode="json"),
                part,
            )
        )
    sections = tuple(_section(name, old, new) for name in SECTIONS)
    risk_diff = None
    if risk:
        from ..catalog import load_catalog
        from ..engine import Analyzer
        from . import diff_analyses

        analyzer = Analyzer(catalog if catalog is not None else load_catalog())
        risk_diff = diff_analyses(analyzer.analyze(old), analyzer.analyze(new), today=today)
    return ModelDiff(old_label, new_label, tuple(model_changes), sections, risk_diff)


# --------------------------------------------------------------------------- loading
def _git_show(rev: str, path: str, cwd: Path | None, spec: str) -> str:
    from ..parsing import MAX_FILE_BYTES

    if rev.startswith("-"):  # git would read it as an option (--output=... writes a file)
        raise ModelFileError.one(spec, f"'{rev}' is not a revision: it starts with '-'")
    candidates = [path] if path.startswith(("./", "../")) else [f"./{path}", path]
    first_error = ""
    for candidate in candidates:
        try:
            result = subprocess.run(
                ["git", "show", "--end-of-options", f"{rev}:{candidate}"],
                cwd=cwd,
                capture_output=True,
                timeout=GIT_TIMEOUT,
                check=False,
            )
        except FileNotFoundError:
            raise ModelFileError.one(spec, "git is not installed (needed for REV:PATH)") from None
        except subprocess.TimeoutExpired:
            raise ModelFileError.one(spec, f"git show took longer than {GIT_TIMEOUT} s") from None
        if result.returncode == 0:
            if len(result.stdout) > MAX_FILE_BYTES:
                raise ModelFileError.one(
                    spec, f"the file is larger than {MAX_FILE_BYTES // 2**20} MiB"
                )
            try:
                return str(result.stdout.decode("utf-8-sig"))
            except UnicodeDecodeError as exc:
                raise ModelFileError.one(spec, f"not UTF-8 text (byte {exc.start})") from None
        first_error = first_error or result.stderr.decode("utf-8", "replace").strip()
    message = first_error.splitlines()[0] if first_error else "unknown error"
    raise ModelFileError.one(spec, f"git show {rev}:{path} failed: {message}")


def load_model_spec(spec: str, cwd: Path | None = None) -> ThreatModel:
    """Load ``FILE``, or ``REV:PATH`` from git (``git show``; PATH is relative to the
    current directory, or else to the repository's top) when ``spec`` is not an existing
    file and contains ``:``."""
    from ..io import detect_format, load_model, loads_model

    path = Path(spec) if cwd is None else cwd / spec
    if path.exists() or ":" not in spec:
        return load_model(path)
    rev, _, inner = spec.partition(":")
    if not rev or not inner:
        raise ModelFileError.one(spec, "expected FILE or REV:PATH (e.g. HEAD~1:model.yaml)")
    text = _git_show(rev, inner, cwd, spec)
    return loads_model(text, filename=spec, fmt=detect_format(Path(inner)))


# --------------------------------------------------------------------------- rendering
def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe_change(c: FieldChange) -> str:
    if c.kind == "added":
        return f"{c.field}: set to {_short(c.new)}"
    if c.kind == "removed":
        return f"{c.field}: unset (was {_short(c.old)})"
    return f"{c.field}: {_short(c.old)} → {_short(c.new)}"


def _risk_line(e: Entry) -> str:
    f = e.finding
    return f"{e.residual_risk.upper():8} {f.id}: {f.title} (on {f.target_name})"


def _risk_summary(r: RegisterDiff) -> str:
    parts = [
        f"{len(r.added)} finding(s) added",
        f"{len(r.resolved)} resolved",
        f"{len(r.changed)} changed",
    ]
    if r.orphaned:
        parts.append(f"{len(r.orphaned)} decision(s) newly orphaned")
    return ", ".join(parts)


def to_text(d: ModelDiff) -> str:
    """A plain-text report."""
    lines = [f"Threat model diff: {d.old_label} → {d.new_label}"]
    if d.model:
        lines.append(f"Model: {len(d.model)} change(s)")
        lines.extend(f"  ~ {_describe_change(c)}" for c in d.model)
    for s in d.sections:
        if s.empty:
            continue
        lines.append(f"{s.name.capitalize()}: {s.summary()}")
        lines.extend(f"  + {i.id}: {i.name} ({i.detail})" for i in s.added)
        lines.extend(f"  - {i.id}: {i.name} ({i.detail})" for i in s.removed)
        for c in s.changed:
            lines.append(f"  ~ {c.id}: {c.name}")
            lines.extend(f"      {_describe_change(x)}" for x in c.changes)
    if d.model_empty:
        lines.append("The models are equal.")
    if d.risk is not None:
        r = d.risk
        lines.append(f"Risk: {_risk_summary(r)}")
        lines.extend(f"  + {_risk_line(e)}" for e in r.added)
        lines.extend(f"  - {_risk_line(e)}" for e in r.resolved)
        for rc in r.changed:
            lines.append(
                f"  ~ {rc.id}: {rc.old.residual_risk} → {rc.new.residual_risk} "
                f"(score {rc.old.residual_score} → {rc.new.residual_score}, "
                f"{rc.old.state} → {rc.new.state})"
            )
        lines.extend(f"  ! decision for {x.key} matches no finding any more" for x in r.orphaned)
    return "\n".join(lines) + "\n"


_MD_SPECIAL = str.maketrans(
    {
        "\\": "\\\\",
        "|": "\\|",
        "<": "&lt;",
        ">": "&gt;",
        "&": "&amp;",
        "*": "\\*",
        "_": "\\_",
        "`": "\\`",
        "[": "\\[",
        "]": "\\]",
        "#": "\\#",
        "\n": " ",
        "\r": " ",
    }
)


def md(text: str) -> str:
    """``text`` escaped for Markdown (and the HTML that GitHub allows in it)."""
    return text.translate(_MD_SPECIAL)


def _code(item_id: str) -> str:
    """An ID as a code span (IDs hold no backticks); anything else escaped."""
    return f"`{item_id}`" if "`" not in item_id else md(item_id)


def to_markdown(d: ModelDiff) -> str:
    """A Markdown report for a pull-request comment; all model text is escaped."""
    out = [
        "### Threat model diff",
        "",
        f"{md(d.old_label)} → {md(d.new_label)}",
        "",
    ]
    if d.risk is not None:
        r = d.risk
        out += [f"**Risk:** {_risk_summary(r)}", ""]
        rows = [("➕ new", e, "") for e in r.added] + [("✅ resolved", e, "") for e in r.resolved]
        rows += [
            (
                "✏️ changed",
                c.new,
                f"{c.old.residual_risk} → {c.new.residual_risk}, {c.old.state} → {c.new.state}",
            )
            for c in r.changed
        ]
        if rows:
            out += ["| | Finding | Target | Residual risk | Change |", "|---|---|---|---|---|"]
            for label, e, change in rows:
                f = e.finding
                out.append(
                    f"| {label} | {_code(f.id)}: {md(f.title)} | {md(f.target_name)} "
                    f"| **{e.residual_risk}** | {md(change)} |"
                )
            out.append("")
        for x in r.orphaned:
            out.append(f"- ⚠️ decision for {_code(x.key)} matches no finding any more")
        if r.orphaned:
            out.append("")
    if d.model:
        out += [f"#### Model ({len(d.model)} change(s))", ""]
        out += [f"- {md(_describe_change(c))}" for c in d.model]
        out.append("")
    for s in d.sections:
        if s.empty:
            continue
        out += [f"#### {s.name.capitalize()} ({s.summary()})", ""]
        out += [f"- ➕ {_code(i.id)}: {md(i.name)} ({md(i.detail)})" for i in s.added]
        out += [f"- ➖ {_code(i.id)}: {md(i.name)} ({md(i.detail)})" for i in s.removed]
        for c in s.changed:
            out.append(f"- ✏️ {_code(c.id)}: {md(c.name)}")
            out += [f"  - {md(_describe_change(x))}" for x in c.changes]
        out.append("")
    if d.model_empty:
        out += ["The models are equal.", ""]
    return "\n".join(out)


def to_json(d: ModelDiff) -> str:
    """The diff as JSON."""
    return json.dumps(d.to_dict(), indent=2, ensure_ascii=False) + "\n"
