"""Writing a model over the text of the hand-written YAML file it was loaded from, so
that its comments, key order, item order and quoting survive (:class:`_TextWriter`;
ruamel.yaml's round-trip mode for the files it declines)."""

from __future__ import annotations

import io
import re
from typing import Any

import yaml

from .model.threat_model import FORMAT_VERSION
from .parsing import _YAML_LOADER, _construct_checked, _UnusualError, gc_paused
from .yaml_text import (
    _Dumper,
    _FlowDumper,
    _guess_indent,
    _id_of,
    _ids,
    _Indent,
    _IndentedDumper,
    _ruamel,
    _styled,
)


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
