"""The inspector: a form for the element or flow selected on a canvas.

The form is generated from the model's schema: text fields for names and free text,
dropdowns for kinds, boundaries, every ``Literal`` property and every ``bool | None``
property (unknown / yes / no). Each change is applied at once through the model's edit
API; a change the model refuses is reverted in the form and the reason is shown next to
it, so the canvas's model stays valid. Headings and messages are built with the safe-HTML
kit (:mod:`workbench.export.safehtml`).
"""

from __future__ import annotations

import html
import types
import typing
from typing import Any, Literal

import ipywidgets as w
import traitlets

from workbench.export.safehtml import h_single as h
from workbench.export.safehtml import join
from workbench.model import KINDS, Element, ElementProperties, Flow, ThreatModel

from ._edits import reason
from ._looks import Looks
from .canvas import Canvas

_GREY = "color:#64748b"
UNKNOWN = "unknown"
UNSET = "__unset__"
"""Dropdown value standing for ``None`` (ipywidgets reads a ``None`` value as "nothing
selected" and shows an empty dropdown)."""

Options = list[tuple[str, Any]]


def _literal_values(annotation: Any) -> tuple[list[Any], bool] | None:
    """The values of a ``Literal[...]`` (or ``Literal[...] | None``) annotation and whether
    ``None`` is allowed; ``None`` for any other annotation."""
    args: tuple[Any, ...]
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return list(typing.get_args(annotation)), False
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        optional = type(None) in args
        values: list[Any] = []
        for arg in args:
            if arg is type(None):
                continue
            if arg is bool:
                values.extend([True, False])
            elif typing.get_origin(arg) is Literal:
                values.extend(typing.get_args(arg))
            else:
                return None
        return values, optional
    if annotation is bool:
        return [True, False], False
    return None


def choice_options(annotation: Any) -> Options | None:
    """Dropdown options for a ``Literal`` or ``bool`` annotation (with ``unknown`` first
    when ``None`` is allowed), or ``None`` when the annotation is not a choice."""
    found = _literal_values(annotation)
    if found is None:
        return None
    values, optional = found
    options: Options = [(UNKNOWN, UNSET)] if optional else []
    for v in values:
        label = "yes" if v is True else "no" if v is False else str(v).replace("_", " ")
        options.append((label, v))
    return options


def field_class(key: str) -> str:
    """The CSS class of the control for ``key`` (``"properties.human_in_the_loop"`` is
    ``atw-field-properties-human-in-the-loop``): a stable hook for browser tests."""
    return "atw-field-" + key.replace(".", "-").replace("_", "-")


def field_label(name: str) -> str:
    """The label of a field's control: ``human_in_the_loop`` is 'Human in the loop'."""
    return name.replace("_", " ").capitalize()


def _field_doc(model: type[Any], name: str) -> str:
    info = model.model_fields[name]
    return str(info.description or "")


