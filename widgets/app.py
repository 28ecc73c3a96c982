# mypy: disable-error-code="no-untyped-call"
# (Panel and param are only partly typed: calling their constructors is untyped.)
"""The workshop app: the workbench canvas served by Panel, one model per browser session.

``threat-workbench serve`` (see :mod:`widgets.serve_command` and ``docs/serve.md``) runs
:func:`make_server`. Every browser session gets its own :class:`WorkshopSession`: a copy
of the starting model, its own :class:`~widgets.canvas.Canvas` (which holds the live model
and all of the sync logic), a Panel-native inspector and threat panel, and buttons to
download the model as YAML and the risk assessment as HTML. Nothing is shared between
sessions except the immutable starting model and the catalog, and nothing is written on
the server: sessions cannot overwrite each other's work or the starting file.

The canvas is drawn by the same front end as in Jupyter (``widgets/static/canvas.js``),
loaded by :class:`CanvasView`, a :class:`panel.custom.AnyWidgetComponent` that *bridges*
to the session's ``Canvas``: the canvas's synced traits are mirrored as parameters both
ways (read from the ``Canvas`` class, so traits added later bridge by themselves), the
canvas's custom messages go to the browser and the browser's edit messages to the
canvas's message handler. Panel serves every script and style itself (no CDN).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hmac
import html
import io
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote_plus, urlsplit

import anywidget
import comm
import panel as pn
import param
import tornado.routing
import tornado.web
import traitlets
from bokeh.server.auth_provider import AuthProvider
from panel.custom import AnyWidgetComponent
from tornado import httputil
from tornado.httputil import HTTPServerRequest
from tornado.routing import AnyMatches

from workbench.catalog import Catalog
from workbench.engine import Analyzer
from workbench.model import KINDS, ElementProperties, Flow, ThreatModel
from workbench.model.types import RISK_RANK
from workbench.register import build_register

from ._edits import reason
from .canvas import STATIC, Canvas
from .findings import MAX_ROWS, STATUSES, decide, findings_table
from .inspector import UNSET, apply_field, choice_options, dynamic_options, field_label

STATIC_ROUTE = "atw-static"
"""URL path under which the canvas bundle (``widgets/static``) is served."""
TOKEN_COOKIE = "atw_token"  # noqa: S105 (a cookie name)
"""Cookie that carries the access token after the first request with ``?token=``."""
REFUSAL_MESSAGE = (
    "A token is needed: open the URL that 'threat-workbench serve' printed, which ends "
    "with ?token=..."
)

# ----------------------------------------------------------------------------- bridge
_TRAIT_PARAMS: dict[type[traitlets.TraitType[Any, Any]], type[param.Parameter[Any]]] = {
    traitlets.Bool: param.Boolean,
    traitlets.Int: param.Integer,
    traitlets.Float: param.Number,
    traitlets.Unicode: param.String,
    traitlets.List: param.List,
    traitlets.Tuple: param.List,
    traitlets.Dict: param.Dict,
}


def bridged_traits(canvas_class: type[Canvas] = Canvas) -> dict[str, str]:
    """The synced traits of ``canvas_class`` that :class:`CanvasView` mirrors, each with
    the name of its parameter: all public synced traits that are not anywidget's
    plumbing. A trait whose name a Panel component already uses for itself (``height``,
    ``styles``) is bridged as ``canvas_<name>``; the front end still sees ``<name>``."""
    plumbing = set(anywidget.AnyWidget.class_trait_names(sync=True))
    taken = set(AnyWidgetComponent.param)
    names = sorted(
        n
        for n in canvas_class.class_trait_names(sync=True)
        if n not in plumbing and not n.startswith("_")
    )
    return {n: f"canvas_{n}" if n in taken else n for n in names}


def _parameter(trait: traitlets.TraitType[Any, Any]) -> Any:
    """A param Parameter that holds what ``trait`` holds."""
    kind = next((p for t, p in _TRAIT_PARAMS.items() if isinstance(trait, t)), param.Parameter)
    default = trait.default()
    if isinstance(default, tuple):
        default = list(default)
    maker: Any = kind
    return maker(default=default, allow_None=bool(trait.allow_none), doc=trait.help or None)


# The wrapper loads the very same bundle as Jupyter does, gives it the one thing Panel's
# anywidget adapter lacks: ``model.send`` (Panel names it ``send_msg``), and maps the
# traits bridged under another name back to their own.
_WRAPPER_ESM = """
const bundle = import(new URL("@STATIC_ROUTE@/canvas.js", document.baseURI).href);
const RENAMED = @RENAMED@;
const rename = (name) => RENAMED[name] || name;
const event = (ev) => (ev.startsWith("change:") ? `change:${rename(ev.slice(7))}` : ev);

