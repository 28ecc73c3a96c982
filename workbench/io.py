"""Loading and saving threat-model files (YAML or JSON).

Loading
    ``yaml`` (PyYAML's safe loader; the C one when present) composes the document; the node
    tree is checked: only the standard YAML tags, no duplicate keys, bounded nesting and a
    bounded size once aliases are expanded (YAML bombs are refused). A valid file is checked
    and built in one walk; anything unusual takes the careful path (checks first, then
    PyYAML's constructor), which reports the problem with its place. The data is then
    validated by the pydantic models. Every problem becomes a
    :class:`~workbench.errors.Problem` with file, line, column and path; a failed load never
    touches the file. The cyclic garbage collector is paused while a file is loaded
    (:func:`gc_paused`): it would otherwise take most of a large file's load time.

Saving lives in :mod:`workbench.saving` (``save_model``, ``dumps_model``, ``to_document``,
``write_atomic`` are still importable from here).
"""

from __future__ import annotations

import gc
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError

from .errors import ModelFileError, Problem
from .model.references import Loc, RefProblem, did_you_mean, format_loc, reference_problems
from .model.threat_model import DEFER_REFERENCES, FORMAT_VERSION, ThreatModel, finish_deferred

MAX_FILE_BYTES = 16 * 1024 * 1024
"""Largest model file accepted (16 MiB: about 50,000 elements)."""
MAX_NODES = 2_000_000
"""Largest number of YAML nodes once aliases are expanded."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences accepted."""

Format = Literal["yaml", "json"]

Migration = Callable[[dict[str, Any]], dict[str, Any]]
MIGRATIONS: dict[int, Migration] = {}
"""``MIGRATIONS[n]`` turns a version-``n`` document into a version-``n+1`` one. Loading
applies the chain up to :data:`FORMAT_VERSION`."""

