"""``threat-workbench serve`` without a browser: argument checks, token checks, the
per-session app, and the bridge between the Panel component and the canvas."""

from __future__ import annotations

# ruff: noqa: S104 (addresses to refuse, nothing binds here)
import argparse
import io
import json
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest

from workbench import ThreatModel
from workbench.cli import main

pytest.importorskip("panel")

from widgets import app, serve_command


@pytest.fixture
def session(catalog: Any) -> Any:
    s = app.WorkshopSession(ThreatModel.from_template("rag_assistant"), catalog)
    yield s
    s.close()


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("address", ["0.0.0.0", "192.168.1.10", "::", "workshop.example"])
def test_refuses_a_non_loopback_address_without_a_token(address: str) -> None:
    code, _, err = _run("serve", "--address", address)
    assert code == 2
    assert "token is needed" in err
    assert address in err


@pytest.mark.parametrize(
    ("address", "token", "refused"),
    [
        ("127.0.0.1", None, False),
        ("localhost", None, False),
        ("::1", None, False),
        ("127.0.0.2", None, False),
        ("0.0.0.0", "secret", False),
        ("10.0.0.1", "", True),
    ],
)
def test_check_address(address: str, token: str | None, refused: bool) -> None:
    assert (serve_command.check_address(address, token) is not None) is refused


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("5006", 5006), ("65535", 65535)])
def test_port_parsing_accepts(text: str, value: int) -> None:
    assert serve_command.port_number(text) == value