function adapt(model, view) {
  return {
    get: (name) => model.get(rename(name)),
    set: (name, value) => model.set(rename(name), value),
    save_changes: () => model.save_changes(),
    on: (ev, callback) => model.on(event(ev), callback),
    off: (ev, callback) => model.off(event(ev), callback),
    send: (msg) => view.model_proxy.send_msg(msg),
  };
}

async function render(props) {
  const widget = (await bundle).default;
  return widget.render({ ...props, model: adapt(props.model, props.view) });
}

export default { render };
""".replace("@STATIC_ROUTE@", STATIC_ROUTE).replace(
    "@RENAMED@", json.dumps({t: p for t, p in bridged_traits().items() if t != p})
)


class _ForwardingComm(comm.DummyComm):
    """Stands in for the kernel comm of a canvas that lives in a Panel session: custom
    messages go to ``forward``; state updates are bridged by :class:`CanvasView`."""

    def __init__(self, forward: Callable[[Any], None], **kwargs: Any) -> None:
        self.forward = forward
        super().__init__(**kwargs)

    def publish_msg(
        self,
        msg_type: str,
        data: Any = None,
        metadata: Any = None,
        buffers: Any = None,
        **keys: Any,
    ) -> None:
        if msg_type == "comm_msg" and isinstance(data, dict) and data.get("method") == "custom":
            self.forward(data.get("content"))


class _CanvasViewBase(AnyWidgetComponent):
    """Base of :class:`CanvasView` (which adds one parameter per bridged trait)."""

    _esm = _WRAPPER_ESM
    _stylesheets = [(STATIC / "canvas.css").read_text(encoding="utf-8")]

    def __init__(self, canvas: Canvas, **params: Any) -> None:
        self._params = bridged_traits(type(canvas))
        self._traits = {p: t for t, p in self._params.items()}
        super().__init__(**{p: getattr(canvas, t) for t, p in self._params.items()}, **params)
        self.canvas = canvas
        self._syncing = False
        old = canvas.comm
        if old is not None:
            old.close()
        canvas.comm = _ForwardingComm(
            self._to_browser, target_name="jupyter.widget", comm_id=old.comm_id if old else None
        )
        canvas.observe(self._from_canvas, names=list(self._params))
        self.param.watch(self._from_browser, list(self._traits))

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        self._syncing = True
        try:
            yield
        finally:
            self._syncing = False

    _INITIAL_ONLY = frozenset({"snapshot"})
    """Traits the browser reads once, when the view starts: a canvas keeps ``snapshot``
    (the whole drawing) current for Jupyter's later views, but a Panel session has one
    view, which gets every change as a patch; re-sending the drawing with each edit
    would cost the server serialising it for every session."""

    def _from_canvas(self, change: dict[str, Any]) -> None:
        if change["name"] in self._INITIAL_ONLY:
            return
        if not self._syncing:
            with self._guard():
                setattr(self, self._params[change["name"]], change["new"])

    def _from_browser(self, *events: param.parameterized.Event) -> None:
        if self._syncing:
            return
        with self._guard():
            for event in events:
                setattr(self.canvas, self._traits[event.name], event.new)

    def _to_browser(self, content: Any) -> None:
        self.send(content)

    def _handle_msg(self, data: Any) -> None:
        """A message from the browser: hand it to the canvas's message handler."""
        self.canvas._handle_custom_msg(data, [])

    def close(self) -> None:
        """Close the bridged canvas (call when the session ends)."""
        self.canvas.close()


