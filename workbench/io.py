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

Saving
    Atomic, through :func:`workbench.outputs.write_output` (the one atomic writer): the text
    goes to a temporary file of its own in the same folder, which then replaces the target
    with :func:`os.replace`; the previous file is kept as ``<name>.bak``, copied the same
    way. A model loaded from a hand-written YAML file is written back over that file's text
    (:class:`_TextWriter`: only what changed is rewritten, in time linear in the file), so
    the comments, key order, item order and quoting of the file survive; the files it does
    not handle (anchors, merge keys ...) go through ruamel.yaml's round-trip mode, to the
    same effect, more slowly. Anything else is written in canonical form (fields in
    declaration order, defaults left out, lists sorted by ID), and so is a model whose
    text written over its file would not load back as the same model (checked on every
    save). The garbage collector is paused while the text is made, as for loading.
"""

from __future__ import annotations

import gc
import io
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
    no round-trip); worked out on first save."""

    def is_canonical(self) -> bool:
        """Whether the source text is canonical output (cached)."""
        if self.canonical is None:
            self.canonical = _is_canonical_text(self.text)
        return self.canonical


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


# --------------------------------------------------------------------------- writing
def to_document(model: ThreatModel) -> dict[str, Any]:
    """The canonical document of ``model``: declaration order, defaults left out."""
    doc: dict[str, Any] = {"format_version": FORMAT_VERSION}
    doc.update(model.model_dump(mode="json", exclude_defaults=True))
    return doc


def _full_document(model: ThreatModel) -> dict[str, Any]:
    doc: dict[str, Any] = {"format_version": FORMAT_VERSION}
    doc.update(model.model_dump(mode="json"))
    return doc


def _represent_float(representer: Any, value: float) -> Any:
    """Floats as YAML 1.1 readers expect them (``1.0e-05``, not ``1e-05``)."""
    text = repr(value).lower()
    if "e" in text and "." not in text:
        text = text.replace("e", ".0e")
    return representer.represent_scalar(_TAG + "float", text)


_REPRESENTER: Any = None


def _ruamel(source_text: str | None = None) -> Any:
    global _REPRESENTER
    from ruamel.yaml import YAML
    from ruamel.yaml.representer import RoundTripRepresenter

    if _REPRESENTER is None:

        class Representer(RoundTripRepresenter):
            pass

        Representer.add_representer(float, _represent_float)
        _REPRESENTER = Representer
    y = YAML(typ="rt")
    y.Representer = _REPRESENTER
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap a user's long lines
    indent = _guess_indent(source_text) if source_text is not None else _Indent()
    y.indent(mapping=indent.mapping, sequence=indent.sequence, offset=indent.offset)
    return y


@dataclass(frozen=True)
class _Indent:
    """How a file indents, in ruamel.yaml's terms: the items of a block sequence start
    ``sequence`` columns right of their key, their dash ``offset`` columns."""

    sequence: int = 4
    offset: int = 2

    @property
    def mapping(self) -> int:
        return max(self.sequence - self.offset, 2)


def _guess_indent(text: str) -> _Indent:
    """The indentation of ``text``, read from its first block sequence item as
    ``ruamel.yaml.util.load_yaml_guess_indent`` reads it, without loading the document
    (that function loads it all: it cost a third of a save)."""
    key_indent = 0
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("- "):
            dash = len(line) - len(line.lstrip(" "))
            after = len(line) - len(line[dash + 1 :].lstrip(" "))
            if line[after:].startswith("#"):
                continue  # a comment after the dash
            sequence, offset = after - key_indent, dash - key_indent
            return _Indent(sequence, offset) if 0 <= offset <= sequence - 2 else _Indent()
        if stripped.endswith(":") and not stripped.startswith("#"):
            key_indent = len(line) - len(line.lstrip(" "))
    return _Indent()


_BASE_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BASE_DUMPER):  # type: ignore[misc]
    """PyYAML's safe dumper (the C one when present) writing clean multi-line text as a
    literal block."""


