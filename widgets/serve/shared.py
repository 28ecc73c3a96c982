# mypy: disable-error-code="no-untyped-call"
# (Panel and param are only partly typed: calling their constructors is untyped.)
"""Shared rooms in the browser: ``threat-workbench serve FILE --shared``.

A :class:`RoomHost` wraps one :class:`~widgets.serve.room.Room` (the model, its file, the
participants) and the Panel sessions open on it. Each browser session is a
:class:`SharedSession`: a :class:`SharedCanvas` (the notebook canvas, whose edits go to
the room instead of its own model), the inspector, the threat panel, the list of who is
in the room and, for the facilitator, the switches to freeze editing and reveal the
threats, and the export buttons.

How an edit travels: the browser's message reaches the session's canvas, which hands it
to :meth:`Room.apply <widgets.serve.room.Room.apply>` (applied to the room's model at
once, in arrival order). On the next turn of the event loop the room commits: it saves
the file, analyses, and records the canvas messages of the commit. The host then asks
every session to catch up on its own document's next tick (:meth:`SharedSession.notify`):
its canvas sends the commit's messages (the same for every session), its panels
refresh, and the author's canvas gets its answer (``done``) only now, after the save.
"""

from __future__ import annotations

import contextlib
import io
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from functools import partial
from typing import Any

import panel as pn
from panel.io.document import unlocked
from panel.io.state import set_curdoc

from workbench.engine import Analyzer
from workbench.export.safehtml import Html, h_single, join
from workbench.model import ThreatModel

from .._edits import EditError, EditResult, apply_edit, reason
from ..canvas import HISTORY_OPS, Canvas
from .bridge import CanvasView
from .panels import InspectorPanel, ThreatPanel, show_html
from .room import FACILITATOR, PARTICIPANT, Edit, Participant, Role, Room, RoomRefusal
from .session import _slug

PRESENCE_CHECK_MS = 2_000
"""How often the host looks for sessions whose browser went away."""
GONE_AFTER = 4.0
"""Seconds without a connection after which a participant has left (a closed tab)."""
NEVER_CAME_AFTER = 90.0
"""Seconds a session may wait for its browser to connect the first time."""
PRESENCE_DELAY = 0.2
"""Seconds over which changes of who is here and what each has selected are gathered
before every page of the room is updated."""


@dataclass
class _Pending:
    """An edit of this session waiting for its commit."""

    seq: int
    done: Callable[[], None]
    refused: Callable[[str], None]


