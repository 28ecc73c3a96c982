"""Attack trees built from the engine's attack paths (see :mod:`workbench.attack_trees`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..engine import Analysis, AttackPath, Finding
from ..engine.influence import is_screen
from ..engine.paths import EVASION, attack_paths, path_routes
from ..engine.risk import level
from ..engine.scoring import HARMED_BY
from ..model import Objective
from ..model.references import did_you_mean
from ..model.statuses import STATUS_RULES
from ..register import Decider, is_expired
from ..statements import StatementWriter
from ..statements.parts import _USERS
from .cuts import CUT, Cuts, Family, shown, supporting
from .tree import AttackTree, MitigationRef, MitigationState, NodeKind, TreeNode

MAX_ENTRIES = 4
"""Entry points shown under a goal (the others are folded into one ``more`` node)."""
MAX_WAYS = 3
"""Ways shown under one entry point."""
MAX_FINDINGS = 3
"""Findings shown under one step."""
MAX_ELEMENTS = 5
"""Elements shown under an objective."""
NODE_CUTS = 3
"""Cut sets kept on each node."""
TREE_CUTS = 5
"""Cut sets kept for the whole tree."""

SEND = " → "
ACCESS = " ⇢ "
"""How a way's route joins its elements: content sent along a flow (→), or the access of
the element before used over a flow it initiates (⇢), as in the PASTA view."""

_TAKE_OVER = frozenset("STE")
"""STRIDE letters of a finding that helps an attacker through a step on the way: spoofing
its way in, tampering with what the element does, taking its privileges."""
_HARM = frozenset("STIDE")
"""Letters of a finding that harms the goal itself (repudiation alone does not)."""
_READ = frozenset("I")
"""Letters of a finding that harms a store the attacker can only read."""
_WRITE = frozenset("TD")
"""Letters of a finding that harms a store the attacker writes to with its writer's
access (tampering, destruction)."""
_SOURCES = frozenset({"outsider", "anyone"})
"""Threat sources an attacker on the route is (see :class:`workbench.statements.Statement`);
``user`` too when the way starts with people or their clients."""
_PROXIES = frozenset({"insider", "account"})
"""Threat sources an attacker also is on a step made with the access of the element it
steers: a call or a read it makes, a write into a store (whoever has that access)."""


# ----------------------------------------------------------------------------- ways
@dataclass(frozen=True)
class _Move:
    """A step of a way that needs the attacker to exploit something."""

    kind: str
    flow: str
    element: str
    before: str
    """The element the step starts from."""
    goal: bool
    findings: tuple[Finding, ...]
    pivot: bool
    """Whether the way then uses this element's access (it must be taken over)."""

    entry: bool = False
    """Whether the step is the way's way in (from any of its origins, over any flow)."""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, "" if self.entry else self.flow, self.element)


@dataclass
class _Way:
    """Attack paths that need the same moves from the same entry point."""

    entry: str
    user: bool
    moves: tuple[_Move, ...]
    paths: list[AttackPath] = field(default_factory=list)
    at: list[list[int]] = field(default_factory=list)
    """For each path, the index of each move's step in it."""
    starts: list[int] = field(default_factory=list)
    """For each path, the index of its step into the entry point."""

    @property
    def score(self) -> int:
        return max(p.score for p in self.paths)

    @property
    def origins(self) -> list[str]:
        return list(dict.fromkeys(p.source for p in self.paths))


def _path_ids(path: AttackPath, upto: int | None = None) -> list[str]:
    """Element and flow IDs of ``path`` from its source through step ``upto`` (all)."""
    ids = [path.source]
    for step in path.steps[: None if upto is None else upto + 1]:
        ids.extend(step.flows)
        ids.append(step.element)
    return ids


def _union(lists: Iterable[Iterable[str]]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for ids in lists for i in ids))


