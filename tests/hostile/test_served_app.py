"""Hostile requests to ``threat-workbench serve`` (issue 11, "Served app"), against a real
server: ``--address 0.0.0.0 --token T`` in a subprocess, reached over 127.0.0.1.

1. Without the token nothing runs: Panel's ``/components/<module>/...`` handler would
   import ``<module>``; the request is refused before any handler exists (the websocket
   too).
2. The websocket (and any request with an ``Origin``) is accepted from the served origin
   and from ``--allow-origin`` values only, although the server listens on every address.
3. The token leaves the address: ``?token=T`` is swapped for an ``HttpOnly``,
   ``SameSite=Strict`` cookie and a redirect to the same address without it; responses
   forbid Referer and framing and carry a Content-Security-Policy; no log line and no
   page shows the token, and the one link printed at start-up carries it.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import http.client
import json
import os
import re
import secrets
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

pytest.importorskip("panel")

from tests.browser.servers import stop
from widgets.app import TOKEN_COOKIE

START_TIMEOUT = 90.0
PROBE = "atw_import_probe"
PROBE_SOURCE = """
import os, pathlib
pathlib.Path(os.environ["ATW_PROBE_MARKER"]).write_text("imported")

class Probe:
    _css = ["probe.css"]
"""
ALLOWED = "https://workshop.example:8443"
LINK = re.compile(r"http://127\.0\.0\.1:(\d+)/\?token=(\S+)")


@dataclass(frozen=True)
class Served:
    """The running server: where it is, its token, and its output files."""

    port: int
    token: str
    out: Path
    err: Path
    marker: Path

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def cookie(self) -> str:
        return f"{TOKEN_COOKIE}={self.token}"

    def request(
        self, path: str, method: str = "GET", headers: dict[str, str] | None = None
    ) -> tuple[int, Message, bytes]:
        """One request (redirects are not followed)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        try:
            body = b"" if method == "POST" else None
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()

    def output(self) -> str:
        """Everything the server printed so far."""
        return self.out.read_text(errors="replace") + self.err.read_text(errors="replace")


