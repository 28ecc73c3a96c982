"""Loading threat-model files (YAML or JSON).

Loading
    The text is read and parsed safely by :mod:`workbench.parsing` (bounded, strict, with
    positions), migrated to the current format version (acceptances without a review date
    are dated by :func:`review_dates`, with a warning in :func:`load_warnings`) and
    validated by the pydantic models. Every problem becomes a
    :class:`~workbench.errors.Problem` with file, line, column and path; a failed load never
    touches the file. The cyclic garbage collector is paused while a file is loaded
    (:func:`gc_paused`): it would otherwise take most of a large file's load time.

Saving lives in :mod:`workbench.saving`, above this module.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError

from .errors import ModelFileError, Problem
from .model.parts import RiskTolerance
from .model.references import Loc, RefProblem, did_you_mean, format_loc, reference_problems
from .model.statuses import today as current_date
from .model.threat_model import DEFER_REFERENCES, FORMAT_VERSION, ThreatModel, finish_deferred
from .parsing import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NODES,
    decode_text,
    file_kind,
    gc_paused,
    json_positions,
    mark,
    no_duplicate_pairs,
    node_at,
    parse_json,
    parse_yaml,
    read_limited,
)

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "MIGRATIONS",
    "Format",
    "Source",
    "decode_text",
    "detect_format",
    "file_kind",
    "gc_paused",
    "load_model",
    "load_warnings",
    "loads_model",
    "mark",
    "model_from_document",
    "no_duplicate_pairs",
    "node_at",
    "parse_json",
    "parse_yaml",
    "read_limited",
    "review_dates",
    "validation_problems",
]
"""The parsing helpers live in :mod:`workbench.parsing`; they are still importable here."""

Format = Literal["yaml", "json"]

Migration = Callable[[dict[str, Any]], dict[str, Any]]
MIGRATIONS: dict[int, Migration] = {}
"""``MIGRATIONS[n]`` turns a version-``n`` document into a version-``n+1`` one. Loading
applies the chain up to :data:`FORMAT_VERSION`."""


@dataclass
class Source:
    """Where a model was loaded from: kept so that saving can preserve comments."""

    path: Path | None
    text: str
    fmt: Format
    canonical: bool | None = None
    """Whether ``text`` is exactly what the canonical writer produces (then saving needs
    no round-trip); worked out on first save (:mod:`workbench.saving`)."""
    warnings: tuple[Problem, ...] = ()
    """What loading changed or wants the reader to know (an acceptance given a review
    date, see :func:`review_dates`), each placed like an error."""


_TYPE_NAMES = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "date_type": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
}


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def _model_at(loc: Loc, root_cls: type[BaseModel]) -> type[BaseModel] | None:
    """The pydantic model class that holds the field at ``loc``."""
    cls: type[BaseModel] | None = root_cls
    for part in loc[:-1]:
        if isinstance(part, int) or cls is None:
            continue
        field = cls.model_fields.get(part)
        if field is None:
            return None
        cls = inner_model(field.annotation)
    return cls


def inner_model(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model class inside a field's annotation (``list[Element]``,
    ``Scope | None`` ...), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = inner_model(arg)
        if found is not None:
            return found
    return None


def _message(err: Mapping[str, Any], loc: Loc, root_cls: type[BaseModel]) -> str:
    kind = err["type"]
    value = err.get("input")
    names = [p for p in loc if isinstance(p, str)]
    field = names[-1] if names else "value"
    if kind == "extra_forbidden":
        cls = _model_at(loc, root_cls)
        hint = did_you_mean(field, cls.model_fields) if cls else ""
        return f"unknown field '{field}'{hint}"
    if kind == "missing":
        return f"required field '{field}' is missing"
    if kind == "literal_error":
        expected = str((err.get("ctx") or {}).get("expected", ""))
        choices = [c.strip(" '") for c in expected.replace(" or ", ",").split(",")]
        label = "kind" if field == "kind" else f"value for {field}"
        hint = did_you_mean(str(value), choices)
        listing = "" if hint or len(choices) > 10 else f" (expected {expected})"
        return f"{value!r} is not a known {label}{hint}{listing}"
    if kind == "string_pattern_mismatch":
        if field == "finding":
            return f"{value!r} is not a finding ID (THREAT-ID@element-or-flow-id)"
        return (
            f"{value!r} is not a valid ID (letters, digits, '_', '.', '-'; "
            "starting with a letter or digit; at most 100 characters)"
        )
    if kind in _TYPE_NAMES:
        hint = ""
        if (kind == "string_type" and isinstance(value, (bool, int, float))) or (
            kind == "string_type" and type(value).__name__ in ("date", "datetime")
        ):
            hint = "; put it in quotes (YAML read it as a non-string)"
        return f"expected {_TYPE_NAMES[kind]}, got {_describe(value)}{hint}"
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    return str(err["msg"])


_NO_DATA: Any = object()


def _clean_loc(loc: tuple[Any, ...], data: Any = _NO_DATA) -> Loc:
    """Drop pydantic's internal loc parts: union members, validators (``function-after[…]``,
    ``list[…]``), and the tag of a tagged union (which repeats the key that follows it).
    A part that is a key of the document (``data``, when given) is always kept, whatever
    it holds (``"tags[0]"``)."""
    parts: list[Any] = []
    here, known = data, data is not _NO_DATA
    for p in loc:
        if isinstance(p, int):
            parts.append(p)
            ok = known and isinstance(here, list) and 0 <= p < len(here)
            here, known = (here[p], True) if ok else (None, False)
        elif known and isinstance(here, dict) and p in here:
            parts.append(p)
            here = here[p]
        elif "[" not in str(p):
            parts.append(p)
    return tuple(
        p
        for i, p in enumerate(parts)
        if i + 1 >= len(parts) or p != parts[i + 1] or isinstance(p, int)
    )


def validation_problems(
    exc: ValidationError,
    filename: str,
    root: yaml.Node | None,
    root_cls: type[BaseModel] = ThreatModel,
    data: Any = _NO_DATA,
) -> list[Problem]:
    """One :class:`Problem` per pydantic error, placed with the YAML node tree; ``data``:
    the validated document, to tell its keys from pydantic's own loc parts."""
    problems = []
    for err in exc.errors(include_url=False):
        loc = _clean_loc(tuple(err["loc"]), data)
        if err["type"] == "decision_fields":
            problems.extend(_field_problems(err, loc, filename, root))
            continue
        node = node_at(root, loc, key=err["type"] == "extra_forbidden")
        if err["type"] == "missing":
            node = node_at(root, loc[:-1])
        line, col = mark(node)
        problems.append(Problem(filename, line, col, _path(loc), _message(err, loc, root_cls)))
    return problems