CanvasView: type[_CanvasViewBase] = type(
    "CanvasView",
    (_CanvasViewBase,),
    {
        "__doc__": "Panel view of a :class:`~widgets.canvas.Canvas` (same front end, bridged).",
        **{p: _parameter(Canvas.class_traits()[t]) for t, p in bridged_traits(Canvas).items()},
    },
)


# ----------------------------------------------------------------------------- panels
def _error(text: str) -> str:
    return f"<span class='atw-error' style='color:#b91c1c'>Refused: {html.escape(text)}</span>"


class ThreatPanel:
    """All findings of the session's canvas, or those of its selection, and a decision
    editor (Panel widgets; the table is :func:`widgets.findings.findings_table`)."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
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
        analysis = self.canvas.analysis
        if analysis is None:
            self.heading.object = "<b>No analysis</b>"
            return
        selection = set(self.canvas.selection)
        findings = [f for f in analysis.findings if not selection or f.target in selection]
        shown = sorted(findings, key=lambda f: (-RISK_RANK[f.risk], f.id))[:MAX_ROWS]
        register = build_register(dataclasses.replace(analysis, findings=tuple(shown)))
        entries = list(register.entries)
        what = "Findings for the selection" if selection else "All findings"
        self.heading.object = (
            f"<b>{html.escape(what)}</b> <span data-role='counts' data-rev="
            f"'{self.canvas.revision}' data-count='{len(findings)}'>({len(findings)})</span>"
        )
        self.table.object = findings_table(entries, total=len(findings), groups=analysis.groups)
        options = {
            f"{e.finding.risk}: {e.finding.title} @ {e.finding.target_name}": e.id for e in entries
        }
        current = self.finding.value
        self.finding.options = options
        if current in options.values():
            self.finding.value = current

    def _apply_clicked(self, _event: object) -> None:
        self.apply()

    def _load_decision(self) -> None:
        decision = self.canvas.model.decision(self.finding.value) if self.finding.value else None
        self.status.value = decision.status if decision else "open"
        self.owner.value = decision.owner if decision else ""
        self.rationale.value = decision.rationale if decision else ""
        self.message.object = ""

    def apply(self) -> bool:
        """Record the decision in the editor; ``False`` (reason shown) when refused."""
        if not self.finding.value:
            self.message.object = _error("choose a finding first")
            return False
        try:
            model = decide(
                self.canvas.model,
                self.finding.value,
                self.status.value,
                owner=self.owner.value or "",
                rationale=self.rationale.value or "",
            )
        except (ValueError, TypeError) as exc:
            self.message.object = _error(reason(exc))
            return False
        self.canvas.model = model
        self.message.object = (
            f"<span style='color:#047857'>Recorded: {html.escape(self.finding.value)} is "
            f"{html.escape(self.status.value)}.</span>"
        )
        return True


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

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.title = pn.pane.HTML("<i>Select one element or flow to edit it.</i>")
        self.message = pn.pane.HTML(css_classes=["atw-inspector-message"])
        self._target: tuple[str, str] | None = None
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
            self.title, self.message, self.form, css_classes=["atw-inspector"],
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
            self.message.object = ""
        self._target = target
        with self._quiet():
            for control in (self.name, self.kind, self.boundary, self.property, self.value):
                control.disabled = target is None or (
                    target[0] == "flow" and control in (self.kind, self.boundary)
                )
            if target is None:
                self.title.object = "<i>Select one element or flow to edit it.</i>"
                return
            kind, item_id = target
            item = self._item()
            self.title.object = (
                f"<b>{html.escape(kind.capitalize())}</b> <code>{html.escape(item_id)}</code>"
            )
            self.name.value = item.name or ""
            if kind == "element":
                options = _choices(dynamic_options(self.canvas.model, "boundary") or [])
                if self.boundary.options != options:
                    self.boundary.options = options
                self.kind.value = item.kind
                self.boundary.value = _value_of(item, "boundary")
            self._fill_properties(kind, item)

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
        try:
            model, _ = apply_field(
                self.canvas.model, kind, item_id, key, None if value == UNSET else value
            )
        except (ValueError, TypeError, KeyError) as exc:
            self.message.object = _error(reason(exc))
            self.refresh()
            return
        self.message.object = ""
        self.canvas.model = model


def _value_of(item: Any, key: str) -> Any:
    if key.startswith("properties."):
        value = getattr(item.properties, key.removeprefix("properties."))
    else:
        value = getattr(item, key)
    return UNSET if value is None else value


# ----------------------------------------------------------------------------- session
def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-").lower() or "threat-model"


class WorkshopSession:
    """Everything one browser session owns: its model (in ``canvas.model``), the canvas
    view, the inspector, the threat panel and the download buttons."""

    def __init__(self, model: ThreatModel, catalog: Catalog) -> None:
        self.canvas = Canvas(model, analyzer=Analyzer(catalog), height="620px")
        self.canvas_view = CanvasView(self.canvas, sizing_mode="stretch_width", min_height=640)
        self.inspector = InspectorPanel(self.canvas)
        self.threats = ThreatPanel(self.canvas)
        slug = _slug(model.system.name)
        self.download_yaml = pn.widgets.FileDownload(
            callback=self.model_yaml,
            filename=f"{slug}.yaml",
            label="Download YAML",
            css_classes=["atw-download-yaml"],
            color="success",
        )
        self.export_html = pn.widgets.FileDownload(
            callback=self.report_html,
            filename=f"{slug}-risk-assessment.html",
            label="Export HTML report",
            css_classes=["atw-export-html"],
        )
        self.view = pn.Row(
            pn.Column(
                pn.pane.HTML(
                    f"<h2 style='margin:4px 0'>AI Threat Workbench: "
                    f"{html.escape(model.system.name)}</h2>"
                ),
                pn.Row(self.download_yaml, self.export_html),
                self.canvas_view,
                sizing_mode="stretch_width",
            ),
            pn.Column(self.inspector.view, self.threats.view, width=460),
            sizing_mode="stretch_width",
        )

    @property
    def model(self) -> ThreatModel:
        """The session's live model."""
        return self.canvas.model

    def model_yaml(self) -> io.BytesIO:
        """The live model as YAML (for the download button)."""
        return io.BytesIO(self.model.to_yaml().encode("utf-8"))

    def report_html(self) -> io.BytesIO:
        """The live model's risk assessment as one HTML page (for the export button)."""
        from workbench.export import report_html

        return io.BytesIO(report_html(self.model, self.canvas.analysis).encode("utf-8"))

    def close(self) -> None:
        """Release the session's canvas (called when the browser session ends)."""
        self.canvas_view.close()


