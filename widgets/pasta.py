"""The PASTA view: the seven stages as a guided sequence (an accordion with Previous and
Next), each showing what the model already has and what is missing.

What is done and missing comes from :func:`workbench.register.coverage.pasta_status`;
this module draws it, edits the business objectives and the risk tolerance (stage 1)
through the model's edit API, lists the attack paths (stage 6: choosing one highlights it
on the canvas and lists its steps, which **Step ▶** and **◀ Step** walk one at a time in
the path's direction, each step named by its kind: content *sent* along a flow, or the
*access* of an element the attacker controls used over a flow it initiates) and draws the
risk matrix (stage 7). Every text is escaped: the HTML is built with the safe-HTML kit
(:mod:`workbench.export.safehtml`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import get_args

import ipywidgets as w

from workbench.engine import AttackPath, FindingGroup
from workbench.export.safehtml import Html, join
from workbench.export.safehtml import h_single as h
from workbench.model import Objective, RiskTolerance, ThreatModel
from workbench.model.types import ImpactLevel, RiskLevel
from workbench.register import Entry, Register, build_register
from workbench.register.coverage import PASTA_STAGES, StageStatus, pasta_status, risk_matrix

from ._edits import reason
from ._views import LiveView
from .attack_trees import AttackTreeView
from .canvas import Canvas
from .risk_matrix import matrices_html
from .tables import findings_table

MAX_PATHS = 100
"""Most attack paths offered in the list (the highest scoring)."""
TABLE_ROWS = 25
"""Most findings listed in the threat and weakness stages."""

_OK = "#047857"
_TODO = "#b45309"


def status_html(status: StageStatus) -> Html:
    """What a stage has (✓) and what it misses (!), escaped."""
    done = [h("li", f"✓ {t}", data_role="done", style=f"color:{_OK}") for t in status.done]
    missing = [
        h("li", f"! {t}", data_role="missing", style=f"color:{_TODO}") for t in status.missing
    ]
    state = "complete" if status.complete else "incomplete"
    return h(
        "div",
        h("ul", done, missing, style="list-style:none;padding-left:0;margin:2px 0"),
        class_="atw-stage-status",
        data_stage=status.number,
        data_state=state,
    )


SEND_ARROW = " → "
ACCESS_ARROW = " ⇢ "
"""How a path's label joins its elements: content sent along a flow (→), or the access
of the element before used over a flow it initiates, against the flow's direction (⇢)."""


def path_label(path: AttackPath, names: dict[str, str]) -> str:
    """``high 20: Customer → Bot ⇢ Docs`` for an attack path (⇢: an access step)."""
    chain = [names.get(path.source, path.source)]
    for step in path.steps:
        arrow = ACCESS_ARROW if step.kind == "access" else SEND_ARROW
        chain += [arrow, names.get(step.element, step.element)]
    return f"{path.risk} {path.score}: {''.join(chain)}"


def step_ids(path: AttackPath, upto: int) -> list[str]:
    """Element and flow IDs of the first ``upto`` steps of ``path`` (0: its source)."""
    ids = [path.source]
    for step in path.steps[:upto]:
        ids.extend(step.flows)
        ids.append(step.element)
    return ids


def steps_html(path: AttackPath, model: ThreatModel, current: int) -> Html:
    """The steps of ``path`` as a table, in the path's direction: each step's kind, the
    flow it uses and which way, the element it reaches and how likely it is to succeed;
    steps up to ``current`` are marked walked, step ``current`` is marked current (0:
    only the source)."""
    names = {e.id: e.name for e in model.elements}
    flows = {f.id: f for f in model.flows}
    rows = [
        h(
            "tr",
            h("td", "0"),
            h("td", "starts at"),
            h("td", ""),
            h("td", names.get(path.source, path.source)),
            h("td", ""),
            data_step=0,
            data_state="current" if current == 0 else "walked",
        )
    ]
    for i, step in enumerate(path.steps, start=1):
        flow = flows.get(step.flow)
        if flow is not None:
            src, dst = names.get(flow.source, flow.source), names.get(flow.target, flow.target)
            over = flow.name or f"{src} → {dst}"
        else:
            over = step.flow
        if step.kind == "access":
            what = "uses its access"
            how = f"back over {over}, a flow it initiates"
        else:
            what = "sends content"
            how = f"along {over}"
        state = "current" if i == current else "walked" if i < current else "ahead"
        weak = f"{len(step.findings)} finding(s), likelihood {step.likelihood}"
        rows.append(
            h(
                "tr",
                h("td", str(i)),
                h("td", what),
                h("td", how),
                h("td", names.get(step.element, step.element)),
                h("td", weak),
                data_step=i,
                data_kind=step.kind,
                data_direction=step.direction,
                data_state=state,
            )
        )
    head = h(
        "tr", h("th", "#"), h("th", "Step"), h("th", "Over"), h("th", "Reaches"), h("th", "Weak")
    )
    style = h(
        "style",
        ".atw-path-steps tr[data-state=ahead]{opacity:.45}"
        ".atw-path-steps tr[data-state=current]{background:#fef3c7;font-weight:600}"
        ".atw-path-steps td,.atw-path-steps th{padding:1px 6px;text-align:left}",
    )
    notes = [h("li", n) for n in path.notes]
    return join(
        style,
        h("table", h("thead", head), h("tbody", rows), class_="atw-path-steps"),
        h("ul", notes, class_="atw-path-notes") if notes else None,
        h(
            "p",
            h(
                "small",
                "→ content sent along a flow; ⇢ the access of the element before, used"
                " over a flow it initiates (it reads a store or calls an API).",
            ),
        ),
    )