class _IndentedDumper(yaml.SafeDumper):
    """PyYAML's Python dumper with the items of a block sequence indented under their key
    (``key:\\n  - item``), for files written that way; the C dumper never indents them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: Any, value: str) -> Any:
    style = "|" if "\n" in value.rstrip("\n") and _block_safe(value) else None
    return dumper.represent_scalar(_TAG + "str", value, style=style)


class _FlowDumper(_BASE_DUMPER):  # type: ignore[misc]
    """PyYAML's safe dumper writing text with line breaks in double quotes (escaped), for
    values inside a flow collection (``{x: 1, note: "two\\nlines"}``): on one line."""


def _represent_flow_str(dumper: Any, value: str) -> Any:
    style = '"' if any(c in value for c in "\n\r\x85\u2028\u2029") else None
    return dumper.represent_scalar(_TAG + "str", value, style=style)


_Dumper.add_representer(str, _represent_str)
_IndentedDumper.add_representer(str, _represent_str)
_FlowDumper.add_representer(str, _represent_flow_str)

_RESOLVER = yaml.resolver.Resolver()
_LINE_BREAKS_1_1 = ("\x85", "\u2028", "\u2029")


def _styled(value: Any) -> Any:
    """For ruamel (a YAML 1.2 writer): mark strings that a YAML 1.1 reader (PyYAML) would
    not read back as the same string (``yes``, ``on``, ``1e3``, ``~``, text with NEL or
    control characters) to be written in double quotes, and clean multi-line text as a
    literal block."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

    if isinstance(value, dict):
        return {k: _styled(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_styled(v) for v in value]
    if not isinstance(value, str):
        return value
    printable = all(c.isprintable() or c == "\n" for c in value) and not any(
        c in value for c in _LINE_BREAKS_1_1
    )
    if "\n" in value.rstrip("\n") and printable and _block_safe(value):
        return LiteralScalarString(value)
    tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    plain = tag == _TAG + "str"
    if not printable or not plain or "\n" in value:
        return DoubleQuotedScalarString(value)
    return value


def _block_safe(text: str) -> bool:
    lines = text.split("\n")
    return (
        text.endswith("\n")
        and not text.endswith("\n\n")
        and not lines[0].startswith((" ", "\t"))
        and all(line == line.rstrip() and line.isprintable() for line in lines)
        and not any(c in text for c in _LINE_BREAKS_1_1)
    )


def _canonical_yaml(doc: dict[str, Any]) -> str:
    text: str = yaml.dump(
        doc,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=4096,
        default_flow_style=False,
    )
    return text


def _is_canonical_text(text: str) -> bool:
    """Whether ``text`` is exactly what the canonical writer makes of the model it holds.

    Canonical text starts ``format_version: N`` then ``system:``: any other start (a
    comment, another order) says no at once. Otherwise the model is loaded and written
    section by section, stopping at the first section that differs."""
    if not text.startswith(f"format_version: {FORMAT_VERSION}\nsystem:\n"):
        return False
    try:
        model = loads_model(text)
    except ModelFileError:
        return False
    pos = 0
    for key, value in to_document(model).items():
        chunk = _canonical_yaml({key: value})
        if not text.startswith(chunk, pos):
            return False
        pos += len(chunk)
    return pos == len(text)


def dumps_model(model: ThreatModel, fmt: Format = "yaml") -> str:
    """The model as text: canonical, or written over its source file."""
    return _dump(model, fmt)[0]


def _dump(model: ThreatModel, fmt: Format) -> tuple[str, bool]:
    """The text, and whether it is canonical output. The garbage collector is paused, as
    for loading (:func:`gc_paused`): writing builds as many objects."""
    with gc_paused():
        return _dump_text(model, fmt)


def _dump_text(model: ThreatModel, fmt: Format) -> tuple[str, bool]:
    if fmt == "json":
        return json.dumps(to_document(model), indent=2, ensure_ascii=False) + "\n", False
    src = model._source
    if isinstance(src, Source) and src.fmt == "yaml" and not src.is_canonical():
        text = _round_trip(model, src.text)
        if text is not None:
            return text, False
    return _canonical_yaml(to_document(model)), True


_ID_KEYS = ("id", "finding")


def _id_of(item: Any) -> str | None:
    if isinstance(item, dict):
        for k in _ID_KEYS:
            if isinstance(item.get(k), str):
                return str(item[k])
    return None


def _ids(items: list[Any]) -> list[str] | None:
    """The IDs of a list of objects with unique IDs; ``None`` for any other list."""
    ids = [_id_of(x) for x in items]
    if not all(ids):
        return None
    found = [str(i) for i in ids]
    return found if len(set(found)) == len(found) else None


def _round_trip(model: ThreatModel, source_text: str) -> str | None:
    """Write ``model`` over ``source_text`` keeping its comments and order: with
    :class:`_TextWriter`, or when it declines the file, with ruamel.yaml. ``None`` if the
    result would not load back as the same model (then canonical output is used)."""
    full, compact = _full_document(model), to_document(model)
    for write in (_write_over, _ruamel_write_over):
        text = write(source_text, full, compact)
        if text is not None and _reads_back(text, model):
            return text
    return None


def _reads_back(text: str, model: ThreatModel) -> bool:
    try:
        return loads_model(text) == model
    except ModelFileError:
        return False


# ------------------------------------------------------------ writing over a source file
class _DeclinedError(Exception):
    """The text writer leaves this file to ruamel.yaml's round trip."""


_ABSENT: Any = object()
"""A key that the compact document leaves out: its value is the default."""

_MAYBE_ANCHOR = re.compile(r"(?:^|[\s\[{,:])[&*]", re.MULTILINE)
"""Where an anchor (``&a``) or an alias (``*a``) could start; a match is checked by
scanning the tokens (``R&D`` and ``**bold**`` in text do not match)."""


def _write_over(source: str, full: dict[str, Any], compact: dict[str, Any]) -> str | None:
    """``source`` edited in place to hold ``full`` (see :class:`_TextWriter`); ``None``
    for a file it does not handle: anchors and aliases, merge keys, tags other than the
    standard ones, carriage returns, a document that is not a block mapping, another
    format version, lists in flow style whose items change."""
    if "\r" in source or (_MAYBE_ANCHOR.search(source) and _has_anchors(source)):
        return None
    loader = _YAML_LOADER(source)
    try:
        with gc_paused():
            root = loader.get_single_node()
            data = _construct_checked(root, loader) if root is not None else None
    except (_UnusualError, yaml.YAMLError):
        return None
    finally:
        loader.dispose()
    if not (isinstance(root, yaml.MappingNode) and not root.flow_style and isinstance(data, dict)):
        return None
    version = data.get("format_version", FORMAT_VERSION)
    if type(version) is not int or version != FORMAT_VERSION:
        return None
    writer = _TextWriter(source, _guess_indent(source))
    try:
        writer.mapping(root, data, full, compact)
        return writer.result()
    except _DeclinedError:
        return None


def _has_anchors(text: str) -> bool:
    anchor, alias = yaml.AnchorToken, yaml.AliasToken
    try:
        return any(isinstance(t, (anchor, alias)) for t in yaml.scan(text, Loader=_YAML_LOADER))
    except yaml.YAMLError:
        return True


def _same(old: Any, full: Any, compact: Any = _ABSENT) -> bool:
    """Whether ``old`` (read from the file) already says what ``full`` says: keys left
    out of ``old`` hold their default (they are absent from ``compact``), lists of objects
    are matched by ID in any order, ``1`` and ``1.0`` are the same number (``True`` and
    ``1`` are not). Then the file's text for it is kept as it is."""
    if compact is _ABSENT:
        compact = {} if isinstance(full, dict) else full
    if old == compact and _same_kind(old, compact):
        return True
    if isinstance(old, dict):
        if not isinstance(full, dict) or not isinstance(compact, dict):
            return False
        return all(k in old for k in compact) and all(
            k in full and _same(v, full[k], compact.get(k, _ABSENT)) for k, v in old.items()
        )
    if isinstance(old, list):
        if not isinstance(full, list) or len(old) != len(full):
            return False
        old_ids, new_ids = _ids(old), _ids(full)
        if old_ids is not None and new_ids is not None:
            by_id = {i: n for n, i in enumerate(new_ids)}
            parts = compact if isinstance(compact, list) and len(compact) == len(full) else full
            return all(
                i in by_id and _same(o, full[by_id[i]], parts[by_id[i]])
                for i, o in zip(old_ids, old, strict=True)
            )
        parts = compact if isinstance(compact, list) and len(compact) == len(full) else full
        return all(_same(o, f, c) for o, f, c in zip(old, full, parts, strict=True))
    if isinstance(old, bool) or isinstance(full, bool):
        return type(old) is type(full) and old == full
    if isinstance(old, (int, float)) and isinstance(full, (int, float)):
        return bool(old == full)
    return type(old) is type(full) and old == full


def _same_kind(old: Any, new: Any) -> bool:
    """Guards ``==`` of :func:`_same`, which takes ``True`` for ``1``: only a scalar can
    differ that way and still compare equal (a container falls through to the walk)."""
    if isinstance(old, (dict, list)):
        return True
    return (isinstance(old, bool) is isinstance(new, bool)) and (
        isinstance(old, str) is isinstance(new, str)
    )


class _TextWriter:
    """Writes a document over the text of the file it was loaded from, as edits of that
    text: what did not change keeps its bytes (comments, blank lines, quoting, spacing,
    flow or block style); a changed value is replaced where it stands, with the comment
    that follows it on its line; a key the new document adds is written after the key
    before it, new list items after the last item; an item no longer in the document goes
    with its own lines, the comment lines around it stay. Lists of objects are matched by
    ID (``id``, or ``finding`` for decisions), in the file's order.

    This is the same result as ruamel.yaml's round trip (:func:`_ruamel_write_over`),
    without loading the whole file into ruamel's objects and writing it all again: the
    file is read once with PyYAML's C parser (for the place of every value), compared with
    the document, and only what changed is written (with PyYAML, indented as the file is).
    The work is linear in the size of the file, plus the size of what changed.

    Raises :class:`_DeclinedError` for what it does not handle; the caller then uses ruamel.
    Whatever it writes is loaded back and compared with the model before it is used.
    """

    def __init__(self, text: str, indent: _Indent) -> None:
        self.text = text
        self.indent = indent
        self.edits: list[tuple[int, int, str]] = []

    # ------------------------------------------------------------------ places
    def line_start(self, index: int) -> int:
        return self.text.rfind("\n", 0, index) + 1

    def line_end(self, index: int) -> int:
        """The start of the line after the one ``index`` is on (``index`` itself when a
        line ends just before it: a block scalar ends after its line break)."""
        if index > 0 and self.text[index - 1] == "\n":
            return index
        found = self.text.find("\n", index)
        return len(self.text) if found < 0 else found + 1

    def content_end(self, node: yaml.Node) -> int:
        """Where the last value inside ``node`` ends (a block collection's own end mark
        is at the next token, past the comments that follow it)."""
        while isinstance(node, yaml.CollectionNode) and not node.flow_style and node.value:
            last = node.value[-1]
            node = last[1] if isinstance(node, yaml.MappingNode) else last
        return int(node.end_mark.index)

    def lines_end(self, node: yaml.Node) -> int:
        return self.line_end(self.content_end(node))

    def dash(self, item: yaml.Node) -> int:
        """The index of the dash of a block sequence item (on the item's first line)."""
        start = self.line_start(item.start_mark.index)
        before = self.text[start : item.start_mark.index]
        if before.strip() != "-":
            raise _DeclinedError  # the item starts on the line after its dash
        return start + before.index("-")

    # ------------------------------------------------------------------ edits
    def edit(self, start: int, end: int, new: str) -> None:
        self.edits.append((start, end, new))

    def insert_lines(self, at: int, new: str) -> None:
        if at > 0 and self.text[at - 1] != "\n":
            new = "\n" + new  # the file did not end with a line break
        self.edit(at, at, new)

    def result(self) -> str:
        if not self.edits:
            return self.text
        out: list[str] = []
        pos = 0
        for start, end, new in sorted(self.edits, key=lambda e: (e[0], e[1])):
            if start < pos:
                raise _DeclinedError  # overlapping edits: never expected
            out.append(self.text[pos:start])
            out.append(new)
            pos = end
        out.append(self.text[pos:])
        return "".join(out)

    # ------------------------------------------------------------------ text of values
    def emit(self, value: Any, *, flow: bool = False) -> str:
        if flow:
            dumper: Any = _FlowDumper
        else:
            dumper = _Dumper if self.indent.offset == 0 else _IndentedDumper
        text: str = yaml.dump(
            value,
            Dumper=dumper,
            sort_keys=False,
            allow_unicode=True,
            width=10**9 if flow else 4096,  # a flow value stays on its line
            indent=min(self.indent.mapping, 9),
            default_flow_style=flow,
        )
        return text

    def block(self, value: Any, column: int) -> str:
        """``value`` (a mapping of new keys or a list of new items) as block lines
        indented by ``column``."""
        return _indented(self.emit(value).split("\n")[:-1], column)

    def value_text(self, value: Any) -> tuple[str, list[str]]:
        """``value`` as the value of a key: what follows ``key:`` on its line, and the
        lines after it (unindented; empty for a one-line value)."""
        lines = self.emit({"k": value}).split("\n")[:-1]
        return lines[0][2:].lstrip(" "), lines[1:]

    def flow_text(self, value: Any) -> str:
        """``value`` inside a flow collection: one line (line breaks in text escaped)."""
        text = self.emit([value], flow=True)
        if not (text.startswith("[") and text.endswith("]\n")) or "\n" in text[:-1]:
            raise _DeclinedError
        return text[1:-2]

    # ------------------------------------------------------------------ walking
    def mapping(
        self, node: yaml.MappingNode, old: dict[str, Any], full: dict[str, Any], compact: Any
    ) -> None:
        """Make the mapping at ``node`` (read as ``old``) say ``full``; keys that ``old``
        lacks are added only when they differ from their default (are in ``compact``)."""
        if not isinstance(compact, dict):
            compact = {}
        pairs = node.value
        if len(pairs) != len(old) or any(k not in full for k in old):
            raise _DeclinedError  # a key to remove: never in a valid model
        flow = bool(node.flow_style)
        for key, value in pairs:
            k = key.value
            if k not in old:
                raise _DeclinedError
            c = compact.get(k, _ABSENT)
            if self.walk(key, value, old[k], full[k], c) or _same(old[k], full[k], c):
                continue
            if isinstance(value, yaml.SequenceNode) and old[k] and _ids(old[k]) is not None:
                raise _DeclinedError  # a list of objects in flow style: ruamel keeps its order
            self.replace(key, value, full[k] if c is _ABSENT else c, flow)
        self.add_keys(node, old, full, compact, flow)

    def add_keys(
        self,
        node: yaml.MappingNode,
        old: dict[str, Any],
        full: dict[str, Any],
        compact: dict[str, Any],
        flow: bool,
    ) -> None:
        """Write the keys of ``compact`` that ``old`` lacks, each after the key that comes
        before it in ``full``'s order (as ruamel's round trip places them)."""
        new = [k for k in full if k not in old and k in compact]
        if not new:
            return
        rank = {k: n for n, k in enumerate(full)}
        order = list(old)
        for k in new:
            order.insert(sum(1 for x in order if rank[x] < rank[k]), k)
        groups: dict[str | None, list[str]] = {}
        after: str | None = None
        for k in order:
            if k in old:
                after = k
            else:
                groups.setdefault(after, []).append(k)
        values = {key.value: value for key, value in node.value}
        for anchor, keys in groups.items():
            if flow:
                items = ", ".join(f"{k}: {self.flow_text(compact[k])}" for k in keys)
                if not node.value:
                    self.edit(node.start_mark.index + 1, node.start_mark.index + 1, items)
                elif anchor is None:
                    first = node.value[0][0].start_mark.index
                    self.edit(first, first, items + ", ")
                else:
                    end = values[anchor].end_mark.index
                    self.edit(end, end, ", " + items)
                continue
            column = node.value[0][0].start_mark.column
            lines = self.block({k: compact[k] for k in keys}, column)
            if anchor is None:
                first = node.value[0][0].start_mark.index
                self.edit(first, first, lines[column:] + " " * column)
            else:
                self.insert_lines(self.lines_end(values[anchor]), lines)

    def walk(self, key: yaml.Node, node: yaml.Node, old: Any, full: Any, compact: Any) -> bool:
        """Edit a mapping, or a block list of objects with IDs, where it changed;
        ``False`` for any other value (left to :meth:`replace` if it changed)."""
        if isinstance(node, yaml.MappingNode) and isinstance(old, dict) and isinstance(full, dict):
            self.mapping(node, old, full, compact)
            return True
        return (
            isinstance(node, yaml.SequenceNode)
            and not node.flow_style
            and isinstance(old, list)
            and isinstance(full, list)
            and self.sequence(key, node, old, full, full if compact is _ABSENT else compact)
        )

    def replace(self, key: yaml.Node, node: yaml.Node, value: Any, flow: bool) -> None:
        """Write ``value`` in place of the value of ``key``."""
        if flow:
            self.edit(node.start_mark.index, node.end_mark.index, self.flow_text(value))
        elif isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False):
            self.replace_inline(key, node, value)
        else:
            self.replace_block(key, node, value)

    def sequence(
        self,
        key: yaml.Node,
        node: yaml.SequenceNode,
        old: list[Any],
        full: list[Any],
        compact: list[Any],
    ) -> bool:
        """Items matched by ID: the file's order is kept, removed items go (the comment
        lines between items stay), new ones are appended; no item left: ``[]``. ``False``
        when these are not lists of objects with IDs."""
        old_ids, new_ids = _ids(old), _ids(full)
        if old_ids is None or new_ids is None or len(compact) != len(full):
            return False
        items = node.value
        by_id = {i: n for n, i in enumerate(new_ids)}
        for item, value, i in zip(items, old, old_ids, strict=True):
            n = by_id.get(i)
            if n is None:
                start = self.line_start(self.dash(item))
                self.edit(start, self.lines_end(item), "")
            elif not _same(value, full[n], compact[n]):
                if not isinstance(item, yaml.MappingNode):
                    raise _DeclinedError
                self.mapping(item, value, full[n], compact[n])
        if not full:
            self.on_key_line(key, "[]")
            return True
        kept = set(old_ids)
        added = [c for i, c in zip(new_ids, compact, strict=True) if i not in kept]
        if added:
            dash = self.dash(items[0])
            column = dash - self.line_start(dash)
            self.insert_lines(self.lines_end(items[-1]), self.block(added, column))
        return True

    def on_key_line(self, key: yaml.Node, value: str) -> None:
        """Write ``value`` after the colon of ``key`` (whose block value is removed)."""
        colon = self.text.find(":", key.end_mark.index)
        if colon < 0 or "\n" in self.text[key.end_mark.index : colon]:
            raise _DeclinedError
        self.edit(colon + 1, colon + 1, " " + value)

    def replace_inline(self, key: yaml.Node, node: yaml.Node, value: Any) -> None:
        """Replace a scalar or a flow collection in a block mapping; the comment after it
        on its line stays."""
        start, end = node.start_mark.index, node.end_mark.index
        head, body = self.value_text(value)
        ends_line = end > 0 and self.text[end - 1] == "\n"  # a block scalar
        if not body:
            self.edit(start, end, head + ("\n" if ends_line else ""))
            return
        comment = ""
        if not ends_line:
            line_end = self.line_end(end)
            comment = self.text[end:line_end].strip()
            end = line_end
        if comment and not (comment.startswith("#") and head[:1] in ("", "|", ">")):
            raise _DeclinedError  # no place for the comment (in a multi-line scalar)
        if not head:  # a block collection now: it starts on the next line
            while start > 0 and self.text[start - 1] == " ":
                start -= 1
        lines = _indented(body, key.start_mark.column)
        self.edit(start, end, head + (f"  {comment}" if comment else "") + "\n" + lines)

    def replace_block(self, key: yaml.Node, node: yaml.Node, value: Any) -> None:
        """Replace a block collection (its comments go with it, as in ruamel's round
        trip: the value is a new one)."""
        start, end = self.line_start(node.start_mark.index), self.lines_end(node)
        head, body = self.value_text(value)
        if head and body:
            raise _DeclinedError
        if head:  # "[]", "{}": on the key's line
            self.on_key_line(key, head)
            self.edit(start, end, "")
            return
        self.edit(start, end, _indented(body, key.start_mark.column))


