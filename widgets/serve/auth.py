"""Who gets in: the access token (query, header or cookie), the exchange of ``?token=``
for a cookie, Bokeh's :class:`TokenAuth`, and the :class:`Gate` in front of every route
(origins and token), with the security headers of every response."""

from __future__ import annotations

import hmac
import html
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote_plus, urlsplit

import tornado.routing
import tornado.web
from bokeh.server.auth_provider import AuthProvider
from tornado import httputil
from tornado.httputil import HTTPServerRequest
from tornado.routing import AnyMatches

TOKEN_COOKIE = "atw_token"  # noqa: S105 (a cookie name)
"""Cookie that carries the access token after the first request with ``?token=``."""
REFUSAL_MESSAGE = (
    "A token is needed: open the URL that 'threat-workbench serve' printed, which ends "
    "with ?token=..."
)


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


FACILITATOR_REFUSAL = (
    "The facilitator's view needs the facilitator's token: open the facilitator's URL "
    "that 'threat-workbench serve' printed."
)


class Keys:
    """Which token opens what: ``token`` (may be ``None``: no token needed) opens every
    page but the facilitator's; ``facilitator`` (the ``--facilitator-token`` of a shared
    room) opens every page, the facilitator's views (paths in ``facilitator_paths`` and
    below them) included."""

    def __init__(
        self,
        token: str | None,
        facilitator: str | None = None,
        facilitator_paths: Iterable[str] = (),
    ) -> None:
        self.token = token
        self.facilitator = facilitator
        self.facilitator_paths = tuple(p.rstrip("/") for p in facilitator_paths)

    def facilitators_only(self, path: str) -> bool:
        """Whether ``path`` is one of the facilitator's views (or below one)."""
        return any(path == p or path.startswith(p + "/") for p in self.facilitator_paths)

    def refusal(self, request: HTTPServerRequest) -> str | None:
        """Why ``request`` may not pass (``None``: it may)."""
        given = request_token(request)
        if self.facilitator and _same(given, self.facilitator):
            return None
        if self.facilitators_only(request.path):
            return FACILITATOR_REFUSAL
        if self.token and not _same(given, self.token):
            return REFUSAL_MESSAGE
        return None

    def matched(self, request: HTTPServerRequest) -> str | None:
        """The token ``request`` carries, when it is one of the two."""
        given = request_token(request)
        for token in (self.facilitator, self.token):
            if token and _same(given, token):
                return token
        return None

    @property
    def any(self) -> bool:
        """Whether some token is needed somewhere."""
        return bool(self.token or self.facilitator)


class TokenAuth(AuthProvider):
    """Bokeh auth provider: a request is let in when it carries ``token`` (query
    ``?token=``, ``Authorization: token ...`` header, or the cookie set on the first
    visit); anything else gets 403 with a message that a token is needed. Given
    :class:`Keys`, the facilitator's token also lets in, and only it lets into the
    facilitator's views.

    The :class:`Gate` refuses such requests before Bokeh sees them; this is the second
    lock, on Bokeh's own pages and websocket."""

    def __init__(self, token: str | None, keys: Keys | None = None) -> None:
        self.keys = keys or Keys(token)
        self.token = token
        super().__init__()

    def refusal(self, handler: tornado.web.RequestHandler) -> str | None:
        """Why the request may not pass, or ``None`` (and remember its token in a cookie)."""
        why = self.keys.refusal(handler.request)
        if why is not None:
            return why
        matched = self.keys.matched(handler.request)
        if matched and handler.get_cookie(TOKEN_COOKIE) != matched:
            set_token_cookie(handler, matched)
        return None

    def allowed(self, handler: tornado.web.RequestHandler) -> bool:
        """Whether the request carries the token (and remember it in a cookie)."""
        return self.refusal(handler) is None

    @property
    def get_user(self) -> Any:
        """Bokeh calls this with the request handler (its annotation says request)."""

        def get_user(handler: tornado.web.RequestHandler) -> str:
            why = self.refusal(handler)
            if why is not None:
                raise tornado.web.HTTPError(403, reason=why)
            return "workshop"

        return get_user

    @property
    def login_url(self) -> str:
        """``/``: Bokeh requires a login URL, but a request without the token is refused (403),
        never sent to log in."""
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
        """Add :func:`security_headers` that the response does not set itself."""
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
      right ``?token=`` is answered by :class:`_TokenExchange`; ``keys`` (a shared
      room's) adds the facilitator's token, the only one that opens the facilitator's
      views (see :class:`Keys`);
    - anything else goes on to Panel and Bokeh."""

    def __init__(
        self,
        application: tornado.web.Application,
        token: str | None,
        origins: frozenset[str],
        keys: Keys | None = None,
    ) -> None:
        self.application = application
        self.token = token
        self.origins = origins
        self.keys = keys or Keys(token)

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
        return self.keys.refusal(request)

    def find_handler(
        self, request: HTTPServerRequest, **kwargs: Any
    ) -> httputil.HTTPMessageDelegate | None:
        """The handler for ``request``: a refusal or the token exchange, else ``None`` (the
        application's own routes answer)."""
        refusal = self.refusal(request)
        if refusal is not None:
            return self.application.get_handler_delegate(request, _Refused, {"message": refusal})
        matched = self.keys.matched(request)
        if matched and _exchanges(request):
            return self.application.get_handler_delegate(
                request, _TokenExchange, {"token": matched}
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
