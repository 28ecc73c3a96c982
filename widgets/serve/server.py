# mypy: disable-error-code="no-untyped-call"
# (Panel and param are only partly typed: calling their constructors is untyped.)
"""The workshop server: :func:`make_server` (a model per session) and
:func:`make_shared_server` (shared rooms) put the sessions, the token auth, the gate,
the security headers and the log redaction together in one Panel (Bokeh) server."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import panel as pn

from workbench.catalog import Catalog
from workbench.model import ThreatModel

from ..canvas import STATIC
from . import panel_fixes
from .auth import TOKEN_COOKIE, Gate, Keys, SecurityHeaders, TokenAuth, loopback_origins
from .bridge import STATIC_ROUTE
from .logs import redact_token_logs
from .room import FACILITATOR, PARTICIPANT
from .session import session_factory

if TYPE_CHECKING:
    from .shared import RoomHost


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
    return _server(
        {"/": session_factory(model, catalog)},
        address=address,
        port=port,
        keys=Keys(token),
        allow_origins=allow_origins,
    )


def make_shared_server(
    rooms: Mapping[str, tuple[ThreatModel, Path]],
    catalog: Catalog,
    *,
    address: str = "127.0.0.1",
    port: int = 0,
    token: str | None = None,
    facilitator_token: str | None = None,
    allow_origins: Iterable[str] = (),
    single: bool = True,
) -> tuple[Any, dict[str, RoomHost]]:
    """A server, not started, for shared rooms (``serve FILE --shared``), and the rooms
    by their slug.

    ``rooms`` maps a slug to a model and the file it is saved to. With ``single`` (one
    FILE) the room is at ``/`` and its facilitator's view at ``/facilitator``; otherwise
    ``/`` lists the rooms, each at ``/rooms/<slug>`` (facilitator: ``/facilitator`` and
    ``/rooms/<slug>/facilitator``). The facilitator's views exist only with a
    ``facilitator_token``, which they need (see :class:`Keys`)."""
    from workbench.engine import Analyzer

    from .shared import make_host, room_app, room_list_app

    facilitated = bool(facilitator_token)
    saver = model_saver(len(rooms))
    loop: list[Any] = []  # the server's event loop, once the server exists

    def schedule(callback: Callable[[], None]) -> None:
        loop[0].add_callback(callback)  # thread-safe

    hosts = {
        slug: make_host(
            model,
            Analyzer(catalog),
            path,
            schedule=schedule,
            slug=slug,
            facilitated=facilitated,
            saver=saver,
        )
        for slug, (model, path) in rooms.items()
    }
    apps: dict[str, Any] = {}
    facilitator_paths: list[str] = []
    if single:
        (host,) = hosts.values()
        apps["/"] = room_app(host, PARTICIPANT)
        if facilitated:
            apps["/facilitator"] = room_app(host, FACILITATOR)
            facilitator_paths.append("/facilitator")
    else:
        apps["/"] = room_list_app(hosts)
        if facilitated:
            apps["/facilitator"] = room_list_app(hosts, facilitator=True)
            facilitator_paths.append("/facilitator")
        for slug, host in hosts.items():
            apps[f"/rooms/{slug}"] = room_app(host, PARTICIPANT)
            if facilitated:
                apps[f"/rooms/{slug}/facilitator"] = room_app(host, FACILITATOR)
                facilitator_paths.append(f"/rooms/{slug}/facilitator")
    keys = Keys(token, facilitator_token, facilitator_paths)
    server = _server(apps, address=address, port=port, keys=keys, allow_origins=allow_origins)
    loop.append(server.io_loop)
    return server, hosts


def model_saver(rooms: int = 1) -> ProcessPoolExecutor:
    """The processes that write the rooms' files: saving a model (making its text,
    checking it reads back, writing it atomically) takes tens of milliseconds that would
    otherwise hold up every room's edits on the event loop. Two processes at most (one
    for a single room): each room has one save in flight at a time (see
    :meth:`Room.commit <widgets.serve.room.Room.commit>`), so a room's file is written in
    order whichever process writes it. Started now (``spawn``: clean processes, not forks
    of a server with threads), so the first edits do not wait for them."""
    import multiprocessing

    workers = max(1, min(2, rooms))
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    for _ in range(workers):
        pool.submit(_warm_up)
    return pool


def _warm_up() -> None:
    """Import what saving needs, in the saver's process."""
    import widgets.serve.room  # noqa: F401


def _server(
    apps: Mapping[str, Any],
    *,
    address: str,
    port: int,
    keys: Keys,
    allow_origins: Iterable[str],
) -> Any:
    from bokeh.settings import settings

    pn.extension(inline=True)
    # Every resource from this server, never the CDN: Bokeh's default mode is "cdn", and
    # Panel switches the global mode while it renders a page, so other sessions built at
    # that moment (under load) would otherwise link stylesheets from cdn.holoviz.org.
    settings.resources.set_value("server")
    redact_token_logs()
    panel_fixes.install()  # Panel's deferred writes could strand messages
    kwargs: dict[str, Any] = {}
    if keys.any:
        kwargs["auth_provider"] = TokenAuth(keys.token, keys)
    with _without_wildcard_warning():
        server = pn.serve(
            dict(apps),
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
    if not keys.token:
        origins |= loopback_origins(address, server.port)
    # Bokeh's Server has no public handle on its Tornado application.
    Gate(server._tornado, keys.token, origins, keys).install()
    _without_nagle(server._tornado)
    return server


def _without_nagle(application: Any) -> None:
    """Send websocket messages at once (``TCP_NODELAY``).

    Tornado leaves Nagle's algorithm on for websockets, and Bokeh writes each message as
    three or more frames: the frames after the first wait for the browser's
    acknowledgement of the first, which a browser may delay by tens of milliseconds.
    Measured with ``benchmarks/bench_serve.py --shared``: an author's answer took about
    180 ms longer than the same commit's messages to the others (the author had just
    been sent the reply to its own message)."""
    from bokeh.server.views.ws import WSHandler

    made: dict[type[Any], type[Any]] = {}
    for rule in application.wildcard_router.rules:
        target = rule.target
        if isinstance(target, type) and issubclass(target, WSHandler):
            if target not in made:
                made[target] = _no_delay(target)
            rule.target = made[target]


def _no_delay(handler: type[Any]) -> type[Any]:
    """``handler`` that turns Nagle's algorithm off when its websocket opens."""

    def open(self: Any, *args: Any, **kwargs: Any) -> Any:
        self.set_nodelay(True)
        return handler.open(self, *args, **kwargs)

    return type(f"NoDelay{handler.__name__}", (handler,), {"open": open})


def static_dir() -> Path:
    """The folder served at ``/atw-static`` (the canvas bundle and its CSS)."""
    return STATIC
