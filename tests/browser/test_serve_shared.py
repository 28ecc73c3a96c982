"""End to end: ``threat-workbench serve FILE --shared``, with real pages in Chromium.

- Two participants and the facilitator (three pages) in one room: an edit in one page
  is drawn on the others and saved to FILE; the presence list names everyone and what
  each is editing; the inspector warns "being edited by" (and lets the second editor
  edit); undo takes back one's own edit only; the facilitator's freeze refuses
  participants' edits on every page, and the reveal shows the threat panel to all.
- Without the token a page gets nothing (403, no canvas); the participants' token does
  not open the facilitator's view.
- Several rooms (``serve DIR --shared``): the room list links to each room.
- The server is killed (SIGKILL) in the middle of a burst of edits from two pages:
  every element a page drew is in FILE afterwards, and FILE loads.

No console error and no request beyond 127.0.0.1 are allowed.
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .conftest import PAGE_TIMEOUT, PageGuard
from .servers import free_port, stop
from .test_canvas import PAINTED

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

START_TIMEOUT = 90.0
ROOT = Path(__file__).resolve().parents[2]


def _status(port: int, path: str, token: str | None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Authorization": f"token {token}"} if token else {}
        conn.request("GET", path, headers=headers)
        return conn.getresponse().status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        conn.close()


@contextmanager
def serving(target: Path, token: str, *extra: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``threat-workbench serve TARGET --shared`` on a free port with ``token``."""
    pytest.importorskip("panel")
    port = free_port()
    log_file = target.parent / f"server-{port}.log"
    command = [sys.executable, "-m", "workbench.cli", "serve", str(target), "--shared"]
    command += ["--port", str(port), "--token", token, *extra]
    with log_file.open("wb") as log:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while _status(port, "/", token) != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("serve did not start:\n" + log_file.read_text(errors="replace"))
            time.sleep(0.5)
        yield proc, port
    finally:
        stop(proc)


def room_file(folder: Path, name: str = "room.yaml", template: str = "rag_assistant") -> Path:
    """A model file as ``threat-workbench new`` writes it."""
    from workbench.cli import main

    path = folder / name
    assert main(["new", str(path), "--template", template]) == 0
    return path


class Pages:
    """Browser contexts (one per person: own cookies, own session) and their pages."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.guard = PageGuard()
        self.contexts: list[Any] = []

    def open(self, url: str, *, painted: bool = True) -> Page:
        context = self.browser.new_context(
            viewport={"width": 1400, "height": 1000}, accept_downloads=True
        )
        context.set_default_timeout(PAGE_TIMEOUT)
        self.contexts.append(context)
        page = context.new_page()
        self.guard.watch(page)
        page.goto(url)
        if painted:
            page.locator(PAINTED).wait_for()
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def canvas_call(page: Page, script: str, arg: Any = None) -> Any:
    """Run ``script`` (a function of the canvas root and ``arg``) in the page."""
    return page.locator(".atw-canvas").evaluate(script, arg)


def shown_ids(page: Page) -> set[str]:
    """The elements the page's canvas draws."""
    return set(canvas_call(page, "(el) => el.atw.ids().nodes"))


def node_label(page: Page, element_id: str) -> str:
    shown = canvas_call(page, "(el, id) => el.atw.node(id)", element_id)
    return str((shown or {}).get("label", ""))


