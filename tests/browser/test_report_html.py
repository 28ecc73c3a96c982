"""The HTML report in headless Chromium: hostile text runs no script, and the page asks no
host for anything. With the ``risk_html`` entry point installed, JupyterLab also offers
the exporters and the server's download route renders a user's notebook; with the
package's front-end extension (``labextension/``) installed, the menu and the command
palette name them "Risk assessment (HTML)" and "Risk assessment (PDF)"."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import importlib.metadata
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog, Page

    from .conftest import JupyterLab

pytest.importorskip("nbconvert")


class _Watched:
    """What a page did: requests, page errors, console lines, dialogs."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.console: list[str] = []
        self.dialogs: list[str] = []


@contextlib.contextmanager
def _watched_page(browser: Browser) -> Iterator[tuple[Page, _Watched]]:
    """A new page in its own context that records what it does (dialogs dismissed)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1600})
    seen = _Watched()
    try:
        page = context.new_page()
        page.on("request", lambda r: seen.requests.append(r.url))
        page.on("pageerror", lambda e: seen.errors.append(str(e)))
        page.on("console", lambda m: seen.console.append(f"{m.type}: {m.text}"))

        def on_dialog(d: Dialog) -> None:
            seen.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", on_dialog)
        yield page, seen
    finally:
        context.close()


def _has_entry_point() -> bool:
    names = {e.name for e in importlib.metadata.entry_points(group="nbconvert.exporters")}
    return {"risk_html", "risk_pdf"} <= names


# What the front-end extension (labextension/) names the exporters, and what JupyterLab
# and Notebook 7 would show without it (the format's name, first letter capitalised).
READABLE = ("Risk assessment (HTML)", "Risk assessment (PDF)")
RAW = ("Risk_html", "Risk_pdf")


@pytest.mark.browser
def test_report_runs_no_script_and_requests_nothing(browser: Browser, tmp_path: Path) -> None:
    from tests.test_export_injection import IMG, JINJA, SCRIPT, hostile_model
    from tests.test_export_report import ENGINE_CATALOG
    from workbench.catalog import load_catalog
    from workbench.export.render import report_html
    from workbench.export.report import ReportOptions

    html = report_html(
        hostile_model(),
        catalog=load_catalog(ENGINE_CATALOG, builtin=False),
        options=ReportOptions(date=dt.date(2026, 1, 15)),
    )
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")

    with _watched_page(browser) as (page, seen):
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_timeout(500)  # give any injected handler a chance to fire
        pwned = page.evaluate("() => [typeof window.__pwned, document.scripts.length]")
        body = page.inner_text("body")
        headings = page.locator("h2").all_inner_texts()
        broken = page.evaluate(
            "() => [...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
            ".map(i => i.src.slice(0, 40))"
        )
        page.screenshot(path=str(tmp_path / "report.png"))
        # scroll through the whole page: lazy content must not fetch anything either
        page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
        page.wait_for_timeout(200)
    requests, dialogs, errors = seen.requests, seen.dialogs, seen.errors

    assert pwned == ["undefined", 0]
    assert dialogs == []
    assert errors == []
    assert requests[0] == path.as_uri()
    others = [u for u in requests[1:] if not u.startswith(("data:", "about:"))]
    assert others == [], others
    assert broken == []  # the diagram (a data: SVG) rendered
    for text in (SCRIPT, IMG, JINJA):
        assert text in body
    assert "1. Executive summary" in headings
    assert "4. Findings by cause" in headings


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not _has_entry_point(), reason="risk_html/risk_pdf entry points not installed")
def test_jupyter_server_offers_and_renders_the_exporters(jupyter_lab: JupyterLab) -> None:
    from tests.conftest import MINIMAL

    root = jupyter_lab.root_dir
    (root / "bot.yaml").write_text(MINIMAL, encoding="utf-8")
    nb: dict[str, Any] = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"threat_workbench": {"model_path": "bot.yaml"}},
        "cells": [],
    }
    (root / "session.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    host = jupyter_lab.base_url.removeprefix("http://")
    headers = {"Authorization": f"token {jupyter_lab.token}"}

    def get(path: str) -> tuple[int, bytes, str]:
        conn = http.client.HTTPConnection(host, timeout=120)
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read(), resp.getheader("Content-Type") or ""
        finally:
            conn.close()

    status, body, _ = get("/api/nbconvert")
    assert status == 200
    formats = json.loads(body)
    assert {"risk_html", "risk_pdf"} <= set(formats)
    assert formats["risk_pdf"]["output_mimetype"] == "application/pdf"

    status, body, kind = get("/nbconvert/risk_html/session.ipynb?download=true")
    assert status == 200, jupyter_lab.log_tail()
    assert "text/html" in kind
    assert b"Support bot" in body
    assert b"Executive summary" in body
    status, body, kind = get("/nbconvert/risk_pdf/session.ipynb?download=true")
    assert status == 200, jupyter_lab.log_tail()
    assert body.startswith(b"%PDF-")

    # A notebook that only shows its model (a saved output, no metadata): what the
    # Save and Export menu sends for a shipped notebook once it has run and been saved.
    _shown_notebook(root, "shown.ipynb")
    status, body, kind = get("/nbconvert/risk_html/shown.ipynb?download=true")
    assert status == 200, jupyter_lab.log_tail()
    assert b"Support bot" in body

    (root / "plain.ipynb").write_text(json.dumps({**nb, "metadata": {}}), encoding="utf-8")
    status, body, kind = get("/nbconvert/risk_html/plain.ipynb?download=true")
    assert status == 500
    assert b"nbconvert failed: this notebook holds no threat model" in body


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not _has_entry_point(), reason="risk_html/risk_pdf entry points not installed")
def test_jupyterlab_export_menu_lists_the_exporters(jupyter_lab: JupyterLab, page: Any) -> None:
    """File → Save and Export Notebook As, and the command palette, list both exporters by
    their readable names, next to nbconvert's own formats."""
    page.goto(jupyter_lab.notebook_url("01-quickstart.ipynb"))
    page.locator(".jp-Notebook").first.wait_for()
    labels = _open_the_export_menu(page, "HTML")
    assert set(READABLE) <= set(labels), labels
    assert not set(RAW) & set(labels), labels
    assert "PDF" in labels  # nbconvert's own formats keep their names
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")

    # The palette: the notebook extension adds its export items with the menu's.
    page.locator(".jp-Notebook").first.click()
    page.keyboard.press("Control+Shift+C")
    search = page.locator(".lm-CommandPalette-input").first
    search.fill("Save and Export Notebook")
    items = page.locator(".lm-CommandPalette-itemLabel")
    items.first.wait_for()
    found = items.all_inner_texts()
    for label in READABLE:
        assert f"Save and Export Notebook: {label}" in found, found
    assert not [x for x in found if any(raw in x for raw in RAW)], found


