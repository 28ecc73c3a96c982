"""Attack trees as text: an outline for a terminal, Mermaid flowchart text and
deciduous-style YAML (see :mod:`workbench.attack_trees`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from .tree import AttackTree, MitigationRef, TreeNode

MARKS = {"in_place": "✓", "shown": "◐", "missing": "✗"}
"""How a mitigation's state is marked: ✓ in place (decided), ◐ shown in the model (it
lowers the likelihood), ✗ neither."""

LEGEND = (
    "OR: any one child is enough; AND: every child is needed. Mitigations: ✓ in place "
    "(a mitigated decision names it), ◐ shown in the model (lowers the likelihood, does "
    "not cut), ✗ not in place. Cut sets: mitigations that, put in place, cut every way."
)


def risk(score: int) -> str:
    """``high 15`` for a score (empty for 0)."""
    from ..engine.risk import level

    return f"{level(score)} {score}" if score else ""


def mitigation_words(refs: tuple[MitigationRef, ...], most: int = 3) -> str:
    """``Spotlighting ✗, Input validation ◐ (+2)``."""
    words = ", ".join(
        f"{m.title} {MARKS[m.state]}"
        + ("" if m.cuts else " (limits the damage)" if m.limits else " (cuts nothing)")
        for m in refs[:most]
    )
    if len(refs) > most:
        words += f" (+{len(refs) - most})"
    return words


def cut_set_words(tree: AttackTree, most: int = 5) -> list[str]:
    """The tree's cut sets in words, one line each."""
    if tree.cut_sets == ((),):
        return ["cut already: the mitigations in place cut every way"]
    titles = tree.mitigation_titles
    return [" + ".join(titles.get(m, m) for m in s) for s in tree.cut_sets[:most]]


# ----------------------------------------------------------------------------- outline
def to_text(tree: AttackTree) -> str:
    """The tree as an indented outline, with its cut sets (ends with a newline)."""
    lines = [f"Attack tree: {tree.title}"]
    lines += [f"  {tree.root.detail}"] if tree.root.detail else []
    for node, depth in _walk(tree.root, 0):
        if node is tree.root:
            continue
        pad = "  " * depth
        gate = {"or": "OR ", "and": "AND ", "leaf": ""}[node.gate]
        head = f"{pad}- {gate}{node.label}"
        extra = [risk(node.score)] if node.kind in ("way", "entry", "element") else []
        if node.kind == "finding":
            extra = [node.findings[0], *node.references[:4]]
        if node.cut:
            extra.append("CUT")
        lines.append(head + (f"  [{'; '.join(e for e in extra if e)}]" if extra else ""))
        if node.mitigations:
            lines.append(f"{pad}    cut by: {mitigation_words(node.mitigations)}")
    lines.append("Cut sets:" if tree.cut_sets else "Cut sets: none found")
    lines += [f"  - {w}" for w in cut_set_words(tree)]
    return "\n".join(lines) + "\n"


def _walk(node: TreeNode, depth: int) -> Iterator[tuple[TreeNode, int]]:
    yield node, depth
    for child in node.children:
        yield from _walk(child, depth + 1)


# ----------------------------------------------------------------------------- Mermaid
_MERMAID_ID = re.compile(r"[^A-Za-z0-9_]")


def _mid(node: TreeNode) -> str:
    return "n_" + _MERMAID_ID.sub("_", node.id)


def mermaid_text(text: str) -> str:
    """Text safe inside a quoted Mermaid label: entity codes for ``#``, quotes and angle
    brackets, no line breaks."""
    text = " ".join(text.split())
    return (
        text.replace("#", "#35;")
        .replace('"', "#quot;")
        .replace("<", "#lt;")
        .replace(">", "#gt;")
        .replace("`", "#96;")
    )


def _mermaid_label(node: TreeNode) -> str:
    gate = {"or": "OR · ", "and": "AND · ", "leaf": ""}[node.gate]
    lines = [gate + node.label]
    if node.kind == "finding":
        lines.append(" · ".join([node.findings[0], *node.references[:4]]))
    elif node.kind in ("goal", "way", "entry", "element") and node.score:
        lines.append(risk(node.score))
    if node.mitigations:
        lines.append("cut by: " + mitigation_words(node.mitigations, 2))
    if node.cut:
        lines.append("CUT")
    return "<br/>".join(mermaid_text(x) for x in lines)