class SharedCanvas(Canvas):
    """A :class:`~widgets.canvas.Canvas` on a room's model: what it shows is the room's
    last commit, and every edit (canvas, inspector, decision, undo) is handed to the
    room. The browser gets the room's shared messages (:class:`~widgets.serve.room.Stream`)
    instead of payloads the canvas builds and compares itself."""

    def __init__(self, room: Room, person: Participant, **kwargs: Any) -> None:
        self.room = room
        self.person = person
        self._findings = room.sees_findings(person)
        self._commit = 0
        self._pending: list[_Pending] = []
        super().__init__(room.saved, analyzer=None, **kwargs)
        self.analysis = room.analysis
        self.observe(self._tell_selection, names="selection")
        self._sync_history()

    # ----------------------------------------------------------------- room to browser
    def _update_browser(self) -> None:
        """The room's messages, then the panels (they read the revision this sets)."""
        self._push()
        self._notify_update()

    def _push(self, *, force_snapshot: bool = False) -> None:
        """Send the browser the room's messages since the last commit it got (or the whole
        drawing, when it switches between with and without findings)."""
        if not getattr(self, "_ready", False):
            return
        stream = self.room.stream(self.person)
        if force_snapshot or stream.findings != self._findings:
            self._findings = stream.findings
            self._take(stream)
            self.snapshot = {"rev": self._rev, **self._sent}
            if not force_snapshot:
                self._send_reset()
            return
        messages = stream.since(self._commit)
        self._take(stream)
        if messages is None:
            self._send_reset()
            return
        for msg in messages:
            self.send(msg)

    def _take(self, stream: Any) -> None:
        self._rev, self._sent, self._commit = stream.rev, stream.payload, stream.commit

    def catch_up(self) -> None:
        """Show the room's last commit: model, analysis and drawing; then answer this
        session's edits that it saved (``done``) or took back (``refused``)."""
        room = self.room
        ready, self._pending = self._pending, []
        answers: list[Callable[[], None]] = []
        with self.batch():
            if self.model is not room.saved:
                self.model = room.saved
            if self.analysis is not room.analysis:
                self.analysis = room.analysis
            for pending in ready:
                if pending.seq in room.failed:
                    answers.append(partial(pending.refused, room.failed[pending.seq]))
                elif pending.seq <= room.committed:
                    answers.append(pending.done)
                else:
                    self._pending.append(pending)
            self._sync_history()
        for answer in answers:
            answer()

    # ----------------------------------------------------------------- browser to room
    def edit(self, msg: dict[str, Any]) -> EditResult | None:
        """Hand an edit message to the room; the browser hears ``done`` once it is saved,
        or ``refused`` with the reason."""
        req, op = msg.get("req"), msg.get("op")
        results: list[EditResult] = []

        def change(model: ThreatModel) -> ThreatModel:
            results.append(apply_edit(model, msg))
            return results[-1].model

        try:
            if op in HISTORY_OPS:
                walk = self.room.undo if op == "undo" else self.room.redo
                edit: Edit | None = walk(self.person.id)
                result = EditResult(self.room.model)
            else:
                edit = self.room.apply(self.person.id, change, str(op))
                result = results[-1]
        except (EditError, RoomRefusal) as exc:
            self._refuse(exc.reason, msg)
            return None
        self.last_refusal = ""
        seq = edit.seq if edit is not None else None

        def done() -> None:
            if result.select is not None:
                self.selection = result.select
            self.send({"op": "done", "req": req, "seq": seq, "select": result.select})

        self._expect(edit, done, lambda why: self._refuse(why, msg))
        return result

    def propose(
        self,
        change: Callable[[ThreatModel], ThreatModel],
        label: str,
        done: Callable[[], None],
        refused: Callable[[str], None],
    ) -> bool:
        """Hand a change from a panel to the room (see :func:`widgets.serve.panels.commit`)."""
        try:
            edit = self.room.apply(self.person.id, change, label)
        except RoomRefusal as exc:
            refused(exc.reason)
            return False
        except (ValueError, TypeError, KeyError) as exc:
            refused(reason(exc))
            return False
        self._expect(edit, done, refused)
        return True

    def _expect(
        self, edit: Edit | None, done: Callable[[], None], refused: Callable[[str], None]
    ) -> None:
        if edit is None:  # it changed nothing: nothing to save or wait for
            done()
        elif edit.seq <= self.room.committed and self._commit >= self.room.commits:
            done()  # committed at once (no event loop: tests)
        else:
            self._pending.append(_Pending(edit.seq, done, refused))
        self._sync_history()

    # ----------------------------------------------------------------- history
    def _record(self, previous: ThreatModel) -> None:
        """The room keeps each participant's history (nothing to record here)."""

    def _sync_history(self) -> None:
        can_undo, can_redo = self.room.can_undo(self.person.id)
        self.can_undo = can_undo
        self.can_redo = can_redo

    def undo(self) -> bool:
        """Take back this participant's last change (``False`` when refused)."""
        return self.edit({"op": "undo"}) is not None

    def redo(self) -> bool:
        """Redo this participant's last undone change (``False`` when refused)."""
        return self.edit({"op": "redo"}) is not None

    def clear_history(self) -> None:
        """The room keeps the history: nothing to clear here."""

    def _tell_selection(self, change: dict[str, Any]) -> None:
        self.room.select(self.person.id, change["new"])


