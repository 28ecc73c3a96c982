"""Noticing that a model file changed on disk: another notebook, another user of the same
JupyterLab, an editor or ``git pull`` saved it.

:class:`FileWatch` compares the file's size, modification time and (when those moved)
content with what the workbench last loaded or saved; :meth:`FileWatch.check` says what
is new. In a kernel it polls by itself on the kernel's event loop (between cell
executions, never in a thread that could touch the widgets at the same time); elsewhere
(tests, scripts) call :meth:`~FileWatch.check`. Nothing here reads the network.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

POLL_SECONDS = 1.0
"""How often a kernel checks the file."""


def kernel_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the IPython kernel this runs in (it runs cells and widget
    messages), or ``None`` outside a kernel (scripts, tests, a terminal IPython)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class FileWatch:
    """Watch one file; ``on_change(text)`` gets its new content when someone else wrote it."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        on_change: Callable[[str], None],
        *,
        interval: float = POLL_SECONDS,
    ) -> None:
        self.path = Path(path)
        self.on_change = on_change
        self.interval = interval
        self._signature: tuple[int, int] | None = None
        self._digest: str | None = None
        self._handle: asyncio.TimerHandle | None = None
        self.known()

    def known(self, text: str | None = None) -> None:
        """The file as the workbench now knows it: just loaded or saved (``text``: what
        was written; default: read it)."""
        try:
            stat = self.path.stat()
            data = text.encode("utf-8") if text is not None else self.path.read_bytes()
        except OSError:
            self._signature, self._digest = None, None
            return
        self._signature = (stat.st_mtime_ns, stat.st_size)
        self._digest = hashlib.sha256(data).hexdigest()

    def check(self) -> bool:
        """Whether the file changed since it was last known; if so, ``on_change`` was
        called with its content (a file that vanished or cannot be read is left alone:
        the next check tries again)."""
        try:
            stat = self.path.stat()
        except OSError:
            return False
        signature = (stat.st_mtime_ns, stat.st_size)
        if signature == self._signature:
            return False
        try:
            data = self.path.read_bytes()
        except OSError:
            return False
        digest = hashlib.sha256(data).hexdigest()
        self._signature = signature
        if digest == self._digest:
            return False  # touched, or saved with the same content
        self._digest = digest
        self.on_change(data.decode("utf-8", errors="replace"))
        return True

    # ----------------------------------------------------------------- polling
    def start(self) -> bool:
        """Poll on the kernel's event loop; ``False`` outside a kernel (call :meth:`check`)."""
        loop = kernel_loop()
        if loop is None:
            return False
        self.stop()
        self._handle = loop.call_later(self.interval, self._tick, loop)
        return True

    def _tick(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            self.check()
        finally:
            if self._handle is not None and not loop.is_closed():
                self._handle = loop.call_later(self.interval, self._tick, loop)

    def stop(self) -> None:
        """Stop polling."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
