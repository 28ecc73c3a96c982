"""Edits sent by the canvas front end, applied through the model's edit API.

A message is a small JSON object such as ``{"op": "add_element", "kind": "agent",
"x": 10, "y": 20}``. :func:`apply_edit` checks its shape, applies it with
:meth:`ThreatModel.add_element` and friends (which validate the whole model) and returns
the new model, or raises :class:`EditError` with a reason a person can read. The model
it was given is never changed (models are frozen), so a refused edit leaves the canvas's
model valid and unchanged.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from workbench.model import KINDS, Boundary, Element, Flow, Position, ThreatModel
from workbench.model.types import ID_PATTERN

from ._payload import auto_layout

MAX_ITEMS = 10_000
"""Most IDs or positions one message may carry."""
MAX_TEXT = 200
"""Longest name accepted from the canvas (the model's own limit for names)."""
COORD_LIMIT = 1e7
"""Largest absolute canvas coordinate accepted."""

_ID_RE = re.compile(ID_PATTERN)


class EditError(Exception):
    """The edit was not applied; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class EditResult:
    """A new model and what the canvas should select afterwards (``None``: keep)."""

    model: ThreatModel
    select: list[str] | None = None
    notes: list[str] = field(default_factory=list)
    """Things worth telling the user although the edit succeeded."""


def reason(exc: BaseException) -> str:
    """A one-line reason for an exception raised by the model's edit API."""
    if isinstance(exc, ValidationError):
        parts = []
        for err in exc.errors(include_url=False):
            msg = str(err.get("msg", "invalid value"))
            msg = msg.removeprefix("Value error, ")
            loc = ".".join(str(p) for p in err.get("loc", ()))
            parts.append(f"{loc}: {msg}" if loc else msg)
        return "; ".join(parts)
    if isinstance(exc, KeyError):
        return f"'{exc.args[0]}' does not exist" if exc.args else "unknown ID"
    return str(exc)


# ----------------------------------------------------------------------------- checks
def _opt_text(msg: Mapping[str, Any], key: str) -> str | None:
    value = msg.get(key)
    if value is None:
        return None
    return _text(msg, key)


def _text(msg: Mapping[str, Any], key: str) -> str:
    value = msg.get(key)
    if not isinstance(value, str):
        raise EditError(f"'{key}' must be text")
    if len(value) > MAX_TEXT * 10:
        raise EditError(f"'{key}' is too long")
    return value


def _number(msg: Mapping[str, Any], key: str) -> float:
    value = msg.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EditError(f"'{key}' must be a number")
    number = float(value)
    if not math.isfinite(number) or abs(number) > COORD_LIMIT:
        raise EditError(f"'{key}' is out of range")
    return number


def _ids(msg: Mapping[str, Any], key: str) -> list[str]:
    value = msg.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EditError(f"'{key}' must be a list of IDs")
    if len(value) > MAX_ITEMS:
        raise EditError(f"too many IDs in '{key}'")
    return list(dict.fromkeys(value))


def _unique_id(model: ThreatModel, base: str) -> str:
    """``base`` if it is free, else ``base-2``, ``base-3`` ... (IDs share one namespace)."""
    taken = model.ids()
    base = base[:90]
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _numbered(model: ThreatModel, base: str) -> tuple[str, int]:
    """The first free ``base-N`` (N from 1) and its N."""
    taken = model.ids()
    n = 1
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}", n