class RoomHost:
    """A room and the Panel sessions open on it (see the module's notes)."""

    def __init__(self, room: Room, *, slug: str = "", facilitated: bool = False) -> None:
        self.room = room
        self.slug = slug
        self.facilitated = facilitated
        """Whether a facilitator token exists (then only the facilitator exports)."""
        self.sessions: list[SharedSession] = []
        self.threat_cache: dict[Any, Any] = {}
        self._presence: tuple[Any, str] = ((), "")
        self._presence_due = False
        self._checker: Any = None
        room.listen(self._heard)

    def presence_html(self) -> str:
        """Who is in the room and what each is editing, as HTML (the same for every
        session of the room, so it is made once per change)."""
        room = self.room
        people = room.present()
        key = self.presence_key()
        if key == self._presence[0]:
            return self._presence[1]
        model = room.saved
        names = {e.id: e.name for e in model.elements} | {f.id: f.name or f.id for f in model.flows}
        rows = []
        for person in people:
            editing = [i for i in person.selection if i in names]
            doing = ""
            if len(editing) == 1:
                doing = f"editing {names[editing[0]]}"
            elif editing:
                doing = f"{len(editing)} items selected"
            who = f"{person.name} (facilitator)" if person.facilitator else person.name
            rows.append(
                h_single(
                    "li",
                    h_single("span", who, class_="atw-who"),
                    h_single("span", f" · {doing}", class_="atw-doing") if doing else "",
                    data_participant=person.name,
                    data_editing=editing[0] if len(editing) == 1 else "",
                )
            )
        html = str(
            join(
                h_single("b", f"In the room ({len(people)})", data_count=len(people)),
                h_single("ul", *rows, style="margin:2px 0 6px 18px;padding:0"),
            )
        )
        self._presence = (key, html)
        return html

    def presence_key(self) -> Any:
        """What the presence list and the "being edited by" warnings depend on."""
        people = self.room.present()
        return (tuple((p.id, p.name, p.role, p.selection) for p in people), id(self.room.saved))

    def _heard(self, what: str) -> None:
        if what == "presence" and self._presence_later():
            return
        sessions = list(self.sessions)
        if what in ("commit", "failed"):  # the authors first: they wait for their answer
            authors = self.room.last_authors
            sessions.sort(key=lambda s: s.person.id not in authors)
        for session in sessions:
            session.notify(what)

    def _presence_later(self) -> bool:
        """Gather presence changes for :data:`PRESENCE_DELAY` (people click around: each
        click would otherwise update every page of the room); ``False`` without an event
        loop (tests: at once)."""
        if self._presence_due:
            return True
        loop = self._loop()
        if loop is None:
            return False
        self._presence_due = True
        loop.call_later(PRESENCE_DELAY, self._flush_presence)
        return True

    def _flush_presence(self) -> None:
        self._presence_due = False
        key = self.presence_key()
        for session in list(self.sessions):
            if session.presence_shown != key:  # a commit may have shown it already
                session.notify("presence")

    def _loop(self) -> Any:
        if not any(s.doc is not None for s in self.sessions):
            return None
        from tornado.ioloop import IOLoop

        return IOLoop.current()

    def add(self, session: SharedSession) -> None:
        """Start keeping ``session`` up to date."""
        self.sessions.append(session)
        self._watch_connections()

    def remove(self, session: SharedSession) -> None:
        """Stop keeping ``session`` up to date."""
        with contextlib.suppress(ValueError):
            self.sessions.remove(session)

    def _watch_connections(self) -> None:
        if self._checker is not None:
            return
        from tornado.ioloop import IOLoop, PeriodicCallback

        try:
            IOLoop.current(instance=False)
        except RuntimeError:  # pragma: no cover (no event loop: tests)
            return
        self._checker = PeriodicCallback(self.check_connections, PRESENCE_CHECK_MS)
        self._checker.start()

    def check_connections(self, now: float | None = None) -> None:
        """Let go of the sessions whose browser went away (a closed tab leaves the
        presence list within a few seconds, not when Bokeh discards the session)."""
        moment = time.monotonic() if now is None else now
        for session in list(self.sessions):
            if session.gone(moment):
                session.close()