@pytest.mark.parametrize("text", ["-1", "65536", "http", "80.5"])
def test_port_parsing_refuses(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        serve_command.port_number(text)


def test_bad_port_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exc:
        _run("serve", "--port", "70000")
    assert exc.value.code == 2


def test_app_url_carries_the_token() -> None:
    assert serve_command.app_url("127.0.0.1", 5006, "t0k") == "http://127.0.0.1:5006/?token=t0k"
    assert serve_command.app_url("0.0.0.0", 80, None) == "http://127.0.0.1:80/"


def test_help_and_import_do_not_import_panel() -> None:
    code = (
        "import sys, contextlib, io, workbench\n"
        "from workbench.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])\n"
        "print('panel' in sys.modules, 'bokeh' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_serve_is_listed_in_help() -> None:
    with pytest.raises(SystemExit):
        _run("serve", "--help")


# ----------------------------------------------------------------------------- tokens
def _request(
    query: str = "",
    cookie: str = "",
    header: str = "",
    *,
    path: str = "/",
    origin: str | None = None,
    host: str = "127.0.0.1:5006",
    protocol: str = "http",
) -> Any:
    from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine

    headers = HTTPHeaders({"Host": host})
    if cookie:
        headers["Cookie"] = f"{app.TOKEN_COOKIE}={cookie}"
    if header:
        headers["Authorization"] = header
    if origin is not None:
        headers["Origin"] = origin
    uri = path + (f"?{query}" if query else "")
    request = HTTPServerRequest(
        start_line=RequestStartLine("GET", uri, "HTTP/1.1"), headers=headers
    )
    request.protocol = protocol
    return request


def _gate(token: str | None, origins: frozenset[str] = frozenset()) -> Any:
    import tornado.web

    return app.Gate(tornado.web.Application(), token, origins)


@pytest.mark.parametrize(
    ("kwargs", "ok"),
    [
        ({}, False),
        ({"query": "token=right"}, True),
        ({"query": "token=wrong"}, False),
        ({"query": "token="}, False),
        ({"cookie": "right"}, True),
        ({"cookie": "wrong"}, False),
        ({"header": "token right"}, True),
        ({"header": "Bearer right"}, False),
    ],
)
def test_gate_refuses_requests_without_the_token(kwargs: dict[str, str], ok: bool) -> None:
    refusal = _gate("right").refusal(_request(**kwargs))
    assert (refusal is None) is ok
    if not ok:
        assert refusal == app.REFUSAL_MESSAGE


@pytest.mark.parametrize(
    ("token", "origin", "ok"),
    [
        ("right", None, True),  # no Origin: a navigation or a plain subresource
        ("right", "http://127.0.0.1:5006", True),  # the request's own host
        ("right", "https://127.0.0.1:5006", True),  # (a TLS proxy in front keeps the Host)
        ("right", "http://127.0.0.1:5007", False),
        ("right", "http://localhost:5006", False),
        ("right", "http://evil.example", False),
        ("right", "http://allowed.example:8443", True),
        ("right", "null", False),
        ("right", "127.0.0.1:5006", False),
        (None, "http://127.0.0.1:5006", False),  # without a token, only the listed origins
        (None, "http://allowed.example:8443", True),
    ],
)
def test_gate_refuses_other_origins(token: str | None, origin: str | None, ok: bool) -> None:
    gate = _gate(token, frozenset({"allowed.example:8443"}))
    refusal = gate.refusal(_request(cookie="right", origin=origin))
    assert (refusal is None) is ok
    if not ok:
        assert "another origin" in (refusal or "")


def test_loopback_origins_name_this_machine() -> None:
    assert app.loopback_origins("127.0.0.1", 5006) == {
        "127.0.0.1:5006",
        "localhost:5006",
        "[::1]:5006",
    }
    assert "[::1]:80" in app.loopback_origins("::1", 80)
    gate = _gate(None, app.loopback_origins("127.0.0.1", 5006))
    assert gate.refusal(_request(origin="http://localhost:5006")) is None
    assert gate.refusal(_request(origin="http://rebound.example:5006")) is not None


def test_auth_provider_raises_403_and_sets_the_cookie() -> None:
    import tornado.web

    provider = app.TokenAuth("right")
    cookies: dict[str, tuple[str, dict[str, Any]]] = {}
    handler = SimpleNamespace(
        request=_request(query="token=right"),
        get_cookie=lambda name, default=None: cookies.get(name, (default,))[0],
        set_cookie=lambda name, value, **kw: cookies.__setitem__(name, (value, kw)),
    )
    assert provider.get_user(handler) == "workshop"
    value, flags = cookies[app.TOKEN_COOKIE]
    assert value == "right"
    assert flags == {"path": "/", "httponly": True, "samesite": "Strict", "secure": False}
    handler.request = _request()
    with pytest.raises(tornado.web.HTTPError) as exc:
        provider.get_user(handler)
    assert exc.value.status_code == 403
    assert "token is needed" in (exc.value.reason or "")


def test_the_cookie_is_secure_over_tls() -> None:
    seen: dict[str, Any] = {}
    handler: Any = SimpleNamespace(
        request=_request(protocol="https"), set_cookie=lambda *a, **kw: seen.update(kw)
    )
    app.set_token_cookie(handler, "right")
    assert seen["secure"] is True


@pytest.mark.parametrize(
    ("path", "query", "clean"),
    [
        ("/", "token=t", "/"),
        ("/", "a=1&token=t&b=&c", "/?a=1&b=&c"),
        ("/", "tok%65n=t&a=1", "/?a=1"),
        ("/app/x", "token=t&token=u", "/app/x"),
        ("//evil.example/x", "token=t", "/evil.example/x"),
        ("/\\evil.example", "token=t", "/evil.example"),
        ("/a'b\"<c>", "token=t&q=%27", "/a%27b%22%3Cc%3E?q=%27"),
    ],
)
def test_clean_url_drops_the_token_and_stays_here(path: str, query: str, clean: str) -> None:
    assert app.clean_url(_request(query, path=path)) == clean


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("403 GET /?token=abc (1.2.3.4) 1ms", "403 GET /?token=[redacted] (1.2.3.4) 1ms"),
        ("404 POST /x?a=1&token=abc&b=2 (h)", "404 POST /x?a=1&token=[redacted]&b=2 (h)"),
        ("uri='/?tok%65n=abc', v", "uri='/?tok%65n=[redacted]', v"),
        ("GET /?tokens=1&mytoken=2", "GET /?tokens=1&mytoken=2"),
        ("no query token=abc", "no query token=abc"),
    ],
)
def test_redact_tokens(text: str, redacted: str) -> None:
    assert app.redact_tokens(text) == redacted