# ----------------------------------------------------------------------------- builder
class TreeBuilder:
    """Builds the attack trees of one analysis (see :func:`attack_tree`); keeps what it
    looked up between trees."""

    def __init__(self, analysis: Analysis, *, today: dt.date | str | None = None) -> None:
        self.analysis = analysis
        self.facts = analysis.facts
        self.graph = self.facts.graph
        self.catalog = analysis.catalog
        self.supporting = supporting(self.catalog)
        """Mitigations that cut nothing (the catalog's non-preventive ones)."""
        self.decider = Decider(analysis.model, today=today)
        self.writer = StatementWriter(analysis)
        self.by_target: dict[str, list[Finding]] = defaultdict(list)
        for f in analysis.findings:
            self.by_target[f.target].append(f)
        self._sources: dict[str, str] = {}
        self._statements: dict[str, str] = {}

    # ------------------------------------------------------------------ words
    def name(self, element_id: str) -> str:
        """An element's name."""
        return self.facts.elements[element_id].name

    def flow_words(self, flow_id: str) -> str:
        """A flow's name, or ``A → B``."""
        flow = self.facts.flows[flow_id]
        return flow.name or f"{self.name(flow.source)} → {self.name(flow.target)}"

    def mitigation_title(self, mitigation_id: str) -> str:
        """A mitigation's catalog title (its ID when the catalog does not know it)."""
        m = self.catalog.mitigations.get(mitigation_id)
        return m.title if m is not None else mitigation_id

    def limited(self, f: Finding) -> frozenset[str]:
        """The finding's mitigations that limit the damage but do not cut it (its threat's
        ``limited_by``)."""
        t = self.catalog.threats.get(f.threat_id)
        return frozenset(t.limited_by) if t is not None else frozenset()

    def source_kind(self, f: Finding) -> str:
        """Who realises the finding (its threat statement's source kind)."""
        hit = self._sources.get(f.id)
        if hit is None:
            st = self.writer.statement(f)
            hit = self._sources[f.id] = st.source_kind
            self._statements[f.id] = st.text
        return hit

    def statement(self, f: Finding) -> str:
        """The finding's threat statement."""
        self.source_kind(f)
        return self._statements[f.id]

    # ------------------------------------------------------------------ goals
    def goals(self) -> list[tuple[str, str, str]]:
        """(ID, ``element`` or ``objective``, title) of every goal with a tree by default:
        the crown jewels, then the business objectives."""
        out = [(j, "element", f"Compromise {self.name(j)}") for j in self.analysis.crown_jewels]
        out += [(o.id, "objective", _objective_title(o)) for o in self.analysis.model.objectives]
        return out

    def tree(self, goal: str) -> AttackTree:
        """The attack tree of an element or an objective (``KeyError`` naming the known
        goals when it is neither)."""
        objectives = {o.id: o for o in self.analysis.model.objectives}
        if goal in objectives:
            return self._objective_tree(objectives[goal])
        if goal in self.facts.elements:
            return self._element_tree(goal)
        known = [*self.facts.elements, *objectives]
        raise KeyError(f"no element or objective '{goal}'{did_you_mean(goal, known)}")

    def paths_to(self, target: str) -> list[AttackPath]:
        """The engine's attack paths to ``target`` (computed the engine's way when it is
        not a crown jewel)."""
        if target in self.facts.crown_jewels:
            return [p for p in self.analysis.attack_paths if p.target == target]
        sources = sorted(self.facts.untrusted)
        routes = path_routes(self.graph, sources, [target])
        found = attack_paths(
            self.graph, sources, [target], self.analysis.findings, {}, routes=routes
        )
        return list(found)

    # ------------------------------------------------------------------ trees
    def _element_tree(self, target: str) -> AttackTree:
        paths = self.paths_to(target)
        ways, unexplained = self._ways(target, paths, None)
        cuts = self._cuts(ways)
        children, family, count = self._entries(ways, cuts)
        root = self._or_node(
            "g", "goal", f"Compromise {self.name(target)}", children, family, paths, cuts
        )
        root = _with(root, detail=self._goal_detail(paths, unexplained, count))
        return self._finish(target, "element", root, family, cuts, paths, unexplained, count)

    def _objective_tree(self, objective: Objective) -> AttackTree:
        letters = HARMED_BY.get(objective.category) if objective.category else None
        parts: list[tuple[TreeNode, Family]] = []
        all_paths: list[AttackPath] = []
        unexplained: list[str] = []
        built = []
        for element in dict.fromkeys(objective.elements):
            if element not in self.facts.elements:
                continue
            paths = self.paths_to(element)
            all_paths += paths
            ways, lost = self._ways(element, paths, letters)
            unexplained += lost
            if ways:
                built.append((element, ways, paths))
        cuts = self._cuts([w for _, ways, _ in built for w in ways])
        total = 0
        for element, ways, paths in built:
            children, family, count = self._entries(ways, cuts)
            node = self._or_node(
                "", "element", f"Compromise {self.name(element)}", children, family, paths, cuts
            )
            total += count
            parts.append((_with(node, detail=f"{count} distinct way(s) in."), family))
        parts.sort(key=lambda p: (-p[0].score, p[0].label))
        children, family = self._capped(parts, MAX_ELEMENTS, "elements", cuts)
        root = self._or_node(
            "g", "goal", _objective_title(objective), children, family, all_paths, cuts
        )
        detail = "It fails when an attacker harms any element it depends on"
        if objective.category:
            detail += f" (findings that threaten its {objective.category})"
        root = _with(root, detail=f"{detail}; {total} distinct way(s) in.")
        return self._finish(
            objective.id, "objective", root, family, cuts, all_paths, unexplained, total
        )

    def _finish(
        self,
        goal: str,
        kind: str,
        root: TreeNode,
        family: Family,
        cuts: Cuts,
        paths: Sequence[AttackPath],
        unexplained: Sequence[str],
        count: int,
    ) -> AttackTree:
        root = _renumber(root, "g")
        sets = shown(family, TREE_CUTS) if root.children else ()
        if family == CUT and root.children:
            sets = ((),)
        titles = {
            m: self.mitigation_title(m)
            for n in root.walk()
            for m in [*(r.id for r in n.mitigations), *(x for s in n.cut_sets for x in s)]
        }
        titles.update({m: self.mitigation_title(m) for s in sets for m in s})
        names = {}
        for i in dict.fromkeys(x for n in root.walk() for x in (*n.route, *n.origins)):
            names[i] = self.name(i) if i in self.facts.elements else self.flow_words(i)
        return AttackTree(
            goal=goal,
            goal_kind="objective" if kind == "objective" else "element",
            title=root.label,
            root=root,
            cut_sets=sets,
            mitigation_titles=titles,
            names=names,
            routes=len({p.id for p in paths}),
            unexplained=tuple(dict.fromkeys(unexplained)),
            way_count=count,
            complete=cuts.complete,
        )

    def _goal_detail(
        self, paths: Sequence[AttackPath], unexplained: Sequence[str], ways: int
    ) -> str:
        if not paths:
            return "No attack path from an untrusted actor reaches it."
        text = f"{len(paths)} attack path(s) reach it; {ways} distinct way(s) in."
        if unexplained:
            text += (
                f" {len(unexplained)} path(s) reach it but no finding says what an attacker"
                " can do there: not shown."
            )
        return text

    # ------------------------------------------------------------------ ways
    def _ways(
        self, target: str, paths: Sequence[AttackPath], letters: frozenset[str] | None
    ) -> tuple[list[_Way], list[str]]:
        ways: dict[tuple[object, ...], _Way] = {}
        unexplained: list[str] = []
        for path in paths:
            found = self._moves(path, letters)
            if found is None:
                unexplained.append(path.id)
                continue
            start, user, moves, at = found
            entry = path.steps[start].element
            key = (entry, user, tuple(m.key for m in moves))
            way = ways.get(key)
            if way is None:
                way = ways[key] = _Way(entry=entry, user=user, moves=moves)
            way.paths.append(path)
            way.at.append(at)
            way.starts.append(start)
        out = sorted(ways.values(), key=lambda w: (-w.score, len(w.moves), self._route(w)))
        return out, unexplained

    def _moves(
        self, path: AttackPath, letters: frozenset[str] | None
    ) -> tuple[int, bool, tuple[_Move, ...], list[int]] | None:
        """The index of the step into the entry point, whether people start the way, the
        moves that need an exploit and their step indexes; ``None`` when nothing is known
        to do at the goal."""
        elements = path.elements
        untrusted = self.facts.untrusted
        k = 0  # the last element of the leading run of untrusted ones
        while k + 1 < len(path.steps) and elements[k + 1] in untrusted:
            k += 1
        user = any(self.graph.kind(e) in _USERS for e in elements[: k + 1])
        moves: list[_Move] = []
        at: list[int] = []
        last = len(path.steps) - 1
        for i in range(k, len(path.steps)):
            step = path.steps[i]
            goal = i == last
            pivot = not goal and path.steps[i + 1].kind == "access"
            store = self.graph.is_store(step.element)
            found = self._relevant(
                [*self.by_target[step.flow], *self.by_target[step.element]],
                access=step.kind == "access",
                goal=goal,
                store=store,
                user=user,
                letters=letters,
            )
            if not goal and found and self._defends(step.element) and not _bypass(found):
                found = ()  # the defence lowers the likelihood; nothing says how past it
            if not found:
                if goal:
                    return None
                continue
            moves.append(
                _Move(
                    kind=step.kind,
                    flow=step.flow,
                    element=step.element,
                    before=elements[i],
                    goal=goal,
                    findings=found,
                    pivot=pivot,
                    entry=i == k,
                )
            )
            at.append(i)
        return k, user, tuple(moves), at

    def _relevant(
        self,
        findings: Sequence[Finding],
        *,
        access: bool,
        goal: bool,
        store: bool,
        user: bool,
        letters: frozenset[str] | None,
    ) -> tuple[Finding, ...]:
        """The findings that let the attacker on this route make the step (see the
        package docstring)."""
        sources = _SOURCES | {"user"} if user else _SOURCES
        if goal:
            need = _READ if access and store else _HARM
            if letters is not None:
                need = need & letters
        else:
            need = _TAKE_OVER
        # a step that uses the element before's access (a call, a read, a write into a
        # store) is made by whoever has that access: its insiders' findings count too
        proxy = need if not store else _READ & need if access else _WRITE & need
        out = []
        for f in findings:
            source = self.source_kind(f)
            if source in sources:
                wanted = need
            elif source in _PROXIES and (access or store):
                wanted = proxy
            else:
                continue
            if wanted.intersection(f.stride):
                out.append(f)
        return tuple(sorted(out, key=lambda f: (-f.likelihood, -f.impact, f.id)))

    def _route(self, way: _Way) -> str:
        """The way's route in names, from its entry point (its best path's)."""
        path, k = way.paths[0], way.starts[0]
        words = [self.name(path.steps[k].element)]
        for step in path.steps[k + 1 :]:
            words += [ACCESS if step.kind == "access" else SEND, self.name(step.element)]
        return "".join(words)

    # ------------------------------------------------------------------ cut sets
    def _cuts(self, ways: Sequence[_Way]) -> Cuts:
        weight: dict[str, int] = defaultdict(int)
        seen: set[str] = set()
        shown: set[str] = set()
        for way in ways:
            for move in way.moves:
                for f in move.findings:
                    if f.id not in seen:
                        seen.add(f.id)
                        shown.update(f.in_place)
                        for m in f.mitigations:
                            weight[m] += 1
        return Cuts(weight, shown, self.supporting)

    # ------------------------------------------------------------------ nodes
    def _entries(
        self, ways: Sequence[_Way], cuts: Cuts
    ) -> tuple[tuple[TreeNode, ...], Family, int]:
        """The nodes under a goal: one per entry point (a lone way stands for its entry
        point), at most :data:`MAX_ENTRIES`, and the family that cuts them all."""
        groups: dict[tuple[str, bool], list[_Way]] = {}
        for way in ways:
            groups.setdefault((way.entry, way.user), []).append(way)
        parts: list[tuple[TreeNode, Family]] = []
        for (entry, _), members in groups.items():
            built = [self._way(w, cuts, alone=len(members) == 1) for w in members]
            if len(built) == 1:
                parts.append(built[0])
                continue
            children, family = self._capped(built, MAX_WAYS, "ways", cuts)
            origins = _union(w.origins for w in members)
            label = f"In through {self.name(entry)}, from {self._names(origins)}"
            paths = [p for w in members for p in w.paths]
            node = self._or_node("", "entry", label, children, family, paths, cuts)
            node = _with(node, origins=origins)
            parts.append((node, family))
        parts.sort(key=lambda p: (-p[0].score, p[0].label))
        children, family = self._capped(parts, MAX_ENTRIES, "entry points", cuts)
        return children, family, len(ways)

    def _way(self, way: _Way, cuts: Cuts, *, alone: bool) -> tuple[TreeNode, Family]:
        steps = [self._step(way, i, cuts) for i in range(len(way.moves))]
        family = cuts.any_of(f for _, f in steps)
        route = self._route(way)
        label = f"{self._names(way.origins)}{SEND}{route}" if alone else route
        notes = list(dict.fromkeys(n for p in way.paths for n in p.notes))
        best = way.paths[0]
        detail = f"{best.risk} {best.score} (likelihood {best.likelihood}, impact {best.impact})."
        if len(way.paths) > 1:
            detail += f" {len(way.paths)} attack paths take this way."
        if notes:
            detail += " " + "; ".join(notes) + "."
        node = TreeNode(
            id="",
            kind="way",
            gate="and",
            label=label,
            detail=detail,
            children=tuple(n for n, _ in steps),
            route=_union(_path_ids(p) for p in way.paths),
            cut=family == CUT,
            cut_sets=shown(family, NODE_CUTS),
            score=way.score,
            likelihood=best.likelihood,
            paths=tuple(p.id for p in way.paths),
            origins=tuple(way.origins),
        )
        return node, family

    def _step(self, way: _Way, index: int, cuts: Cuts) -> tuple[TreeNode, Family]:
        move = way.moves[index]
        route = _union(_path_ids(p, at[index]) for p, at in zip(way.paths, way.at, strict=True))
        built = [self._finding(f, route, cuts) for f in move.findings]
        family = cuts.all_of(f for _, f in built)
        children, _ = self._capped(built, MAX_FINDINGS, "findings", cuts)
        flows = dict.fromkeys(
            p.steps[at[index]].flow for p, at in zip(way.paths, way.at, strict=True)
        )
        flow = " or ".join(self.flow_words(f) for f in flows)
        if move.kind == "access":
            detail = (
                f"{self.name(move.before)} uses its access back over {flow}, a flow it initiates."
            )
        else:
            detail = f"Content sent along {flow}."
        refs = _union(n.references for n, _ in built)
        node = TreeNode(
            id="",
            kind="step",
            gate="or",
            label=self._step_label(move),
            detail=detail,
            children=children,
            route=route,
            findings=tuple(f.id for f in move.findings),
            references=refs,
            mitigations=self._step_mitigations(move.findings, family),
            cut=family == CUT,
            cut_sets=shown(family, NODE_CUTS),
            likelihood=move.findings[0].likelihood,
        )
        return node, family

    def _defends(self, element_id: str) -> bool:
        """Whether the element stands in the attacker's way as the engine counts it: it
        screens what passes (a guardrail, input validation) or a person approves."""
        p = self.facts.elements[element_id].properties
        return is_screen(self.graph, element_id) or bool(p.human_in_the_loop)

    def _step_label(self, move: _Move) -> str:
        name, before = self.name(move.element), self.name(move.before)
        store = self.graph.is_store(move.element)
        if move.kind == "access":
            return f"Make {before} {'read' if store else 'call'} {name}"
        if not move.goal and self._defends(move.element):
            return f"Get past {name}"
        if store:
            return f"Tamper with {name}" if move.goal else f"Plant content in {name}"
        if move.pivot:
            return f"Take over {name}"
        return f"Abuse {name}" if move.goal else f"Steer {name}"

    def _step_mitigations(
        self, findings: Sequence[Finding], family: Family
    ) -> tuple[MitigationRef, ...]:
        """An open step: the mitigations that cut it on their own (the weakest state they
        have on its open findings); a cut step: the mitigations in place on its findings."""
        if family == CUT:
            placed = dict.fromkeys(m for f in findings for m in self._in_place(f)[1])
            return tuple(MitigationRef(m, self.mitigation_title(m), "in_place") for m in placed)
        out = []
        for s in family:
            if len(s) != 1:
                continue
            (m,) = s
            states = [
                self._state(f, m)
                for f in findings
                if m in f.mitigations and not self._in_place(f)[0]
            ]
            state: MitigationState = (
                "shown" if states and all(x == "shown" for x in states) else "missing"
            )
            out.append(MitigationRef(m, self.mitigation_title(m), state))
        return tuple(out)

    def _in_place(self, f: Finding) -> tuple[bool, tuple[str, ...], str]:
        """Whether a decision cuts ``f``, the mitigations it puts in place, and how it was
        decided ('' when it was not)."""
        d = self.decider.decision(f)
        if d is None or is_expired(d, self.decider.day, self.decider.cadence):
            return False, (), ""
        rule = STATUS_RULES[d.status]
        if d.status == "mitigated":
            return True, tuple(m for m in d.mitigations if m in f.mitigations), d.status
        if rule.closes:
            return True, (), d.status
        return False, (), ""

    def _state(self, f: Finding, mitigation: str) -> MitigationState:
        if mitigation in self._in_place(f)[1]:
            return "in_place"
        return "shown" if mitigation in f.in_place else "missing"

    def _finding(self, f: Finding, route: tuple[str, ...], cuts: Cuts) -> tuple[TreeNode, Family]:
        cut, placed, how = self._in_place(f)
        limited = self.limited(f)
        family = cuts.leaf([m for m in f.mitigations if m not in limited], cut=cut)
        refs = (*f.atlas, *f.owasp)
        detail = self.statement(f)
        if cut:
            named = ", ".join(self.mitigation_title(m) for m in placed)
            detail = f"Decided {how}{': ' + named if named else ''}. {detail}"
        node = TreeNode(
            id="",
            kind="finding",
            gate="leaf",
            label=f.title,
            detail=detail,
            route=_union([route, [f.target]]),
            findings=(f.id,),
            references=refs,
            mitigations=tuple(
                MitigationRef(
                    m,
                    self.mitigation_title(m),
                    self._state(f, m),
                    m not in self.supporting and m not in limited,
                    m in limited and m not in self.supporting,
                )
                for m in sorted(f.mitigations, key=lambda m: m in self.supporting or m in limited)
            ),
            cut=cut,
            cut_sets=shown(family, NODE_CUTS),
            likelihood=f.likelihood,
        )
        return node, family

    def _or_node(
        self,
        nid: str,
        kind: NodeKind,
        label: str,
        children: tuple[TreeNode, ...],
        family: Family,
        paths: Sequence[AttackPath],
        cuts: Cuts,
    ) -> TreeNode:
        best = max(paths, key=lambda p: (p.score, -len(p.steps)), default=None)
        return TreeNode(
            id=nid,
            kind=kind,
            gate="or",
            label=label,
            children=children,
            route=_union(n.route for n in children),
            cut=family == CUT,
            cut_sets=shown(family, NODE_CUTS),
            score=max((n.score for n in children), default=0),
            likelihood=best.likelihood if best is not None else 0,
            paths=_union(n.paths for n in children),
        )

    def _capped(
        self,
        parts: Sequence[tuple[TreeNode, Family]],
        most: int,
        plural: str,
        cuts: Cuts,
    ) -> tuple[tuple[TreeNode, ...], Family]:
        """The first ``most`` nodes, and one ``more`` node for the rest (when more than
        one is left); the family that cuts them all (the attacker needs any one)."""
        family = cuts.all_of(f for _, f in parts)
        if len(parts) <= most + 1:
            return tuple(n for n, _ in parts), family
        kept, rest = parts[:most], parts[most:]
        rest_family = cuts.all_of(f for _, f in rest)
        nodes = [n for n, _ in rest]
        leaves = [x for n in nodes for x in n.walk() if x.kind == "finding"]
        more = TreeNode(
            id="",
            kind="more",
            gate="leaf",
            label=f"{len(rest)} more {plural}",
            detail="Left out to keep the tree narrow; counted in the cut sets. "
            + "; ".join(n.label for n in nodes),
            route=_union(n.route for n in nodes),
            findings=_union([n.findings for n in nodes] + [x.findings for x in leaves]),
            cut=rest_family == CUT,
            cut_sets=shown(rest_family, NODE_CUTS),
            score=max(n.score for n in nodes),
            likelihood=max(n.likelihood for n in nodes),
            paths=_union(n.paths for n in nodes),
            hidden=len(rest),
        )
        return (*(n for n, _ in kept), more), family

    def _names(self, ids: Iterable[str]) -> str:
        names = [self.name(i) for i in ids]
        if len(names) <= 1:
            return "".join(names)
        return ", ".join(names[:-1]) + " or " + names[-1]


def _bypass(findings: Iterable[Finding]) -> bool:
    """Whether a finding on a defence says how to get past it, as the engine's attack
    paths count it: a threat-analysis finding citing an evasion technique
    (:data:`workbench.engine.paths.EVASION`, sub-techniques included)."""
    return any(
        f.pasta_stage == 4 and any(".".join(a.split(".")[:2]) in EVASION for a in f.atlas)
        for f in findings
    )


def _objective_title(objective: Objective) -> str:
    return f"Make “{objective.title}” fail"


def _with(node: TreeNode, **changes: Any) -> TreeNode:
    return replace(node, **changes)


def _renumber(node: TreeNode, nid: str) -> TreeNode:
    """The node and its descendants with IDs from their place: ``g``, ``g.1``, ``g.1.2``."""
    children = tuple(_renumber(c, f"{nid}.{i}") for i, c in enumerate(node.children, start=1))
    return _with(node, id=nid, children=children)


def risk_words(score: int) -> str:
    """``high 15`` (empty for 0)."""
    return f"{level(score)} {score}" if score else ""
