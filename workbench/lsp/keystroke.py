"""The common keystroke without parsing the file again: a character typed or deleted in a
plain one-line value (a name, a description, a rationale, ``true``, ``90``) changes that
value only. When an edit is such a change, the document parsed last time is changed in
place (its data and its YAML node tree; the new value made by PyYAML's safe constructors,
as the parser makes it) and validated again by :func:`workbench.io.model_from_document`:
the model, the errors and the warnings are those a full parse of the new text gives.
Anything else (a line break, a key, a quote, a ``:`` or ``#``, a value that YAML would
read as a date, a value followed by a comment, a file with anchors) returns ``None``, and
the caller parses the text as usual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

_STR = "tag:yaml.org,2002:str"
_SCALARS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("str", "bool", "int", "float", "null"))
"""The plain scalars a keystroke may change (a date is left to the full parse)."""
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_PLAIN = re.compile(r"[A-Za-z0-9_(][^\n\t#:{}\[\],&*!|>'\"%@`]*")
"""A value that stays one plain YAML scalar wherever it stands: no indicator first, none
of the characters that could end it or start something else."""
_RESOLVER = yaml.resolver.Resolver()
_ANCHOR = re.compile(r"(?:^|[\s\[{,:])&", re.MULTILINE)
"""Where an anchor may start: a file with anchors shares nodes, and is parsed again."""

Path = tuple[str | int, ...]


@dataclass
class Parsed:
    """A parsed text: its data and its node tree."""

    text: str
    data: Any
    root: yaml.Node

    def scalar_end(self, line: int, col: int) -> tuple[int, int] | None:
        """Where the scalar (a key or a value) that starts at ``(line, col)`` ends."""
        for node, _ in _on_line(self.root, line, keys=True):
            s, e = node.start_mark, node.end_mark
            if (s.line, s.column) == (line, col):
                return e.line, e.column
        return None

    def values_on(self, line: int) -> list[tuple[yaml.ScalarNode, Path]]:
        """The plain one-line string values that start on ``line``, with their paths."""
        return [
            (node, path)
            for node, path in _on_line(self.root, line)
            if not node.style  # plain: None from PyYAML, '' from its C loader
            and node.tag in _SCALARS
            and node.end_mark.line == line
        ]


def _on_line(
    root: yaml.Node, line: int, *, keys: bool = False
) -> list[tuple[yaml.ScalarNode, Path]]:
    """The scalars (values; and keys when ``keys``) that start on ``line``, found by
    going down only into the nodes whose lines hold it (a few dozen nodes looked at,
    not the whole tree)."""
    out: list[tuple[yaml.ScalarNode, Path]] = []
    stack: list[tuple[yaml.Node, Path]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            if node.start_mark.line == line:
                out.append((node, path))
            continue
        pairs: list[tuple[yaml.Node | None, yaml.Node, str | int]]
        if isinstance(node, yaml.MappingNode):
            pairs = [(k, v, k.value) for k, v in node.value if isinstance(k, yaml.ScalarNode)]
        elif isinstance(node, yaml.SequenceNode):
            pairs = [(None, v, i) for i, v in enumerate(node.value)]
        else:
            continue
        for key, value, part in pairs:
            if keys and key is not None and key.start_mark.line == line:
                out.append((key, path))  # type: ignore[arg-type]
            if value.start_mark.line <= line <= value.end_mark.line:
                stack.append((value, (*path, part)))
    return out


def changed_value(parsed: Parsed, new_text: str) -> tuple[Path, str] | None:
    """When ``new_text`` differs from the parsed text only inside one plain one-line string
    value that ends its line, change that value in the data and the node tree and return
    its path and new value; else ``None`` (nothing is changed)."""
    old = parsed.text
    start = common_prefix(old, new_text)
    end = common_suffix(old, new_text, start)
    removed, added = old[start : len(old) - end], new_text[start : len(new_text) - end]
    if "\n" in removed or "\n" in added or _ANCHOR.search(old):
        return None
    line = old.count("\n", 0, start)
    line_start = old.rfind("\n", 0, start) + 1
    col, old_end = start - line_start, start - line_start + len(removed)
    old_line_end = old.find("\n", start)
    old_line = old[line_start : old_line_end if old_line_end >= 0 else len(old)]
    for node, path in parsed.values_on(line):
        first, last = node.start_mark.column, node.end_mark.column
        if not (first <= col and old_end <= len(old_line)) or old_line[last:].strip():
            continue
        new_line_end = new_text.find("\n", line_start)
        new_line = new_text[line_start : new_line_end if new_line_end >= 0 else len(new_text)]
        value = new_line[first:].rstrip(" ")  # YAML drops the spaces that end a value
        if not _PLAIN.fullmatch(value):
            return None
        tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
        if tag not in _SCALARS:
            return None
        if not _set(parsed.data, path, _construct(tag, value)):
            return None
        node.value, node.tag = value, tag
        m = node.end_mark
        node.end_mark = yaml.Mark(m.name, m.index, m.line, first + len(value), None, 0)
        parsed.text = new_text
        return path, value
    return None


def common_prefix(a: str, b: str) -> int:
    """The length of the longest common start of ``a`` and ``b`` (slices compared by
    halves: a few string comparisons instead of one step per character)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def common_suffix(a: str, b: str, prefix: int) -> int:
    """The length of the longest common end of ``a`` and ``b`` that does not reach into
    their first ``prefix`` characters."""
    lo, hi = 0, min(len(a), len(b)) - prefix
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid : len(a) - lo] == b[len(b) - mid : len(b) - lo]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _construct(tag: str, value: str) -> Any:
    """The value PyYAML's safe loader makes of a plain scalar (as the parser does)."""
    if tag == _STR:
        return value
    node = yaml.ScalarNode(tag, value)
    kind = tag.rsplit(":", 1)[1]
    return getattr(_CONSTRUCTOR, f"construct_yaml_{kind}")(node)


def _set(data: Any, path: Path, value: Any) -> bool:
    """Set the value at ``path`` in the data (whether it held a scalar there)."""
    here = data
    for part in path[:-1]:
        if isinstance(part, int):
            if not (isinstance(here, list) and 0 <= part < len(here)):
                return False
        elif not isinstance(here, dict) or part not in here:
            return False
        here = here[part]
    last = path[-1]
    if isinstance(last, int):
        if not (isinstance(here, list) and 0 <= last < len(here)):
            return False
    elif not (isinstance(here, dict) and last in here):
        return False
    if isinstance(here[last], (dict, list)):
        return False
    here[last] = value
    return True
