"""A Jupyter server and a headless Chromium for browser tests and benchmarks.

One place for what ``tests/browser/conftest.py`` and ``benchmarks/bench_canvas.py`` both
need: start ``jupyter lab`` on 127.0.0.1 with a fresh token and isolated configuration (the
same server also serves Notebook 7 when the ``notebook`` package is installed), stop it
with its kernels, and launch Debian's Chromium with arguments that keep it offline.
Importable as ``tests.browser.servers``; it imports neither pytest nor Playwright.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REQUIRED_MODULES = ("playwright", "jupyterlab")
SERVER_START_TIMEOUT = 60.0  # seconds until the server answers
SERVER_STOP_TIMEOUT = 20.0  # seconds for a clean shutdown (kernels included)
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})

# JupyterLab (and Notebook 7) user settings for the run: never ask about or fetch news (no
# pop-up, no network), and keep every cell in the DOM so that selectors see the whole
# notebook.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


class ServerError(RuntimeError):
    """The Jupyter server did not start (the message carries the end of its log)."""


@dataclass(frozen=True)
class JupyterLab:
    """A running Jupyter server (JupyterLab, and Notebook 7 when installed)."""

    base_url: str
    token: str
    root_dir: Path
    log_file: Path

    def notebook_url(self, name: str) -> str:
        """URL that opens ``name`` in JupyterLab, in a fresh workspace."""
        return f"{self.base_url}/lab/tree/{quote(name)}?reset&token={self.token}"

    def notebook7_url(self, name: str) -> str:
        """URL that opens ``name`` in Notebook 7."""
        return f"{self.base_url}/notebooks/{quote(name)}?token={self.token}"

    def files_url(self, name: str) -> str:
        """URL of the file ``name`` (relative to the root folder), as Jupyter serves it."""
        return f"{self.base_url}/files/{quote(name)}?token={self.token}"

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log, for failure messages."""
        text = self.log_file.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def missing_requirements() -> str | None:
    """Why browser runs cannot happen here, or ``None`` when they can."""
    if not CHROMIUM.is_file():
        return f"{CHROMIUM} is not installed (apt-get install -y chromium)"
    for module in REQUIRED_MODULES:
        if importlib.util.find_spec(module) is None:
            return f"the {module} package is not installed"
    return None


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's headless Chromium, kept offline by its arguments."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _answers(port: int, token: str) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/api/status", headers={"Authorization": f"token {token}"})
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def _environment(base: Path) -> dict[str, str]:
    """The server's environment: the user's Jupyter configuration, settings and runtime
    files are kept out of it, and :data:`LAB_SETTINGS` apply."""
    settings = base / "settings"
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    return {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
    }


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (the server shuts its kernels down), then
    SIGKILL it if it has not gone within ``SERVER_STOP_TIMEOUT``."""
    for sig, timeout in ((signal.SIGTERM, SERVER_STOP_TIMEOUT), (signal.SIGKILL, 10.0)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            continue


def _wait_until_up(proc: subprocess.Popen[bytes], server: JupyterLab, port: int) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while not _answers(port, server.token):
        if proc.poll() is not None:
            raise ServerError(f"jupyter lab exited with {proc.returncode}:\n{server.log_tail()}")
        if time.monotonic() > deadline:
            raise ServerError(
                f"jupyter lab did not answer within {SERVER_START_TIMEOUT:.0f} s:\n"
                f"{server.log_tail()}"
            )
        time.sleep(0.25)


@contextmanager
def jupyter_server(base: Path, root: Path) -> Iterator[JupyterLab]:
    """Run ``jupyter lab`` on ``root`` (configuration and log under ``base``) for the
    duration of the ``with`` block; raises :class:`ServerError` when it does not start."""
    port = free_port()
    token = secrets.token_hex(16)
    log_file = base / "server.log"
    # ``-m jupyterlab`` rather than ``-m jupyter lab``: the ``jupyter`` dispatcher looks
    # for ``jupyter-lab`` on PATH first, which may belong to another environment.
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
    ]
    with log_file.open("wb") as log:
        proc = subprocess.Popen(
            command,
            cwd=root,
            env=_environment(base),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = JupyterLab(f"http://127.0.0.1:{port}", token, root, log_file)
    try:
        _wait_until_up(proc, server, port)
        yield server
    finally:
        stop(proc)
