"""Cross-reference checks of a threat model: unique IDs, no dangling IDs, no boundary cycle.

Each problem carries the path (``loc``) of the offending value so that the file loader can
point at its line and column.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .threat_model import ThreatModel

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class RefProblem:
    """One cross-reference problem at ``loc``."""

    loc: Loc
    message: str


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest choice, or ``""``."""
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _dangling(loc: Loc, value: str | None, what: str, known: set[str]) -> RefProblem | None:
    if value is None or value in known:
        return None
    return RefProblem(loc, f"'{value}' is not {what}{did_you_mean(value, known)}")


def _duplicate_ids(model: ThreatModel) -> list[RefProblem]:
    problems: list[RefProblem] = []
    first: dict[str, Loc] = {}
    sections: list[tuple[str, Iterable[str]]] = [
        ("objectives", (o.id for o in model.objectives)),
        ("assets", (a.id for a in model.assets)),
        ("boundaries", (b.id for b in model.boundaries)),
        ("elements", (e.id for e in model.elements)),
        ("flows", (f.id for f in model.flows)),
    ]
    for section, ids in sections:
        for i, id_ in enumerate(ids):
            loc: Loc = (section, i, "id")
            if id_ is None:
                continue
            if id_ in first:
                where = format_loc(first[id_][:2])
                problems.append(RefProblem(loc, f"duplicate ID '{id_}' (already used by {where})"))
            else:
                first[id_] = loc
    seen: dict[str, int] = {}
    for i, d in enumerate(model.decisions):
        key = decision_key(d)
        if key is None:
            continue
        if key in seen:
            first_at = f"decisions[{seen[key]}]"
            if d.finding is not None:
                message = f"second decision for finding '{key}' (first is {first_at})"
                problems.append(RefProblem(("decisions", i, "finding"), message))
            else:
                message = (
                    f"second decision for threat {d.threat} in this scope (first is {first_at})"
                )
                problems.append(RefProblem(("decisions", i, "scope"), message))
        else:
            seen[key] = i
    return problems


def decision_key(d: object) -> str | None:
    """The key of a decision (see ``Decision.key``), also of a raw one: a mapping read from
    a file, or one that failed validation (``None`` when it has none)."""

    def get(name: str) -> Any:
        return d.get(name) if isinstance(d, dict) else getattr(d, name, None)

    finding = get("finding")
    if isinstance(finding, str):
        return finding
    threat, scope = get("threat"), get("scope")
    if not isinstance(threat, str) or scope is None:
        return None
    if scope == "all":
        return f"{threat}@*"
    for name in ("boundary", "element"):
        value = scope.get(name) if isinstance(scope, dict) else getattr(scope, name, None)
        if isinstance(value, str):
            return f"{threat}@{name}:{value}"
    return None


def boundary_chain(
    parent: Mapping[str, str | None], start: str | None
) -> tuple[tuple[str, ...], str | None]:
    """The boundaries from ``start`` outwards (``start`` first), following ``parent``, and
    the boundary at which the walk came back on itself (``None`` when it reached the top
    or an unknown ID). The one walk up the boundary tree: the graph, validation, importers
    and exporters use it."""
    chain: list[str] = []
    seen: set[str] = set()
    node = start
    while node is not None and node not in seen:
        chain.append(node)
        seen.add(node)
        node = parent.get(node)
    return tuple(chain), node


def _boundary_cycles(model: ThreatModel) -> list[RefProblem]:
    parent = {b.id: b.parent for b in model.boundaries if b.id is not None}
    index = {b.id: i for i, b in enumerate(model.boundaries) if b.id is not None}
    problems: list[RefProblem] = []
    reported: set[str] = set()
    for start in parent:
        chain, node = boundary_chain(parent, start)
        if node is not None:
            cycle = chain[chain.index(node) :]
            key = min(cycle)
            if key not in reported:
                reported.add(key)
                path = " -> ".join([*cycle, node])
                problems.append(
                    RefProblem(("boundaries", index[key], "parent"), f"boundary cycle: {path}")
                )
    return problems


def reference_problems(model: ThreatModel) -> list[RefProblem]:
    """Every cross-reference problem of ``model``, in file order."""
    problems = _duplicate_ids(model)
    elements = {e.id for e in model.elements if e.id is not None}
    boundaries = {b.id for b in model.boundaries if b.id is not None}
    assets = {a.id for a in model.assets if a.id is not None}
    checks: list[RefProblem | None] = []
    for i, o in enumerate(model.objectives):
        for j, e in enumerate(o.elements):
            checks.append(_dangling(("objectives", i, "elements", j), e, "an element ID", elements))
    for i, b in enumerate(model.boundaries):
        if b.parent is not None:
            checks.append(
                _dangling(("boundaries", i, "parent"), b.parent, "a boundary ID", boundaries)
            )
    for i, el in enumerate(model.elements):
        if el.boundary is not None:
            checks.append(
                _dangling(("elements", i, "boundary"), el.boundary, "a boundary ID", boundaries)
            )
        for j, a in enumerate(el.assets):
            checks.append(_dangling(("elements", i, "assets", j), a, "an asset ID", assets))
    for i, f in enumerate(model.flows):
        checks.append(_dangling(("flows", i, "source"), f.source, "an element ID", elements))
        checks.append(_dangling(("flows", i, "target"), f.target, "an element ID", elements))
        if f.source is not None and f.source == f.target:
            checks.append(
                RefProblem(
                    ("flows", i, "target"), f"flow '{f.id}' goes from '{f.source}' to itself"
                )
            )
        for j, a in enumerate(f.data):
            checks.append(_dangling(("flows", i, "data", j), a, "an asset ID", assets))
    problems.extend(p for p in checks if p is not None)
    problems.extend(_boundary_cycles(model))
    return sorted(problems, key=lambda p: _order(p.loc))


_SECTION_ORDER = {
    "objectives": 0,
    "assets": 1,
    "boundaries": 2,
    "elements": 3,
    "flows": 4,
    "decisions": 5,
}


def _order(loc: Loc) -> tuple[int, int, str]:
    section = str(loc[0])
    idx = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
    return (_SECTION_ORDER.get(section, 9), idx, ".".join(str(p) for p in loc[2:]))


def format_loc(loc: Loc) -> str:
    """Render ``("elements", 3, "kind")`` as ``elements[3].kind``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
