"""Where things are in a model file's text: every definition of an ID and every reference
to one, each with its exact span, read from the YAML node tree (JSON is read the same
way). Works on any text that parses as YAML, whether or not it is a valid model, so that
navigation keeps working while a file is half typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import yaml

from ..parsing import gc_paused, json_positions

Kind = Literal["element", "flow", "boundary", "asset", "threat"]
"""What an ID names."""

SECTIONS: dict[str, Kind] = {
    "elements": "element",
    "flows": "flow",
    "boundaries": "boundary",
    "assets": "asset",
}
"""The top-level lists whose items define an ID, and what their IDs name."""


@dataclass(frozen=True)
class Span:
    """A stretch of text: 0-based lines and 0-based columns in code points."""

    line: int
    col: int
    end_line: int
    end_col: int

    def contains(self, line: int, col: int) -> bool:
        """Whether the place ``(line, col)`` lies in the span (its end included)."""
        if (line, col) < (self.line, self.col):
            return False
        return (line, col) <= (self.end_line, self.end_col)


@dataclass(frozen=True)
class Item:
    """One item of a top-level list that defines an ID."""

    kind: Kind
    id: str
    id_span: Span
    """The ID's text in the ``id`` value."""
    span: Span
    """The whole item."""
    name: str = ""
    boundary: str | None = None
    """An element's boundary, a boundary's parent."""
    item_kind: str = ""
    """An element's kind."""
    index: int = -1
    """Its place in its list."""


@dataclass(frozen=True)
class Ref:
    """A reference to an ID: its kind, the ID and the span of exactly its text."""

    kind: Kind
    id: str
    span: Span
    where: str
    """The path of the value, e.g. ``flows[2].source``."""


@dataclass(frozen=True)
class DecisionSpan:
    """A decision: its key (finding ID or ``THREAT@scope``) and where it is."""

    index: int
    finding: str | None
    threat: str | None
    span: Span
    key_span: Span
    """The ``finding`` value, else the ``threat`` value, else the item."""
    key: str = ""
    """The decision's key as :attr:`workbench.model.Decision.key` writes it."""


@dataclass
class Outline:
    """Definitions and references of one text."""

    items: list[Item] = field(default_factory=list)
    refs: list[Ref] = field(default_factory=list)
    decisions: list[DecisionSpan] = field(default_factory=list)
    sections: dict[str, Span] = field(default_factory=dict)
    """Each top-level key's span (key and value)."""
    _index: dict[tuple[str, str], list[Item]] | None = field(default=None, repr=False)

    def definitions(self, kind: Kind, ident: str) -> list[Item]:
        """The items that define ``ident`` as ``kind``."""
        index = self._index
        if index is None:
            index = self._index = {}
            for i in self.items:
                index.setdefault((i.kind, i.id), []).append(i)
        return index.get((kind, ident), [])

    def references(self, kind: Kind, ident: str) -> list[Ref]:
        """The references to ``ident`` as ``kind``."""
        return [r for r in self.refs if r.kind == kind and r.id == ident]

    def at(self, line: int, col: int) -> tuple[Kind, str, Span] | None:
        """The ID under the place ``(line, col)``: a definition's or a reference's."""
        for i in self.items:
            if i.id_span.contains(line, col):
                return i.kind, i.id, i.id_span
        for r in self.refs:
            if r.span.contains(line, col):
                return r.kind, r.id, r.span
        return None

    def item_at(self, line: int, col: int) -> Item | None:
        """The innermost element, flow, boundary or asset whose text holds the place."""
        for i in self.items:
            if i.span.contains(line, col):
                return i
        return None

    def rename_item(self, section: str, index: int, name: str) -> bool:
        """Give the ``index``-th item of ``section`` a new name (whether it was found)."""
        kind = SECTIONS.get(section)
        for n, item in enumerate(self.items):
            if item.kind == kind and item.index == index:
                self.items[n] = replace(item, name=name)
                self._index = None
                return True
        return False

    def ids(self, kind: Kind) -> list[str]:
        """The IDs defined as ``kind``, in file order, without repeats."""
        return list(dict.fromkeys(i.id for i in self.items if i.kind == kind))


def span_of(node: yaml.Node) -> Span:
    """The span of a node."""
    s, e = node.start_mark, node.end_mark
    return Span(s.line, s.column, e.line, e.column)


def _text_span(node: yaml.ScalarNode, offset: int = 0, length: int | None = None) -> Span:
    """The span of a scalar's text (inside its quotes), from ``offset`` for ``length``
    code points (the rest by default). A value on several lines: its whole node."""
    s, e = node.start_mark, node.end_mark
    if s.line != e.line:
        return span_of(node)
    quote = 1 if node.style in ("'", '"') else 0
    start = s.column + quote + offset
    end = start + (len(node.value) - offset if length is None else length)
    return Span(s.line, start, s.line, end)