# ----------------------------------------------------------------------------- edits
def _add_element(model: ThreatModel, msg: Mapping[str, Any]) -> EditResult:
    """A new element of ``kind`` at ``x``, ``y`` (in ``boundary``, if given). Optional
    ``positions`` move other elements in the same edit: those the canvas pushes aside to
    keep its container rules. Elements still placed automatically are pinned where they
    are shown, so that placing one does not rearrange the others."""
    kind = _text(msg, "kind")
    if kind not in KINDS:
        raise EditError(f"'{kind}' is not an element kind")
    x, y = _number(msg, "x"), _number(msg, "y")
    element_id, n = _numbered(model, kind.replace("_", "-"))
    name = _opt_text(msg, "name") or f"{KINDS[kind].label} {n}"
    boundary = _opt_text(msg, "boundary")
    element = Element(
        id=element_id,
        kind=kind,  # type: ignore[arg-type]  # checked against KINDS above
        name=name,
        boundary=boundary,
        position=Position(x=x, y=y),
    )
    moved = _positions(model, msg) if "positions" in msg else {}
    pinned = _moved_and_pinned(model, moved)
    return EditResult(pinned.add_element(element), select=[element_id])


def _positions(model: ThreatModel, msg: Mapping[str, Any]) -> dict[str, Position]:
    """The ``positions`` of a move message, checked: element ID to position."""
    raw = msg.get("positions")
    if not isinstance(raw, dict) or len(raw) > MAX_ITEMS:
        raise EditError("'positions' must map element IDs to {x, y}")
    known = {e.id for e in model.elements}
    moved: dict[str, Position] = {}
    for element_id, pos in raw.items():
        if element_id not in known:
            raise EditError(f"'{element_id}' is not an element")
        if not isinstance(pos, dict):
            raise EditError(f"position of '{element_id}' must be {{x, y}}")
        moved[element_id] = Position(x=_number(pos, "x"), y=_number(pos, "y"))
    return moved


def _dropped_into(msg: Mapping[str, Any], moved: Mapping[str, Position]) -> dict[str, str | None]:
    """The optional ``boundaries`` of a move message: the boundary each moved element was
    dropped into (``None``: out of every boundary)."""
    raw = msg.get("boundaries", {})
    if not isinstance(raw, dict):
        raise EditError("'boundaries' must map element IDs to boundary IDs")
    for element_id, boundary in raw.items():
        if element_id not in moved:
            raise EditError(f"'{element_id}' is not being moved")
        if boundary is not None and not isinstance(boundary, str):
            raise EditError(f"boundary of '{element_id}' must be an ID or null")
    return dict(raw)


def _move(model: ThreatModel, msg: Mapping[str, Any]) -> EditResult:
    """Move elements, and put those dropped into a trust boundary's region into that
    boundary (``boundaries``: element ID to boundary ID or null), in one edit. Elements
    still placed automatically are pinned where they are shown, so the drawing stays as
    the user sees it."""
    moved = _positions(model, msg)
    return EditResult(_moved_and_pinned(model, moved, _dropped_into(msg, moved)))


def _moved_and_pinned(
    model: ThreatModel,
    moved: Mapping[str, Position],
    dropped: Mapping[str, str | None] | None = None,
) -> ThreatModel:
    """``model`` with ``moved`` elements at their new positions (and those in ``dropped``
    in their new boundary), and every element still placed automatically pinned where it
    is shown. Unchanged (the same object) when there is nothing to do."""
    dropped = dropped or {}
    if all(e.position is not None for e in model.elements) and not moved:
        return model
    shown = auto_layout(model)
    elements = []
    for e in model.elements:
        update: dict[str, Any] = {}
        if e.id in moved:
            if e.position != moved[e.id]:
                update["position"] = moved[e.id]
            if e.id in dropped and dropped[e.id] != e.boundary:
                update["boundary"] = dropped[e.id]
        elif e.id in shown:  # placed automatically, or moved to make room for one that is
            x, y = shown[e.id]
            update["position"] = Position(x=x, y=y)
        elements.append(e.model_copy(update=update) if update else e)
    return model.replace(elements=elements)


def _layout(model: ThreatModel, msg: Mapping[str, Any]) -> EditResult:
    """Lay every element out again, left to right by layer."""
    positions = auto_layout(model, only_missing=False)
    elements = [
        e.model_copy(update={"position": Position(x=positions[e.id][0], y=positions[e.id][1])})
        for e in model.elements
    ]
    return EditResult(model.replace(elements=elements))


