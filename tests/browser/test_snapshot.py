"""nbconvert's stock HTML export of a notebook holding a Workbench and a Canvas, opened
offline in headless Chromium: the static snapshot is what the reader sees.

Every request that is not ``file:``/``data:``/``blob:``/``about:`` is blocked and recorded.
The stock ``lab`` template itself always asks cdnjs for require.js and MathJax; those two
are the only outside requests allowed (nothing in our outputs asks for anything).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.test_widgets_snapshot import (
    CLEAR_WIDGET_STATE,
    RAG_NAME,
    SNAPSHOT_CLASS,
    notebook,
    stock_html,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Route

pytest.importorskip("nbconvert")

LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")
SETTLE_MS = 1500  # time for any script the page would run (the widget loader waits for load)


@dataclass
class OfflineVisit:
    """What an offline page asked for and complained about."""

    blocked: list[str] = field(default_factory=list)
    console_errors: list[tuple[str, str]] = field(default_factory=list)
    """(text, URL of the resource or script) of every console error."""
    page_errors: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.route("**/*", self._route)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))

    def _route(self, route: Route) -> None:
        url = route.request.url
        if url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def _console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            self.console_errors.append((msg.text, str(msg.location.get("url", ""))))


def template_assets() -> set[str]:
    """The outside scripts nbconvert's stock lab template always includes."""
    exporter = pytest.importorskip("nbconvert").HTMLExporter()
    return {exporter.require_js_url, exporter.mathjax_url}


def open_offline(browser: Browser, path: Path, screenshot: Path) -> tuple[OfflineVisit, Any]:
    """Open ``path`` with every outside request blocked; return what happened and what the
    page shows (texts and sizes of the outputs, the snapshot's diagram)."""
    visit = OfflineVisit()
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    context.set_default_timeout(60_000)
    try:
        page = context.new_page()
        visit.watch(page)
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_timeout(SETTLE_MS)
        seen = page.evaluate(
            """(cls) => ({
              outputs: [...document.querySelectorAll('.jp-OutputArea-output')].map(o =>
                ({text: o.innerText, height: o.getBoundingClientRect().height})),
              snapshots: [...document.querySelectorAll('.' + cls)].map(s =>
                ({text: s.innerText, visible: s.getBoundingClientRect().height > 100 &&
                  getComputedStyle(s).visibility === 'visible'})),
              diagrams: [...document.querySelectorAll('.' + cls + ' img.atw-diagram')].map(i =>
                ({complete: i.complete, width: i.naturalWidth})),
            })""",
            SNAPSHOT_CLASS,
        )
        page.screenshot(path=str(screenshot), full_page=True)
    finally:
        context.close()
    return visit, seen


def assert_only_template_assets_left(visit: OfflineVisit) -> None:
    allowed = template_assets()
    assert set(visit.blocked) <= allowed, visit.blocked
    assert visit.page_errors == []
    errors = [(text, url) for text, url in visit.console_errors if url not in allowed]
    assert errors == []


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize(
    ("case", "widget_state", "config"),
    [
        ("saved-without-state", False, {}),
        ("state-cleared-on-export", True, CLEAR_WIDGET_STATE),
    ],
)
def test_stock_export_shows_the_snapshot_offline(
    browser: Browser,
    artifacts: Path,
    tmp_path: Path,
    case: str,
    widget_state: bool,
    config: dict[str, Any],
) -> None:
    from workbench.diagram import has_graphviz

    page_file = tmp_path / f"{case}.html"
    page_file.write_text(stock_html(notebook(widget_state=widget_state), **config), "utf-8")
    visit, seen = open_offline(browser, page_file, artifacts / f"{case}.png")

    assert len(seen["snapshots"]) == 2  # the workbench's and the bare canvas's
    workbench, canvas = seen["snapshots"]
    assert workbench["visible"]
    assert canvas["visible"]
    assert RAG_NAME in workbench["text"]
    assert "Top 10 open findings" in workbench["text"]
    assert "Support bot" in canvas["text"]
    if has_graphviz():
        assert len(seen["diagrams"]) == 2
        assert all(d["complete"] and d["width"] > 100 for d in seen["diagrams"])
    assert not any("html-manager" in url for url in visit.blocked)
    assert_only_template_assets_left(visit)


@pytest.mark.browser
@pytest.mark.slow
def test_stock_export_with_saved_state_is_blank_offline(
    browser: Browser, artifacts: Path, tmp_path: Path
) -> None:
    """Why the fallback matters: with saved widget state the stock export shows the widget
    views, which need the widget manager from unpkg.com; offline the outputs are empty."""
    page_file = tmp_path / "with-state.html"
    page_file.write_text(stock_html(notebook()), "utf-8")
    visit, seen = open_offline(browser, page_file, artifacts / "with-state.png")

    assert seen["snapshots"] == []
    widget_outputs = [o for o in seen["outputs"] if o["text"].strip() == ""]
    assert len(widget_outputs) == 2
    assert all(o["height"] < 60 for o in widget_outputs)
    manager = [url for url in visit.blocked if "@jupyter-widgets/html-manager" in url]
    assert manager, visit.blocked