def session_factory(model: ThreatModel, catalog: Catalog) -> Callable[[], pn.viewable.Viewable]:
    """A Panel app function: each call (one per browser session) builds a new
    :class:`WorkshopSession` on a copy of ``model``, closed when the session ends."""

    def app() -> pn.viewable.Viewable:
        session = WorkshopSession(model, catalog)
        doc = pn.state.curdoc
        if doc is not None:
            doc.on_session_destroyed(lambda _ctx: session.close())
        return session.view

    return app


# ----------------------------------------------------------------------------- token
def request_token(request: HTTPServerRequest) -> str:
    """The token a request carries: ``?token=``, an ``Authorization: token ...`` header
    or the cookie set on the first visit (empty when none)."""
    values = request.query_arguments.get("token")
    if values:
        return values[-1].decode("utf-8", "replace")
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("token "):
        return header[6:].strip()
    cookie = request.cookies.get(TOKEN_COOKIE)
    return cookie.value if cookie is not None else ""


def _same(given: str, token: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode(), token.encode())


def set_token_cookie(handler: tornado.web.RequestHandler, token: str) -> None:
    """Remember ``token`` in the browser: an ``HttpOnly``, ``SameSite=Strict`` cookie for
    the whole server, ``Secure`` when the request came over TLS."""
    handler.set_cookie(
        TOKEN_COOKIE,
        token,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=handler.request.protocol == "https",
    )


