"""Go to definition, find references, rename and document symbols, from the outline of a
document's text (:mod:`workbench.lsp.outline`): they work on any text that parses as YAML,
valid model or not."""

from __future__ import annotations

import re

from lsprotocol import types

from .document import ModelDocument
from .outline import Item, Kind

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}")
"""What an element or boundary ID may be (as the model's ``Id`` type)."""


def _at(doc: ModelDocument, pos: types.Position) -> tuple[Kind, str] | None:
    line, col = doc.place(pos)
    found = doc.outline.at(line, col)
    return (found[0], found[1]) if found else None


def definition(doc: ModelDocument, pos: types.Position) -> list[types.Location]:
    """Where the ID under the cursor is defined."""
    found = _at(doc, pos)
    if found is None:
        return []
    kind, ident = found
    items = doc.outline.definitions(kind, ident)
    if not items and kind == "element":  # a decision's target may be a flow
        items = doc.outline.definitions("flow", ident)
    return [types.Location(doc.uri, doc.range(i.id_span)) for i in items]


def references(
    doc: ModelDocument, pos: types.Position, include_declaration: bool
) -> list[types.Location]:
    """Every reference to the ID under the cursor (and its definition when asked)."""
    found = _at(doc, pos)
    if found is None:
        return []
    kind, ident = found
    spans = [r.span for r in doc.outline.references(kind, ident)]
    if include_declaration:
        spans = [i.id_span for i in doc.outline.definitions(kind, ident)] + spans
    return [types.Location(doc.uri, doc.range(s)) for s in spans]


RENAMEABLE: tuple[Kind, ...] = ("element", "boundary", "flow", "asset")
"""The IDs that rename changes everywhere (threat IDs belong to the catalog)."""


def prepare_rename(doc: ModelDocument, pos: types.Position) -> types.Range | None:
    """The range of the renameable ID under the cursor."""
    line, col = doc.place(pos)
    found = doc.outline.at(line, col)
    if found is None or found[0] not in RENAMEABLE:
        return None
    return doc.range(found[2])


def rename(doc: ModelDocument, pos: types.Position, new_name: str) -> types.WorkspaceEdit | None:
    """Rename the ID under the cursor: its definition and every reference (flows'
    sources and targets, boundaries, objectives, decisions' findings and scopes, assets),
    as :meth:`~workbench.model.ThreatModel.update_element` does. ``ValueError`` for a
    name that is not an ID or that is taken."""
    found = _at(doc, pos)
    if found is None or found[0] not in RENAMEABLE:
        return None
    kind, ident = found
    if not _ID.fullmatch(new_name):
        raise ValueError(f"'{new_name}' is not a valid ID")
    taken = {i.id for i in doc.outline.items if i.kind in ("element", "flow")}
    if kind in ("element", "flow") and new_name in taken - {ident}:
        raise ValueError(f"'{new_name}' is already the ID of an element or flow")
    if kind in ("boundary", "asset") and new_name in set(doc.outline.ids(kind)) - {ident}:
        raise ValueError(f"'{new_name}' is already the ID of a {kind}")
    spans = [i.id_span for i in doc.outline.definitions(kind, ident)]
    spans += [r.span for r in doc.outline.references(kind, ident)]
    edits = [types.TextEdit(doc.range(s), new_name) for s in spans]
    return types.WorkspaceEdit(changes={doc.uri: edits})


_SYMBOL_KINDS = {
    "element": types.SymbolKind.Object,
    "flow": types.SymbolKind.Event,
    "boundary": types.SymbolKind.Namespace,
    "asset": types.SymbolKind.Constant,
}


def symbols(doc: ModelDocument) -> list[types.DocumentSymbol]:
    """Boundaries (nested by parent) holding their elements, then the elements outside
    any boundary, then flows and assets."""
    items = doc.outline.items
    by_id = {i.id: _symbol(doc, i) for i in items if i.kind == "boundary"}
    top: list[types.DocumentSymbol] = []
    parents = {i.id: i.boundary for i in items if i.kind == "boundary"}
    for i in items:
        if i.kind == "boundary" and by_id[i.id] not in top:
            sym = by_id[i.id]
            parent = by_id.get(i.boundary or "") if not _cyclic(parents, i.id) else None
            _child(parent, top, sym)
    for i in items:
        if i.kind == "element":
            _child(by_id.get(i.boundary or ""), top, _symbol(doc, i))
    top += [_symbol(doc, i) for i in items if i.kind in ("flow", "asset")]
    return top


def _cyclic(parents: dict[str, str | None], start: str) -> bool:
    """Whether the chain of parents from ``start`` comes back to a boundary it passed."""
    seen = {start}
    here = parents.get(start)
    while here is not None and here in parents:
        if here in seen:
            return True
        seen.add(here)
        here = parents.get(here)
    return False


def _child(
    parent: types.DocumentSymbol | None, top: list[types.DocumentSymbol], sym: types.DocumentSymbol
) -> None:
    if parent is None or parent is sym:
        top.append(sym)
        return
    parent.children = [*(parent.children or ()), sym]


def _symbol(doc: ModelDocument, item: Item) -> types.DocumentSymbol:
    detail = item.item_kind or item.kind
    if item.name:
        detail = f"{item.name} ({detail})"
    return types.DocumentSymbol(
        name=item.id,
        detail=detail,
        kind=_SYMBOL_KINDS[item.kind],
        range=doc.range(item.span),
        selection_range=doc.range(item.id_span),
    )
