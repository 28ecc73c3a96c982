"""The threat panel: findings for the canvas's selection (or all), filtered by status,
STRIDE letter, layer and risk, grouped by cause (worst group first, each group a
collapsible block with its title, recommended fix and count), and a decision editor
(mitigate with chosen mitigations, whose controls are listed; accept or transfer with
owner and rationale; reopen). The mitigations the catalog suggests for the finding's
threat are offered first (★).

The table is HTML built with the workbench's safe-HTML kit
(:mod:`workbench.export.safehtml`), so every piece of text is escaped (names, IDs, reasons
and rationales are written by people); a group folds with a checkbox and CSS, so no script
is needed. The decision editor records a
:class:`~workbench.Decision` through :meth:`ThreatModel.set_decision`; a decision the
model refuses (an accepted risk without owner or rationale) is not recorded and the reason
is shown under the editor.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any, get_args

import ipywidgets as w

from workbench.engine import Finding
from workbench.engine.risk import LEVELS, at_least
from workbench.export.safehtml import h_single as h
from workbench.export.safehtml import join
from workbench.model import STRIDE_NAMES, Decision, Layer, ThreatModel
from workbench.model.types import DecisionStatus
from workbench.register import Decider, Entry, Register, build_register
from workbench.register.coverage import FRAMEWORK_LABELS, controls_of, suggested_mitigations

from ._edits import reason
from ._looks import Looks
from .canvas import Canvas
from .tables import MAX_ROWS, findings_table
from .watch import kernel_loop

STATUSES: tuple[str, ...] = get_args(DecisionStatus)
ANY = "any"
DECISION_CHOICES: list[tuple[str, str]] = [(s, s) for s in STATUSES]
"""What the decision editor offers, as (label, status): open (also: reopen), mitigated,
accepted, transferred. Labels are the statuses, which browser tests select by."""


def _options(label: str, values: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(label, ANY), *values]


STRIDE_OPTIONS = _options("any STRIDE", [(f"{k} {v}", k) for k, v in STRIDE_NAMES.items()])
LAYER_OPTIONS = _options("any layer", [(x.value, x.value) for x in Layer])
RISK_OPTIONS = _options(
    "any risk", [(f"{r} or worse", r) for r in reversed(LEVELS) if r not in ("info", "low")]
)
STATUS_OPTIONS = _options("any status", [(s, s) for s in STATUSES])


class FindingsPanel:
    """Findings of ``canvas.analysis`` for the selected elements and flows, or all of them,
    with a decision editor. ``panel.widget`` is the ipywidgets view."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.register: Register | None = None
        looks = Looks()
        wide = looks.layout(width="100%")
        self.scope = looks.new(
            w.ToggleButtons,
            options=[("Selection", "selection"), ("All", "all")],
            value="selection",
            style={"button_width": "86px"},
        )
        narrow = looks.layout(width="150px")
        self.status_filter = _filter(looks, narrow, STATUS_OPTIONS)
        self.stride_filter = _filter(looks, narrow, STRIDE_OPTIONS)
        self.layer_filter = _filter(looks, narrow, LAYER_OPTIONS)
        self.risk_filter = _filter(looks, narrow, RISK_OPTIONS)
        self.heading = looks.new(w.HTML)
        self.table = looks.new(w.HTML, layout=w.Layout(max_height="320px", overflow="auto"))
        # decision editor
        self.finding = looks.new(w.Dropdown, description="Finding", layout=wide)
        self.status = looks.new(
            w.Dropdown, options=DECISION_CHOICES, value="open", description="Decision"
        )
        self.owner = looks.new(w.Text, description="Owner", placeholder="person or team")
        self.review_by = looks.new(w.DatePicker, description="Review by")
        self.statement = looks.new(w.HTML)
        self._statement_of: object = None  # what the statement shown was written for
        self.rationale = looks.new(
            w.Textarea, description="Rationale", rows=2, layout=wide, placeholder="why"
        )
        self.mitigations = looks.new(
            w.SelectMultiple, description="Mitigations", rows=6, layout=wide
        )
        self.controls = looks.new(w.HTML)
        self.apply_button = looks.new(
            w.Button, description="Apply decision", button_style="primary"
        )
        self.message = looks.new(w.HTML)
        editor = looks.new(
            w.VBox,
            children=[
                looks.new(w.HTML, value=h("b", "Decision")),
                self.finding,
                self.statement,
                looks.new(w.HBox, children=[self.status, self.owner, self.review_by]),
                self.rationale,
                self.mitigations,
                self.controls,
                looks.new(w.HBox, children=[self.apply_button, self.message]),
            ],
        )
        filters = [self.status_filter, self.stride_filter, self.layer_filter, self.risk_filter]
        self.widget = w.VBox(
            [
                self.heading,
                looks.new(
                    w.HBox,
                    children=[self.scope, *filters],
                    layout=w.Layout(flex_flow="row wrap", align_items="center"),
                ),
                self.table,
                editor,
            ]
        )
        self.widget.add_class("atw-findings-panel")
        for control, name in (
            (self.scope, "scope"),
            (self.status_filter, "filter-status"),
            (self.stride_filter, "filter-stride"),
            (self.layer_filter, "filter-layer"),
            (self.risk_filter, "filter-risk"),
            (self.mitigations, "decision-mitigations"),
            (self.controls, "decision-controls"),
            (self.finding, "decision-finding"),
            (self.status, "decision-status"),
            (self.owner, "decision-owner"),
            (self.review_by, "decision-review-by"),
            (self.statement, "decision-statement"),
            (self.rationale, "decision-rationale"),
            (self.apply_button, "decision-apply"),
            (self.message, "decision-message"),
        ):
            control.add_class(f"atw-{name}")  # stable hooks for browser tests
        for control in (self.scope, *filters):
            control.observe(lambda _: self.refresh(), names="value")
        self.finding.observe(lambda _: self._load_decision(), names="value")
        self.mitigations.observe(lambda _: self._show_controls(), names="value")
        self.apply_button.on_click(lambda _: self.apply())
        canvas.on_update(self.refresh)
        loop = kernel_loop()
        if loop is None:
            self.refresh()
        else:
            # In a kernel the first table (up to 200 rows, and the grouping behind it) is
            # written just after the cell that builds the panel: the canvas is shown first.
            self.heading.value = join(h("b", "All findings"), " ", h("span", "(…)"))
            loop.call_soon(self.refresh)

    # ----------------------------------------------------------------- view
    def _visible(self) -> list[Finding]:
        """Findings in scope and matching the status filter, in the order of their
        groups (worst group first, then worst member first)."""
        analysis = self.canvas.analysis
        if analysis is None:
            return []
        findings: list[Finding] = list(analysis.findings)
        selection = set(self.canvas.selection)
        if self.scope.value == "selection" and selection:
            findings = [f for f in findings if f.target in selection]
        findings = [f for f in findings if self._matches(f)]
        if self.status_filter.value != ANY:
            decider = Decider(self.canvas.model)
            findings = [f for f in findings if decider.status(f) == self.status_filter.value]
        rank = {fid: i for i, g in enumerate(analysis.groups) for fid in g.members}
        return sorted(findings, key=lambda f: (rank.get(f.id, len(rank)), -f.score, f.id))

    def _matches(self, f: Finding) -> bool:
        """Whether ``f`` passes the STRIDE, layer and (inherent) risk filters."""
        stride, layer, risk = (
            self.stride_filter.value,
            self.layer_filter.value,
            self.risk_filter.value,
        )
        return (
            (stride == ANY or stride in f.stride)
            and (layer == ANY or f.layer == layer)
            and (risk == ANY or at_least(f.risk, risk))
        )

    def _register(self, findings: Sequence[Finding]) -> Register | None:
        """The register of just ``findings`` (joining decisions costs time on big models,
        so only what is shown is joined)."""
        analysis = self.canvas.analysis
        if analysis is None:
            return None
        return build_register(dataclasses.replace(analysis, findings=tuple(findings)))

    def entries(self) -> list[Entry]:
        """The register entries in scope (selection or all, status filter applied)."""
        register = self._register(self._visible())
        return list(register.entries) if register is not None else []

    def refresh(self) -> None:
        """Rebuild the table from the canvas's analysis and selection."""
        visible = self._visible()
        shown = visible[:MAX_ROWS]
        self.register = self._register(shown)
        entries = list(self.register.entries) if self.register is not None else []
        selection = self.canvas.selection
        if self.register is None:
            what = "No analysis"
        elif self.scope.value == "selection" and selection:
            what = f"Findings for {', '.join(self._names(selection))}"
        else:
            what = "All findings"
        decider = Decider(self.canvas.model)
        open_count = sum(1 for f in visible if decider.is_open(f))
        self.heading.value = join(
            h("b", what), " ", h("span", f"({len(visible)}, {open_count} open)", data_role="counts")
        )
        groups = self.canvas.analysis.groups if self.canvas.analysis is not None else None
        self.table.value = findings_table(entries, total=len(visible), groups=groups)
        options = [
            (f"{e.finding.risk}: {e.finding.title} @ {e.finding.target_name}", e.id)
            for e in entries
        ]
        current = self.finding.value
        if tuple(self.finding.options) != tuple(options):
            self.finding.options = options
        values = [value for _, value in options]
        if current in values:
            self.finding.value = current
        elif values:
            self.finding.value = values[0]
        self._show_statement(self._entry(self.finding.value))

    def _names(self, ids: Sequence[str]) -> list[str]:
        """Names of the selected elements and flows (a flow without a name by its ends);
        only those are looked up: an edit refreshes the panel, on models of thousands."""
        model = self.canvas.model
        wanted = set(ids)
        elements = {e.id: e.name for e in model.elements}
        names = {i: elements[i] for i in wanted if i in elements}
        for f in model.flows:
            if f.id in wanted:
                names[f.id] = f.name or f"{elements.get(f.source)} → {elements.get(f.target)}"
        return [names.get(i, i) for i in ids]

    def _entry(self, finding_id: str | None) -> Entry | None:
        if not finding_id or self.register is None:
            return None
        return next((e for e in self.register.entries if e.id == finding_id), None)

    def _load_decision(self) -> None:
        entry = self._entry(self.finding.value)
        decision = entry.decision if entry else None
        self.status.value = decision.status if decision else "open"
        self.owner.value = decision.owner if decision else ""
        self.rationale.value = decision.rationale if decision else ""
        self.review_by.value = decision.review_by if decision else None
        self._load_mitigations(entry)
        self._show_statement(entry)
        self.message.value = ""

    def _show_statement(self, entry: Entry | None) -> None:
        """The chosen finding as a threat statement (who can do what, to which assets,
        through which route, what would stop it), and its decision's state: applied
        decision, review date, expired.

        Naming the outsider may need the attack paths, which an edit can make the analysis
        search again: in a kernel the statement is written just after the panel's update
        is sent (the edit shows at once, the statement follows); elsewhere at once. The
        same finding on the same analysis is not written twice."""
        analysis = self.canvas.analysis
        if entry is None or analysis is None:
            self._statement_of = None
            self.statement.value = ""
            return
        key = (id(analysis), entry.finding.id, entry.decision)
        if key == self._statement_of:
            return
        self._statement_of = key
        loop = kernel_loop()
        if loop is None:
            self._write_statement(entry, key)
            return
        loop.call_soon(self._write_statement, entry, key)

    def _write_statement(self, entry: Entry, key: object) -> None:
        analysis = self.canvas.analysis
        if key != self._statement_of or analysis is None:
            return  # another finding was chosen, or another edit came, meanwhile
        from workbench.statements import statement

        text = statement(analysis, entry.finding).text
        notes = []
        if entry.decision is not None:
            if entry.scoped:
                notes.append(f"decided for the whole scope: {entry.applied}")
            if entry.expired:
                notes.append(entry.expiry_note())
            elif entry.review_by is not None:
                notes.append(f"review by {entry.review_by.isoformat()}")
        state_note = h("div", "; ".join(notes), data_role="decision-state") if notes else None
        self.statement.value = h(
            "div",
            h("div", text, data_role="statement"),
            state_note,
            class_="atw-statement",
            style="font-size:12px;color:#334155;margin:2px 0 4px",
        )

    def _load_mitigations(self, entry: Entry | None) -> None:
        """Offer the catalog's mitigations, those suggested for the finding's threat first,
        and select the ones its decision names."""
        analysis = self.canvas.analysis
        if entry is None or analysis is None:
            self.mitigations.options, self.mitigations.value = [], ()
            self._show_controls()
            return
        catalog = analysis.catalog
        suggested = set(entry.finding.mitigations)
        options = []
        for mid in suggested_mitigations(entry, catalog):
            m = catalog.mitigations.get(mid)
            mark = "★ " if mid in suggested else ""
            options.append((f"{mark}{m.title if m else mid} ({mid})", mid))
        self.mitigations.value = ()
        self.mitigations.options = options
        self.mitigations.value = tuple(entry.decision.mitigations if entry.decision else ())
        self._show_controls()

    def _show_controls(self) -> None:
        """List the controls the chosen mitigations implement, per framework."""
        analysis = self.canvas.analysis
        chosen = list(self.mitigations.value)
        if analysis is None or not chosen:
            self.controls.value = h("div", h("i", "No mitigation chosen."), class_="atw-controls")
            return
        rows = [
            h("li", h("b", FRAMEWORK_LABELS[fw]), ": ", ", ".join(ids), data_framework=fw)
            for fw, ids in controls_of(chosen, analysis.catalog).items()
        ]
        self.controls.value = h("div", "Controls: ", h("ul", rows), class_="atw-controls")

    # ----------------------------------------------------------------- edits
    def apply(self) -> bool:
        """Record the decision in the editor; ``False`` (with the reason shown) when the
        model refuses it."""
        finding_id = self.finding.value
        if not finding_id:
            self._show_error("choose a finding first")
            return False
        try:
            new_model = decide(
                self.canvas.model,
                finding_id,
                self.status.value,
                owner=self.owner.value,
                rationale=self.rationale.value,
                mitigations=self.mitigations.value,
                review_by=self.review_by.value,
            )
        except (ValueError, TypeError) as exc:
            self._show_error(reason(exc))
            return False
        self.canvas.model = new_model
        self.message.value = h(
            "span", f"Recorded: {finding_id} is {self.status.value}.", style="color:#047857"
        )
        return True

    def _show_error(self, text: str) -> None:
        """Show why a decision was refused."""
        self.message.value = h(
            "span", f"Refused: {text}", class_="atw-error", style="color:#b91c1c"
        )