class PastaView(LiveView):
    """The seven PASTA stages over ``canvas.model`` and ``canvas.analysis``;
    ``view.widget`` is the ipywidgets view."""

    def __init__(self, canvas: Canvas, *, live: bool = True) -> None:
        self.canvas = canvas
        self.statuses: tuple[StageStatus, ...] = ()
        self.paths: tuple[AttackPath, ...] = ()
        self.stage_status = [w.HTML() for _ in PASTA_STAGES]
        self.details = [w.HTML() for _ in PASTA_STAGES]
        self.message = w.HTML()
        self._build_stage1()
        self.path_list = w.Select(rows=8, layout=w.Layout(width="100%"))
        self.clear_button = w.Button(description="Clear highlight", icon="eraser")
        self.step_back = w.Button(description="◀ Step", disabled=True)
        self.step_forward = w.Button(description="Step ▶", disabled=True)
        self.steps = w.HTML()
        self.current: AttackPath | None = None
        self.step = 0
        """How many steps of the chosen path are highlighted (its length: all)."""
        bodies: list[w.Widget] = [
            w.VBox([s, d]) for s, d in zip(self.stage_status, self.details, strict=True)
        ]
        bodies[0].children = (*bodies[0].children, self._stage1_editor, self.message)
        walk = w.HBox([self.step_back, self.step_forward, self.clear_button])
        self.attack_trees = AttackTreeView(canvas)
        """Stage 6's attack trees, below the path list."""
        trees = self.attack_trees.widget
        bodies[5].children = (*bodies[5].children, self.path_list, walk, self.steps, trees)
        self.accordion = w.Accordion(children=bodies, selected_index=0)
        self.previous = w.Button(description="Previous", icon="arrow-left")
        self.next = w.Button(description="Next", icon="arrow-right")
        self.previous.on_click(lambda _: self.go(-1))
        self.next.on_click(lambda _: self.go(1))
        self.path_list.observe(lambda _: self._path_chosen(), names="value")
        self.clear_button.on_click(lambda _: self.highlight(None))
        self.step_back.on_click(lambda _: self.walk(-1))
        self.step_forward.on_click(lambda _: self.walk(1))
        self.widget = w.VBox([self.accordion, w.HBox([self.previous, self.next])])
        for control, name in (
            (self.widget, "pasta"),
            (self.previous, "pasta-previous"),
            (self.next, "pasta-next"),
            (self.path_list, "pasta-paths"),
            (self.clear_button, "pasta-clear"),
            (self.step_back, "pasta-step-back"),
            (self.step_forward, "pasta-step-forward"),
            (self.steps, "pasta-steps"),
            (self.message, "pasta-message"),
        ):
            control.add_class(f"atw-{name}")
        for i, body in enumerate(bodies, start=1):
            body.add_class(f"atw-pasta-stage-{i}")
        self._follow(canvas, live=live)

    # ----------------------------------------------------------------- stage 1 editor
    def _build_stage1(self) -> None:
        self.objective_title = w.Text(description="Objective", placeholder="what must hold")
        self.objective_impact = w.Dropdown(
            options=list(get_args(ImpactLevel)), value="moderate", description="Impact"
        )
        self.objective_elements = w.SelectMultiple(description="Depends on", rows=4)
        self.add_objective = w.Button(description="Add objective", icon="plus")
        self.remove_choice = w.Dropdown(description="Objective")
        self.remove_objective = w.Button(description="Remove", icon="trash")
        self.accept_up_to = w.Dropdown(options=list(get_args(RiskLevel)), description="Accept ≤")
        self.review_days = w.BoundedIntText(min=1, max=3660, description="Review (days)")
        self.statement = w.Textarea(description="Appetite", rows=2, placeholder="in your words")
        self.set_tolerance = w.Button(description="Set risk tolerance", icon="check")
        self.add_objective.on_click(lambda _: self.add_objective_clicked())
        self.remove_objective.on_click(lambda _: self.remove_objective_clicked())
        self.set_tolerance.on_click(lambda _: self.set_tolerance_clicked())
        for control, name in (
            (self.objective_title, "objective-title"),
            (self.objective_impact, "objective-impact"),
            (self.add_objective, "objective-add"),
            (self.remove_objective, "objective-remove"),
            (self.accept_up_to, "tolerance-level"),
            (self.statement, "tolerance-statement"),
            (self.set_tolerance, "tolerance-set"),
        ):
            control.add_class(f"atw-{name}")
        self._stage1_editor = w.VBox(
            [
                w.HTML(h("b", "Add a business objective")),
                w.HBox([self.objective_title, self.objective_impact]),
                self.objective_elements,
                w.HBox([self.add_objective, self.remove_choice, self.remove_objective]),
                w.HTML(h("b", "Risk tolerance")),
                w.HBox([self.accept_up_to, self.review_days]),
                self.statement,
                self.set_tolerance,
            ]
        )

    # ----------------------------------------------------------------- navigation
    def go(self, step: int) -> None:
        """Open the stage ``step`` places after (or before) the open one."""
        current = self.accordion.selected_index or 0
        self.accordion.selected_index = max(0, min(len(PASTA_STAGES) - 1, current + step))

    # ----------------------------------------------------------------- view
    def refresh(self) -> None:
        """Redraw every stage from the canvas's model and analysis."""
        analysis = self.canvas.analysis
        if analysis is None:
            for s in self.stage_status:
                s.value = h("i", "No analysis.")
            return
        register = build_register(analysis)
        self.statuses = pasta_status(analysis, register)
        for i, st in enumerate(self.statuses):
            mark = "✓" if st.complete else f"{len(st.missing)} to do"
            self.accordion.set_title(i, f"{st.number}. {st.title} — {mark}")
            self.stage_status[i].value = status_html(st)
        self._fill_details(register)
        self._fill_stage1_controls()
        self._fill_paths(analysis.attack_paths)
        self.attack_trees.refresh()

    def _fill_details(self, register: Register) -> None:
        model = self.canvas.model
        threats = [e for e in register.entries if e.finding.pasta_stage == 4]
        weaknesses = [e for e in register.entries if e.finding.pasta_stage == 5]
        self.details[0].value = _objectives_html(model)
        self.details[1].value = _scope_html(model)
        self.details[2].value = ""
        groups = self.canvas.analysis.groups if self.canvas.analysis is not None else None
        self.details[3].value = _top_table(threats, groups)
        self.details[4].value = _top_table(weaknesses, groups)
        self.details[6].value = matrices_html(risk_matrix(register.entries))

    def _fill_stage1_controls(self) -> None:
        model = self.canvas.model
        elements = [(e.name, e.id) for e in model.elements]
        kept = tuple(v for v in self.objective_elements.value if v in {i for _, i in elements})
        self.objective_elements.options = elements
        self.objective_elements.value = kept
        self.remove_choice.options = [(o.title, o.id) for o in model.objectives]
        tol = model.risk_tolerance
        self.accept_up_to.value = tol.accept_up_to
        self.review_days.value = tol.review_cadence_days
        self.statement.value = tol.statement

    def _fill_paths(self, paths: Sequence[AttackPath]) -> None:
        self.paths = tuple(paths[:MAX_PATHS])
        names = {e.id: e.name for e in self.canvas.model.elements}
        options = [(path_label(p, names), p.id) for p in self.paths]
        current = self.path_list.value
        if tuple(self.path_list.options) != tuple(options):
            self.path_list.options = options
        ids = {p.id for p in self.paths}
        self.path_list.value = current if current in ids else None
        more = len(paths) - len(self.paths)
        note = f" {more} more not listed." if more > 0 else ""
        self.details[5].value = h("p", f"Choose a path to highlight it on the canvas.{note}")

    # ----------------------------------------------------------------- attack paths
    def _path_chosen(self) -> None:
        chosen = next((p for p in self.paths if p.id == self.path_list.value), None)
        self.highlight(chosen)

    def highlight(self, path: AttackPath | None) -> None:
        """Highlight ``path`` on the canvas, all its steps, and list them (``None``: clear
        the highlight)."""
        self.current = path
        if path is not None:
            self.step = len(path.steps)
            self._show_step()
            return
        self.step = 0
        self.steps.value = ""
        self.step_back.disabled = self.step_forward.disabled = True
        self.canvas.clear_highlight()
        if self.path_list.value is not None:
            self.path_list.value = None

    def walk(self, by: int) -> None:
        """Highlight ``by`` steps more (or fewer) of the chosen path, in its direction;
        from the whole path, a step forward starts again at its source."""
        path = self.current
        if path is None:
            return
        last = len(path.steps)
        if by > 0 and self.step >= last:
            self.step = 0
        else:
            self.step = max(0, min(last, self.step + by))
        self._show_step()

    def _show_step(self) -> None:
        path = self.current
        if path is None:
            return
        self.canvas.highlight_path(step_ids(path, self.step))
        self.steps.value = steps_html(path, self.canvas.model, self.step)
        self.step_back.disabled = self.step == 0
        self.step_forward.disabled = False

    # ----------------------------------------------------------------- stage 1 edits
    def _edit(self, make: Callable[[ThreatModel], ThreatModel], done: str) -> bool:
        try:
            new_model = make(self.canvas.model)
        except (ValueError, TypeError, KeyError) as exc:
            self.message.value = h(
                "span", f"Refused: {reason(exc)}", class_="atw-error", style="color:#b91c1c"
            )
            return False
        self.canvas.model = new_model
        self.message.value = h("span", done, style=f"color:{_OK}")
        return True

    def add_objective_clicked(self) -> bool:
        """Add the objective in the form; ``False`` (reason shown) when refused."""
        title = self.objective_title.value.strip()
        if not title:
            self.message.value = h(
                "span", "Refused: give the objective a title", class_="atw-error"
            )
            return False

        def make(m: ThreatModel) -> ThreatModel:
            objective = Objective(
                id=_free_id(m, "objective"),
                title=title,
                impact=self.objective_impact.value,
                elements=list(self.objective_elements.value),
            )
            return m.replace(objectives=[*m.objectives, objective])

        ok = self._edit(make, f"Added '{title}'.")
        if ok:
            self.objective_title.value = ""
        return ok

    def remove_objective_clicked(self) -> bool:
        """Remove the objective chosen in the list."""
        oid = self.remove_choice.value
        if not oid:
            return False
        return self._edit(
            lambda m: m.replace(objectives=[o for o in m.objectives if o.id != oid]),
            f"Removed {oid}.",
        )

    def set_tolerance_clicked(self) -> bool:
        """Record the risk tolerance in the form."""

        def make(m: ThreatModel) -> ThreatModel:
            tolerance = RiskTolerance(
                accept_up_to=self.accept_up_to.value,
                review_cadence_days=int(self.review_days.value),
                statement=self.statement.value.strip(),
            )
            return m.replace(risk_tolerance=tolerance)

        return self._edit(make, "Risk tolerance recorded.")


