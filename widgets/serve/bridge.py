# mypy: disable-error-code="no-untyped-call"
# (Panel and param are only partly typed: calling their constructors is untyped.)
"""The bridge between a :class:`~widgets.canvas.Canvas` and Panel: :class:`CanvasView`.

The canvas is drawn by the same front end as in Jupyter (``widgets/static/canvas.js``),
loaded by :class:`CanvasView`, a :class:`panel.custom.AnyWidgetComponent` that *bridges*
to the session's ``Canvas``: the canvas's synced traits are mirrored as parameters both
ways (read from the ``Canvas`` class, so traits added later bridge by themselves), the
canvas's custom messages go to the browser and the browser's edit messages to the
canvas's message handler. Panel serves every script and style itself (no CDN).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import anywidget
import comm
import param
import traitlets
from panel.custom import AnyWidgetComponent

from ..canvas import STATIC, Canvas

STATIC_ROUTE = "atw-static"
"""URL path under which the canvas bundle (``widgets/static``) is served."""

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
# The bundle is served at the server's root, which is not the page's folder for an app at
# a deeper path (a room at /rooms/NAME): it is found from Bokeh's own script, which Bokeh
# links relative to that root (static/js/bokeh.min.js), so a proxy's prefix is kept too.
_WRAPPER_ESM = """
const bokeh = document.querySelector('script[src*="static/js/bokeh"]');
const root = bokeh ? new URL("../../", bokeh.src) : new URL(".", document.baseURI);
const bundle = import(new URL("@STATIC_ROUTE@/canvas.js", root).href);
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