def _rename(model: ThreatModel, msg: Mapping[str, Any]) -> EditResult:
    target = _text(msg, "id")
    name = _text(msg, "name")
    if len(name) > MAX_TEXT:
        raise EditError(f"a name has at most {MAX_TEXT} characters")
    if any(e.id == target for e in model.elements):
        if not name.strip():
            raise EditError("an element needs a name")
        return EditResult(model.update_element(target, name=name))
    if any(f.id == target for f in model.flows):
        return EditResult(model.update_flow(target, name=name.strip()))
    raise EditError(f"'{target}' is not an element or flow")


def _delete(model: ThreatModel, msg: Mapping[str, Any]) -> EditResult:
    nodes, edges = _ids(msg, "nodes"), _ids(msg, "edges")
    if not nodes and not edges:
        raise EditError("nothing is selected")
    elements = {e.id for e in model.elements}
    flows = {f.id for f in model.flows}
    unknown = [i for i in nodes if i not in elements] + [i for i in edges if i not in flows]
    if unknown:
        raise EditError(f"'{unknown[0]}' does not exist")
    gone_flows = set(edges) | {f.id for f in model.flows if {f.source, f.target} & set(nodes)}
    new = model.replace(
        flows=[f for f in model.flows if f.id not in gone_flows],
    )
    for element_id in nodes:
        new = new.remove_element(element_id, cascade=True)
    return EditResult(new, select=[])


def _add_flow(model: ThreatModel, msg: Mapping[str, Any]) -> EditResult:
    source, target = _text(msg, "source"), _text(msg, "target")
    elements = {e.id for e in model.elements}
    for end in (source, target):
        if end not in elements:
            raise EditError(f"'{end}' is not an element")
    if source == target:
        raise EditError("a flow needs two different elements")
    base = f"{source}-to-{target}"
    if len(base) > 90 or not _ID_RE.match(base):
        base = "flow"
    flow_id = _unique_id(model, base)
    name = _opt_text(msg, "name") or ""
    flow = Flow(id=flow_id, source=source, target=target, name=name)
    return EditResult(model.add_flow(flow), select=[flow_id])


def _set_boundary(model: ThreatModel, msg: Mapping[str, Any]) -> EditResult:
    element_id = _text(msg, "id")
    boundary = _opt_text(msg, "boundary")
    return EditResult(model.update_element(element_id, boundary=boundary))


def _boundary_name(msg: Mapping[str, Any], default: str | None = None) -> str:
    """The ``name`` of a boundary message, stripped; ``default`` when it is left out (or a
    refusal when there is no default)."""
    if default is not None and msg.get("name") is None:
        return default
    name = _text(msg, "name").strip()
    if not name:
        raise EditError("a trust boundary needs a name")
    if len(name) > MAX_TEXT:
        raise EditError(f"a name has at most {MAX_TEXT} characters")
    return name


def _new_boundary_id(model: ThreatModel) -> tuple[str, int]:
    """``boundary-N`` and N, counting on from the boundaries already there, with neither
    the ID nor the default name "Trust boundary N" taken."""
    taken, names = model.ids(), {b.name for b in model.boundaries}
    n = len(model.boundaries) + 1
    while f"boundary-{n}" in taken or f"Trust boundary {n}" in names:
        n += 1
    return f"boundary-{n}", n


def _chain(model: ThreatModel, boundary: str | None) -> list[str]:
    """``boundary`` and its enclosing boundaries, innermost first."""
    parents = {b.id: b.parent for b in model.boundaries}
    chain: list[str] = []
    while boundary is not None and boundary not in chain:
        chain.append(boundary)
        boundary = parents.get(boundary)
    return chain