def test_token_logs_are_redacted() -> None:
    import logging

    app.redact_token_logs()
    app.redact_token_logs()  # once is enough
    logger = logging.getLogger("tornado.access")
    assert sum(isinstance(f, app.RedactTokens) for f in logger.filters) == 1
    record = logger.makeRecord(
        "tornado.access", logging.WARNING, "f", 1, "%d %s", (403, "/?token=s"), None
    )
    assert logger.filter(record)
    assert record.getMessage() == "403 /?token=[redacted]"


def test_security_headers() -> None:
    headers = app.security_headers(_request(host="room.example:5006"))
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Frame-Options"] == "DENY"
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "connect-src 'self' blob: ws://room.example:5006 wss://room.example:5006;" in policy
    odd = app.security_headers(_request(host="x;script-src"))["Content-Security-Policy"]
    assert "x;script-src" not in odd
    assert "connect-src 'self' blob:;" in odd


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Workshop.Example", "workshop.example"),
        ("workshop.example:8443", "workshop.example:8443"),
        ("https://workshop.example", "workshop.example"),
        ("https://workshop.example:443/", "workshop.example"),
        ("http://10.0.0.5:80", "10.0.0.5"),
        ("https://workshop.example:8443", "workshop.example:8443"),
        ("[::1]:5006", "[::1]:5006"),
    ],
)
def test_allow_origin_parsing_accepts(text: str, value: str) -> None:
    assert serve_command.origin(text) == value