def _field_problems(
    err: Mapping[str, Any], loc: Loc, filename: str, root: yaml.Node | None
) -> list[Problem]:
    """One problem per field named by a decision's ``decision_fields`` error: at the
    field's value when the file has it, else at the decision (as a missing field is)."""
    out = []
    raw = err.get("input")
    for field, message in (err.get("ctx") or {}).get("fields", ()):
        here = (*loc, field)
        present = isinstance(raw, dict) and field in raw
        line, col = mark(node_at(root, here if present else loc))
        out.append(Problem(filename, line, col, _path(here), message))
    return out


_PLAIN_KEY = re.compile(r"[\w-]+")


def _path(loc: Loc) -> str:
    """Like :func:`format_loc`, with a key that is not a plain name in brackets and quotes
    (``system["tags[0]"]``): the path reads the same as the file."""
    out = ""
    for part in loc:
        if isinstance(part, str) and not _PLAIN_KEY.fullmatch(part):
            quoted = part.replace("\\", "\\\\").replace('"', '\\"')
            out += f'["{quoted}"]'
        elif isinstance(part, int) or out:
            out += f"[{part}]" if isinstance(part, int) else f".{part}"
        else:
            out = part
    return out


# --------------------------------------------------------------------------- loading
def _migrate(
    data: dict[str, Any], filename: str, root: Callable[[], yaml.Node | None]
) -> dict[str, Any]:
    version = data.get("format_version", FORMAT_VERSION)

    def problem(message: str) -> ModelFileError:
        line, col = mark(node_at(root(), ("format_version",)))
        return ModelFileError.one(filename, message, line=line, column=col, path="format_version")

    if not isinstance(version, int) or isinstance(version, bool):
        raise problem(f"expected an integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise problem(
            f"version {version} was written by a newer release (this one reads up to "
            f"{FORMAT_VERSION}); upgrade ai-threat-workbench"
        )
    while version < FORMAT_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise problem(f"no migration from format version {version}")
        data = step(dict(data))
        version += 1
        data["format_version"] = version
    return data