class SharedSession:
    """One browser session in a shared room (participant or facilitator)."""

    def __init__(self, host: RoomHost, role: Role = PARTICIPANT, name: str = "") -> None:
        self.host = host
        room = self.room = host.room
        self.doc: Any = pn.state.curdoc
        self.person = room.join(name, role, here=self.doc is None)
        self.closed = False
        self.loaded = self.doc is None  # without a document (tests): at once
        self._due: set[str] = set()
        self._scheduled = False
        self._created = self._seen = time.monotonic()
        self.presence_shown: Any = None
        self._connected_once = False
        self.canvas = SharedCanvas(room, self.person, height="620px")
        self.canvas_view = CanvasView(self.canvas, sizing_mode="stretch_width", min_height=640)
        self.inspector = InspectorPanel(self.canvas, editors=self._editors)
        self.threats = ThreatPanel(self.canvas, cache=host.threat_cache, choose_from_all=False)
        self.hidden_note = pn.pane.HTML(
            str(
                h_single(
                    "div",
                    "The threats are hidden until the facilitator reveals them.",
                    style="color:#475569;padding:6px 0",
                )
            ),
            css_classes=["atw-threats-hidden"],
        )
        self.presence = pn.pane.HTML(css_classes=["atw-presence"])
        self.banner = pn.pane.HTML(css_classes=["atw-room-banner"], visible=False)
        self.your_name = pn.widgets.TextInput(
            label="Your name", value=self.person.name, max_length=40, css_classes=["atw-your-name"]
        )
        self.your_name.param.watch(lambda e: room.rename(self.person.id, e.new), "value")
        self.controls = self._facilitator_controls() if self.person.facilitator else None
        exports = self._exports() if self.person.facilitator or not host.facilitated else []
        self.view = self._layout(exports)
        self._show_state()
        self._show_presence()
        host.add(self)
        if self.doc is not None:
            self.doc.on_session_destroyed(lambda _ctx: self.close())
            pn.state.onload(self._loaded)

    def _loaded(self) -> None:
        """The browser has the page: list the participant, and catch up with what
        happened since the session was made (nothing is sent before: a page that is only
        fetched costs nothing more, and no change reaches a document before Panel has
        set it up for this server)."""
        self.loaded = True
        self.room.arrived(self.person.id)
        self.notify("commit")
        self.notify("state")

    # ----------------------------------------------------------------- layout
    def _layout(self, exports: list[Any]) -> Any:
        room = self.room
        where = f"Shared room: every change is saved to {room.path.name}."
        heading = join(
            h_single("h2", f"AI Threat Workbench: {room.title}", style="margin:4px 0"),
            h_single("div", where, class_="atw-room-note", style="color:#475569"),
        )
        side: list[Any] = [self.presence]
        if self.controls is not None:
            side.append(self.controls)
        side += [self.inspector.view, self.threats.view, self.hidden_note]
        return pn.Row(
            pn.Column(
                pn.pane.HTML(str(heading)),
                self.banner,
                pn.Row(self.your_name, *exports),
                self.canvas_view,
                sizing_mode="stretch_width",
            ),
            pn.Column(*side, width=460),
            sizing_mode="stretch_width",
            css_classes=["atw-shared-room"],
        )

    def _facilitator_controls(self) -> Any:
        room, me = self.room, self.person.id
        self.freeze = pn.widgets.Toggle(label="Freeze editing", css_classes=["atw-freeze"])
        self.reveal = pn.widgets.Toggle(
            label="Reveal threats to everyone", value=room.revealed, css_classes=["atw-reveal"]
        )
        self.freeze.param.watch(lambda e: room.freeze(me, e.new), "value")
        self.reveal.param.watch(lambda e: room.reveal(me, e.new), "value")
        return pn.Column(
            pn.pane.HTML("<b>Facilitator</b>"),
            pn.Row(self.freeze, self.reveal),
            css_classes=["atw-facilitator"],
        )

    def _exports(self) -> list[Any]:
        slug = _slug(self.room.title)
        return [
            pn.widgets.FileDownload(
                callback=self.model_yaml,
                filename=f"{slug}.yaml",
                label="Download YAML",
                css_classes=["atw-download-yaml"],
                color="success",
            ),
            pn.widgets.FileDownload(
                callback=self.report_html,
                filename=f"{slug}-risk-assessment.html",
                label="Export HTML report",
                css_classes=["atw-export-html"],
            ),
        ]

    # ----------------------------------------------------------------- exports
    def model_yaml(self) -> io.BytesIO:
        """The room's saved model as YAML."""
        return io.BytesIO(self.room.saved.to_yaml().encode("utf-8"))

    def report_html(self) -> io.BytesIO:
        """The risk assessment of the room's saved model as one HTML page."""
        from workbench.export import report_html

        room = self.room
        return io.BytesIO(report_html(room.saved, room.analysis).encode("utf-8"))

    # ----------------------------------------------------------------- updates
    def notify(self, what: str) -> None:
        """The room changed (``commit``, ``failed``, ``presence`` or ``state``): catch up
        on this session's next tick (at once without a document: tests)."""
        if self.closed:
            return
        self._due.add(what)
        if self._scheduled or not self.loaded:
            return
        if self.doc is None:
            self._run()
            return
        self._scheduled = True
        try:
            self.doc.add_next_tick_callback(self._run)
        except Exception:  # the session is gone
            self.close()

    def _run(self) -> None:
        self._scheduled = False
        due, self._due = self._due, set()
        if self.closed or not due:
            return
        with self._holding():
            if due & {"commit", "failed", "state"}:
                if "state" in due:
                    self._show_state()
                self.canvas.catch_up()
            if due & {"presence", "commit"}:
                self._show_presence()

    @contextlib.contextmanager
    def _holding(self) -> Iterator[None]:
        """Send everything one update changes in one websocket message."""
        if self.doc is None:
            yield
            return
        with set_curdoc(self.doc), unlocked():
            yield

    def _show_state(self) -> None:
        room, facilitator = self.room, self.person.facilitator
        sees = room.sees_findings(self.person)
        if self.threats.active != sees:
            self.threats.active = sees
            if sees:
                self.threats.refresh()
        self.threats.view.visible = sees
        self.hidden_note.visible = not sees
        if room.frozen:
            text = (
                "Editing is frozen for the participants."
                if facilitator
                else "Editing is frozen by the facilitator: changes are refused for now."
            )
            show_html(
                self.banner,
                str(
                    h_single(
                        "div",
                        text,
                        data_frozen="true",
                        style="background:#fee2e2;border:1px solid #ef4444;border-radius:4px;"
                        "padding:4px 8px;color:#7f1d1d",
                    )
                ),
            )
        self.banner.visible = room.frozen
        if self.controls is not None:
            self.freeze.value = room.frozen
            self.reveal.value = room.revealed

    def _show_presence(self) -> None:
        self.presence_shown = self.host.presence_key()
        show_html(self.presence, self.host.presence_html())
        self.inspector.show_editors()

    def _editors(self, item_id: str) -> list[str]:
        return self.room.editors(item_id, besides=self.person.id)

    # ----------------------------------------------------------------- lifetime
    def connections(self) -> int | None:
        """How many websockets the browser has open on this session (``None``: no server
        session, as in tests)."""
        context = getattr(self.doc, "session_context", None)
        session = getattr(context, "_session", None)
        count = getattr(session, "connection_count", None)
        return count if isinstance(count, int) else None

    def gone(self, now: float) -> bool:
        """Whether the browser has gone away (its tab closed, its network lost)."""
        count = self.connections()
        if count is None:
            return False
        if count > 0:
            self._seen, self._connected_once = now, True
            return False
        waited = now - (self._seen if self._connected_once else self._created)
        return waited > (GONE_AFTER if self._connected_once else NEVER_CAME_AFTER)

    def close(self) -> None:
        """Leave the room and release the canvas (idempotent)."""
        if self.closed:
            return
        self.closed = True
        self.host.remove(self)
        self.room.leave(self.person.id)
        self.canvas_view.close()