@pytest.mark.browser
def test_interactive_diagram_draws_in_its_sandbox_and_loads_nothing(
    browser: Browser, tmp_path: Path
) -> None:
    """The pyvis view runs (its scripts are allowed by hash), shows hostile names as
    text, cannot reach the report, and nothing is requested from anywhere."""
    from tests.test_export_injection import SCRIPT, hostile_model
    from workbench.export.render import report_html
    from workbench.export.report import ReportOptions

    model = hostile_model()
    html = report_html(model, options=ReportOptions(interactive_diagram=True))
    path = tmp_path / "interactive.html"
    path.write_text(html, encoding="utf-8")

    with _watched_page(browser) as (page, seen):
        page.goto(path.as_uri(), wait_until="load")
        frame_el = page.locator("iframe.atw-interactive")
        frame_el.scroll_into_view_if_needed()
        frame = frame_el.element_handle().content_frame()
        assert frame is not None
        frame.wait_for_function("() => typeof network === 'object' && network !== null")
        drawn = frame.evaluate(
            "() => [network.body.data.nodes.length, network.body.data.edges.length, "
            "network.body.data.nodes.get().map(n => n.label)]"
        )
        reach = frame.evaluate(
            "() => { try { return String(window.parent.document.title); }"
            " catch (e) { return 'blocked'; } }"
        )
        top = page.evaluate("() => [typeof window.__pwned, document.scripts.length]")
        frame_el.screenshot(path=str(tmp_path / "interactive.png"))
    requests, dialogs, errors, console = seen.requests, seen.dialogs, seen.errors, seen.console

    assert drawn[0] == len(model.elements)
    assert drawn[1] == len(model.flows)
    assert any(SCRIPT in label for label in drawn[2])  # a name with <script>, as text
    assert reach == "blocked"  # sandboxed: no access to the report
    assert top == ["undefined", 0]
    assert dialogs == []
    assert errors == []
    assert not [c for c in console if c.startswith("error")], console
    others = [u for u in requests[1:] if not u.startswith(("data:", "about:"))]
    assert others == [], others


def _shown_notebook(root: Path, name: str) -> None:
    """A saved notebook whose only model is a shown one (an output record, no metadata):
    what a shipped notebook is once run and saved."""
    from tests.conftest import MINIMAL
    from workbench import ThreatModel
    from workbench.export.report.notebook import MODEL_MIMETYPE, model_record

    output = {
        "output_type": "display_data",
        "metadata": {},
        "data": {
            "text/plain": "kept",
            MODEL_MIMETYPE: model_record(ThreatModel.from_yaml(MINIMAL)),
        },
    }
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "cells": [
            {
                "cell_type": "code",
                "id": "c1",
                "metadata": {},
                "execution_count": 1,
                "source": "model",
                "outputs": [output],
            }
        ],
    }
    (root / name).write_text(json.dumps(nb), encoding="utf-8")