_BASE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BASE_LOADER):  # type: ignore[misc]
    """PyYAML's safe loader (the C one when present), reading timestamps as plain strings:
    dates are validated by the model, with a message that names the field."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _BASE_LOADER.construct_yaml_str)
_YAML_LOADER: Any = _Loader
_TAG = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {
    _TAG + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge")
}


@dataclass
class Source:
    """Where a model was loaded from: kept so that saving can preserve comments."""

    path: Path | None
    text: str
    fmt: Format
    canonical: bool | None = None
    """Whether ``text`` is exactly what the canonical writer produces (then saving needs
    no round-trip); worked out on first save (:mod:`workbench.saving`)."""


# --------------------------------------------------------------------------- parsing
class _RefusedError(Exception):
    def __init__(self, node: yaml.Node | None, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


def _check_nodes(root: yaml.Node) -> None:
    """Refuse unknown tags, duplicate keys, deep nesting, recursive aliases and bombs."""
    stack: list[tuple[yaml.Node, int]] = [(root, 0)]
    seen: set[int] = set()
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise _RefusedError(node, f"nested deeper than {MAX_DEPTH} levels")
        if node.tag not in _ALLOWED_TAGS:
            raise _RefusedError(node, f"tag '{node.tag}' is not allowed (plain YAML data only)")
        if isinstance(node, yaml.MappingNode):
            _check_keys(node)
            stack.extend((child, depth + 1) for pair in node.value for child in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
    _expanded_size(root, {}, set())


def _check_keys(node: yaml.MappingNode) -> None:
    keys: set[Any] = set()
    for k, _ in node.value:
        if isinstance(k, yaml.ScalarNode):
            if k.value in keys and k.tag != _TAG + "merge":
                raise _RefusedError(k, f"duplicate key '{k.value}'")
            keys.add(k.value)


def _expanded_size(node: yaml.Node, sizes: dict[int, int], active: set[int]) -> int:
    """Number of values once aliases are expanded, computed without expanding them."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in active:
        raise _RefusedError(node, "recursive alias")
    active.add(key)
    children: list[yaml.Node] = []
    if isinstance(node, yaml.MappingNode):
        children = [child for pair in node.value for child in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    total = 1 + sum(_expanded_size(c, sizes, active) for c in children)
    active.discard(key)
    sizes[key] = total
    if total > MAX_NODES:
        raise _RefusedError(
            node, f"the document expands to more than {MAX_NODES:,} values (alias bomb?)"
        )
    return total


def mark(node: yaml.Node | None) -> tuple[int | None, int | None]:
    if node is None:
        return None, None
    return node.start_mark.line + 1, node.start_mark.column + 1


def _compose(text: str, filename: str) -> yaml.Node | None:
    loader = _YAML_LOADER(text)
    try:
        return loader.get_single_node()  # type: ignore[no-any-return]
    finally:
        loader.dispose()


class _UnusualError(Exception):
    """The fast path met something it leaves to the careful one: a refused or rare
    construct (unknown tag, duplicate key, merge key, complex key, alias cycle, too deep,
    too big), which the careful path then reports with its place, exactly as before."""


_STR_TAGS = frozenset({_TAG + "str", _TAG + "timestamp"})  # timestamps are read as text
_MAP_TAG, _SEQ_TAG, _MERGE_TAG = _TAG + "map", _TAG + "seq", _TAG + "merge"


class _Builder:
    """The data of a node tree, built in one walk that also applies every check of
    :func:`_check_nodes`: the common case of :func:`parse_yaml`.

    It accepts only what the careful path (``_check_nodes``, then PyYAML's constructor)
    accepts, and builds the same data: the standard scalar constructors, one shared object
    per aliased mapping or sequence. The size and the depth it checks are those of the
    document with its aliases expanded (the size and height of a shared node are
    remembered, never walked again), so it never accepts what the careful path refuses.
    Anything else raises :class:`_UnusualError`. Scalars, most of a file, are read inline
    by their container; sizes and depths are counted per container.
    """

    def __init__(self, loader: Any) -> None:
        self.scalars: dict[str, Callable[[yaml.Node], Any]] = {
            _TAG + "int": loader.construct_yaml_int,
            _TAG + "float": loader.construct_yaml_float,
            _TAG + "bool": loader.construct_yaml_bool,
            _TAG + "null": loader.construct_yaml_null,
        }
        self.built: dict[int, tuple[Any, int, int]] = {}  # id -> value, size, height
        self.active: set[int] = set()  # containers being built (an alias to one: a cycle)
        self.count = 0  # values so far, aliases expanded
        self.deepest = 0  # deepest level reached so far in the current subtree

    def root(self, node: yaml.Node) -> Any:
        if type(node) is yaml.ScalarNode:
            self.count = 1
            return self.scalar(node)
        return self.container(node, 0)

    def scalar(self, node: yaml.Node) -> Any:
        if node.tag in _STR_TAGS:
            return node.value
        construct = self.scalars.get(node.tag)
        if construct is None:
            raise _UnusualError
        return construct(node)

    def container(self, node: yaml.Node, depth: int) -> Any:
        """A mapping or sequence at ``depth``: built, or shared when seen before."""
        key = id(node)
        done = self.built.get(key)
        if done is not None:  # an alias of a mapping or sequence built before
            shared, size, height = done
            self.count += size
            if depth + height > MAX_DEPTH or self.count > MAX_NODES:
                raise _UnusualError
            self.deepest = max(self.deepest, depth + height)
            return shared
        if key in self.active or depth > MAX_DEPTH:
            raise _UnusualError  # recursive alias, or too deep
        self.active.add(key)
        start, outer = self.count, self.deepest
        self.count += 1 + len(node.value) * (2 if type(node) is yaml.MappingNode else 1)
        self.deepest = depth + 1 if node.value else depth
        if self.deepest > MAX_DEPTH:
            raise _UnusualError
        if type(node) is yaml.MappingNode and node.tag == _MAP_TAG:
            value: Any = self._mapping(node.value, depth + 1)
        elif type(node) is yaml.SequenceNode and node.tag == _SEQ_TAG:
            value = self._sequence(node.value, depth + 1)
        else:
            raise _UnusualError
        if self.count > MAX_NODES:
            raise _UnusualError
        self.active.discard(key)
        self.built[key] = (value, self.count - start, self.deepest - depth)
        self.deepest = max(outer, self.deepest)
        return value

    def _mapping(self, pairs: list[tuple[yaml.Node, yaml.Node]], depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        seen: set[str] = set()
        node_type, text, scalar, container = yaml.ScalarNode, _STR_TAGS, self.scalar, self.container
        for k, v in pairs:
            if type(k) is not node_type or k.tag == _MERGE_TAG or k.value in seen:
                raise _UnusualError  # complex key, merge key, duplicate key
            seen.add(k.value)
            key = k.value if k.tag in text else scalar(k)
            if type(v) is not node_type:
                out[key] = container(v, depth)
                self.count -= 1  # counted by the container itself
            else:
                out[key] = v.value if v.tag in text else scalar(v)
        return out

    def _sequence(self, items: list[yaml.Node], depth: int) -> list[Any]:
        out: list[Any] = []
        node_type, text, scalar, container = yaml.ScalarNode, _STR_TAGS, self.scalar, self.container
        for c in items:
            if type(c) is not node_type:
                out.append(container(c, depth))
                self.count -= 1  # counted by the container itself
            else:
                out.append(c.value if c.tag in text else scalar(c))
        return out


def _construct_checked(root: yaml.Node, loader: Any) -> Any:
    """See :class:`_Builder`; any error of a constructor also means the careful path."""
    try:
        return _Builder(loader).root(root)
    except (ValueError, TypeError, KeyError, RecursionError, yaml.YAMLError):
        raise _UnusualError from None


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many objects are built (a document's
    nodes, dicts and models; an analysis).

    Building tens of thousands of objects triggers collection after collection over the
    growing heap: that took most of a large file's load time (the YAML parse alone ran
    4-6x slower). Nothing is lost: memory is still freed by reference counting, and the
    collector (left alone when the caller had disabled it) runs as usual afterwards and
    takes the few cycles left behind."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_yaml(text: str, filename: str) -> tuple[Any, yaml.Node | None]:
    """Safely parse YAML text: the data and the node tree (for positions). Raises
    :class:`ModelFileError` for syntax errors, unknown tags, bombs and duplicate keys."""
    loader = _YAML_LOADER(text)
    try:
        with gc_paused():
            node = loader.get_single_node()
            if node is None:
                return None, None
            try:
                return _construct_checked(node, loader), node
            except _UnusualError:
                pass  # the careful path below finds (and places) the problem
            _check_nodes(node)
            return loader.construct_document(node), node
    except yaml.MarkedYAMLError as exc:
        where = exc.problem_mark or exc.context_mark
        line = where.line + 1 if where else None
        col = where.column + 1 if where else None
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        raise ModelFileError(
            [Problem(filename, line, col, "", f"YAML syntax error: {what}")]
        ) from None
    except yaml.YAMLError as exc:
        raise ModelFileError([Problem(filename, None, None, "", f"YAML error: {exc}")]) from None
    except _RefusedError as exc:
        line, col = mark(exc.node)
        raise ModelFileError([Problem(filename, line, col, "", exc.message)]) from None
    except RecursionError:
        raise ModelFileError(
            [Problem(filename, None, None, "", f"nested deeper than {MAX_DEPTH} levels")]
        ) from None
    except (ValueError, TypeError) as exc:
        huge = _huge_number(exc, filename, text)
        raise ModelFileError(
            [huge or Problem(filename, None, None, "", f"unreadable value: {exc}")]
        ) from None
    finally:
        loader.dispose()


def _huge_number(exc: Exception, filename: str, text: str) -> Problem | None:
    """Python's refusal to read an integer of more than 4,300 digits, said plainly and
    placed (its own message advises a setting that the user of a CLI cannot change)."""
    if "integer string conversion" not in str(exc):
        return None
    limit = getattr(sys, "get_int_max_str_digits", lambda: 4300)()
    found = re.search("[0-9_]{" + str(limit + 1) + ",}", text)
    if found is None:
        return Problem(filename, None, None, "", f"number too large (at most {limit} digits)")
    start = found.start()
    line = text.count("\n", 0, start) + 1
    col = start - (text.rfind("\n", 0, start) + 1) + 1
    digits = len(found.group().replace("_", ""))
    return Problem(filename, line, col, "", f"number too large ({digits} digits; at most {limit})")


def no_duplicate_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for :func:`json.loads` that refuses duplicate keys."""
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key '{k}'")
        out[k] = v
    return out


def _parse_json(text: str, filename: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=no_duplicate_pairs)
    except json.JSONDecodeError as exc:
        raise ModelFileError(
            [Problem(filename, exc.lineno, exc.colno, "", f"JSON syntax error: {exc.msg}")]
        ) from None
    except ValueError as exc:
        huge = _huge_number(exc, filename, text)
        raise ModelFileError([huge or Problem(filename, None, None, "", str(exc))]) from None
    except RecursionError:
        raise ModelFileError([Problem(filename, None, None, "", "nested too deeply")]) from None


# --------------------------------------------------------------------------- positions
def node_at(root: yaml.Node | None, loc: Loc, *, key: bool = False) -> yaml.Node | None:
    """The node at ``loc`` (its key node when ``key``), or the deepest node on the way."""
    node = root
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == part:
                    node = k if (last and key) else v
                    break
            else:
                return node
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return node
            node = node.value[part]
        else:
            return node
    return node


# --------------------------------------------------------------------------- messages
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
        cls = _inner_model(field.annotation)
    return cls


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
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
        node = node_at(root, loc, key=err["type"] == "extra_forbidden")
        if err["type"] == "missing":
            node = node_at(root, loc[:-1])
        line, col = mark(node)
        problems.append(Problem(filename, line, col, _path(loc), _message(err, loc, root_cls)))
    return problems


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
        return ModelFileError([Problem(filename, line, col, "format_version", message)])

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


def loads_model(
    text: str, filename: str = "<string>", fmt: Format | None = None, *, path: Path | None = None
) -> ThreatModel:
    """Parse and validate a model from ``text`` (YAML unless ``fmt="json"``)."""
    fmt = fmt or "yaml"
    with gc_paused():
        model = _loads_model(text, filename, fmt)
    model._source = Source(path=path, text=text, fmt=fmt)
    return model


def _loads_model(text: str, filename: str, fmt: Format) -> ThreatModel:
    yaml_root: yaml.Node | None = None
    if fmt == "json":
        data = _parse_json(text, filename)
    else:
        data, yaml_root = parse_yaml(text, filename)
    if not isinstance(data, dict):
        got = "an empty document" if data is None else f"a {type(data).__name__}"
        raise ModelFileError(
            [Problem(filename, 1, 1, "", f"expected a mapping with a 'system' key, got {got}")]
        )
    positions: list[yaml.Node | None] = []

    def root() -> yaml.Node | None:
        """The node tree, for the line and column of a problem; a JSON file is composed
        only when there is a problem to place."""
        if not positions:
            positions.append(_json_positions(text) if fmt == "json" else yaml_root)
        return positions[0]

    data = _migrate(data, filename, root)
    try:
        draft = ThreatModel.model_validate(data, context={DEFER_REFERENCES: True})
    except ValidationError as exc:
        problems = validation_problems(exc, filename, root(), data=data)
        # Report dangling references too, so one run shows every problem.
        seen = {p.path for p in problems}
        refs = [p for p in _ref_problems(_RawModel(data), filename, root()) if p.path not in seen]
        raise ModelFileError(sorted(problems + refs, key=_position)) from None
    dangling = reference_problems(draft)
    if dangling:
        raise ModelFileError(_placed(dangling, filename, root()))
    # References checked: finish what validation deferred (sorting), without validating
    # the whole model a second time.
    return finish_deferred(draft)


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


def _json_positions(text: str) -> yaml.Node | None:
    """JSON is (nearly) YAML: compose it to know line numbers; give up quietly if not."""
    try:
        return _compose(text, "")
    except yaml.YAMLError:
        return None


def detect_format(path: Path) -> Format:
    """``json`` for ``.json`` files, ``yaml`` otherwise."""
    return "json" if path.suffix.lower() == ".json" else "yaml"


def load_model(path: str | os.PathLike[str]) -> ThreatModel:
    """Load a model from a file; raises :class:`ModelFileError` (never modifies the file)."""
    p = Path(path)
    name = str(path)
    text = decode_text(read_limited(p, name), name)
    return loads_model(text, name, detect_format(p), path=p.resolve())


_OPEN_DESCRIPTORS = ("/dev/stdin", "/dev/fd/", "/proc/self/fd/")
"""Paths of descriptors this process already holds (standard input, ``<(...)``): read
whatever they are, as the user handed them over."""


def file_kind(mode: int) -> str | None:
    """What a file that is not a regular file is, in words ("a directory", "a named pipe
    (FIFO)" ...); ``None`` for a regular file. The one description of file kinds, for
    reading (here) and for writing (:mod:`workbench.outputs`)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"  # pragma: no cover - no other kinds on POSIX


def _held_by_us(path: Path, st: os.stat_result) -> bool:
    """Whether ``path`` names standard input or another descriptor already open here."""
    text = str(path)
    if text == "/dev/stdin" or text.startswith(_OPEN_DESCRIPTORS[1:]):
        return True
    try:
        stdin = os.fstat(0)
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == (stdin.st_dev, stdin.st_ino)


def read_limited(
    path: str | os.PathLike[str],
    name: str,
    limit: int = MAX_FILE_BYTES,
    *,
    descriptors: bool = True,
    expected: str = "a regular file: give a file, or pass the model on standard input as "
    "/dev/stdin",
) -> bytes:
    """The bytes of a file, at most ``limit`` of them; :class:`ModelFileError` otherwise.

    The read itself is bounded (a pipe or a device has no size to check first: at most
    ``limit + 1`` bytes are read). Only regular files are opened, and standard input
    (``/dev/stdin``) or another descriptor already open (``/dev/fd/N``, as ``<(...)``
    gives): a named pipe with no writer would wait for ever, a device never ends, so both
    are refused with a one-line message, without waiting (``descriptors=False``: standard
    input is refused too; ``expected`` ends that message)."""
    p = Path(path)

    def refuse(message: str) -> ModelFileError:
        return ModelFileError([Problem(name, None, None, "", message)])

    nonblocking = getattr(os, "O_NONBLOCK", 0)  # opening a FIFO must not wait for a writer
    try:
        fd = os.open(p, os.O_RDONLY | nonblocking | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        if isinstance(exc, FileNotFoundError) and p.is_symlink():
            raise refuse(f"broken symbolic link (to {os.readlink(p)})") from None
        raise refuse(exc.strerror or str(exc)) from None
    try:
        st = os.fstat(fd)
        regular = stat.S_ISREG(st.st_mode)
        if not regular and not (descriptors and _held_by_us(p, st)):
            raise refuse(f"{file_kind(st.st_mode)}, not {expected}")
        if regular and st.st_size > limit:
            raise refuse(f"file is {st.st_size / 2**20:.1f} MiB; the limit is {limit // 2**20} MiB")
        if nonblocking:
            os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise refuse(exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
    if len(raw) > limit:
        raise refuse(f"more than {limit // 2**20} MiB (the limit); reading stopped there")
    return raw


_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def decode_text(raw: bytes, name: str) -> str:
    """UTF-8 text (a byte-order mark is dropped); :class:`ModelFileError` naming what the
    bytes are otherwise (UTF-16 and UTF-32 are recognised, with or without a byte-order
    mark: NUL bytes, valid UTF-8 but never in a YAML or JSON file, give them away)."""
    other = next((enc for bom, enc in _BOMS if raw.startswith(bom)), None)
    if other is not None:
        message = f"{other} text (it starts with a {other} byte-order mark)"
    elif b"\x00" in raw[:4096]:
        message = "UTF-16 or UTF-32 text (it holds NUL bytes)"
    else:
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            problem = (
                f"not UTF-8 text: byte 0x{raw[exc.start]:02x} at line {line}, "
                f"column {column} (byte {exc.start})"
            )
            raise ModelFileError([Problem(name, line, column, "", problem)]) from None
    raise ModelFileError(
        [Problem(name, None, None, "", f"not UTF-8 text: {message}; save it as UTF-8")]
    )


_MOVED = {"save_model", "dumps_model", "to_document", "write_atomic"}
"""Names that moved to :mod:`workbench.saving`, still importable from here."""


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        from . import saving

        return getattr(saving, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