def room_app(host: RoomHost, role: Role = PARTICIPANT) -> Callable[[], Any]:
    """The Panel app function of a room: each call (one per browser session) joins the
    room; ``?name=`` in the address names the participant."""

    def app() -> Any:
        args = pn.state.session_args or {}
        raw = (args.get("name") or [b""])[-1]
        name = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        return SharedSession(host, role, name).view

    return app


def room_list_html(hosts: dict[str, RoomHost], *, facilitator: bool = False) -> str:
    """The room list: each room's model, file and how many are in it, with its link
    (to the facilitator's view of each room on the facilitator's list)."""
    rows = []
    for slug, host in hosts.items():
        room = host.room
        target = f"rooms/{slug}/facilitator" if facilitator else f"rooms/{slug}"
        rows.append(
            h_single(
                "tr",
                h_single("td", _relative_link(target, room.title)),
                h_single("td", h_single("code", room.path.name)),
                h_single("td", str(len(room.present())), data_present=len(room.present())),
                data_room=slug,
            )
        )
    head = h_single("tr", *(h_single("th", t) for t in ("Room", "File", "In the room")))
    return str(
        h_single(
            "table",
            h_single("thead", head),
            h_single("tbody", *rows),
            class_="atw-rooms",
            style="border-collapse:collapse;min-width:480px",
        )
    )


