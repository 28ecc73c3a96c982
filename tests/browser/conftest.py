"""Fixtures for the JupyterLab and Notebook 7 end-to-end tests.

A Jupyter server (:mod:`tests.browser.servers`) runs on a temporary copy of
``notebooks/`` with the interpreter that runs pytest, and a headless Chromium
(``/usr/bin/chromium``) drives it through Playwright's sync API. The tests skip when
Chromium, Playwright or JupyterLab is missing.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import pytest

from .servers import (
    LOCAL_HOSTS,
    JupyterLab,
    ServerError,
    jupyter_server,
    launch_chromium,
    missing_requirements,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Request, ViewportSize

__all__ = ["JupyterLab", "PageGuard"]

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
PAGE_TIMEOUT = 60_000  # ms, default for every Playwright wait
VIEWPORT: ViewportSize = {"width": 1400, "height": 1600}  # fits the summary and diagram


@dataclass
class PageGuard:
    """What a page did that a test forbids: console errors, uncaught exceptions, and
    requests to any host but 127.0.0.1."""

    problems: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    page_errors: list[tuple[str, str]] = field(default_factory=list)
    """Uncaught exceptions as (message, stack)."""

    def watch(self, page: Page) -> None:
        """Record from now on what ``page`` logs and requests."""
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.page_errors.append((exc.message, exc.stack or "")))
        page.on("request", self._request)

    def forgive(self, message: str, source: str) -> int:
        """Drop the uncaught exceptions that read ``message`` and were thrown by code in
        ``source`` (part of a script URL): for known bugs of the frontend itself, never
        of this project. Returns how many were dropped."""
        kept = [(m, s) for m, s in self.page_errors if not (m == message and source in s)]
        dropped = len(self.page_errors) - len(kept)
        self.page_errors = kept
        return dropped

    def _console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            where = msg.location.get("url", "")
            self.problems.append(f"console error: {msg.text}" + (f" ({where})" if where else ""))

    def _request(self, request: Request) -> None:
        url = urlparse(request.url)
        if url.scheme not in ("data", "blob") and url.hostname not in LOCAL_HOSTS:
            self.outside.append(request.url)

    def assert_clean(self) -> None:
        """Fail on any console error, page error or request beyond 127.0.0.1."""
        errors = [f"page error: {m}\n{s}" for m, s in self.page_errors]
        assert not self.problems + errors, "\n".join(self.problems + errors)
        assert not self.outside, f"requests left 127.0.0.1: {self.outside}"


@pytest.fixture(scope="session")
def browser_requirements() -> None:
    """Skip unless Chromium, Playwright and JupyterLab are installed."""
    reason = missing_requirements()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def jupyter_lab(
    browser_requirements: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[JupyterLab]:
    """``jupyter lab`` on a temporary copy of ``notebooks/``, stopped at the end."""
    with notebook_server(tmp_path_factory, "jupyterlab") as server:
        yield server


@contextlib.contextmanager
def notebook_server(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[JupyterLab]:
    """A Jupyter server (JupyterLab and Notebook 7) on a fresh copy of ``notebooks/``."""
    base = tmp_path_factory.mktemp(name)
    root = base / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, root)
    try:
        with jupyter_server(base, root) as server:
            yield server
    except ServerError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="package")
def browser(browser_requirements: None) -> Iterator[Browser]:
    """Headless Chromium, shared by the browser tests. Package scope: Playwright's sync
    API keeps its event loop marked as running in the main thread while it is open, so it
    is closed when the browser tests end, before the tests that run asyncio themselves
    (the language server's)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
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


@pytest.fixture
def guard(page: Page) -> PageGuard:
    """Console errors and outside requests of ``page`` (call ``guard.assert_clean()``)."""
    watcher = PageGuard()
    watcher.watch(page)
    return watcher


@pytest.fixture
def artifacts(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Folder for this test's screenshots: ``$ATW_ARTIFACTS/<test name>`` (or the test's
    temporary folder)."""
    base = os.environ.get("ATW_ARTIFACTS")
    folder = Path(base) / request.node.name if base else tmp_path / "artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