def review_dates(
    data: dict[str, Any], filename: str, root: Callable[[], yaml.Node | None]
) -> tuple[dict[str, Any], list[Problem], list[Problem]]:
    """Give every acceptance its review date: files written before review dates existed
    have acceptances without ``review_by`` (format version 1 allows it; nothing is lost).

    An accepted decision without ``review_by`` but with ``decided`` gets the decision
    date plus the model's review cadence (``risk_tolerance.review_cadence_days``,
    default 90), and a warning that says so (saving the model writes it into the file).
    One without either cannot be dated: that is an error naming the field. Returns the
    document (a copy when changed), the warnings and the errors."""
    decisions = data.get("decisions")
    if not isinstance(decisions, list):
        return data, [], []
    cadence = _cadence(data)
    warnings: list[Problem] = []
    errors: list[Problem] = []
    new_list: list[Any] | None = None
    for i, d in enumerate(decisions):
        if not (isinstance(d, dict) and d.get("status") == "accepted"):
            continue
        if d.get("review_by") is not None:
            continue
        loc: Loc = ("decisions", i)
        line, col = mark(node_at(root(), loc))
        path = _path((*loc, "review_by"))
        decided = _date_or_none(d.get("decided"))
        if decided is None:
            if "decided" in d:  # a bad date: validation reports it
                continue
            suggestion = current_date() + dt.timedelta(days=cadence)
            errors.append(
                Problem(
                    filename,
                    line,
                    col,
                    path,
                    "an accepted risk needs a review date: add 'review_by: YYYY-MM-DD' "
                    f"(e.g. {suggestion.isoformat()}, today plus the model's review cadence "
                    f"of {cadence} days), or 'decided: YYYY-MM-DD' to review it {cadence} "
                    "days after the decision",
                )
            )
            continue
        review_by = decided + dt.timedelta(days=cadence)
        if new_list is None:
            new_list = list(decisions)
        new_list[i] = {**d, "review_by": review_by.isoformat()}
        warnings.append(
            Problem(
                filename,
                line,
                col,
                path,
                f"set to {review_by.isoformat()} (decided {decided.isoformat()} + the review "
                f"cadence of {cadence} days): an accepted risk needs a review date; save the "
                "model to keep it, or write your own",
            )
        )
    if new_list is not None:
        data = {**data, "decisions": new_list}
    return data, warnings, errors


def _cadence(data: dict[str, Any]) -> int:
    """The model's review cadence in days (its default when unset or not valid)."""
    default = int(RiskTolerance.model_fields["review_cadence_days"].default)
    tolerance = data.get("risk_tolerance")
    value = tolerance.get("review_cadence_days") if isinstance(tolerance, dict) else None
    if type(value) is int and 1 <= value <= 3660:
        return value
    return default