class _Keep:
    """The decision's field is kept as it is (see :func:`decide`)."""


KEEP = _Keep()


def decide(
    model: ThreatModel,
    finding_id: str,
    status: str,
    *,
    owner: str = "",
    rationale: str = "",
    mitigations: Sequence[str] | None = None,
    review_by: dt.date | _Keep | None = KEEP,
) -> ThreatModel:
    """``model`` with the decision on ``finding_id`` set (fields not given are kept from
    an existing decision; ``review_by=None`` clears the review date, and an acceptance
    without one gets today plus the model's review cadence); raises ``ValueError`` when
    the model refuses it (an accepted risk without owner or rationale, an unknown
    finding ...)."""
    old = model.decision(finding_id)
    fields: dict[str, Any] = old.model_dump() if old else {}
    fields.update(
        finding=finding_id, status=status, owner=owner.strip(), rationale=rationale.strip()
    )
    if mitigations is not None:
        fields["mitigations"] = list(mitigations)
    if not isinstance(review_by, _Keep):
        fields["review_by"] = review_by
    return model.set_decision(Decision.model_validate(fields))


def _filter(looks: Looks, layout: w.Layout, options: list[tuple[str, str]]) -> w.Dropdown:
    dropdown: w.Dropdown = looks.new(w.Dropdown, options=options, value=ANY, layout=layout)
    return dropdown
