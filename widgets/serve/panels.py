# mypy: disable-error-code="no-untyped-call"
# (Panel and param are only partly typed: calling their constructors is untyped.)
"""The Panel side panels of a session: :class:`InspectorPanel` (edit the selected element
or flow) and :class:`ThreatPanel` (findings and decisions). Both work on the session's
:class:`~widgets.canvas.Canvas` and use the same helpers as the Jupyter widgets."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, MutableMapping
from html import escape
from typing import Any

import panel as pn
from param.parameterized import discard_events

from workbench.export.safehtml import h_single, join
from workbench.model import KINDS, ElementProperties, Flow, ThreatModel
from workbench.model.types import RISK_RANK
from workbench.register import build_register

from .._edits import reason
from ..canvas import Canvas
from ..findings import STATUSES, decide
from ..inspector import UNSET, apply_field, choice_options, dynamic_options, field_label
from ..tables import MAX_ROWS, findings_table


def show_html(pane: Any, html: str) -> None:
    """Set an HTML pane's ``object`` and send only its text to the browser.

    Panel's own update of a pane re-derives all of the pane's properties (its style
    sheets included) for every change, about 1 ms per pane and browser session; a shared
    room updates a few panes per session on every edit, so the new text goes straight to
    the pane's Bokeh models instead (escaped as :class:`panel.pane.HTML` does), and
    ``object`` still holds the HTML for Panel and for tests."""
    if pane.object == html:
        return
    with discard_events(pane):
        pane.object = html
    for model, _parent in list(pane._models.values()):  # Panel keeps no public handle
        model.text = escape(html)


def _error(text: str) -> str:
    return str(h_single("span", f"Refused: {text}", class_="atw-error", style="color:#b91c1c"))


Change = Callable[[ThreatModel], ThreatModel]
"""A change to the model, as a function of the model it applies to."""


def commit(
    canvas: Canvas,
    change: Change,
    label: str,
    done: Callable[[], None],
    refused: Callable[[str], None],
) -> bool:
    """Apply ``change`` to the canvas's model and call ``done()``, or ``refused(reason)``.

    A canvas of a shared room (one with a ``propose`` method, see
    :mod:`widgets.serve.shared`) hands the change to the room instead, which applies it
    to the room's model in turn and calls ``done`` once it is saved and shown; ``False``
    when it was refused at once."""
    propose = getattr(canvas, "propose", None)
    if propose is not None:
        return bool(propose(change, label, done, refused))
    try:
        model = change(canvas.model)
    except (ValueError, TypeError, KeyError) as exc:
        refused(reason(exc))
        return False
    canvas.model = model
    done()
    return True


CACHE_SIZE = 512
"""How many entries a room's threat-panel cache keeps (two per selection; the oldest
go first)."""

Rendered = tuple[str, int, str, dict[str, str]]
"""What the threat panel shows for one analysis and selection: the heading's words, the
finding count, the table and the finding choices."""


class ThreatPanel:
    """All findings of the session's canvas, or those of its selection, and a decision
    editor (Panel widgets; the table is :func:`widgets.findings.findings_table`).

    ``cache`` (shared by the sessions of a room) keeps what was drawn for an analysis and
    a selection, so that sessions showing the same findings build them once. While
    :attr:`active` is false the panel is not redrawn (it is hidden)."""

    def __init__(
        self,
        canvas: Canvas,
        *,
        cache: MutableMapping[Any, tuple[Any, Any]] | None = None,
        choose_from_all: bool = True,
    ) -> None:
        self.canvas = canvas
        self.cache = cache
        self.choose_from_all = choose_from_all
        """Whether the decision editor offers every finding when nothing is selected
        (``False`` in a shared room: the list would change under the cursor with every
        edit anyone makes; select an element to decide on its findings)."""
        self.active = True
        self.heading = pn.pane.HTML(css_classes=["atw-threat-heading"])
        self.table = pn.pane.HTML(
            css_classes=["atw-threat-table"], max_height=360, styles={"overflow": "auto"}
        )
        self.finding = pn.widgets.Select(label="Finding", css_classes=["atw-decision-finding"])
        self.status = pn.widgets.Select(label="Status", options=list(STATUSES), width=120)
        self.owner = pn.widgets.TextInput(label="Owner", placeholder="person or team")
        self.rationale = pn.widgets.TextAreaInput(label="Rationale", placeholder="why", height=60)
        self.apply_button = pn.widgets.Button(label="Apply decision", color="primary")
        self.message = pn.pane.HTML(css_classes=["atw-decision-message"])
        self.apply_button.on_click(self._apply_clicked)
        self.finding.param.watch(lambda _: self._load_decision(), "value")
        self.view = pn.Column(
            self.heading,
            self.table,
            pn.pane.HTML("<b>Decision</b>"),
            self.finding,
            pn.Row(self.status, self.owner),
            self.rationale,
            pn.Row(self.apply_button, self.message),
            css_classes=["atw-threat-panel"],
            sizing_mode="stretch_width",
        )
        canvas.on_update(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the table and the finding choices from the canvas."""
        if not self.active:
            return
        analysis = self.canvas.analysis
        if analysis is None:
            show_html(self.heading, "<b>No analysis</b>")
            return
        what, count, table, options = self._rendered(analysis, tuple(self.canvas.selection))
        show_html(
            self.heading,
            str(
                join(
                    h_single("b", what),
                    " ",
                    h_single(
                        "span",
                        f"({count})",
                        data_role="counts",
                        data_rev=self.canvas.revision,
                        data_count=count,
                    ),
                )
            ),
        )
        show_html(self.table, table)
        if not self.choose_from_all and not self.canvas.selection:
            options = {}
        current = self.finding.value
        if self.finding.options != options:
            self.finding.options = options
        if current in options.values():
            self.finding.value = current

    def _rendered(self, analysis: Any, selection: tuple[str, ...]) -> Rendered:
        """What the panel shows for ``selection``, made again only when it changed (the
        same findings, groups and decisions draw the same table; in a shared room most
        edits leave most people's selections alone)."""
        chosen = frozenset(selection)
        latest = self.cache.get(("latest", chosen)) if self.cache is not None else None
        if latest is not None and latest[0] is analysis:
            return latest[1]  # type: ignore[no-any-return]  # another session asked already
        findings = tuple(f for f in analysis.findings if not chosen or f.target in chosen)
        ids = {f.id for f in findings}
        groups = tuple(g for g in analysis.groups if not ids.isdisjoint(g.members))
        decisions = tuple(analysis.model.decisions)
        basis = (findings, groups, decisions)
        cached = self.cache.get(chosen) if self.cache is not None else None
        if cached is not None and cached[0] == basis:
            self._remember(chosen, analysis, cached[1])
            return cached[1]  # type: ignore[no-any-return]
        shown = sorted(findings, key=lambda f: (-RISK_RANK[f.risk], f.id))[:MAX_ROWS]
        register = build_register(dataclasses.replace(analysis, findings=tuple(shown)))
        entries = list(register.entries)
        what = "Findings for the selection" if chosen else "All findings"
        table = findings_table(entries, total=len(findings), groups=analysis.groups)
        options = {
            f"{e.finding.risk}: {e.finding.title} @ {e.finding.target_name}": e.id for e in entries
        }
        rendered = (what, len(findings), table, options)
        if self.cache is not None:
            self.cache.pop(chosen, None)
            self.cache[chosen] = (basis, rendered)
            self._remember(chosen, analysis, rendered)
        return rendered

    def _remember(self, chosen: frozenset[str], analysis: Any, rendered: Rendered) -> None:
        """What ``analysis`` shows for ``chosen``, for the next session that asks."""
        if self.cache is None:
            return
        self.cache.pop(("latest", chosen), None)
        self.cache[("latest", chosen)] = (analysis, rendered)
        while len(self.cache) > CACHE_SIZE:
            del self.cache[next(iter(self.cache))]

    def _apply_clicked(self, _event: object) -> None:
        self.apply()

    def _load_decision(self) -> None:
        decision = self.canvas.model.decision(self.finding.value) if self.finding.value else None
        self.status.value = decision.status if decision else "open"
        self.owner.value = decision.owner if decision else ""
        self.rationale.value = decision.rationale if decision else ""
        show_html(self.message, "")

    def apply(self) -> bool:
        """Record the decision in the editor; ``False`` (reason shown) when refused."""
        if not self.finding.value:
            hint = "choose a finding first" + (
                "" if self.choose_from_all else " (select an element to list its findings)"
            )
            show_html(self.message, _error(hint))
            return False
        finding, status = self.finding.value, self.status.value
        owner, rationale = self.owner.value or "", self.rationale.value or ""

        def change(model: ThreatModel) -> ThreatModel:
            return decide(model, finding, status, owner=owner, rationale=rationale)

        def done() -> None:
            show_html(
                self.message,
                str(h_single("span", f"Recorded: {finding} is {status}.", style="color:#047857")),
            )

        def refused(why: str) -> None:
            show_html(self.message, _error(why))

        return commit(self.canvas, change, "decision", done, refused)