@pytest.mark.parametrize(
    "text", ["", "*", "https://x.example/path", "x.example/", "user@x.example", "x:port", "a b"]
)
def test_allow_origin_parsing_refuses(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        serve_command.origin(text)


def test_bad_allow_origin_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exc:
        _run("serve", "--allow-origin", "https://x.example/app")
    assert exc.value.code == 2


# ----------------------------------------------------------------------------- sessions
def test_bridged_traits_follow_the_canvas_class() -> None:
    from widgets.canvas import Canvas

    names = app.bridged_traits()
    synced = {n for n in Canvas.class_trait_names(sync=True) if not n.startswith("_")}
    assert {"selection", "snapshot", "palette"} <= set(names)
    assert set(names) <= synced
    assert names["height"] == "canvas_height"  # Panel's own 'height' is left alone
    for trait, parameter in names.items():
        assert parameter in app.CanvasView.param, trait
    assert json.dumps({"height": "canvas_height"})[1:-1] in app._WRAPPER_ESM


def test_two_sessions_have_independent_models(catalog: Any) -> None:
    start = ThreatModel.from_template("rag_assistant")
    a = app.WorkshopSession(start, catalog)
    b = app.WorkshopSession(start, catalog)
    try:
        a.canvas_view._handle_msg({"op": "add_element", "kind": "agent", "x": 0, "y": 0})
        a.canvas_view.param.update(selection=["llm_app"])
        assert len(a.model.elements) == len(start.elements) + 1
        assert b.model == start
        assert b.canvas.selection == []
        assert b.canvas_view.param.values()["selection"] == []
        assert a.canvas.selection == ["llm_app"]
    finally:
        a.close()
        b.close()


def test_bridge_forwards_front_end_edits_and_sends_patches(session: Any) -> None:
    sent: list[dict[str, Any]] = []
    session.canvas_view.send = sent.append
    before = len(session.model.elements)
    session.canvas_view._handle_msg(
        {"op": "add_element", "kind": "agent", "x": 10, "y": 20, "req": 7}
    )
    assert len(session.model.elements) == before + 1
    ops = [m["op"] for m in sent]
    assert ops == ["patch", "done"]
    added = [n["id"] for n in sent[0]["nodes"]["add"]]
    assert added == ["agent-1"]
    assert sent[1]["req"] == 7
    # the selection the canvas made comes back to the component (and so to the browser)
    assert session.canvas_view.param.values()["selection"] == ["agent-1"]
    # the whole drawing is sent once, when the view starts; edits travel as patches
    assert session.canvas.snapshot["rev"] == session.canvas.revision
    assert session.canvas_view.param.values()["snapshot"]["rev"] < session.canvas.revision


def test_refused_edit_is_answered_and_leaves_the_model(session: Any) -> None:
    sent: list[dict[str, Any]] = []
    session.canvas_view.send = sent.append
    before = session.model
    session.canvas_view._handle_msg({"op": "add_flow", "source": "nope", "target": "llm_app"})
    assert session.model == before
    assert sent
    assert sent[-1]["op"] == "refused"


def test_selection_from_the_browser_reaches_the_canvas_and_panels(session: Any) -> None:
    session.canvas_view.param.update(selection=["llm_app"])
    assert session.canvas.selection == ["llm_app"]
    assert "llm_app" in session.inspector.title.object
    heading = session.threats.heading.object
    total = sum(1 for f in session.canvas.analysis.findings if f.target == "llm_app")
    assert f"data-count='{total}'" in heading


def test_inspector_renames_and_shows_refusals(session: Any) -> None:
    session.canvas_view.param.update(selection=["llm_app"])
    name = session.inspector.body.objects[0]
    name.value = "Orchestrator <b>"
    assert session.model.element("llm_app").name == "Orchestrator <b>"
    name.value = ""  # names may not be empty
    assert session.model.element("llm_app").name == "Orchestrator <b>"
    assert "Refused" in session.inspector.message.object
    assert name.value == "Orchestrator <b>"  # the form shows the model again
    assert "<b>" not in session.inspector.title.object.replace("<b>Element</b>", "")


def test_decision_editor_records_and_refuses(session: Any) -> None:
    panel = session.threats
    finding = next(iter(panel.finding.options.values()))
    panel.finding.value = finding
    panel.status.value = "accepted"
    panel.owner.value = ""
    panel.rationale.value = ""
    assert panel.apply() is False  # accepted needs owner and rationale
    assert session.model.decision(finding) is None
    panel.owner.value = "sec <team>"
    panel.rationale.value = "low value"
    assert panel.apply() is True
    decision = session.model.decision(finding)
    assert decision is not None
    assert decision.status == "accepted"
    assert "<team>" not in panel.table.object
    assert "sec &lt;team&gt;" in panel.table.object


def test_downloads_hold_the_session_model(session: Any) -> None:
    session.canvas_view._handle_msg({"op": "add_element", "kind": "agent", "x": 0, "y": 0})
    text = session.model_yaml().getvalue().decode()
    assert ThreatModel.from_yaml(text) == session.model
    assert session.download_yaml.filename.endswith(".yaml")


@pytest.mark.slow
def test_export_html_report(session: Any) -> None:
    html = session.report_html().getvalue().decode()
    assert "<html" in html.lower()
    assert session.model.system.name in html


def test_closing_a_session_releases_its_canvas(catalog: Any) -> None:
    from ipywidgets.widgets.widget import _instances

    s = app.WorkshopSession(ThreatModel.from_template("rag_assistant"), catalog)
    model_id = s.canvas.model_id
    assert model_id in _instances
    s.close()
    assert model_id not in _instances


def test_inspector_sets_a_property_through_property_and_value(session: Any) -> None:
    inspector = session.inspector
    assert inspector.form.objects[0].disabled  # nothing selected
    session.canvas_view.param.update(selection=["llm_app"])
    assert not inspector.name.disabled
    key = "properties.rate_limited"
    labels = {v: k for k, v in inspector.property.options.items()}
    assert key in labels
    inspector.property.value = key
    new = next(v for v in inspector.value.options.values() if v != inspector.value.value)
    inspector.value.value = new
    expected = None if new == "__unset__" else new
    assert session.model.element("llm_app").properties.rate_limited == expected
    labels = {v: k for k, v in inspector.property.options.items()}
    shown = next(t for t, v in inspector.value.options.items() if v == new)
    assert labels[key].endswith(f": {shown}")  # the label shows the new value
    first_flow = session.model.flows[0].id
    session.canvas_view.param.update(selection=[first_flow])
    assert inspector.kind.disabled
    assert inspector.boundary.disabled
    assert all(not k.startswith("properties.") for k in inspector.property.options.values())
