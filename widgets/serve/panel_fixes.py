"""A fix for a race in Panel's deferred websocket writes, installed by the server.

When Panel cannot write a document's changes at once (an earlier write to the same
browser is still in flight), ``panel.io.document.schedule_write_events`` queues them in
``_WRITE_MSGS`` and starts a task, ``_dispatch_msgs``, that writes the queue. In Panel
1.9 that task can strand messages: a task still awaiting its own writes ends by
dropping the document's ``_WRITE_BLOCK`` mark even when new messages were queued in the
meantime, and the task started for those finds no mark and returns without writing
them. They stay queued until the next change of that document (seconds later, or never
at the end of a workshop). Found with ``benchmarks/bench_serve.py --shared``: an
author's ``done`` that its browser never got, and a latency tail of several seconds.

:func:`dispatch_deferred` is Panel's task with the race closed: it runs while anything
is queued, and before it drops the mark it looks again for messages queued while it
awaited, and writes those too. :func:`install` puts it in place of Panel's (the module
looks the task up by name each time it starts one).
"""

from __future__ import annotations

import asyncio
from typing import Any

_NAMES = (
    "_WRITE_BLOCK",
    "_WRITE_MSGS",
    "_WRITE_FUTURES",
    "_dispatch_write_task",
    "_run_write_futures",
    "dispatch_tornado",
    "dispatch_django",
    "extra_socket_handlers",
)


def install() -> bool:
    """Use :func:`dispatch_deferred` for Panel's deferred writes (idempotent); ``False``,
    and nothing changed, when Panel's module does not have the parts it works with."""
    from panel.io import document

    if not all(hasattr(document, name) for name in (*_NAMES, "_dispatch_msgs")):
        return False
    document._dispatch_msgs = dispatch_deferred
    return True


async def dispatch_deferred(doc: Any) -> None:
    """Write the messages queued for ``doc`` (see the module's notes)."""
    from panel.io import document
    from tornado.websocket import WebSocketHandler

    d: Any = document  # Panel's internals are untyped

    if doc not in d._WRITE_BLOCK and doc not in d._WRITE_MSGS:
        return
    remaining: dict[Any, list[Any]] = {}
    futures: list[Any] = []
    for conn, msgs in d._WRITE_MSGS.pop(doc, {}).items():
        socket = conn._socket
        if hasattr(socket, "write_lock") and socket.write_lock._block._value == 0:
            remaining[conn] = msgs  # Bokeh is writing to this browser: later
            continue
        for msg in msgs:
            if isinstance(socket, WebSocketHandler):
                futures += d.dispatch_tornado(conn, msg=msg)
            elif type(socket) in d.extra_socket_handlers:
                futures += d.extra_socket_handlers[type(socket)](conn, msg=msg)
            else:
                futures += d.dispatch_django(conn, msg=msg)
    if futures:
        d._WRITE_FUTURES[doc] = d._WRITE_FUTURES.get(doc, []) + futures
        await d._run_write_futures(doc)
    for conn, msgs in remaining.items():  # before what was queued since, in order
        queued = d._WRITE_MSGS.setdefault(doc, {})
        queued[conn] = msgs + queued.get(conn, [])
    if doc in d._WRITE_MSGS:  # blocked, or queued while this task awaited its writes
        d._WRITE_BLOCK[doc] = True
        if remaining:
            await asyncio.sleep(0.01)
        d._dispatch_write_task(doc, dispatch_deferred, doc)
        return
    d._WRITE_BLOCK.pop(doc, None)