def _date_or_none(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def load_warnings(model: ThreatModel) -> tuple[Problem, ...]:
    """The warnings of loading ``model`` from its file or text (none when it was not
    loaded from one)."""
    src = model._source
    return src.warnings if isinstance(src, Source) else ()


def loads_model(
    text: str,
    filename: str = "<string>",
    fmt: Format | None = None,
    *,
    path: Path | None = None,
    tree: list[Any] | None = None,
) -> ThreatModel:
    """Parse and validate a model from ``text`` (YAML unless ``fmt="json"``); what loading
    changed is in :func:`load_warnings`. ``tree``: a list that receives the YAML node tree
    and the data parsed from it once the text has parsed (also when validation then
    fails), for a reader that needs the positions of the values (the language server)."""
    fmt = fmt or "yaml"
    with gc_paused():
        model, warnings = _loads_model(text, filename, fmt, tree)
    model._source = Source(path=path, text=text, fmt=fmt, warnings=tuple(warnings))
    return model


def _loads_model(
    text: str, filename: str, fmt: Format, tree: list[Any] | None = None
) -> tuple[ThreatModel, list[Problem]]:
    yaml_root: yaml.Node | None = None
    if fmt == "json":
        data = parse_json(text, filename)
    else:
        data, yaml_root = parse_yaml(text, filename)
        if tree is not None:
            tree += (yaml_root, data)
    return _from_document(data, yaml_root, text, filename, fmt)


def model_from_document(
    data: Any,
    root: yaml.Node | None,
    text: str,
    filename: str = "<string>",
    fmt: Format = "yaml",
    *,
    path: Path | None = None,
) -> ThreatModel:
    """What :func:`loads_model` does once the text is parsed: ``data`` is the document
    parsed from ``text`` and ``root`` its YAML node tree (for JSON: ``None``, composed
    from ``text`` when a problem needs placing). For a reader that keeps a parsed
    document and changes it as the text changes (the language server's keystrokes):
    the result, errors and warnings are those of :func:`loads_model` on ``text``."""
    with gc_paused():
        model, warnings = _from_document(data, root, text, filename, fmt)
    model._source = Source(path=path, text=text, fmt=fmt, warnings=tuple(warnings))
    return model


def _from_document(
    data: Any, yaml_root: yaml.Node | None, text: str, filename: str, fmt: Format
) -> tuple[ThreatModel, list[Problem]]:
    if not isinstance(data, dict):
        got = "an empty document" if data is None else f"a {type(data).__name__}"
        raise ModelFileError.one(
            filename, f"expected a mapping with a 'system' key, got {got}", line=1, column=1
        )
    positions: list[yaml.Node | None] = []

    def root() -> yaml.Node | None:
        """The node tree, for the line and column of a problem; a JSON file is composed
        only when there is a problem to place."""
        if not positions:
            positions.append(json_positions(text) if fmt == "json" else yaml_root)
        return positions[0]

    data = _migrate(data, filename, root)
    data, warnings, undated = review_dates(data, filename, root)
    try:
        draft = ThreatModel.model_validate(data, context={DEFER_REFERENCES: True})
    except ValidationError as exc:
        problems = validation_problems(exc, filename, root(), data=data)
        # Report dangling references too, so one run shows every problem.
        seen = {p.path for p in problems}
        refs = [p for p in _ref_problems(_RawModel(data), filename, root()) if p.path not in seen]
        raise ModelFileError(sorted(problems + refs + undated, key=_position)) from None
    dangling = reference_problems(draft)
    if dangling or undated:
        raise ModelFileError(sorted(_placed(dangling, filename, root()) + undated, key=_position))
    # References checked: finish what validation deferred (sorting), without validating
    # the whole model a second time.
    return finish_deferred(draft), warnings


def _ref_problems(model: Any, filename: str, root: yaml.Node | None) -> list[Problem]:
    return _placed(reference_problems(model), filename, root)


def _placed(refs: list[RefProblem], filename: str, root: yaml.Node | None) -> list[Problem]:
    problems = []
    for p in refs:
        line, col = mark(node_at(root, p.loc))
        problems.append(Problem(filename, line, col, format_loc(p.loc), p.message))
    return problems


def _position(p: Problem) -> tuple[int, int]:
    return (p.line or 0, p.column or 0)


class _RawItem:
    """Read-only attribute view of one raw list item, for best-effort reference checks."""

    def __init__(self, raw: Any) -> None:
        self._raw = raw if isinstance(raw, dict) else {}

    def __getattr__(self, name: str) -> Any:
        value = self._raw.get(name)
        if name == "scope":
            return value if isinstance(value, (str, dict)) else None
        if name in ("elements", "assets", "data"):
            return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
        return value if isinstance(value, str) else None


class _RawModel:
    """Attribute view of a raw document that failed validation."""

    def __init__(self, data: dict[str, Any]) -> None:
        for section in ("objectives", "assets", "boundaries", "elements", "flows", "decisions"):
            items = data.get(section)
            wrapped = [_RawItem(x) for x in items] if isinstance(items, list) else []
            setattr(self, section, wrapped)


def detect_format(path: Path) -> Format:
    """``json`` for ``.json`` files, ``yaml`` otherwise."""
    return "json" if path.suffix.lower() == ".json" else "yaml"


def load_model(path: str | os.PathLike[str]) -> ThreatModel:
    """Load a model from a file; raises :class:`ModelFileError` (never modifies the file)."""
    p = Path(path)
    name = str(path)
    text = decode_text(read_limited(p, name), name)
    return loads_model(text, name, detect_format(p), path=p.resolve())
