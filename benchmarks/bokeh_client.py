"""A small Bokeh-protocol websocket client: what a browser page of the workshop app does
on the wire, without the browser (for ``bench_serve.py --shared``).

It fetches the app's page (which makes the Bokeh session and carries its session token),
opens the session's websocket with the ``bokeh`` subprotocol, pulls the document, finds
the canvas component (``CanvasView``), tells the server the page is ready (as Bokeh's
JavaScript does, so that Panel's ``onload`` callbacks run) and then:

- sends the canvas's messages as Bokeh ``data_event`` events on the component, exactly
  as ``canvas.js`` does through ``model.send``;
- hands every message the server sends to the canvas (``esm_event``: ``patch``,
  ``reset``, ``room``, ``done``, ``refused``) to a callback, stamped with the time it
  arrived.

Only frames that carry a canvas message are parsed (others are counted and dropped),
so a hundred clients in one process stay light. Tornado's websocket client, asyncio.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

SESSION_TOKEN = re.compile(r'"token":\s*"([A-Za-z0-9_\-.=]+)"')
CANVAS_MODEL = "panel.models.esm.AnyWidgetComponent"
Handler = Callable[[dict[str, Any], float], None]


def encode(value: Any) -> Any:
    """A value in Bokeh's wire format (dicts as ``{"type": "map", "entries": ...}``)."""
    if isinstance(value, dict):
        return {"type": "map", "entries": [[k, encode(v)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    """The plain value of something in Bokeh's wire format."""
    if isinstance(value, dict):
        if value.get("type") == "map":
            return {k: decode(v) for k, v in value.get("entries", [])}
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


class ProtocolError(RuntimeError):
    """The server answered something this client does not expect."""


class BokehClient:
    """One page's worth of Bokeh session: see the module's notes."""

    def __init__(self, base: str, path: str, token: str, on_message: Handler) -> None:
        self.base = base.rstrip("/")
        self.path = path
        self.token = token
        self.on_message = on_message
        self.conn: WebSocketClientConnection | None = None
        self.canvas_id = ""
        self.frames = 0
        self.reader: asyncio.Task[None] | None = None
        self.closed = False
        self.error: str | None = None

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    async def connect(self, query: str = "") -> None:
        """Open the page and its session, pull the document and start reading."""
        url = f"{self.base}{self.path}" + (f"?{query}" if query else "")
        page = await AsyncHTTPClient().fetch(url, headers=self._auth, request_timeout=120)
        found = SESSION_TOKEN.search(page.body.decode("utf-8", "replace"))
        if not found:
            raise ProtocolError(f"no session token in {url}")
        ws = self.base.replace("http://", "ws://", 1) + self.path.rstrip("/") + "/ws"
        request = HTTPRequest(ws, headers=self._auth, request_timeout=120)
        self.conn = await websocket_connect(
            request, subprotocols=["bokeh", found.group(1)], max_message_size=64 * 2**20
        )
        # as browsers do: no Nagle delay between the frames of one Bokeh message
        if self.conn.protocol is not None:
            self.conn.protocol.set_nodelay(True)
        header, _content = await self._read_message()
        if header.get("msgtype") != "ACK":
            raise ProtocolError(f"expected ACK, got {header}")
        await self._send("PULL-DOC-REQ", {})
        while True:  # patches for the session may come first (Bokeh's JS drops them too)
            header, content = await self._read_message()
            if header.get("msgtype") == "PULL-DOC-REPLY":
                break
            if header.get("msgtype") != "PATCH-DOC":
                raise ProtocolError(f"expected PULL-DOC-REPLY, got {header}")
        self.canvas_id = _canvas_id(content)
        await self._send("PATCH-DOC", {"events": [_event("document_ready", {})]})
        self.reader = asyncio.ensure_future(self._read_forever())

    async def send_canvas(self, msg: dict[str, Any]) -> None:
        """Send a canvas message (as ``model.send`` in ``canvas.js``)."""
        event = _event("data_event", {"model": {"id": self.canvas_id}, "data": msg}, raw=("model",))
        await self._send("PATCH-DOC", {"events": [event]})

    async def close(self) -> None:
        """Close the websocket (the server sees the page go)."""
        self.closed = True
        if self.conn is not None:
            self.conn.close()
        if self.reader is not None:
            self.reader.cancel()

    # ----------------------------------------------------------------- wire
    async def _send(self, msgtype: str, content: dict[str, Any]) -> None:
        assert self.conn is not None
        header = {"msgid": uuid.uuid4().hex, "msgtype": msgtype}
        for part in (header, {}, content):
            await self.conn.write_message(json.dumps(part))

    async def _read_frame(self) -> str | bytes:
        assert self.conn is not None
        frame = await self.conn.read_message()
        if frame is None:
            raise ConnectionError("the websocket closed")
        self.frames += 1
        return frame

    async def _read_message(self) -> tuple[dict[str, Any], Any]:
        header = json.loads(await self._read_frame())
        await self._read_frame()  # metadata
        content = await self._read_frame()
        for _ in range(2 * int(header.get("num_buffers") or 0)):
            await self._read_frame()
        return header, json.loads(content)

    async def _read_forever(self) -> None:
        try:
            while True:
                header = json.loads(await self._read_frame())
                await self._read_frame()
                content = await self._read_frame()
                arrived = time.time()
                for _ in range(2 * int(header.get("num_buffers") or 0)):
                    await self._read_frame()
                if "esm_event" not in (
                    content if isinstance(content, str) else content.decode("utf-8", "replace")
                ):
                    continue
                for event in json.loads(content).get("events", []):
                    data = _canvas_message(event)
                    if data is not None:
                        self.on_message(data, arrived)
        except (ConnectionError, asyncio.CancelledError):
            pass
        except Exception as exc:  # every failure counts as an error in the figures
            self.error = f"{type(exc).__name__}: {exc}"


def _event(name: str, values: dict[str, Any], raw: tuple[str, ...] = ()) -> dict[str, Any]:
    entries = [[k, v if k in raw else encode(v)] for k, v in values.items()]
    return {
        "kind": "MessageSent",
        "msg_type": "bokeh_event",
        "msg_data": {"type": "event", "name": name, "values": {"type": "map", "entries": entries}},
    }


def _canvas_message(event: dict[str, Any]) -> dict[str, Any] | None:
    data = event.get("msg_data") or {}
    if event.get("kind") != "MessageSent" or data.get("name") != "esm_event":
        return None
    values = decode(data.get("values"))
    message = values.get("data") if isinstance(values, dict) else None
    return message if isinstance(message, dict) else None


def _canvas_id(content: dict[str, Any]) -> str:
    """The ID of the canvas component in a pulled document."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("name") == CANVAS_MODEL and "id" in node:
                found.append(node["id"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(content.get("doc", {}))
    if not found:
        raise ProtocolError("the document has no canvas")
    return found[0]