def _mapping(node: yaml.Node | None) -> dict[str, yaml.Node]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _scalar(node: yaml.Node | None) -> yaml.ScalarNode | None:
    if isinstance(node, yaml.ScalarNode) and node.value != "" and "\n" not in node.value:
        return node
    return None


def outline(text: str) -> Outline:
    """The outline of ``text``; empty when it does not parse as YAML at all."""
    with gc_paused():
        try:
            root = json_positions(text)
        except Exception:  # any failure of the parser means: nothing to navigate
            return Outline()
        return outline_of(root)


def outline_of(root: yaml.Node | None) -> Outline:
    """The outline of a composed node tree (see :func:`outline`)."""
    out = Outline()
    if not isinstance(root, yaml.MappingNode):
        return out
    for key, value in root.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        s, e = key.start_mark, value.end_mark
        out.sections[key.value] = Span(s.line, s.column, e.line, e.column)
        if not isinstance(value, yaml.SequenceNode):
            continue
        for index, node in enumerate(value.value):
            _item(out, key.value, index, node)
    flows = set(out.ids("flow"))
    out.refs = [
        Ref("flow", r.id, r.span, r.where)
        if r.kind == "element" and r.where.endswith(".finding") and r.id in flows
        else r
        for r in out.refs
    ]
    return out


def _ref(out: Outline, kind: Kind, node: yaml.Node | None, where: str) -> None:
    scalar = _scalar(node)
    if scalar is not None:
        out.refs.append(Ref(kind, scalar.value, _text_span(scalar), where))


def _refs(out: Outline, kind: Kind, node: yaml.Node | None, where: str) -> None:
    if isinstance(node, yaml.SequenceNode):
        for j, sub in enumerate(node.value):
            _ref(out, kind, sub, f"{where}[{j}]")


def _item(out: Outline, section: str, index: int, node: yaml.Node) -> None:
    fields = _mapping(node)
    where = f"{section}[{index}]"
    kind = SECTIONS.get(section)
    ident = _scalar(fields.get("id"))
    if kind is not None and ident is not None:
        name = _scalar(fields.get("name"))
        parent = _scalar(fields.get("boundary" if kind == "element" else "parent"))
        item_kind = _scalar(fields.get("kind"))
        out.items.append(
            Item(
                kind,
                ident.value,
                _text_span(ident),
                span_of(node),
                name.value if name else "",
                parent.value if parent and kind in ("element", "boundary") else None,
                item_kind.value if item_kind else "",
                index,
            )
        )
    if section == "elements":
        _ref(out, "boundary", fields.get("boundary"), f"{where}.boundary")
        _refs(out, "asset", fields.get("assets"), f"{where}.assets")
    elif section == "boundaries":
        _ref(out, "boundary", fields.get("parent"), f"{where}.parent")
    elif section == "flows":
        _ref(out, "element", fields.get("source"), f"{where}.source")
        _ref(out, "element", fields.get("target"), f"{where}.target")
        _refs(out, "asset", fields.get("data"), f"{where}.data")
    elif section == "objectives":
        _refs(out, "element", fields.get("elements"), f"{where}.elements")
        _refs(out, "asset", fields.get("assets"), f"{where}.assets")
    elif section == "decisions":
        _decision(out, index, node, fields, where)


def _decision(
    out: Outline, index: int, node: yaml.Node, fields: dict[str, yaml.Node], where: str
) -> None:
    finding = _scalar(fields.get("finding"))
    threat = _scalar(fields.get("threat"))
    threat_id = None
    if finding is not None and "@" in finding.value:
        threat_id, target = finding.value.rsplit("@", 1)
        out.refs.append(
            Ref("threat", threat_id, _text_span(finding, 0, len(threat_id)), f"{where}.finding")
        )
        if target:
            span = _text_span(finding, len(threat_id) + 1)
            # An element or a flow: which one is known only from the definitions.
            out.refs.append(Ref("element", target, span, f"{where}.finding"))
    if threat is not None:
        threat_id = threat.value
        out.refs.append(Ref("threat", threat.value, _text_span(threat), f"{where}.threat"))
    scope = _mapping(fields.get("scope"))
    _ref(out, "element", scope.get("element"), f"{where}.scope.element")
    _ref(out, "boundary", scope.get("boundary"), f"{where}.scope.boundary")
    key_node = finding or threat
    key = finding.value if finding else ""
    if not key and threat is not None:
        whole = _scalar(fields.get("scope"))
        label = "*" if whole is not None and whole.value == "all" else ""
        for name in ("element", "boundary"):
            value = _scalar(scope.get(name))
            if value is not None:
                label = f"{name}:{value.value}"
        key = f"{threat.value}@{label}"
    out.decisions.append(
        DecisionSpan(
            index,
            finding.value if finding else None,
            threat_id,
            span_of(node),
            _text_span(key_node) if key_node else span_of(node),
            key,
        )
    )