def _relative_link(target: str, label: str) -> Html:
    """A link to a path on this server (relative, so that a proxy's prefix is kept; the
    safe-HTML kit only links absolute web addresses)."""
    if not re.fullmatch(r"[a-z0-9_/-]+", target):
        raise ValueError(f"not a room path: {target!r}")
    return join(Html(f"<a class='atw-room-link' href='{target}'>"), label, Html("</a>"))


def room_list_app(hosts: dict[str, RoomHost], *, facilitator: bool = False) -> Callable[[], Any]:
    """The Panel app of the room list (refreshed every few seconds)."""

    def app() -> Any:
        pane = pn.pane.HTML(room_list_html(hosts, facilitator=facilitator))

        def refresh() -> None:
            pane.object = room_list_html(hosts, facilitator=facilitator)

        pn.state.add_periodic_callback(refresh, period=3_000)
        title = "Rooms (facilitator)" if facilitator else "Rooms"
        return pn.Column(
            pn.pane.HTML(str(h_single("h2", f"AI Threat Workbench: {title}"))),
            pane,
            css_classes=["atw-room-list"],
        )

    return app


def make_host(
    model: ThreatModel,
    analyzer: Analyzer,
    path: Any,
    *,
    schedule: Callable[[Callable[[], None]], None],
    slug: str = "",
    facilitated: bool = False,
    saver: Executor | None = None,
) -> RoomHost:
    """A room on ``path`` whose commits ``schedule`` runs on the server's event loop (it
    must be thread-safe: the saver's answers come from a thread), its file written by
    ``saver``."""
    room = Room(model, analyzer, path, schedule=schedule, revealed=not facilitated, saver=saver)
    return RoomHost(room, slug=slug, facilitated=facilitated)


__all__ = [
    "FACILITATOR",
    "PARTICIPANT",
    "RoomHost",
    "SharedCanvas",
    "SharedSession",
    "make_host",
    "room_app",
    "room_list_app",
    "room_list_html",
]