class TokenAuth(AuthProvider):
    """Bokeh auth provider: a request is let in when it carries ``token`` (query
    ``?token=``, ``Authorization: token ...`` header, or the cookie set on the first
    visit); anything else gets 403 with a message that a token is needed.

    The :class:`Gate` refuses such requests before Bokeh sees them; this is the second
    lock, on Bokeh's own pages and websocket."""

    def __init__(self, token: str) -> None:
        self.token = token
        super().__init__()

    def allowed(self, handler: tornado.web.RequestHandler) -> bool:
        """Whether the request carries the token (and remember it in a cookie)."""
        if not _same(request_token(handler.request), self.token):
            return False
        if handler.get_cookie(TOKEN_COOKIE) != self.token:
            set_token_cookie(handler, self.token)
        return True

    @property
    def get_user(self) -> Any:
        """Bokeh calls this with the request handler (its annotation says request)."""

        def get_user(handler: tornado.web.RequestHandler) -> str:
            if not self.allowed(handler):
                raise tornado.web.HTTPError(403, reason=REFUSAL_MESSAGE)
            return "workshop"

        return get_user

    @property
    def login_url(self) -> str:
        return "/"


# ----------------------------------------------------------------------------- gate
ORIGIN_REFUSAL = (
    "Requests from another origin are refused ({origin}). To allow it, start "
    "'threat-workbench serve' with --allow-origin HOST[:PORT]."
)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' blob:; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; "
    "connect-src 'self' blob:{sockets}; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
"""What the app needs, checked in Chromium: Bokeh's pages carry inline scripts and
styles, and Panel loads components as blob modules (fetched first, hence ``connect-src
blob:``); everything else comes from this server only. ``{sockets}`` names the websocket
URLs of the request's host (``'self'`` covers them only in newer browsers)."""
CONTINUE_PAGE = (
    "<!doctype html><meta charset='utf-8'><meta http-equiv='refresh' content='0; url={url}'>"
    "<title>AI Threat Workbench</title><p><a href='{url}'>Open the workbench</a></p>"
)
"""The token exchange's answer to a link from another site: go on to ``url``."""
_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def security_headers(request: HTTPServerRequest) -> dict[str, str]:
    """The headers of every response: no Referer (it would carry the path and query to
    other requests), no framing, no content sniffing, and :data:`CONTENT_SECURITY_POLICY`."""
    host = request.headers.get("Host", "")
    sockets = f" ws://{host} wss://{host}" if _HOST.fullmatch(host) else ""
    return {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY.format(sockets=sockets),
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
    }


class SecurityHeaders(tornado.web.OutputTransform):
    """Adds :func:`security_headers` to every response of the server (refusals too)."""

    def __init__(self, request: HTTPServerRequest) -> None:
        super().__init__(request)
        self.headers = security_headers(request)

    def transform_first_chunk(
        self, status_code: int, headers: Any, chunk: bytes, finishing: bool
    ) -> tuple[int, Any, bytes]:
        for name, value in self.headers.items():
            headers.setdefault(name, value)
        return status_code, headers, chunk


def origin_host(origin: str) -> str:
    """The ``host[:port]`` of an ``Origin`` header, lowercase (empty for ``null``)."""
    return urlsplit(origin).netloc.lower() if "://" in origin else ""


