"""The architecture canvas: an anywidget over vis-network, two-way with a ThreatModel.

The widget holds the :class:`~workbench.ThreatModel` in a trait that is *not* synced
(``canvas.model``) and sends the browser a derived JSON payload (see
:mod:`widgets._payload`): nodes, edges, trust boundaries and the findings overlay.

- Python to browser: assigning ``canvas.model = new_model`` (or a new ``analysis``)
  sends only what changed, by ID, as a ``patch`` message; a view that missed a patch
  asks for a full ``reset``. New views start from the ``snapshot`` trait, which is kept
  current while the model is small (see :attr:`Canvas.snapshot_limit`).
- Browser to Python: every edit made on the canvas (add, move, rename, delete, draw a
  flow, auto-layout) arrives as a small message such as ``{"op": "add_element", ...}``
  and is applied through the model's edit API (:func:`widgets._edits.apply_edit`). An
  invalid edit is refused with a reason that the canvas shows; the model stays valid.
- Undo and redo (:meth:`Canvas.undo`, :meth:`Canvas.redo`, the toolbar, Ctrl/Cmd+Z and
  Ctrl+Shift+Z / Ctrl+Y): *every* change of ``canvas.model`` is one step, whoever made
  it (a canvas edit, the inspector, the decision editor, ``canvas.model = ...`` in
  Python), except the changes undo and redo make themselves. Changes made inside one
  :meth:`Canvas.batch` block are one step; a drag moves every dragged element (and puts
  those dropped into a trust boundary into it) in one edit, so it is one step too. The
  history holds previous models, which are immutable, so a step costs little memory.
- :attr:`Canvas.highlight` (IDs of elements and flows, e.g. an attack path through
  :meth:`Canvas.highlight_path`) emphasises those and dims the rest of the drawing.
- :attr:`Canvas.collapsed` (trust boundary IDs; :meth:`Canvas.collapse`,
  :meth:`Canvas.expand`, or the canvas's own controls) draws each of those boundaries as
  one node, its flows to the outside bundled. A view state: it never changes the model
  and is no undo step; it lasts while the boundary exists.

The front end lives in ``widgets/js/src/canvas.js`` and is bundled, with vis-network,
into ``widgets/static/canvas.js`` so that installing the package needs no Node.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from workbench.engine import Analysis, Analyzer, AttackPath
from workbench.model import ThreatModel

from . import _payload
from ._edits import EditError, EditResult, apply_edit

STATIC = Path(__file__).resolve().parent / "static"
HISTORY_OPS = ("undo", "redo")
"""Messages from the browser that walk the history instead of editing."""

SelectCallback = Callable[[list[str]], None]
RefusedCallback = Callable[[str, dict[str, Any]], None]


class Canvas(anywidget.AnyWidget):
    """Draw an AI system's architecture and keep a :class:`ThreatModel` in step with it.

    Parameters
    ----------
    model
        The model to show and edit.
    analyzer
        When given, every new model is re-analysed with ``analyzer.update`` (incremental)
        and the findings overlay shows each element's and flow's open findings.
    height
        CSS height of the canvas, e.g. ``"600px"``.

    Examples
    --------
    >>> canvas = Canvas(ThreatModel.from_template("rag_assistant"))  # doctest: +SKIP
    >>> canvas  # draws it                                            # doctest: +SKIP
    >>> canvas.model.elements[0].position                             # doctest: +SKIP
    """

    _esm = STATIC / "canvas.js"
    _css = STATIC / "canvas.css"

    model = traitlets.Instance(ThreatModel)
    """The live model (not synced: the browser gets a derived payload)."""
    analysis = traitlets.Instance(Analysis, allow_none=True)
    """Findings of the live model, for the overlay (not synced)."""

    selection = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """IDs of the selected elements and flows."""
    snapshot = traitlets.Dict().tag(sync=True)
    """Whole payload with its revision, for views that start later (and saved state)."""
    palette = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Element kinds the palette offers, grouped by layer."""
    styles = traitlets.Dict().tag(sync=True)
    """Colours of risk badges and trust boundaries."""
    height = traitlets.Unicode("600px").tag(sync=True)
    """CSS height of the canvas."""
    highlight = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """IDs of elements and flows to emphasise (an attack path, say); everything else is
    dimmed. Empty: the normal drawing."""
    collapsed = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """IDs of the trust boundaries drawn collapsed: one node each, labelled with the
    boundary's name and member count, in place of everything the boundary holds, and one
    bundled edge per outside element and direction for their flows. View state only (not
    part of the model, not an undo step); a boundary that no longer exists is dropped."""
    can_undo = traitlets.Bool(False).tag(sync=True)
    """Whether :meth:`undo` has a step to undo (read-only: the toolbar follows it)."""
    can_redo = traitlets.Bool(False).tag(sync=True)
    """Whether :meth:`redo` has a step to redo (read-only)."""

    history_limit = 100
    """How many steps :meth:`undo` can go back (the oldest are forgotten)."""

    snapshot_limit = 400
    """Keep :attr:`snapshot` current while the payload has at most this many items; above
    that only patches are sent and a new view asks for a reset."""
    reset_ratio = 0.5
    """Send a whole ``reset`` instead of a patch when more than this share of the items
    changed."""

    def __init__(
        self,
        model: ThreatModel,
        *,
        analyzer: Analyzer | None = None,
        height: str = "600px",
        **kwargs: Any,
    ) -> None:
        self._ready = False
        self._analyzer = analyzer
        self._builder = _payload.Builder()
        self._batching = 0
        self._select_callbacks: list[SelectCallback] = []
        self._refused_callbacks: list[RefusedCallback] = []
        self._update_callbacks: list[Callable[[], None]] = []
        self._painted_callbacks: list[Callable[[], None]] = []
        self._undo: list[ThreatModel] = []
        self._redo: list[ThreatModel] = []
        self._restoring = False  # set while undo/redo assign the model
        self._batch_recorded = False  # the current batch already made a history step
        self.last_refusal: str = ""
        """The reason the last refused edit gave (empty after a successful edit)."""
        analysis = analyzer.analyze(model) if analyzer is not None else None
        # The first payload goes out once, in the state the widget opens with (a view
        # starts from the snapshot): no message before there is a view to read it.
        self._sent: dict[str, list[_payload.Item]] = self._builder.build(model, analysis)
        self._built_for: tuple[object, object] = (model, analysis)
        self._rev = 1
        super().__init__(
            model=model,
            analysis=analysis,
            palette=_payload.palette(),
            styles={"risk": _payload.RISK_COLOURS, "trust": _payload.TRUST_COLOURS},
            height=height,
            snapshot={"rev": self._rev, **self._sent},
            **kwargs,
        )
        self._ready = True
        self._push(force_snapshot=True)  # nothing to send here; a subclass may differ
        self.on_msg(self._on_front_end_msg)

    # ----------------------------------------------------------------- Python side
    @traitlets.validate("model")
    def _keep_containers(self, proposal: dict[str, Any]) -> ThreatModel:
        """A model edited outside the canvas (Python, the inspector) that moved an element
        into another boundary without moving it gets the element placed inside its new
        boundary, the rest making room (:func:`workbench.layout.settle`): the container
        rules hold whoever edits. One edit, one undo step."""
        new: ThreatModel = proposal["value"]
        if not self._ready:
            return new
        from workbench.layout import needs_settling, settled

        changed = needs_settling(self.model, new)
        return settled(new, changed) if changed else new

    @traitlets.observe("model")
    def _model_changed(self, change: dict[str, Any]) -> None:
        if not self._ready:
            return
        self._record(change["old"])
        with self.batch():
            if self._analyzer is not None:
                self.analysis = self._analyzer.update(change["new"])
            ids = {e.id for e in self.model.elements} | {f.id for f in self.model.flows}
            kept = [i for i in self.selection if i in ids]
            if kept != self.selection:
                self.selection = kept
            boundaries = {b.id for b in self.model.boundaries}
            folded = [b for b in self.collapsed if b in boundaries]
            if folded != self.collapsed:
                self.collapsed = folded

    @traitlets.observe("analysis")
    def _analysis_changed(self, change: dict[str, Any]) -> None:
        if self._ready and not self._batching:
            self._update_browser()

    @traitlets.observe("selection")
    def _selection_changed(self, change: dict[str, Any]) -> None:
        for callback in list(self._select_callbacks):
            callback(list(change["new"]))
        if self._ready and not self._batching:
            self._notify_update()

    def _notify_update(self) -> None:
        for callback in list(self._update_callbacks):
            callback()

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Send one update for every change made inside the block."""
        if not self._batching:
            self._batch_recorded = False
        self._batching += 1
        try:
            yield
        finally:
            self._batching -= 1
            if not self._batching:
                self._update_browser()

    def _update_browser(self) -> None:
        """After a change: the drawing's changes and the panels' updates (``on_update``).
        The panels' messages go out first: in the browser the drawing's patch starts a
        redraw of the whole network (a hundred milliseconds at 2,000 elements), which
        would hold up an update of the threat panel that arrived after it. The revision
        is counted before the panels hear of the change."""
        send = self._prepare_push()
        self._notify_update()
        send()

    def _push(self, *, force_snapshot: bool = False) -> None:
        """Send the browser what changed since the last push (``force_snapshot``: and
        make :attr:`snapshot` current whatever the size)."""
        self._prepare_push(force_snapshot=force_snapshot)()

    def _prepare_push(self, *, force_snapshot: bool = False) -> Callable[[], None]:
        """Work out what changed since the last push and count the revision; returns
        what sends it (nothing to send: a function that does nothing)."""
        if not self._ready:  # during __init__: the first payload is in the opening state
            return _nothing
        model, analysis = self.model, self.analysis
        built = self._built_for
        if built[0] is model and built[1] is analysis:
            payload = self._sent  # the same model and analysis: the same payload
        else:
            payload = self._builder.build(model, analysis)
            self._built_for = (model, analysis)
        changes = _payload.diff(self._sent, payload)
        if not changes:
            if force_snapshot:
                self.snapshot = {"rev": self._rev, **payload}
            return _nothing
        total = _payload.size(payload)
        self._sent = payload
        self._rev += 1
        rev = self._rev
        if _payload.change_count(changes) > max(20, self.reset_ratio * total):
            msg = {"op": "reset", "rev": rev, **payload}
        else:
            msg = {"op": "patch", "rev": rev, "base": rev - 1, **changes}
        if force_snapshot or total <= self.snapshot_limit:
            self.snapshot = {"rev": rev, **payload}
        return lambda: self.send(msg)

    def _send_reset(self) -> None:
        self.send({"op": "reset", "rev": self._rev, **self._sent})

    @property
    def revision(self) -> int:
        """How many updates have been sent to the browser."""
        return self._rev

    def payload(self) -> dict[str, list[_payload.Item]]:
        """The payload the browser was last sent (nodes, edges, boundaries)."""
        return self._sent

    # ----------------------------------------------------------------- history
    def _record(self, previous: ThreatModel) -> None:
        """Remember ``previous`` as one undo step (once per batch), and forget the redo
        steps: a new change starts a new branch."""
        if self._restoring or (self._batching and self._batch_recorded):
            return
        self._batch_recorded = bool(self._batching)
        self._undo.append(previous)
        del self._undo[: -self.history_limit]
        self._redo.clear()
        self._sync_history()

    def _sync_history(self) -> None:
        self.can_undo = bool(self._undo)
        self.can_redo = bool(self._redo)

    def _restore(self, source: list[ThreatModel], target: list[ThreatModel]) -> bool:
        if not source:
            return False
        model = source.pop()
        target.append(self.model)
        self._restoring = True
        try:
            self.model = model
        finally:
            self._restoring = False
        self._sync_history()
        return True

    def undo(self) -> bool:
        """Go back one step; ``False`` when there is nothing to undo."""
        return self._restore(self._undo, self._redo)

    def redo(self) -> bool:
        """Redo the step :meth:`undo` took back; ``False`` when there is nothing to redo."""
        return self._restore(self._redo, self._undo)

    def clear_history(self) -> None:
        """Forget every undo and redo step (e.g. after loading another model)."""
        self._undo.clear()
        self._redo.clear()
        self._sync_history()

    # ----------------------------------------------------------------- highlight
    def highlight_path(self, path: AttackPath | Iterable[str]) -> None:
        """Emphasise an attack path (its elements and the flows of every hop) or the
        elements and flows with the given IDs, and dim the rest."""
        if isinstance(path, AttackPath):
            ids = [*path.elements, *(f for step in path.steps for f in step.flows)]
        elif isinstance(path, str):
            ids = [path]
        else:
            ids = [str(i) for i in path]
        self.highlight = list(dict.fromkeys(ids))

    def clear_highlight(self) -> None:
        """Draw everything normally again."""
        self.highlight = []

    # ----------------------------------------------------------------- collapsed boundaries
    def collapse(self, *boundary_ids: str) -> None:
        """Draw these trust boundaries collapsed (see :attr:`collapsed`); ``KeyError`` for
        an ID that is not a boundary of the model."""
        known = {b.id for b in self.model.boundaries}
        for boundary_id in boundary_ids:
            if boundary_id not in known:
                raise KeyError(boundary_id)
        self.collapsed = list(dict.fromkeys([*self.collapsed, *boundary_ids]))

    def expand(self, *boundary_ids: str) -> None:
        """Draw these trust boundaries expanded again (all of them when none is given)."""
        gone = set(boundary_ids)
        self.collapsed = [b for b in self.collapsed if gone and b not in gone]

    # ----------------------------------------------------------------- browser side
    def _on_front_end_msg(self, _widget: object, content: object, _buffers: object) -> None:
        if not isinstance(content, dict):
            return
        if content.get("op") == "hello":
            if content.get("rev") != self._rev:
                self._send_reset()
            return
        if content.get("op") == "painted":
            for callback in list(self._painted_callbacks):
                callback()
            return
        self.edit(content)

    def edit(self, msg: dict[str, Any]) -> EditResult | None:
        """Apply one edit message as if the canvas had sent it, and answer the browser.

        Edits are listed in :data:`widgets._edits.EDITS`; ``{"op": "undo"}`` and
        ``{"op": "redo"}`` walk the history instead. Returns the result, or ``None`` when
        the edit was refused (the reason is in :attr:`last_refusal`, shown on the canvas,
        and passed to :meth:`on_refused` callbacks)."""
        req = msg.get("req")
        if msg.get("op") in HISTORY_OPS:
            return self._history_edit(msg)
        try:
            result = apply_edit(self.model, msg)
        except EditError as exc:
            self._refuse(exc.reason, msg)
            return None
        self.last_refusal = ""
        with self.batch():
            self.model = result.model
            if result.select is not None:
                self.selection = result.select
        self.send({"op": "done", "req": req})
        return result

    def _history_edit(self, msg: dict[str, Any]) -> EditResult | None:
        """Undo or redo for the browser: ``done``, or ``refused`` when there is no step."""
        op = msg["op"]
        if not (self.undo() if op == "undo" else self.redo()):
            self._refuse(f"nothing to {op}", msg)
            return None
        self.last_refusal = ""
        self.send({"op": "done", "req": msg.get("req")})
        return EditResult(self.model)

    def _refuse(self, why: str, msg: dict[str, Any]) -> None:
        self.last_refusal = why
        restore = self._restore_items(msg)
        self.send({"op": "refused", "req": msg.get("req"), "reason": why, "restore": restore})
        for callback in list(self._refused_callbacks):
            callback(why, msg)

    def _restore_items(self, msg: dict[str, Any]) -> list[_payload.Item]:
        """Nodes a refused move had already moved in the browser, as they were."""
        positions = msg.get("positions")
        if not isinstance(positions, dict):
            return []
        return [n for n in self._sent["nodes"] if n["id"] in positions]

    # ----------------------------------------------------------------- callbacks
    def on_select(self, callback: SelectCallback, remove: bool = False) -> None:
        """Call ``callback(ids)`` whenever the selection changes (``remove=True`` to stop)."""
        _register(self._select_callbacks, callback, remove)

    def on_update(self, callback: Callable[[], None], remove: bool = False) -> None:
        """Call ``callback()`` once after the model, its analysis or the selection changed
        (once per edit, however many of them it changed): panels refresh here."""
        _register(self._update_callbacks, callback, remove)

    def on_painted(self, callback: Callable[[], None], remove: bool = False) -> None:
        """Call ``callback()`` when a view of the canvas has drawn its first frame (each
        view says so once): what the drawing does not need can be built then."""
        _register(self._painted_callbacks, callback, remove)

    def on_refused(self, callback: RefusedCallback, remove: bool = False) -> None:
        """Call ``callback(reason, msg)`` whenever an edit from the canvas is refused."""
        _register(self._refused_callbacks, callback, remove)

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """The widget view, plus a static snapshot (``text/html``) for readers whose
        front end cannot run the widget (see :mod:`widgets.snapshot`)."""
        from .snapshot import with_snapshot  # snapshot -> findings -> canvas

        data, metadata = super()._repr_mimebundle_(**kwargs) or ({}, {})
        return with_snapshot(data, self.model, self.analysis), metadata

    def auto_layout(self) -> None:
        """Lay every element out again, left to right by layer, and store the positions."""
        self.edit({"op": "layout"})


def _nothing() -> None:
    """Nothing to send."""


def _register(callbacks: list[Any], callback: Any, remove: bool) -> None:
    if remove:
        with contextlib.suppress(ValueError):
            callbacks.remove(callback)
    elif callback not in callbacks:
        callbacks.append(callback)