def _enclosing(model: ThreatModel, boundaries: Iterable[str | None]) -> str | None:
    """The innermost boundary that holds every one of ``boundaries`` (``None``: none)."""
    chains = [_chain(model, b) for b in boundaries]
    common = set(chains[0]).intersection(*chains[1:]) if chains else set()
    return next((b for b in chains[0] if b in common), None) if chains else None


def _add_boundary(model: ThreatModel, msg: Mapping[str, Any]) -> EditResult:
    """A new trust boundary around the ``members`` (element IDs).

    The new boundary nests inside the innermost boundary that held every member and takes
    its trust level; when there is none it is a top-level boundary with the schema's
    default trust (``trusted``). ``name`` and ``trust`` may be given, and ``positions``
    move elements in the same edit (those the canvas pushes out of the new region, or
    aside, to keep its container rules). Elements still placed automatically are pinned
    where they are shown: the new boundary does not rearrange the drawing."""
    members = _ids(msg, "members")
    if not members:
        raise EditError("select the elements the new trust boundary should contain")
    current = {e.id: e.boundary for e in model.elements}
    missing = [m for m in members if m not in current]
    if missing:
        raise EditError(f"'{missing[0]}' is not an element")
    model = _moved_and_pinned(model, _positions(model, msg) if "positions" in msg else {})
    boundary_id, n = _new_boundary_id(model)
    parent = _enclosing(model, [current[m] for m in members])
    fields: dict[str, Any] = {
        "id": boundary_id,
        "name": _boundary_name(msg, f"Trust boundary {n}"),
        "parent": parent,
    }
    trust = msg.get("trust")
    if trust is not None:
        fields["trust"] = trust
    elif parent is not None:
        fields["trust"] = model.boundary(parent).trust
    new = model.add_boundary(Boundary.model_validate(fields))
    elements = [
        e.model_copy(update={"boundary": boundary_id}) if e.id in members else e
        for e in new.elements
    ]
    return EditResult(new.replace(elements=elements))


def _boundary_id(model: ThreatModel, msg: Mapping[str, Any]) -> str:
    boundary_id = _text(msg, "id")
    if not any(b.id == boundary_id for b in model.boundaries):
        raise EditError(f"'{boundary_id}' is not a trust boundary")
    return boundary_id


def _rename_boundary(model: ThreatModel, msg: Mapping[str, Any]) -> EditResult:
    boundary_id = _boundary_id(model, msg)
    name = _boundary_name(msg)
    boundaries = [
        Boundary.model_validate({**b.model_dump(), "name": name}) if b.id == boundary_id else b
        for b in model.boundaries
    ]
    return EditResult(model.replace(boundaries=boundaries))


def _delete_boundary(model: ThreatModel, msg: Mapping[str, Any]) -> EditResult:
    """Remove a boundary but keep its elements: they (and nested boundaries) move to its
    parent."""
    return EditResult(model.remove_boundary(_boundary_id(model, msg)))


EDITS: dict[str, Callable[[ThreatModel, Mapping[str, Any]], EditResult]] = {
    "add_element": _add_element,
    "move": _move,
    "layout": _layout,
    "rename": _rename,
    "delete": _delete,
    "add_flow": _add_flow,
    "set_boundary": _set_boundary,
    "add_boundary": _add_boundary,
    "rename_boundary": _rename_boundary,
    "delete_boundary": _delete_boundary,
}
"""Every edit the front end may send, by ``op``."""


def apply_edit(model: ThreatModel, msg: object) -> EditResult:
    """Apply one edit message to ``model``; raise :class:`EditError` when the message is
    malformed or the edit would make the model invalid."""
    if not isinstance(msg, dict):
        raise EditError("an edit must be a JSON object")
    op = msg.get("op")
    edit = EDITS.get(op) if isinstance(op, str) else None
    if edit is None:
        raise EditError(f"unknown edit {op!r}")
    try:
        return edit(model, msg)
    except EditError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        # ValidationError is a ValueError: the model refused the edit.
        raise EditError(reason(exc)) from exc