def _menu_label(page: Any, label: str) -> Any:
    """The menu item label that reads exactly ``label``."""
    return page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(label)}$")).first


def _open_the_export_menu(page: Any, label: str) -> list[str]:
    """Open File → Save and Export Notebook As, wait for its item ``label``; the labels of
    every open menu."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.get_by_role("menuitem", name="File", exact=True).click()
    export = page.locator(".lm-Menu-item", has_text="Save and Export Notebook As").first
    item = _menu_label(page, label)
    # JupyterLab 4.6 opens this submenu on hover (a click there toggles it shut again);
    # older releases opened it on click. Hover first, click only if it stayed closed.
    export.hover()
    try:
        item.wait_for(timeout=5_000)
    except PlaywrightTimeout:
        export.click()
        item.wait_for()
    labels: list[str] = page.locator(".lm-Menu-itemLabel").all_inner_texts()
    return labels


def _export_through_the_menu(page: Any, label: str) -> tuple[int, str, list[str]]:
    """File → Save and Export Notebook As → ``label``; the status and content type of the
    export request the menu sends (it opens the export in a new tab), and the labels the
    open menus showed."""
    labels = _open_the_export_menu(page, label)
    item = _menu_label(page, label)
    seen: list[tuple[int, str]] = []

    def export_response(r: Any) -> bool:
        # read what is needed now: the tab the menu opens closes once the file is saved
        if "/nbconvert/risk_html/" not in r.url:
            return False
        seen.append((r.status, r.headers.get("content-type", "")))
        return True

    with page.context.expect_event("response", export_response, timeout=120_000):
        item.click()
    return (*seen[-1], labels)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not _has_entry_point(), reason="risk_html/risk_pdf entry points not installed")
@pytest.mark.parametrize("front_end", ["jupyterlab", "notebook7"])
def test_the_export_menu_exports_a_notebook_that_shows_its_model(
    jupyter_lab: JupyterLab, page: Any, front_end: str
) -> None:
    """The real menu, in JupyterLab and in Notebook 7: *Risk assessment (HTML)* on a saved
    notebook that shows its model answers with the report, and the exporters' raw names
    ("Risk_html") are not shown."""
    name = f"shown-{front_end}.ipynb"
    _shown_notebook(jupyter_lab.root_dir, name)
    if front_end == "notebook7":
        try:
            import notebook  # noqa: F401
        except ImportError:
            pytest.skip("Notebook 7 is not installed")
        page.goto(jupyter_lab.notebook7_url(name))
    else:
        page.goto(jupyter_lab.notebook_url(name))
    page.locator(".jp-Notebook").first.wait_for()
    # JupyterLab and Notebook 7 label a format by its name ("risk_html" -> "Risk_html");
    # the package's front-end extension (labextension/) gives the readable one.
    status, kind, labels = _export_through_the_menu(page, READABLE[0])
    assert READABLE[1] in labels, labels
    assert not set(RAW) & set(labels), labels
    assert status == 200, jupyter_lab.log_tail()
    assert "text/html" in kind


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280, 1920])
def test_report_opens_at_its_title_and_fits_any_width(
    browser: Browser, tmp_path: Path, width: int
) -> None:
    """No blank band above the title (it was about 150 px), and no table wider than the
    page (on a phone, a wide table scrolls sideways in its own box), on a phone, a laptop
    and a wide screen."""
    from workbench.export.render import report_html
    from workbench.export.report import ReportOptions
    from workbench.starters import load_template

    html = report_html(
        load_template("rag_assistant"), options=ReportOptions(date=dt.date(2026, 1, 15))
    )
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.goto(path.as_uri(), wait_until="load")
        top = page.evaluate(
            "() => [document.querySelector('p.doc-kind').getBoundingClientRect().top,"
            " document.querySelector('h1.doc-title').getBoundingClientRect().top]"
        )
        overflow = page.evaluate(
            "() => { const w = document.documentElement.clientWidth + 1;"
            " return [...document.querySelectorAll('main table')]"
            ".filter(t => t.getBoundingClientRect().right > w).length; }"
        )
        page.screenshot(path=str(tmp_path / f"top-{width}.png"))
    finally:
        context.close()
    assert top[0] < 60, top  # the document's kind first, then its title
    assert top[1] < 110, top
    assert overflow == 0