def _indented(lines: list[str], column: int) -> str:
    """``lines`` moved right by ``column`` (empty lines stay empty), each ended."""
    pad = " " * column
    return "".join((pad + line if line else "") + "\n" for line in lines)


# ------------------------------------------------------------ the same with ruamel.yaml
def _ruamel_write_over(source: str, full: dict[str, Any], compact: dict[str, Any]) -> str | None:
    """``source`` loaded with ruamel.yaml's round trip, ``full`` merged into it (see
    :func:`_merge`) and the whole written again: for files :class:`_TextWriter` declines."""
    try:
        y = _ruamel(source)
        doc = y.load(source)
    except Exception:
        return None
    from ruamel.yaml.comments import CommentedMap

    if not isinstance(doc, CommentedMap):
        return None
    if "format_version" not in doc:
        doc.insert(0, "format_version", FORMAT_VERSION)
    _merge(doc, full, compact)
    buf = io.StringIO()
    y.dump(doc, buf)
    return buf.getvalue()


def _merge(old: Any, full: Any, compact: Any) -> Any:
    """Update ruamel node ``old`` in place to equal ``full``; keys that ``old`` lacks are
    added only when they differ from their default (i.e. appear in ``compact``)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(old, CommentedMap) and isinstance(full, dict):
        return _merge_map(old, full, compact if isinstance(compact, dict) else {})
    if isinstance(old, CommentedSeq) and isinstance(full, list):
        merged = _merge_by_id(old, full, compact if isinstance(compact, list) else full)
        if merged is not None:
            return merged
        if _plain(old) == full:
            return old
        return _styled(compact)
    if _same_scalar(old, full):
        return old
    return _styled(compact)


def _merge_map(old: Any, full: dict[str, Any], compact: dict[str, Any]) -> Any:
    for k in [k for k in old if k not in full]:
        del old[k]
    rank = {k: n for n, k in enumerate(full)}
    for k, v in full.items():
        if k in old:
            old[k] = _merge(old[k], v, compact.get(k, {} if isinstance(v, dict) else v))
        elif k in compact:
            pos = sum(1 for x in old if x in rank and rank[x] < rank[k])
            old.insert(pos, k, _styled(compact[k]))
    return old


def _merge_by_id(old: Any, full: list[Any], compact: list[Any]) -> Any:
    """Merge lists of objects matched by ID: the file's order is kept, removed items go,
    new ones are appended. ``None`` when the lists are not lists of objects with IDs."""
    old_ids = [_id_of(x) for x in old]
    new_ids = [_id_of(x) for x in full]
    if not (all(old_ids) and all(new_ids) and len(set(old_ids)) == len(old_ids)):
        return None
    by_id = {i: (f, c) for i, f, c in zip(new_ids, full, compact, strict=True)}
    for idx in reversed(range(len(old))):
        if old_ids[idx] not in by_id:
            del old[idx]
    for idx, item in enumerate(old):
        f, c = by_id[str(_id_of(item))]
        old[idx] = _merge(item, f, c)
    kept = set(old_ids)
    for i, c in zip(new_ids, compact, strict=True):
        if i not in kept:
            old.append(_styled(c))
    return old


def _same_scalar(old: Any, new: Any) -> bool:
    """Equal values of the same kind (``1`` and ``1.0`` are the same number; ``True`` and
    ``1`` are not), so the file keeps how the user wrote them."""
    if isinstance(old, bool) or isinstance(new, bool):
        return type(old) is type(new) and old == new
    if isinstance(old, float):
        return False  # ruamel re-emits its own floats imprecisely: write ours
    if isinstance(old, (int, float)) and isinstance(new, (int, float)):
        return bool(old == new)
    if isinstance(old, str) and isinstance(new, str):
        return str(old) == new
    return old is None and new is None


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# --------------------------------------------------------------------------- saving
def save_model(
    model: ThreatModel, path: str | os.PathLike[str] | None = None, *, backup: bool = True
) -> Path:
    """Write ``model`` atomically; keep the old file as ``<name>.bak`` when ``backup``.

    The file is written by :func:`workbench.outputs.write_output` (the one atomic writer):
    only a regular file is replaced (a symbolic link, a folder or a device at ``path`` is
    refused with :class:`~workbench.errors.OutputError`), through a temporary file of its
    own, as is the backup."""
    src = model._source
    if path is None:
        if not isinstance(src, Source) or src.path is None:
            raise ValueError("this model was not loaded from a file: give a path")
        target = src.path
    else:
        target = Path(path)
    fmt = detect_format(target)
    text, canonical = _dump(model, fmt)
    write_atomic(target, text, backup=backup)
    model._source = Source(path=target.resolve(), text=text, fmt=fmt, canonical=canonical)
    return target


def write_atomic(target: str | os.PathLike[str], text: str, *, backup: bool = True) -> None:
    """Write ``text`` to ``target`` atomically, replacing a regular file there (kept as
    ``<name>.bak`` when ``backup``): :func:`workbench.outputs.write_output` with
    ``force``. Raises :class:`~workbench.errors.OutputError` (an :class:`OSError`)."""
    from .outputs import write_output

    write_output(target, text, force=True, backup=backup)
