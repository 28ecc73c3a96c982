"""End to end: ``threat-workbench serve`` with a token, two browser sessions at once.

Session A adds an agent from the palette; session B, open at the same time, must not see
it. A's YAML download holds the agent and its HTML export is a report; a request without
the token gets 403. No console error and no request beyond 127.0.0.1 are allowed.
Screenshots go to ``$ATW_ARTIFACTS/serve`` (or the test's temporary folder).
"""

from __future__ import annotations

import http.client
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .conftest import PAGE_TIMEOUT, PageGuard
from .servers import free_port, stop
from .test_canvas import PAINTED, add_from_palette, template

if TYPE_CHECKING:
    from playwright.sync_api import Browser

START_TIMEOUT = 90.0


def _answers(port: int, token: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/", headers={"Authorization": f"token {token}"})
        return conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        conn.close()


@pytest.fixture(scope="module")
def served(
    browser_requirements: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, str]]:
    """``threat-workbench serve`` on 127.0.0.1, a free port and a random token."""
    pytest.importorskip("panel")
    log_file = tmp_path_factory.mktemp("serve") / "server.log"
    port, token = free_port(), secrets.token_hex(12)
    command = [
        sys.executable,
        "-m",
        "workbench.cli",
        "serve",
        "--port",
        str(port),
        "--token",
        token,
    ]
    with log_file.open("wb") as log:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while _answers(port, token) != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("serve did not start:\n" + log_file.read_text(errors="replace"))
            time.sleep(0.5)
        yield port, token
    finally:
        stop(proc)


@pytest.mark.browser
@pytest.mark.slow
def test_two_sessions_are_isolated_and_downloads_work(
    served: tuple[int, str], browser: Browser, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    port, token = served
    folder = Path(os.environ.get("ATW_ARTIFACTS", tmp_path)) / "serve"
    folder.mkdir(parents=True, exist_ok=True)
    elements = len(template().elements)
    guard = PageGuard()
    contexts = [
        browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        for _ in "ab"
    ]
    try:
        pages = []
        for context in contexts:
            context.set_default_timeout(PAGE_TIMEOUT)
            page = context.new_page()
            guard.watch(page)
            page.goto(f"http://127.0.0.1:{port}/?token={token}")
            pages.append(page)
        a, b = pages
        for page in pages:
            expect(page.locator(PAINTED)).to_have_attribute("data-node-count", str(elements))

        # A adds an agent from the palette; the inspector and threat panel follow.
        add_from_palette(a, a.locator(PAINTED), "agent")
        expect(a.locator(".atw-inspector input").first).to_have_value("Agent 1")
        expect(a.locator("[data-role='counts']")).not_to_have_attribute("data-rev", "0")
        a.screenshot(path=folder / "session-a.png")

        # B, open all along, still has the template (after a round trip of its own).
        b.locator(".atw-btn[data-action='fit']").click()
        b.wait_for_timeout(1500)
        expect(b.locator(PAINTED)).to_have_attribute("data-node-count", str(elements))
        b.screenshot(path=folder / "session-b.png")

        # A's downloads: the YAML has the agent, the export is a report.
        with a.expect_download() as got:
            a.locator(".atw-download-yaml a, .atw-download-yaml button").first.click()
        yaml_text = Path(got.value.path()).read_text(encoding="utf-8")
        assert "agent-1" in yaml_text
        with a.expect_download(timeout=120_000) as got:
            a.locator(".atw-export-html a, .atw-export-html button").first.click()
        report = Path(got.value.path()).read_text(encoding="utf-8")
        assert "Agent 1" in report
        (folder / "report.html").write_text(report, encoding="utf-8")
    finally:
        for context in contexts:
            context.close()

    # Without the token: 403, with a message.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/")
    response = conn.getresponse()
    assert response.status == 403
    assert b"token is needed" in response.read()
    conn.close()
    guard.assert_clean()
