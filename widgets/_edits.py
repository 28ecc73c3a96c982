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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from workbench.model import KINDS, Element, Flow, Position, ThreatModel
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
    return EditResult(model.add_element(element), select=[element_id])


def _move(model: ThreatModel, msg: Mapping[str, Any]) -> EditResult:
    """Move elements; elements still placed automatically are pinned where they are
    shown, so the drawing stays as the user sees it."""
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
    shown = auto_layout(model)
    elements = []
    for e in model.elements:
        if e.id in moved:
            if e.position != moved[e.id]:
                e = e.model_copy(update={"position": moved[e.id]})
        elif e.position is None:
            x, y = shown[e.id]
            e = e.model_copy(update={"position": Position(x=x, y=y)})
        elements.append(e)
    return EditResult(model.replace(elements=elements))


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


EDITS: dict[str, Callable[[ThreatModel, Mapping[str, Any]], EditResult]] = {
    "add_element": _add_element,
    "move": _move,
    "layout": _layout,
    "rename": _rename,
    "delete": _delete,
    "add_flow": _add_flow,
    "set_boundary": _set_boundary,
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
