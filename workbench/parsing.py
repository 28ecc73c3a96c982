"""Safe parsing of the files the workbench reads (models, catalogs, other tools' files):
bounded reads, text decoding, YAML and JSON parsed with the same limits and refusals, and
the positions of values for error messages. A leaf: it knows nothing of models.

YAML
    PyYAML's safe loader (the C one when present) composes the document; the node tree is
    checked: only the standard YAML tags, no duplicate keys, bounded nesting and a bounded
    size once aliases are expanded (YAML bombs are refused). A valid file is checked and
    built in one walk; anything unusual takes the careful path (checks first, then
    PyYAML's constructor), which reports the problem with its place.
JSON
    One strict parser (:func:`parse_json`): duplicate keys, ``NaN`` and ``Infinity``
    refused, nesting and size bounded, too-large numbers named as such.

Every problem is a :class:`~workbench.errors.Problem` with file, line and column where
known. The cyclic garbage collector is paused while a document is built
(:func:`gc_paused`): it would otherwise take most of a large file's load time.
"""

from __future__ import annotations

import gc
import json
import math
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from .errors import ModelFileError, Problem

Loc = tuple[str | int, ...]
"""Path of a value inside a document (as in :mod:`workbench.model.references`)."""

MAX_FILE_BYTES = 16 * 1024 * 1024
"""Largest model file accepted (16 MiB: about 50,000 elements)."""
MAX_NODES = 2_000_000
"""Largest number of YAML nodes once aliases are expanded."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences accepted."""

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
    """The line and column (from 1) where ``node`` starts; ``(None, None)`` without a node."""
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
    takes the few cycles left behind.

    What was built is moved straight to the oldest generation when the pause ends
    (``gc.freeze()`` then ``gc.unfreeze()``: two list splices, no traversal). Otherwise
    the first allocation afterwards would start a young collection that walks every
    object built during the pause (a model, an analysis: tens of thousands, 20-40 ms at
    1,000 elements) only to find them alive. Cycles left behind are freed by the next
    full collection, as for any long-lived object."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.unfreeze()
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
        raise ModelFileError.one(
            filename, f"YAML syntax error: {what}", line=line, column=col
        ) from None
    except yaml.YAMLError as exc:
        raise ModelFileError.one(filename, f"YAML error: {exc}") from None
    except _RefusedError as exc:
        line, col = mark(exc.node)
        raise ModelFileError.one(filename, exc.message, line=line, column=col) from None
    except RecursionError:
        raise ModelFileError.one(filename, f"nested deeper than {MAX_DEPTH} levels") from None
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


def _no_constants(name: str) -> Any:
    raise ValueError(f"'{name}' is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} is too large")
    return value


def too_big(name: str, size: int) -> Problem:
    """The problem of a file over :data:`MAX_FILE_BYTES`."""
    return Problem(
        name,
        None,
        None,
        "",
        f"file is {size / 2**20:.1f} MiB; the limit is {MAX_FILE_BYTES // 2**20} MiB",
    )


def parse_json(text: str, filename: str) -> Any:
    """Strict JSON: duplicate keys, ``NaN`` and ``Infinity`` refused; size and depth
    bounded; raises :class:`ModelFileError` with the place of a syntax error."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_FILE_BYTES:
        raise ModelFileError([too_big(filename, size)])
    try:
        data = json.loads(
            text,
            object_pairs_hook=no_duplicate_pairs,
            parse_constant=_no_constants,
            parse_float=_finite,
        )
    except json.JSONDecodeError as exc:
        raise ModelFileError.one(
            filename, f"JSON syntax error: {exc.msg}", line=exc.lineno, column=exc.colno
        ) from None
    except ValueError as exc:
        huge = _huge_number(exc, filename, text)
        raise ModelFileError([huge or Problem(filename, None, None, "", str(exc))]) from None
    except RecursionError:
        raise ModelFileError.one(filename, f"nested deeper than {MAX_DEPTH} levels") from None
    check_depth(data, filename)
    return data


def check_depth(data: Any, filename: str) -> None:
    """Refuse documents nested deeper than :data:`MAX_DEPTH`."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ModelFileError.one(filename, f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


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
def json_positions(text: str) -> yaml.Node | None:
    """JSON is (nearly) YAML: compose it to know line numbers; give up quietly if not."""
    try:
        return _compose(text, "")
    except yaml.YAMLError:
        return None


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
        return ModelFileError.one(name, message)

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
            raise ModelFileError.one(name, problem, line=line, column=column) from None
    raise ModelFileError.one(name, f"not UTF-8 text: {message}; save it as UTF-8")