def to_mermaid(tree: AttackTree) -> str:
    """The tree as a Mermaid flowchart (top down; ends with a newline). Nodes are classed
    ``goal``, ``gate`` (OR/AND), ``leaf``, ``more`` and ``cut``; the cut sets follow as
    comments."""
    out = [
        "flowchart TD",
        f"  %% {mermaid_text(tree.title)}",
        f"  %% {mermaid_text(LEGEND)}",
    ]
    for s in cut_set_words(tree):
        out.append(f"  %% cut set: {mermaid_text(s)}")
    classes: dict[str, list[str]] = {"goal": [], "gate": [], "leaf": [], "more": [], "cut": []}
    edges = []
    for node, _ in _walk(tree.root, 0):
        nid = _mid(node)
        label = _mermaid_label(node)
        if node.kind == "goal":
            out.append(f'  {nid}{{{{"{label}"}}}}')
            classes["goal"].append(nid)
        elif node.kind == "more":
            out.append(f'  {nid}(["{label}"])')
            classes["more"].append(nid)
        elif node.kind == "finding":
            out.append(f'  {nid}["{label}"]')
            classes["leaf"].append(nid)
        else:
            out.append(f'  {nid}("{label}")')
            classes["gate"].append(nid)
        if node.cut:
            classes["cut"].append(nid)
        edges += [f"  {nid} --> {_mid(c)}" for c in node.children]
    out += edges
    out += [
        "  classDef goal fill:#fee2e2,stroke:#b91c1c,stroke-width:2px,color:#111827",
        "  classDef gate fill:#f8fafc,stroke:#475569,color:#111827",
        "  classDef leaf fill:#fff7ed,stroke:#c2410c,color:#111827",
        "  classDef more fill:#f1f5f9,stroke:#94a3b8,stroke-dasharray:4 3,color:#334155",
        "  classDef cut fill:#dcfce7,stroke:#15803d,color:#14532d",
    ]
    for name, ids in classes.items():
        if ids:
            out.append(f"  class {','.join(ids)} {name}")
    return "\n".join(out) + "\n"


# ----------------------------------------------------------------------------- deciduous
def _did(prefix: str, node_id: str) -> str:
    return prefix + node_id.replace(".", "_")


def _mitigation_key(mitigation_id: str) -> str:
    return "mit_" + re.sub(r"[^a-z0-9]+", "_", mitigation_id.lower()).strip("_")


class _Deciduous:
    """Collects deciduous nodes: facts (where the attacker's content comes from),
    attacks (the steps of each way, shared prefixes merged), mitigations (those that
    cut a step on their own, ``implemented: false`` unless in place) and the goal."""

    def __init__(self) -> None:
        self.facts: dict[str, tuple[str, list[Any]]] = {}
        self.attacks: dict[str, tuple[str, list[Any]]] = {}
        self.mitigations: dict[str, tuple[str, list[Any]]] = {}
        self.goal_from: list[Any] = []
        self.prefixes: dict[tuple[str, ...], str] = {}

    @staticmethod
    def _add(table: dict[str, tuple[str, list[Any]]], key: str, label: str, src: Any) -> None:
        if key not in table:
            table[key] = (label, [])
        if src not in table[key][1]:
            table[key][1].append(src)

    def way(self, origins: str, node: TreeNode) -> None:
        fact = "from_" + re.sub(r"[^a-z0-9]+", "_", origins.lower()).strip("_")
        self._add(self.facts, fact, f"Content from {origins}", "reality")
        before = fact
        prefix: tuple[str, ...] = (fact,)
        for step in node.children:
            prefix = (*prefix, step.label, *step.findings)
            key = self.prefixes.setdefault(prefix, _did("step_", step.id))
            shown = step.findings[:3]
            refs = list(dict.fromkeys(step.references))[:4]
            label = f"{step.label} [{', '.join([*shown, *refs])}]"
            self._add(self.attacks, key, label, before)
            for m in step.mitigations:
                edge: Any = key if m.state == "in_place" else {key: None, "implemented": False}
                self._add(self.mitigations, _mitigation_key(m.id), m.title, edge)
            before = key
        self.goal_from.append(before)

    def more(self, node: TreeNode) -> None:
        key = _did("more_", node.id)
        self._add(self.attacks, key, f"{node.label} (counted in the cut sets)", "reality")
        self.goal_from.append(key)

    def document(self, tree: AttackTree) -> dict[str, Any]:
        def rows(table: dict[str, tuple[str, list[Any]]]) -> list[dict[str, Any]]:
            return [{key: label, "from": src} for key, (label, src) in table.items()]

        goal = {"goal": tree.title, "from": list(dict.fromkeys(self.goal_from))}
        return {
            "title": f"Attack tree: {tree.title}",
            "facts": rows(self.facts),
            "attacks": rows(self.attacks),
            "mitigations": rows(self.mitigations),
            "goals": [goal],
        }


def _ways_under(node: TreeNode) -> Iterator[TreeNode]:
    for child in node.children:
        if child.kind in ("way", "more"):
            yield child
        else:
            yield from _ways_under(child)


def to_deciduous(tree: AttackTree) -> str:
    """The tree as deciduous-style YAML (Kelly Shortridge's attack decision trees):
    ``facts`` (where the attacker's content comes from), ``attacks`` (each way's steps in
    order, with their findings and techniques, shared prefixes merged), ``mitigations``
    (those that cut a step on their own; ``implemented: false`` on the edge unless in
    place) and ``goals``. The cut sets head the file as comments."""
    doc = _Deciduous()
    for node in _ways_under(tree.root):
        if node.kind == "more":
            doc.more(node)
        else:
            names = [tree.names.get(o, o) for o in node.origins]
            doc.way(" or ".join(names) or "outside", node)
    head = [f"# {tree.title}: attack tree from AI Threat Workbench", f"# {LEGEND}"]
    head += [f"# cut set: {s}" for s in cut_set_words(tree)]
    body = yaml.safe_dump(doc.document(tree), sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(head) + "\n" + body