def clean_url(request: HTTPServerRequest) -> str:
    """Where the token exchange sends the browser: the request's path and query without
    ``token``, never to another host (``//host`` paths lose their extra slashes), and with
    anything unusual percent-encoded (so it fits a header and an HTML attribute)."""
    path = "/" + request.path.lstrip("/\\")
    kept = [item for item in request.query.split("&") if item and _name(item) != "token"]
    url = path + ("?" + "&".join(kept) if kept else "")
    return quote(url, safe="/?&=%:@!$()*+,;-._~", encoding="latin-1")


def _name(item: str) -> str:
    return unquote_plus(item.partition("=")[0])


class _Refused(tornado.web.RequestHandler):
    """403 with a message, before any of Panel's or Bokeh's handlers exists."""

    def initialize(self, message: str) -> None:
        self.message = message

    def prepare(self) -> None:
        self.set_status(403)
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.finish(self.message)


class _TokenExchange(tornado.web.RequestHandler):
    """A page asked for with the right ``?token=``: the token goes into the cookie and the
    browser to the same address without it (out of the address bar, and so out of
    bookmarks and of what people copy)."""

    def initialize(self, token: str) -> None:
        self.token = token

    def get(self) -> None:
        set_token_cookie(self, self.token)
        self.set_header("Cache-Control", "no-store")
        target = clean_url(self.request)
        if self.request.headers.get("Sec-Fetch-Site") != "cross-site":
            self.redirect(target, status=303)
            return
        # A link on another site (a web chat, a mail): browsers do not send a Strict
        # cookie on a redirect of a navigation another site started, but they do on a
        # navigation that this page starts.
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(CONTINUE_PAGE.format(url=html.escape(target)))

    head = get


class Gate(tornado.routing.Router):
    """The first rule of the server's router, so it decides before any handler is even
    created (Panel's ``/components/<module>/...`` imports ``module`` in its handler):

    - a request whose ``Origin`` is not the server's own gets 403: its own is the
      request's ``Host`` when a token protects the server (people reach it under any
      name or address the room uses), else one of ``origins``; ``origins`` (the
      ``--allow-origin`` values) are always allowed. This guards the websocket, where
      Bokeh is told to allow any origin;
    - with a ``token``, a request without it gets 403, and a page asked for with the
      right ``?token=`` is answered by :class:`_TokenExchange`;
    - anything else goes on to Panel and Bokeh."""

    def __init__(
        self, application: tornado.web.Application, token: str | None, origins: frozenset[str]
    ) -> None:
        self.application = application
        self.token = token
        self.origins = origins

    def install(self) -> None:
        """Put the gate in front of every route of the application."""
        router = self.application.default_router
        router.rules.insert(0, router.process_rule(tornado.routing.Rule(AnyMatches(), self)))

    def refusal(self, request: HTTPServerRequest) -> str | None:
        """Why ``request`` is refused (``None``: it is not)."""
        origin = request.headers.get("Origin")
        if origin is not None:
            host = origin_host(origin)
            same = bool(self.token) and host == request.headers.get("Host", "").lower()
            if not host or not (same or host in self.origins):
                return ORIGIN_REFUSAL.format(origin=origin[:100])
        if self.token and not _same(request_token(request), self.token):
            return REFUSAL_MESSAGE
        return None

    def find_handler(
        self, request: HTTPServerRequest, **kwargs: Any
    ) -> httputil.HTTPMessageDelegate | None:
        refusal = self.refusal(request)
        if refusal is not None:
            return self.application.get_handler_delegate(request, _Refused, {"message": refusal})
        if self.token and _exchanges(request):
            return self.application.get_handler_delegate(
                request, _TokenExchange, {"token": self.token}
            )
        return None  # the application's own routes


def _exchanges(request: HTTPServerRequest) -> bool:
    """Whether ``request`` is a page load with ``?token=`` (not a websocket, not a form)."""
    return (
        request.method in ("GET", "HEAD")
        and "token" in request.query_arguments
        and request.headers.get("Upgrade", "").lower() != "websocket"
    )