def wait_until(check: Any, what: str, timeout: float = PAGE_TIMEOUT / 1000) -> None:
    """Wait until ``check()`` is true (polled every 100 ms)."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.1)


def click_element(page: Page, element_id: str) -> None:
    """Click an element on the canvas (selects it)."""
    at = canvas_call(page, "(el, id) => el.atw.pagePosition(id)", element_id)
    assert at is not None, f"{element_id} is not drawn"
    page.mouse.click(at["x"], at["y"])


def place(page: Page, kind: str = "agent") -> None:
    """Pick ``kind`` in the palette and click an empty spot of the canvas (a click on an
    element does not place: the next spot is tried). Does not wait for the answer."""
    page.locator(f".atw-kind[data-kind='{kind}']").click()
    stage = page.locator(".atw-stage").bounding_box()
    assert stage is not None
    hint = page.locator(".atw-hint")
    left, bottom = stage["x"] + 40, stage["y"] + stage["height"] - 40
    for row in range(int(stage["height"] // 50) - 1):
        for column in range(int(stage["width"] // 50) - 1):
            page.mouse.click(left + 50 * column, bottom - 50 * row)
            if not (hint.text_content() or "").strip():
                return
    raise AssertionError("no empty spot on the canvas")


def count(page: Page) -> int:
    return int(page.locator(PAINTED).get_attribute("data-node-count") or 0)


# ----------------------------------------------------------------------------- one room
@pytest.fixture(scope="module")
def room(
    browser_requirements: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, str, str, Path]]:
    """A shared room with a participants' and a facilitator's token."""
    folder = tmp_path_factory.mktemp("shared")
    path = room_file(folder)
    token, facilitator = secrets.token_hex(8), secrets.token_hex(8)
    with serving(path, token, "--facilitator-token", facilitator) as (_proc, port):
        yield port, token, facilitator, path


def test_participants_share_one_model(
    room: tuple[int, str, str, Path], browser: Browser, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    from workbench import ThreatModel

    port, token, facilitator, path = room
    base = f"http://127.0.0.1:{port}"
    folder = Path(os.environ.get("ATW_ARTIFACTS", tmp_path)) / "serve-shared"
    folder.mkdir(parents=True, exist_ok=True)
    start = len(ThreatModel.load(path).elements)
    pages = Pages(browser)
    try:
        alice = pages.open(f"{base}/?token={token}&name=Alice")
        bob = pages.open(f"{base}/?token={token}&name=Bob")
        lead = pages.open(f"{base}/facilitator?token={facilitator}&name=Fay")
        everyone = (alice, bob, lead)

        # Presence: everyone sees the three of them.
        for page in everyone:
            expect(page.locator(".atw-presence [data-count]")).to_have_attribute("data-count", "3")
            for name in ("Alice", "Bob", "Fay"):
                expect(page.locator(f".atw-presence li[data-participant='{name}']")).to_be_visible()
        expect(alice.locator(".atw-presence li[data-participant='Fay']")).to_contain_text(
            "facilitator"
        )

        # The threats are hidden from participants until the facilitator reveals them.
        expect(alice.locator(".atw-threats-hidden")).to_be_visible()
        expect(alice.locator(".atw-threat-panel")).to_be_hidden()
        expect(lead.locator(".atw-threat-panel")).to_be_visible()
        expect(alice.locator(".atw-export-html")).to_have_count(0)

        # Alice adds an agent: Bob and Fay draw it, and it is in the file.
        place(alice)
        for page in everyone:
            expect(page.locator(PAINTED)).to_have_attribute("data-node-count", str(start + 1))
        assert "agent-1" in {e.id for e in ThreatModel.load(path).elements}
        expect(alice.locator(".atw-presence li[data-participant='Alice']")).to_have_attribute(
            "data-editing", "agent-1"
        )

        # Bob selects it too: he is warned that Alice is editing it, and she that he is.
        click_element(bob, "agent-1")
        warning = bob.locator(".atw-being-edited [data-editors]")
        expect(warning).to_have_attribute("data-editors", "Alice")
        expect(warning).to_contain_text("Being edited by Alice")
        expect(alice.locator(".atw-being-edited [data-editors]")).to_have_attribute(
            "data-editors", "Bob"
        )
        expect(lead.locator(".atw-presence li[data-participant='Bob']")).to_contain_text(
            "editing Agent 1"
        )
        # ... but not blocked: his rename reaches everyone.
        name_box = bob.locator(".atw-inspector input").first
        name_box.fill("Planner")
        name_box.press("Enter")
        for page in everyone:
            wait_until(lambda p=page: "Planner" in node_label(p, "agent-1"), "renamed")
        assert ThreatModel.load(path).element("agent-1").name == "Planner"
        bob.screenshot(path=folder / "bob-warned.png")

        # Undo is one's own: Alice's undo is refused (Bob renamed her agent since) ...
        alice.locator(".atw-btn[data-action='undo']").click()
        expect(alice.locator(PAINTED)).to_have_attribute(
            "data-notice", "cannot undo: Bob changed element 'Planner' since"
        )
        # ... Bob's undo takes back his rename only, then Alice's takes back her agent.
        bob.locator(".atw-btn[data-action='undo']").click()
        wait_until(lambda: "Agent 1" in node_label(alice, "agent-1"), "rename undone")
        alice.locator(".atw-btn[data-action='undo']").click()
        for page in everyone:
            expect(page.locator(PAINTED)).to_have_attribute("data-node-count", str(start))
        assert "agent-1" not in {e.id for e in ThreatModel.load(path).elements}

        # The facilitator freezes editing: participants are told and refused, everywhere.
        lead.locator(".atw-freeze button").click()
        for page in (alice, bob):
            expect(page.locator(".atw-room-banner [data-frozen]")).to_be_visible()
        place(bob)
        expect(bob.locator(PAINTED)).to_have_attribute(
            "data-notice", "editing is frozen by the facilitator"
        )
        bob.wait_for_timeout(500)
        for page in everyone:
            assert count(page) == start
        bob.screenshot(path=folder / "bob-frozen.png")
        lead.locator(".atw-freeze button").click()
        expect(bob.locator(".atw-room-banner")).to_be_hidden()
        place(bob)
        for page in everyone:
            expect(page.locator(PAINTED)).to_have_attribute("data-node-count", str(start + 1))

        # Reveal: every participant's threat panel appears, and follows the next edit.
        lead.locator(".atw-reveal button").click()
        for page in (alice, bob):
            expect(page.locator(".atw-threat-panel")).to_be_visible()
            expect(page.locator(".atw-threats-hidden")).to_be_hidden()
        counts = alice.locator("[data-role='counts']")
        before = int(counts.get_attribute("data-count") or 0)
        click_element(alice, "agent-1")
        expect(counts).not_to_have_attribute("data-count", str(before))  # the selection's
        bob.locator(".atw-btn[data-action='delete']").click()  # Bob's agent is selected
        for page in everyone:
            expect(page.locator(PAINTED)).to_have_attribute("data-node-count", str(start))
        alice.screenshot(path=folder / "alice-revealed.png")

        # The facilitator exports the room's model.
        with lead.expect_download() as got:
            lead.locator(".atw-download-yaml a, .atw-download-yaml button").first.click()
        exported = ThreatModel.from_yaml(Path(got.value.path()).read_text(encoding="utf-8"))
        assert exported == ThreatModel.load(path)

        # Bob leaves: the others see him go.
        bob.context.close()
        pages.contexts.remove(bob.context)
        for page in (alice, lead):
            expect(page.locator(".atw-presence [data-count]")).to_have_attribute(
                "data-count", "2", timeout=30_000
            )
    finally:
        pages.close()
    pages.guard.assert_clean()


def test_without_the_token_nothing_is_shown(
    room: tuple[int, str, str, Path], browser: Browser
) -> None:
    from playwright.sync_api import expect

    port, token, _facilitator, _path = room
    base = f"http://127.0.0.1:{port}"
    pages = Pages(browser)
    try:
        stranger = pages.open(f"{base}/", painted=False)
        expect(stranger.locator("body")).to_contain_text("token is needed")
        assert stranger.locator(".atw-canvas").count() == 0
        participant = pages.open(f"{base}/facilitator?token={token}", painted=False)
        expect(participant.locator("body")).to_contain_text("facilitator's token")
        assert participant.locator(".atw-canvas").count() == 0
    finally:
        pages.close()
    for path in ("/", "/ws", "/facilitator", "/facilitator/ws"):
        assert _status(port, path, None) == 403, path
    assert _status(port, "/facilitator", token) == 403


# ----------------------------------------------------------------------------- rooms
def test_room_list_links_to_each_room(
    browser_requirements: None, browser: Browser, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    folder = tmp_path / "rooms"
    folder.mkdir()
    first = room_file(folder, "alpha.yaml")
    second = room_file(folder, "beta.yaml", "fraud_classifier")
    token = secrets.token_hex(8)
    with serving(folder, token) as (_proc, port):
        pages = Pages(browser)
        try:
            listing = pages.open(f"http://127.0.0.1:{port}/?token={token}", painted=False)
            rooms = listing.locator(".atw-rooms tr[data-room]")
            expect(rooms).to_have_count(2)
            listing.locator(".atw-rooms tr[data-room='beta'] a").click()
            listing.locator(PAINTED).wait_for()
            before = count(listing)
            place(listing)
            expect(listing.locator(PAINTED)).to_have_attribute("data-node-count", str(before + 1))
            other = pages.open(f"http://127.0.0.1:{port}/rooms/beta?token={token}")
            expect(other.locator(PAINTED)).to_have_attribute("data-node-count", str(count(listing)))
            from workbench import ThreatModel

            assert len(ThreatModel.load(second).elements) == count(listing)
            assert ThreatModel.load(first) == ThreatModel.load(first)  # untouched, loads
        finally:
            pages.close()
        pages.guard.assert_clean()


# ----------------------------------------------------------------------------- crash
def test_a_killed_server_loses_no_edit_a_page_showed(
    browser_requirements: None, browser: Browser, tmp_path: Path
) -> None:
    """SIGKILL the server while two pages fire edits as fast as they can click: every
    element either page drew (so saw applied) must be in the file, which must load."""
    from workbench import ThreatModel

    path = room_file(tmp_path)
    start = {e.id for e in ThreatModel.load(path).elements}
    token = secrets.token_hex(8)
    with serving(path, token) as (proc, port):
        pages = Pages(browser)
        try:
            a = pages.open(f"http://127.0.0.1:{port}/?token={token}&name=A")
            b = pages.open(f"http://127.0.0.1:{port}/?token={token}&name=B")
            killed = threading.Event()

            def kill_when_busy() -> None:
                # wait until a few edits are through, then kill in the middle of the burst
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    if len(ThreatModel.load(path).elements) >= len(start) + 6:
                        break
                    time.sleep(0.05)
                time.sleep(0.3)
                os.killpg(proc.pid, signal.SIGKILL)
                killed.set()

            killer = threading.Thread(target=kill_when_busy)
            killer.start()
            clicks_after_kill = 0
            for _ in range(60):
                for page in (a, b):
                    place(page)
                if killed.is_set():
                    clicks_after_kill += 1
                    if clicks_after_kill > 3:
                        break
            killer.join()
            proc.wait(timeout=10)
            assert proc.returncode == -signal.SIGKILL
            a.wait_for_timeout(1000)
            shown = shown_ids(a) | shown_ids(b)
            saved = {e.id for e in ThreatModel.load(path).elements}
            assert len(shown - start) >= 6, "too few edits were applied before the kill"
            assert clicks_after_kill > 0, "the server was not killed during the burst"
            assert shown <= saved, f"drawn but not saved: {sorted(shown - saved)}"
        finally:
            pages.close()
