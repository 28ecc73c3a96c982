"""JSON over HTTP for the trackers, through urllib3 (imported when a client is made).

One :class:`Http` per tracker and run: a connection pool to the API's base URL, the
tracker's authentication headers on every request, a timeout, two retries when a
connection cannot be made (never a second try of a request that reached the server),
no redirects (a token is never sent to another address). Every failure is a
:class:`TrackerError` that names the tracker, the request and the HTTP status, with the
tracker's own message.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

__all__ = ["Http", "Response", "TrackerError", "check_base_url"]

TIMEOUT_SECONDS = 30.0
"""How long to wait for a response."""

MAX_MESSAGE = 300
"""Longest tracker message quoted in an error."""


class TrackerError(Exception):
    """A tracker refused or failed a request, or could not be reached."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        """The HTTP status, when there was a response."""


@dataclass(frozen=True)
class Response:
    """A tracker's answer."""

    status: int
    data: Any
    """The JSON body (``None`` when empty)."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """The response headers, names in lower case."""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(url: str, tracker: str) -> str:
    """``url`` without a trailing slash; ``ValueError`` unless it is ``https://host...``
    or plain ``http://`` to this machine (a token is never sent in clear over a
    network), with no query, fragment or credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError(f"{tracker}: --api-url must be an http(s) URL, got {url!r}")
    if parts.scheme == "http" and not _loopback(host):
        raise ValueError(
            f"{tracker}: --api-url {url} is plain http: the token would cross the network "
            "unencrypted; use https"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(
            f"{tracker}: --api-url takes no query, fragment or credentials (tokens come "
            "from the environment)"
        )
    return url.rstrip("/")


def _message(raw: bytes) -> str:
    """The tracker's error message in one line: GitHub's ``message`` and ``errors``,
    GitLab's ``message`` or ``error``, Jira's ``errorMessages`` and ``errors``."""
    try:
        data = json.loads(raw)
    except ValueError:
        text = raw.decode("utf-8", "replace")
        return " ".join(text.split())[:MAX_MESSAGE]
    parts: list[str] = []
    if isinstance(data, dict):
        for key in ("message", "error", "error_description", "errorMessages", "errors"):
            value = data.get(key)
            if value:
                parts.append(value if isinstance(value, str) else json.dumps(value))
    elif data:
        parts.append(json.dumps(data))
    text = "; ".join(parts)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


class Http:
    """Requests to one tracker's API (see the module's documentation)."""

    def __init__(
        self,
        tracker: str,
        base_url: str,
        headers: Mapping[str, str],
        *,
        timeout: float = TIMEOUT_SECONDS,
    ) -> None:
        import urllib3

        self.tracker = tracker
        self.base_url = check_base_url(base_url, tracker)
        headers = {"Accept": "application/json", "User-Agent": "threat-workbench", **headers}
        retries = urllib3.Retry(
            total=2, connect=2, read=0, redirect=0, status=0, other=0, backoff_factor=0.2
        )
        timeouts = urllib3.Timeout(connect=min(timeout, 10.0), read=timeout)
        proxy = _proxy_for(self.base_url)
        self._pool: urllib3.PoolManager = (
            urllib3.ProxyManager(proxy, headers=headers, retries=retries, timeout=timeouts)
            if proxy
            else urllib3.PoolManager(headers=headers, retries=retries, timeout=timeouts)
        )
        self._errors: tuple[type[Exception], ...] = (urllib3.exceptions.HTTPError,)

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str | int] | None = None,
        body: Any = None,
        ok: tuple[int, ...] = (200, 201, 204),
    ) -> Response:
        """``method`` on ``base_url + path`` (``query`` encoded, ``body`` sent as JSON):
        the response when its status is in ``ok``, else :class:`TrackerError`."""
        return self._send(method, path, query, body, ok)

    def fetch(self, path: str, *, query: Mapping[str, str | int] | None = None) -> Response | None:
        """``GET`` ``path``: the response, or ``None`` when the tracker answers 404 or 410
        (no such issue, or deleted)."""
        try:
            return self._send("GET", path, query, None, (200,))
        except TrackerError as exc:
            if exc.status in (404, 410):
                return None
            raise

    def _send(
        self,
        method: str,
        path: str,
        query: Mapping[str, str | int] | None,
        body: Any,
        ok: tuple[int, ...],
    ) -> Response:
        url = self.base_url + path + (f"?{urlencode(query)}" if query else "")
        shown = f"{method} {urlsplit(url).path}"
        try:
            r = self._pool.request(method, url, json=body, redirect=False)
        except self._errors as exc:
            raise TrackerError(
                f"{self.tracker}: {shown}: cannot reach {self.base_url}: {exc}"
            ) from None
        if r.status in ok:
            try:
                data = json.loads(r.data) if r.data.strip() else None
            except ValueError:
                raise TrackerError(
                    f"{self.tracker}: HTTP {r.status} on {shown}: the answer is not JSON "
                    "(is --api-url the API's address?)",
                    status=r.status,
                ) from None
            return Response(r.status, data, {k.lower(): v for k, v in r.headers.items()})
        why = _message(r.data)
        if 300 <= r.status < 400:
            why = f"redirected to {r.headers.get('Location', '?')} (not followed: check --api-url)"
        raise TrackerError(
            f"{self.tracker}: HTTP {r.status} on {shown}" + (f": {why}" if why else ""),
            status=r.status,
        )


def _proxy_for(url: str) -> str | None:
    """The proxy the environment names for ``url`` (``HTTPS_PROXY`` …, ``NO_PROXY``
    honoured); never one for this machine."""
    from urllib.request import getproxies, proxy_bypass

    parts = urlsplit(url)
    host = parts.hostname or ""
    if _loopback(host):
        return None
    proxy = getproxies().get(parts.scheme)
    if not proxy or proxy_bypass(host):
        return None
    return proxy