def _choices(options: list[tuple[str, Any]]) -> dict[str, Any]:
    return {label: value for label, value in options}


Field = tuple[str, str, list[tuple[str, Any]]]
"""A choice field of the inspector: key (``properties.NAME`` or a flow field), label and
options."""


def _choice_fields(kind: str) -> list[Field]:
    """The choice fields of elements (their properties) or of flows."""
    if kind == "element":
        named = [(f"properties.{n}", n, f) for n, f in ElementProperties.model_fields.items()]
    else:
        named = [(n, n, f) for n, f in Flow.model_fields.items()]
    fields = []
    for key, name, info in named:
        options = choice_options(info.annotation)
        if options is not None:
            fields.append((key, field_label(name), options))
    return fields


class InspectorPanel:
    """A compact editor for the one selected element or flow: name, kind and trust
    boundary of elements, and any choice property (pick the property, then its value:
    unknown / yes / no, or the values of a ``Literal``). Each change goes through the
    model's edit API; a refusal is shown.

    One small form serves elements and flows and is never hidden or rebuilt: showing a
    form of thirty-odd selects on each selection made the browser lay the page out again,
    which cost most of an edit's time with many sessions on one machine."""

    def __init__(
        self, canvas: Canvas, *, editors: Callable[[str], list[str]] | None = None
    ) -> None:
        self.canvas = canvas
        self.editors = editors
        self.title = pn.pane.HTML("<i>Select one element or flow to edit it.</i>")
        self.message = pn.pane.HTML(css_classes=["atw-inspector-message"])
        self.warning = pn.pane.HTML(css_classes=["atw-being-edited"], visible=False)
        self._target: tuple[str, str] | None = None
        self._shown_item: Any = None
        self._shown: Any = None
        self._updating = False
        self.fields = {kind: _choice_fields(kind) for kind in ("element", "flow")}
        kinds = [(info.label, name) for name, info in KINDS.items()]
        self.name = self._bind(pn.widgets.TextInput(label="Name"), "name")
        self.kind = self._bind(pn.widgets.Select(label="Kind", options=_choices(kinds)), "kind")
        self.boundary = self._bind(pn.widgets.Select(label="Trust boundary"), "boundary")
        self.property = pn.widgets.Select(label="Property", css_classes=["atw-field-property"])
        self.value = pn.widgets.Select(label="Value", css_classes=["atw-field-value"])
        self.property.param.watch(lambda _: self._show_value(), "value")
        self.value.param.watch(lambda event: self._changed(self.property.value, event.new), "value")
        self.form = pn.Column(
            self.name,
            self.kind,
            self.boundary,
            self.property,
            self.value,
            sizing_mode="stretch_width",
        )
        self.view = pn.Column(
            self.title, self.warning, self.message, self.form, css_classes=["atw-inspector"],
            sizing_mode="stretch_width",
        )  # fmt: skip
        canvas.on_update(self.refresh)
        self.refresh()

    @property
    def body(self) -> Any:
        """The form (the same for elements and flows)."""
        return self.form

    def _current(self) -> tuple[str, str] | None:
        selection = self.canvas.selection
        if len(selection) != 1:
            return None
        model = self.canvas.model
        if any(e.id == selection[0] for e in model.elements):
            return ("element", selection[0])
        if any(f.id == selection[0] for f in model.flows):
            return ("flow", selection[0])
        return None

    def _item(self) -> Any:
        if self._target is None:
            return None
        kind, item_id = self._target
        model = self.canvas.model
        return model.element(item_id) if kind == "element" else model.flow(item_id)

    def refresh(self) -> None:
        """Show the selected item's values (the form is disabled when there is none)."""
        target = self._current()
        if target != self._target:
            show_html(self.message, "")
        self._target = target
        self.show_editors()
        # The same item (models share unchanged items) under the same boundaries: the form
        # already shows it (in a shared room, others' edits come by all the time).
        item = self._item()
        boundaries = [(b.id, b.name) for b in self.canvas.model.boundaries]
        shown = (target, boundaries)
        if target is not None and item is self._shown_item and shown == self._shown:
            return
        self._shown_item, self._shown = item, shown
        with self._quiet():
            for control in (self.name, self.kind, self.boundary, self.property, self.value):
                control.disabled = target is None or (
                    target[0] == "flow" and control in (self.kind, self.boundary)
                )
            if target is None:
                show_html(self.title, "<i>Select one element or flow to edit it.</i>")
                return
            kind, item_id = target
            item = self._item()
            show_html(
                self.title,
                str(join(h_single("b", kind.capitalize()), " ", h_single("code", item_id))),
            )
            self.name.value = item.name or ""
            if kind == "element":
                options = _choices(dynamic_options(self.canvas.model, "boundary") or [])
                if self.boundary.options != options:
                    self.boundary.options = options
                self.kind.value = item.kind
                self.boundary.value = _value_of(item, "boundary")
            self._fill_properties(kind, item)

    def show_editors(self) -> None:
        """Warn when others are editing the selected item too (in a shared room: the
        ``editors`` function names them). Nobody is blocked: each change applies in the
        order it reaches the room."""
        names = self.editors(self._target[1]) if self.editors and self._target else []
        if not names:
            if self.warning.visible:
                self.warning.visible = False
                show_html(self.warning, "")
            return
        show_html(
            self.warning,
            str(
                h_single(
                    "div",
                    f"Being edited by {', '.join(names)} too: your changes and theirs apply "
                    "in the order they arrive.",
                    data_editors=", ".join(names),
                    style="background:#fef3c7;border:1px solid #f59e0b;border-radius:4px;"
                    "padding:4px 8px;color:#78350f",
                )
            ),
        )
        self.warning.visible = True

    def _fill_properties(self, kind: str, item: Any) -> None:
        """Property choices labelled with the item's current values."""
        labels = {}
        for key, label, options in self.fields[kind]:
            current = _value_of(item, key)
            shown = next((text for text, value in options if value == current), str(current))
            labels[f"{label}: {shown}"] = key
        chosen = self.property.value
        if self.property.options != labels:
            self.property.options = labels
        keys = list(labels.values())
        self.property.value = chosen if chosen in keys else keys[0]
        self._show_value()

    def _show_value(self) -> None:
        """The value choices of the chosen property, set to the item's value."""
        item = self._item()
        key = self.property.value
        if item is None or not key:
            return
        options = next((o for k, _, o in self.fields[self._target[0]] if k == key), [])  # type: ignore[index]
        with self._quiet():
            choices = _choices(options)
            if self.value.options != choices:
                self.value.options = choices
            self.value.value = _value_of(item, key)

    @contextlib.contextmanager
    def _quiet(self) -> Iterator[None]:
        was = self._updating
        self._updating = True
        try:
            yield
        finally:
            self._updating = was

    def _bind(self, control: Any, key: str) -> Any:
        control.css_classes = [f"atw-field-{key.replace('.', '-').replace('_', '-')}", key]
        control.param.watch(lambda event: self._changed(key, event.new), "value")
        return control

    def _changed(self, key: str, value: Any) -> None:
        if self._updating or self._target is None or not key:
            return
        kind, item_id = self._target
        new = None if value == UNSET else value

        def change(model: ThreatModel) -> ThreatModel:
            return apply_field(model, kind, item_id, key, new)[0]

        def done() -> None:
            show_html(self.message, "")

        def refused(why: str) -> None:
            show_html(self.message, _error(why))
            self._shown_item = None  # show the item's values again, not the refused one
            self.refresh()

        commit(self.canvas, change, f"set {key}", done, refused)


def _value_of(item: Any, key: str) -> Any:
    if key.startswith("properties."):
        value = getattr(item.properties, key.removeprefix("properties."))
    else:
        value = getattr(item, key)
    return UNSET if value is None else value