def loopback_origins(address: str, port: int) -> frozenset[str]:
    """The origins of a server on a loopback ``address``: this machine under any name."""
    host = f"[{address}]" if ":" in address else address
    return frozenset(f"{h}:{port}" for h in (host.lower(), "localhost", "127.0.0.1", "[::1]"))


# ----------------------------------------------------------------------------- logs
_QUERY_ITEM = re.compile(r"(?<=[?&;])([^=&;\s'\"?#]+)=([^&;\s'\"#]*)")
_REDACTED_LOGGERS = ("tornado.access", "tornado.application", "tornado.general")


def redact_tokens(text: str) -> str:
    """``text`` with the value of every ``token=`` query item hidden (for log lines, which
    Tornado writes with the request's URI)."""

    def hide(match: re.Match[str]) -> str:
        return f"{match[1]}=[redacted]" if unquote_plus(match[1]).lower() == "token" else match[0]

    return _QUERY_ITEM.sub(hide, text)


class RedactTokens(logging.Filter):
    """A log filter that applies :func:`redact_tokens` to every message."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a broken record: leave it to the handler
            return True
        redacted = redact_tokens(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact_token_logs() -> None:
    """Keep tokens out of Tornado's access, application and general logs (idempotent)."""
    for name in _REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())


@contextlib.contextmanager
def _without_wildcard_warning() -> Iterator[None]:
    """Silence Bokeh's warning about the ``*`` websocket origin (the :class:`Gate`
    checks origins instead)."""

    def keep(record: logging.LogRecord) -> bool:
        return "wildcard" not in record.getMessage()

    logger = logging.getLogger("bokeh.server.util")
    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)


# ----------------------------------------------------------------------------- server
def make_server(
    model: ThreatModel,
    catalog: Catalog,
    *,
    address: str = "127.0.0.1",
    port: int = 0,
    token: str | None = None,
    allow_origins: Iterable[str] = (),
) -> Any:
    """A Panel (Bokeh) server, not started, that serves the workshop app at ``/``.

    Requests (websocket included) are let in from the server's own origin and from
    ``allow_origins`` (``host[:port]`` values, as in an ``Origin`` header) only; see
    :class:`Gate`. Without ``port`` the system picks one (``server.port``)."""
    from bokeh.settings import settings

    pn.extension(inline=True)
    # Every resource from this server, never the CDN: Bokeh's default mode is "cdn", and
    # Panel switches the global mode while it renders a page, so other sessions built at
    # that moment (under load) would otherwise link stylesheets from cdn.holoviz.org.
    settings.resources.set_value("server")
    redact_token_logs()
    kwargs: dict[str, Any] = {}
    if token:
        kwargs["auth_provider"] = TokenAuth(token)
    with _without_wildcard_warning():
        server = pn.serve(
            {"/": session_factory(model, catalog)},
            port=port,
            address=address,
            websocket_origin=["*"],  # checked by the gate, which knows the request's host
            show=False,
            start=False,
            verbose=False,  # Panel's own line shows the address without the token
            title="AI Threat Workbench",
            static_dirs={STATIC_ROUTE: str(STATIC)},
            check_unused_sessions=5_000,
            unused_session_lifetime=15_000,
            transforms=[SecurityHeaders],
            # Bokeh copies the request's cookies and headers into the session token it
            # writes into the page: keep the access token out of reach of scripts.
            exclude_cookies=[TOKEN_COOKIE],
            exclude_headers=["Cookie", "Authorization"],
            **kwargs,
        )
    origins = frozenset(o.lower() for o in allow_origins)
    if not token:
        origins |= loopback_origins(address, server.port)
    # Bokeh's Server has no public handle on its Tornado application.
    Gate(server._tornado, token, origins).install()
    return server


def static_dir() -> Path:
    """The folder served at ``/atw-static`` (the canvas bundle and its CSS)."""
    return STATIC
