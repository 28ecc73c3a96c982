# mypy: disable-error-code="no-untyped-call"
# (Panel and param are only partly typed: calling their constructors is untyped.)
"""The workshop server: :func:`make_server` puts the sessions, the token auth, the gate,
the security headers and the log redaction together in one Panel (Bokeh) server."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import panel as pn

from workbench.catalog import Catalog
from workbench.model import ThreatModel

from ..canvas import STATIC
from .auth import TOKEN_COOKIE, Gate, SecurityHeaders, TokenAuth, loopback_origins
from .bridge import STATIC_ROUTE
from .logs import redact_token_logs
from .session import session_factory


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
