"""The fix for Panel's deferred-write race (``widgets.serve.panel_fixes``): messages
queued while an earlier write task awaits its writes are written, not stranded."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

pytest.importorskip("panel")

from panel.io import document as panel_document

from widgets.serve import panel_fixes

document: Any = panel_document  # Panel's internals are untyped


class _Socket:
    """A browser connection: records what is written to it."""

    def __init__(self) -> None:
        self.written: list[str] = []


class _Conn:
    def __init__(self) -> None:
        self._socket = _Socket()


class _Doc:
    """Stands for a Bokeh document (Panel keys its queues by document, weakly)."""


def _queue(
    doc: _Doc, conn: _Conn, msg: str, task: Callable[[Any], Coroutine[Any, Any, None]]
) -> None:
    """What ``schedule_write_events`` does for a change it cannot write at once."""
    document._WRITE_BLOCK[doc] = True
    document._WRITE_MSGS.setdefault(doc, {}).setdefault(conn, []).append(msg)
    document._dispatch_write_task(doc, task, doc)


async def _race(task: Callable[[Any], Coroutine[Any, Any, None]]) -> list[str]:
    """A write task awaits its write; in the same turn that the write completes, a new
    change is queued (and a task started for it): what reaches the browser?"""
    doc, conn = _Doc(), _Conn()
    loop = asyncio.get_running_loop()

    def write(c: _Conn, msg: str) -> list[asyncio.Future[None]]:
        c._socket.written.append(msg)
        done: asyncio.Future[None] = loop.create_future()
        if msg == "first":

            def complete_then_queue() -> None:
                done.set_result(None)  # the first task resumes first ...
                _queue(doc, conn, "second", task)  # ... the second starts after it

            loop.call_later(0.01, complete_then_queue)
        else:
            done.set_result(None)
        return [done]

    document.extra_socket_handlers[_Socket] = write
    try:
        _queue(doc, conn, "first", task)
        await asyncio.sleep(0.2)
    finally:
        del document.extra_socket_handlers[_Socket]
    return conn._socket.written


def test_messages_queued_during_a_write_are_written() -> None:
    assert asyncio.run(_race(panel_fixes.dispatch_deferred)) == ["first", "second"]


def test_panels_own_task_strands_them() -> None:
    """The race the fix is for (when this fails, Panel fixed it: the fix can go)."""
    original = document._dispatch_msgs
    if original is panel_fixes.dispatch_deferred:
        pytest.skip("the fix is installed in this process")
    assert asyncio.run(_race(original)) == ["first"]


def test_install_replaces_the_task() -> None:
    original = document._dispatch_msgs
    try:
        assert panel_fixes.install()
        assert document._dispatch_msgs is panel_fixes.dispatch_deferred
    finally:
        document._dispatch_msgs = original