def _free_id(model: ThreatModel, stem: str) -> str:
    used = model.ids()
    n = 1
    while f"{stem}-{n}" in used:
        n += 1
    return f"{stem}-{n}"


def _objectives_html(model: ThreatModel) -> Html:
    if not model.objectives:
        return h("p", h("i", "No business objectives yet: add the outcomes that must not fail."))
    names = {e.id: e.name for e in model.elements}
    rows = [
        h(
            "tr",
            h("td", o.title),
            h("td", o.impact),
            h("td", ", ".join(names.get(e, e) for e in o.elements)),
            data_objective=o.id,
        )
        for o in model.objectives
    ]
    head = h("tr", h("th", "Objective"), h("th", "Impact"), h("th", "Depends on"))
    return h("table", h("thead", head), h("tbody", rows), class_="atw-objectives")


def _scope_html(model: ThreatModel) -> Html:
    scope = model.scope
    parts: list[object] = [h("p", scope.description) if scope.description else None]
    for label, items in (
        ("In scope", scope.in_scope),
        ("Out of scope", scope.out_of_scope),
        ("Assumptions", scope.assumptions),
    ):
        if items:
            parts += [h("b", label), h("ul", [h("li", i) for i in items])]
    parts.append(h("p", h("i", "Scope is edited in the model file (YAML).")))
    return join(parts)


def _top_table(entries: Sequence[Entry], groups: Sequence[FindingGroup] | None) -> Html:
    """The stage's findings grouped by cause, worst group first."""
    return findings_table(entries, limit=TABLE_ROWS, total=len(entries), groups=groups)