class Inspector:
    """Edit the selected element or flow of ``canvas`` (one at a time).

    ``inspector.widget`` is the ipywidgets form; it follows ``canvas.selection`` and
    ``canvas.model`` and writes every accepted change to ``canvas.model``."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self._looks = Looks(description_width="130px")
        self._layout = self._looks.layout(width="96%")
        self.title = self._looks.new(w.HTML)
        self.message = self._looks.new(w.HTML)
        self.body = self._looks.new(w.VBox)
        self.widget = w.VBox(
            [self.title, self.message, self.body],
            layout=w.Layout(min_width="260px"),
        )
        self.widget.add_class("atw-inspector")
        self._target: tuple[str, str] | None = None  # ("element" | "flow", id)
        self._controls: dict[str, w.ValueWidget] = {}  # of the form shown
        self._forms: dict[str, tuple[w.VBox, dict[str, w.ValueWidget]]] = {}
        self._hint = self._looks.new(w.HTML)
        self._updating = False
        # The element and flow forms (some forty controls) are built on the first
        # selection of their kind, not before the canvas is first drawn.
        canvas.on_update(self._refresh)
        self._refresh()

    # ----------------------------------------------------------------- building
    def _refresh(self) -> None:
        model = self.canvas.model
        selection = self.canvas.selection
        target: tuple[str, str] | None = None
        if len(selection) == 1:
            sid = selection[0]
            if any(e.id == sid for e in model.elements):
                target = ("element", sid)
            elif any(f.id == sid for f in model.flows):
                target = ("flow", sid)
        if target is None:
            self._target = None
            self._controls = {}
            hint = "Select one element or flow on the canvas to edit it."
            if len(selection) > 1:
                hint = f"{len(selection)} items selected: select one to edit it."
            self.title.value = h("b", "Inspector")
            self._hint.value = h("i", hint)
            self.body.children = [self._hint]
            return
        if target != self._target:
            self.message.value = ""
        self._target = target
        self._show(model, target)

    def _show(self, model: ThreatModel, target: tuple[str, str]) -> None:
        """Show the form for ``target`` (built once per kind of item, then reused: only the
        values change, which keeps selecting cheap)."""
        kind, target_id = target
        form, self._controls = self._form(kind)
        if kind == "element":
            element = model.element(target_id)
            self.title.value = join(
                h("b", element.name), " ", h("span", KINDS[element.kind].label, style=_GREY)
            )
        else:
            flow = model.flow(target_id)
            self.title.value = join(
                h("b", f"Flow {flow.name or flow.id}"),
                " ",
                h("span", f"{flow.source} → {flow.target}", style=_GREY),
            )
        self._fill(model, target)
        if self.body.children != (form,):
            self.body.children = [form]

    def _form(self, kind: str) -> tuple[w.VBox, dict[str, w.ValueWidget]]:
        if kind not in self._forms:
            controls: dict[str, w.ValueWidget] = {}
            rows = self._element_rows(controls) if kind == "element" else self._flow_rows(controls)
            self._forms[kind] = (w.VBox(rows), controls)
        return self._forms[kind]

    def _new(self, cls: type[Any], **kw: Any) -> Any:
        return self._looks.new(cls, layout=self._layout, **kw)

    def _control(
        self,
        controls: dict[str, w.ValueWidget],
        key: str,
        control: w.ValueWidget,
        label: str,
        doc: str,
    ) -> w.Widget:
        control.description = label
        control.tooltip = doc
        control.observe(lambda change, key=key: self._changed(key, change), names="value")
        control.add_class(field_class(key))  # stable hook for browser tests
        controls[key] = control
        return control

    def _element_rows(self, controls: dict[str, w.ValueWidget]) -> list[w.Widget]:
        kinds = [(info.label, info.name) for info in KINDS.values()]

        def text(key: str, label: str, **kw: Any) -> w.Widget:
            return self._control(
                controls,
                key,
                self._new(w.Text, continuous_update=False, **kw),
                label,
                _field_doc(Element, key),
            )

        rows = [
            text("id", "ID"),
            text("name", "Name"),
            self._control(
                controls,
                "kind",
                self._new(w.Dropdown, options=kinds),
                "Kind",
                _field_doc(Element, "kind"),
            ),
            self._control(
                controls,
                "boundary",
                self._new(w.Dropdown, options=[("(none)", UNSET)]),
                "Trust boundary",
                _field_doc(Element, "boundary"),
            ),
            text("owner", "Owner"),
            self._control(
                controls,
                "description",
                self._new(w.Textarea, continuous_update=False, rows=2),
                "Description",
                _field_doc(Element, "description"),
            ),
            w.HTML(join(h("b", "Properties"), " ", h("small", "(unknown = not stated)"))),
        ]
        for name in ElementProperties.model_fields:
            annotation = ElementProperties.model_fields[name].annotation
            options = choice_options(annotation)
            control: w.ValueWidget
            if options is not None:
                control = self._new(w.Dropdown, options=options)
            else:  # every property today is a choice; keep free text for future ones
                control = self._new(w.Text, continuous_update=False)
            rows.append(
                self._control(
                    controls,
                    f"properties.{name}",
                    control,
                    field_label(name),
                    _field_doc(ElementProperties, name),
                )
            )
        return rows

    def _flow_rows(self, controls: dict[str, w.ValueWidget]) -> list[w.Widget]:
        rows = [
            self._control(
                controls,
                "name",
                self._new(w.Text, continuous_update=False),
                "Name",
                _field_doc(Flow, "name"),
            ),
            self._control(
                controls,
                "protocol",
                self._new(w.Text, continuous_update=False),
                "Protocol",
                _field_doc(Flow, "protocol"),
            ),
        ]
        for name in ("encrypted", "authenticated", "untrusted_content", "initiated_by", "query"):
            options = choice_options(Flow.model_fields[name].annotation) or []
            rows.append(
                self._control(
                    controls,
                    name,
                    self._new(w.Dropdown, options=options),
                    field_label(name),
                    _field_doc(Flow, name),
                )
            )
        rows.append(
            self._control(
                controls,
                "data",
                self._new(w.SelectMultiple, options=[], rows=4),
                "Data carried",
                _field_doc(Flow, "data"),
            )
        )
        rows.append(
            self._control(
                controls,
                "description",
                self._new(w.Textarea, continuous_update=False, rows=2),
                "Description",
                _field_doc(Flow, "description"),
            )
        )
        return rows

    # ----------------------------------------------------------------- values
    def _values(self, model: ThreatModel, target: tuple[str, str]) -> dict[str, Any]:
        kind, target_id = target
        if kind == "element":
            e = model.element(target_id)
            values: dict[str, Any] = {
                "id": e.id,
                "name": e.name,
                "kind": e.kind,
                "boundary": e.boundary,
                "owner": e.owner,
                "description": e.description,
            }
            for name in ElementProperties.model_fields:
                values[f"properties.{name}"] = getattr(e.properties, name)
            return values
        f = model.flow(target_id)
        return {
            "name": f.name,
            "protocol": f.protocol,
            "encrypted": f.encrypted,
            "authenticated": f.authenticated,
            "untrusted_content": f.untrusted_content,
            "initiated_by": f.initiated_by,
            "query": f.query,
            "data": tuple(f.data),
            "description": f.description,
        }

    def _fill(self, model: ThreatModel, target: tuple[str, str]) -> None:
        values = self._values(model, target)
        self._updating = True
        try:
            for key, control in self._controls.items():
                options = dynamic_options(model, key)
                if options is not None and tuple(control.options) != tuple(options):
                    control.options = options
                value = _to_widget(control, values[key])
                if control.value != value:
                    control.value = _to_widget(control, value)
        finally:
            self._updating = False

    # ----------------------------------------------------------------- edits
    def _changed(self, key: str, change: dict[str, Any]) -> None:
        if self._updating or self._target is None:
            return
        kind, target_id = self._target
        model = self.canvas.model
        try:
            value = None if change["new"] == UNSET else change["new"]
            new_model, new_id = apply_field(model, kind, target_id, key, value)
        except (ValueError, KeyError, TypeError) as exc:
            self._show_error(reason(exc))
            self._fill(model, self._target)
            return
        self.message.value = ""
        if new_id != target_id:
            self._target = (kind, new_id)
            with self.canvas.batch():
                self.canvas.model = new_model
                self.canvas.selection = [new_id]
        else:
            self.canvas.model = new_model

    def apply(self, key: str, value: Any) -> bool:
        """Set one field of the inspected item as if typed into the form (``key`` such as
        ``"name"`` or ``"properties.rate_limited"``); ``False`` when the model refused it
        (the reason is in :attr:`error`)."""
        control = self._controls.get(key)
        if control is None:
            raise KeyError(key)
        self.message.value = ""
        try:
            control.value = _to_widget(control, value)
        except traitlets.TraitError:
            self._show_error(f"{value!r} is not one of the choices for {key}")
        return not self.error

    def _show_error(self, text: str) -> None:
        self.message.value = h("div", f"Refused: {text}", class_="atw-error", style="color:#b91c1c")

    @property
    def error(self) -> str:
        """The refusal shown in the form, as text ('' when none)."""
        return html.unescape(_strip_tags(self.message.value))


def _to_widget(control: w.ValueWidget, value: Any) -> Any:
    """``value`` as ``control`` holds it (``None`` is :data:`UNSET` in a dropdown)."""
    if value is None and isinstance(control, w.Dropdown):
        return UNSET
    return value


def dynamic_options(model: ThreatModel, key: str) -> Options | None:
    """Choices that depend on the model (boundaries, assets), or ``None``."""
    if key == "boundary":
        return [("(none)", UNSET)] + [(b.name, b.id) for b in model.boundaries]
    if key == "data":
        return [(a.name, a.id) for a in model.assets]
    return None


def _strip_tags(text: str) -> str:
    out, depth = [], 0
    for ch in text:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth = max(0, depth - 1)
        elif not depth:
            out.append(ch)
    return "".join(out)


def apply_field(
    model: ThreatModel, kind: str, target_id: str, key: str, value: Any
) -> tuple[ThreatModel, str]:
    """The model with one field of an element or flow changed, and the item's ID after it
    (raises what the model's edit API raises)."""
    if kind == "element":
        if key.startswith("properties."):
            name = key.removeprefix("properties.")
            # a mapping is merged; None makes the property unknown again
            return model.update_element(target_id, properties={name: value}), target_id
        if key == "id":
            value = str(value).strip()
            return model.update_element(target_id, id=value), value
        return model.update_element(target_id, **{key: value}), target_id
    if key == "data":
        value = list(value)
    return model.update_flow(target_id, **{key: value}), target_id