def _printed_link(out: Path, err: Path, proc: subprocess.Popen[bytes]) -> re.Match[str]:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        found = LINK.search(out.read_text(errors="replace"))
        if found:
            return found
        if proc.poll() is not None or time.monotonic() > deadline:
            text = out.read_text(errors="replace") + err.read_text(errors="replace")
            pytest.fail(f"serve did not start:\n{text}")
        time.sleep(0.25)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One server for the module, on every address, with a random token, the origin
    ``ALLOWED`` allowed, and a module on its path that records being imported."""
    base = tmp_path_factory.mktemp("served")
    (base / f"{PROBE}.py").write_text(PROBE_SOURCE, encoding="utf-8")
    marker, out, err = base / "imported", base / "out.txt", base / "err.txt"
    token = secrets.token_urlsafe(18)
    path = os.pathsep.join(p for p in (str(base), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path, "ATW_PROBE_MARKER": str(marker)}
    # every address, as in the issue (the token keeps the room out)
    command = [sys.executable, "-m", "workbench.cli", "serve", "--address", "0.0.0.0"]  # noqa: S104
    command += ["--port", "0", "--token", token, "--allow-origin", ALLOWED]
    with out.open("wb") as o, err.open("wb") as e:
        proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=o, stderr=e, env=env, start_new_session=True
        )
    try:
        link = _printed_link(out, err, proc)
        assert link[2] == token
        yield Served(int(link[1]), token, out, err, marker)
    finally:
        stop(proc)


def _session_token(served: Served) -> str:
    """The Bokeh session token of a fresh page (what the page's websocket presents)."""
    status, _, body = served.request("/", headers={"Cookie": served.cookie})
    assert status == 200
    found = re.search(rb'"token":"([^"]+)"', body)
    assert found, "no session token in the page"
    return found[1].decode()


def _token_payload(session_token: str) -> str:
    """What Bokeh's session token carries (it is readable by the page's scripts)."""
    part = session_token.split(".")[0]
    payload = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    packed = payload.pop("__bk__zlib_", None)
    if packed:
        packed += "=" * (-len(packed) % 4)
        payload["unpacked"] = zlib.decompress(base64.urlsafe_b64decode(packed)).decode()
    return json.dumps(payload)


def _websocket(
    served: Served, origin: str | None, cookie: bool = True, path: str = "/ws"
) -> dict[str, object]:
    """Open Bokeh's websocket the way the page does and return the header of the
    server's first message (an ``ACK``); raises when the handshake is refused."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    subprotocols = ["bokeh", _session_token(served)]
    headers = {"Cookie": served.cookie} if cookie else {}
    if origin is not None:
        headers["Origin"] = origin

    async def first_message() -> str | bytes | None:
        request = HTTPRequest(f"ws://127.0.0.1:{served.port}{path}", headers=headers)
        conn = await websocket_connect(request, subprotocols=subprotocols)
        try:
            return await asyncio.wait_for(conn.read_message(), 20)
        finally:
            conn.close()
            # until the server has answered the close (or the socket would be left open)
            while await asyncio.wait_for(conn.read_message(), 20) is not None:
                pass

    # on a thread of its own: an earlier test (a browser, a kernel) may have left an event
    # loop running on this one, where asyncio.run() refuses to start
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        message = pool.submit(lambda: asyncio.run(first_message())).result()
    assert isinstance(message, str), message
    header: dict[str, object] = json.loads(message)
    return header


def _refused_websocket(served: Served, origin: str | None, cookie: bool = True) -> int:
    from tornado.httpclient import HTTPClientError

    with pytest.raises(HTTPClientError) as exc:
        _websocket(served, origin, cookie=cookie)
    return exc.value.code


# ----------------------------------------------------------------------------- 1
def test_nothing_runs_without_the_token(served: Served) -> None:
    """Panel's component handler imports the module the URL names: without the token it
    must not run. At the end the control: with the token it runs and imports it, so the
    refusals above would have seen an import."""
    path = f"/components/{PROBE}/Probe/_css/probe.css"
    wrong = [{}, {"Authorization": "token wrong"}, {"Cookie": f"{TOKEN_COOKIE}=wrong"}]
    for headers in wrong:
        for method in ("GET", "POST", "HEAD", "OPTIONS", "GET?token=wrong"):
            method, _, query = method.partition("?")
            status, _, body = served.request(f"{path}?{query}", method, headers)
            assert not served.marker.exists(), f"{method} {headers}: the module was imported"
            assert status == 403, method
            if method != "HEAD":
                assert b"token is needed" in body
    served.request(path, headers={"Cookie": served.cookie})
    assert served.marker.exists()


def test_websocket_without_the_token_is_refused_before_the_handshake(served: Served) -> None:
    assert _refused_websocket(served, served.origin, cookie=False) == 403


# ----------------------------------------------------------------------------- 2
@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "http://127.0.0.1:{other}",
        "http://127.0.0.1",
        "http://localhost:{port}",
        "null",
    ],
)
def test_websocket_from_another_origin_is_refused(served: Served, origin: str) -> None:
    origin = origin.format(port=served.port, other=served.port + 1)
    assert _refused_websocket(served, origin) == 403


@pytest.mark.parametrize("origin", ["served", ALLOWED, None])
def test_websocket_from_the_served_or_an_allowed_origin_is_accepted(
    served: Served, origin: str | None
) -> None:
    header = _websocket(served, served.origin if origin == "served" else origin)
    assert header["msgtype"] == "ACK"


def test_any_request_from_another_origin_is_refused(served: Served) -> None:
    """Cross-origin reads with the cookie (Bokeh's autoload.js echoes any Origin)."""
    for path in ("/", "/autoload.js?bokeh-autoload-element=x&bokeh-absolute-url=/"):
        status, headers, _ = served.request(
            path, headers={"Cookie": served.cookie, "Origin": "http://evil.example"}
        )
        assert status == 403, path
        assert "Access-Control-Allow-Origin" not in headers
    status, _, _ = served.request("/", headers={"Cookie": served.cookie, "Origin": served.origin})
    assert status == 200


# ----------------------------------------------------------------------------- 3
def test_the_token_is_swapped_for_a_cookie_and_a_clean_address(served: Served) -> None:
    status, headers, _ = served.request(f"/?theme=dark&token={served.token}&x=1")
    assert status == 303
    assert headers["Location"] == "/?theme=dark&x=1"
    assert headers["Cache-Control"] == "no-store"
    raw = headers["Set-Cookie"]
    cookie = SimpleCookie(raw)[TOKEN_COOKIE]
    assert cookie.value == served.token
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/"
    assert "secure" not in raw.lower()  # plain HTTP here; see test_serve for TLS
    status, _, _ = served.request(headers["Location"], headers={"Cookie": cookie.OutputString()})
    assert status == 200


def test_the_printed_link_leads_to_the_app(served: Served) -> None:
    printed = LINK.search(served.out.read_text())
    assert printed is not None
    status, headers, _ = served.request(printed[0].removeprefix(served.origin))
    assert (status, headers["Location"]) == (303, "/")


@pytest.mark.parametrize("path", ["//evil.example/x", "/\\evil.example/x", "///evil.example"])
def test_the_exchange_stays_on_the_server(served: Served, path: str) -> None:
    status, headers, _ = served.request(f"{path}?token={served.token}")
    assert status == 303
    location = headers["Location"]
    assert location.startswith("/")
    assert not location.startswith(("//", "/\\"))


def test_a_link_from_another_site_continues_from_the_page(served: Served) -> None:
    """Browsers keep a Strict cookie off a redirect of a navigation that another site
    started (checked in Chromium), so that case gets a page that moves on by itself."""
    status, headers, body = served.request(
        f"/?token={served.token}&theme=dark", headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert status == 200
    assert SimpleCookie(headers["Set-Cookie"])[TOKEN_COOKIE].value == served.token
    assert b"http-equiv='refresh' content='0; url=/?theme=dark'" in body
    assert served.token.encode() not in body


def test_every_response_forbids_referer_and_framing(served: Served) -> None:
    answers = [
        served.request("/", headers={"Cookie": served.cookie}),
        served.request("/"),
        served.request(f"/?token={served.token}"),
        served.request("/static/nothing.js", headers={"Cookie": served.cookie}),
    ]
    assert [a[0] for a in answers] == [200, 403, 303, 404]
    for _, headers, _ in answers:
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Frame-Options"] == "DENY"
        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy
        assert "default-src 'self'" in policy
        assert f"ws://127.0.0.1:{served.port}" in policy
        assert "unsafe-eval" not in policy


def test_the_page_does_not_carry_the_token(served: Served) -> None:
    """Bokeh writes the request's cookies and headers into the page's session token."""
    status, _, body = served.request(
        "/", headers={"Cookie": served.cookie, "Authorization": f"token {served.token}"}
    )
    assert status == 200
    assert served.token.encode() not in body
    found = re.search(rb'"token":"([^"]+)"', body)
    assert found
    payload = _token_payload(found[1].decode())
    assert TOKEN_COOKIE in served.cookie  # (what would leak)
    assert served.token not in payload


def test_logs_never_show_the_token(served: Served) -> None:
    guess = "guessed-" + secrets.token_hex(4)
    served.request(f"/missing?token={served.token}", method="POST")  # 404, logged
    served.request(f"/?token={guess}")  # 403, logged
    served.request(f"/?tok%65n={served.token}", method="POST")  # the same name, encoded
    deadline = time.monotonic() + 10
    while served.output().count("=[redacted]") < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    link = f"{served.origin}/?token={served.token}"  # printed once at start-up, on purpose
    output = served.output().replace(link, "<link>")
    assert output.count("=[redacted]") >= 3, output
    assert served.token not in output
    assert guess not in output


def test_start_up_prints_one_link_with_the_token(served: Served) -> None:
    output = served.output()
    links = re.findall(r"https?://\S+", served.out.read_text())
    assert links == [f"{served.origin}/?token={served.token}"]
    assert "Launching server" not in output  # Panel's own line, without the token
    assert "wildcard" not in output  # Bokeh's warning about the origin list
