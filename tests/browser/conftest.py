"""Fixtures for the JupyterLab end-to-end tests.

A Jupyter server runs on a temporary copy of ``notebooks/`` with the interpreter that runs
pytest, and a headless Chromium (``/usr/bin/chromium``) drives it through Playwright's sync
API. The tests skip when Chromium, Playwright or JupyterLab is missing.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
SERVER_START_TIMEOUT = 60.0  # seconds until the server answers
SERVER_STOP_TIMEOUT = 20.0  # seconds for a clean shutdown (kernels included)
PAGE_TIMEOUT = 60_000  # ms, default for every Playwright wait
VIEWPORT: ViewportSize = {"width": 1400, "height": 1600}  # fits the summary and diagram

# JupyterLab user settings for the run: never ask about or fetch news (no pop-up, no
# network), and keep every cell in the DOM so that selectors see the whole notebook.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


@dataclass(frozen=True)
class JupyterLab:
    """A running JupyterLab server."""

    base_url: str
    token: str
    root_dir: Path
    log_file: Path

    def notebook_url(self, name: str) -> str:
        """URL that opens ``name`` in a fresh workspace."""
        return f"{self.base_url}/lab/tree/{name}?reset&token={self.token}"

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log, for failure messages."""
        text = self.log_file.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="session")
def browser_requirements() -> None:
    """Skip unless Chromium, Playwright and JupyterLab are installed."""
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    for module in ("playwright", "jupyterlab"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"the {module} package is not installed")


def _free_port() -> int:
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


def _stop(proc: subprocess.Popen[bytes]) -> None:
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


@pytest.fixture(scope="session")
def jupyter_lab(
    browser_requirements: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JupyterLab]:
    """``jupyter lab`` on a temporary copy of ``notebooks/``, stopped at the end."""
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, root)
    settings = base / "settings"
    for name, values in LAB_SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    env = {
        **os.environ,
        # Keep the user's Jupyter configuration, settings and runtime files out of it.
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
    }
    port = _free_port()
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
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = JupyterLab(f"http://127.0.0.1:{port}", token, root, log_file)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _answers(port, token):
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{server.log_tail()}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"jupyter lab did not answer within {SERVER_START_TIMEOUT:.0f} s:\n"
                    f"{server.log_tail()}"
                )
            time.sleep(0.25)
        yield server
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def browser(browser_requirements: None) -> Iterator[Browser]:
    """Headless Chromium, shared by the session."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context and page per test."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(PAGE_TIMEOUT)
    try:
        yield context.new_page()
    finally:
        context.close()
