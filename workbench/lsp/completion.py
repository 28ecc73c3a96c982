"""Completion in a model file, from the text around the cursor (a half-typed file does
not parse): the keys above the cursor (by indentation) name the object being written,
the model's pydantic classes say which fields it has and which values a field allows;
IDs come from the document's outline (the last one that parsed when the text does not)
and the catalog."""

from __future__ import annotations

import re
import types as pytypes
import typing
from typing import Any, Literal, Union, get_args, get_origin

from lsprotocol import types
from pydantic import BaseModel

from ..io import inner_model
from ..model import ThreatModel
from ..model.kinds import KINDS
from .document import ModelDocument

_VALUE = re.compile(r"(?:^|[\s{,])-?\s*([A-Za-z_][\w]*)\s*:\s*([^,{}\[\]:]*)$")
"""A key followed by the start of its value, at the end of the text before the cursor."""
_LIST_VALUE = re.compile(r"([A-Za-z_][\w]*)\s*:\s*\[[^\]]*?([^,\[\s]*)$")
"""A key whose value is a flow-style list being typed: ``assets: [a, b``."""
_KEY = re.compile(r"^(\s*)((?:-\s+)*)([A-Za-z_]\w*)?$")
"""A line holding only the start of a key (maybe after list dashes)."""
_LINE = re.compile(r"^(\s*)((?:-\s+)*)(?:([A-Za-z_][\w]*)\s*:(.*))?")

ID_FIELDS: dict[tuple[str, str], str] = {
    ("Element", "boundary"): "boundary",
    ("Boundary", "parent"): "boundary",
    ("Flow", "source"): "element",
    ("Flow", "target"): "element",
    ("DecisionScope", "element"): "element",
    ("DecisionScope", "boundary"): "boundary",
    ("Objective", "elements"): "element",
    ("Element", "assets"): "asset",
    ("Flow", "data"): "asset",
    ("Objective", "assets"): "asset",
}
"""Fields that hold the ID of an element, boundary or asset (class name, field)."""


def completions(doc: ModelDocument, pos: types.Position) -> list[types.CompletionItem]:
    """The completion items at ``pos``."""
    line, col = doc.place(pos)
    if not 0 <= line < len(doc.lines):
        return []
    before = doc.lines[line][:col]
    if "#" in before and not _in_quotes(before):
        return []
    listed = _LIST_VALUE.search(before)
    value = _VALUE.search(before)
    if listed is not None or value is not None:
        key = listed.group(1) if listed else value.group(1) if value else ""
        indent = _content_column(doc.lines[line])
        chain = _chain(doc.lines, line, indent)
        cls = _resolve(chain)
        if cls is None:
            return []
        return _values(doc, cls, key)
    m = _KEY.match(before)
    if m is None:
        return []
    column = len(m.group(1)) + len(m.group(2))
    cls = _resolve(_chain(doc.lines, line, column))
    if cls is None:
        return []
    return _keys(cls)


def _in_quotes(text: str) -> bool:
    return text.count('"') % 2 == 1 or text.count("'") % 2 == 1


def _content_column(text: str) -> int:
    m = _LINE.match(text)
    return len(m.group(1)) + len(m.group(2)) if m else 0


def _chain(lines: list[str], line: int, column: int) -> list[str]:
    """The keys that hold a key at ``column`` on ``line``, outermost first."""
    chain: list[str] = []
    for i in range(line - 1, -1, -1):
        if column == 0:
            break
        text = lines[i]
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _LINE.match(text)
        if m is None:
            continue
        indent, dashes, key = len(m.group(1)), m.group(2), m.group(3)
        content = indent + len(dashes)
        if dashes and indent < column <= content:
            column = indent  # the list item holding the key: its parent holds the list
            continue
        if key is not None and content < column:
            chain.append(key)
            column = content
    chain.reverse()
    return chain


def _resolve(chain: list[str]) -> type[BaseModel] | None:
    """The model class that a chain of keys leads to, from :class:`ThreatModel`."""
    cls: type[BaseModel] | None = ThreatModel
    for key in chain:
        if cls is None:
            return None
        field = cls.model_fields.get(key)
        if field is None:
            return None
        cls = inner_model(field.annotation)
    return cls


def _literals(annotation: Any) -> list[str]:
    """The values a field allows when they are a closed list (literals, booleans)."""
    if annotation is bool:
        return ["true", "false"]
    origin = get_origin(annotation)
    if origin is Literal:
        return [str(a) for a in get_args(annotation)]
    if origin in (Union, pytypes.UnionType, typing.Annotated, list):
        out: list[str] = []
        for arg in get_args(annotation):
            out += [v for v in _literals(arg) if v not in out]
        return out
    return []


def _keys(cls: type[BaseModel]) -> list[types.CompletionItem]:
    return [
        types.CompletionItem(
            label=name,
            kind=types.CompletionItemKind.Property,
            documentation=(field.description or "").strip() or None,
            insert_text=f"{name}: ",
        )
        for name, field in cls.model_fields.items()
    ]


def _values(doc: ModelDocument, cls: type[BaseModel], key: str) -> list[types.CompletionItem]:
    field = cls.model_fields.get(key)
    if field is None:
        return []
    id_kind = ID_FIELDS.get((cls.__name__, key))
    if id_kind is not None:
        return _ids(doc, id_kind)
    if cls.__name__ == "Decision":
        if key == "finding":
            return _findings(doc)
        if key == "threat":
            return _threats(doc)
        if key == "mitigations":
            return [
                types.CompletionItem(
                    label=m.id, kind=types.CompletionItemKind.Reference, detail=m.title
                )
                for m in doc.catalog.mitigations.values()
            ]
    if cls.__name__ == "Element" and key == "kind":
        return [
            types.CompletionItem(
                label=k.name,
                kind=types.CompletionItemKind.EnumMember,
                detail=f"{k.label} ({k.dfd.value}, {k.layer.value} layer)",
                documentation=k.description,
            )
            for k in KINDS.values()
        ]
    return [
        types.CompletionItem(label=v, kind=types.CompletionItemKind.Value)
        for v in _literals(field.annotation)
    ]


def _ids(doc: ModelDocument, kind: str) -> list[types.CompletionItem]:
    source = doc.outline if doc.outline.items else doc.known
    out = []
    for item in source.items:
        if item.kind != kind:
            continue
        detail = f"{item.name} ({item.item_kind})" if item.item_kind else item.name
        out.append(
            types.CompletionItem(
                label=item.id, kind=types.CompletionItemKind.Reference, detail=detail or None
            )
        )
    return out


def _threats(doc: ModelDocument) -> list[types.CompletionItem]:
    return [
        types.CompletionItem(label=t.id, kind=types.CompletionItemKind.Reference, detail=t.title)
        for t in doc.catalog.threats.values()
    ]


def _findings(doc: ModelDocument) -> list[types.CompletionItem]:
    """The findings of the last analysis (open ones first, worst first), then the
    catalog's threat IDs for a finding on a target of one's own."""
    loaded = doc.loaded
    items: list[types.CompletionItem] = []
    if loaded is not None:
        entries = sorted(
            loaded.register.entries, key=lambda e: (not e.is_open, -e.residual_score, e.id)
        )
        for rank, e in enumerate(entries):
            f = e.finding
            items.append(
                types.CompletionItem(
                    label=f.id,
                    kind=types.CompletionItemKind.Reference,
                    detail=f"{f.title} on {f.target_name} ({e.residual_risk}, {e.state})",
                    sort_text=f"{rank:06d}",
                )
            )
    return items + _threats(doc)
