"""The VS Code extension (``editors/vscode``) in a real VS Code: code-server, driven by
headless Chromium. The ``.vsix`` (``make vscode-extension``) is installed into a fresh
extensions folder, the server started on a copy of the RAG starter with this interpreter
as ``threatWorkbench.pythonPath``; the Problems panel must list the language server's
findings, a hover on an element must show its findings, and a quick fix must record a
decision in the file.

Needs ``CODE_SERVER`` (the ``code-server`` executable, from ``npm install
code-server@4.139.1``; docs/editors.md) and, when the ``node`` on the PATH is not Node 24,
``CODE_SERVER_NODE`` (the folder of a Node 24 ``node``). Skips without them, without the
``.vsix`` or without Chromium.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .servers import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Frame, Page

ROOT = Path(__file__).resolve().parents[2]
VSIX = ROOT / "editors" / "vscode" / "ai-threat-workbench.vsix"
RAG = ROOT / "starters" / "rag_assistant.yaml"
WAIT = 60_000  # ms


def _env() -> dict[str, str]:
    env = dict(os.environ)
    node_dir = os.environ.get("CODE_SERVER_NODE", "")
    if node_dir:
        env["PATH"] = node_dir + os.pathsep + env.get("PATH", "")
    return env


@pytest.fixture(scope="module")
def code_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    binary = os.environ.get("CODE_SERVER", "")
    if not binary or not Path(binary).exists():
        pytest.skip("needs CODE_SERVER: the code-server executable (docs/editors.md)")
    if not VSIX.exists():
        pytest.skip("needs the extension: make vscode-extension")
    base = tmp_path_factory.mktemp("code-server")
    user, extensions, folder = base / "user", base / "extensions", base / "models"
    (user / "User").mkdir(parents=True)
    folder.mkdir()
    shutil.copy(RAG, folder / RAG.name)
    settings = {
        "security.workspace.trust.enabled": False,
        "threatWorkbench.pythonPath": sys.executable,
        "workbench.startupEditor": "none",
        "telemetry.telemetryLevel": "off",
        "extensions.autoCheckUpdates": False,
        "extensions.autoUpdate": False,
        # VS Code's chat view would take a third of the window (and the screenshots)
        "chat.disableAIFeatures": True,
        "workbench.secondarySideBar.defaultVisibility": "hidden",
    }
    (user / "User" / "settings.json").write_text(json.dumps(settings), encoding="utf-8")
    common = ["--user-data-dir", str(user), "--extensions-dir", str(extensions)]
    subprocess.run(
        [binary, *common, "--install-extension", str(VSIX)],
        env=_env(),
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    env = _env()
    env["THREAT_WORKBENCH_TODAY"] = os.environ.get("THREAT_WORKBENCH_TODAY", "2026-12-01")
    log = (base / "server.log").open("w")
    serve = ["--auth", "none", "--bind-addr", f"127.0.0.1:{port}", "--disable-telemetry"]
    proc = subprocess.Popen(
        [binary, *common, *serve, str(folder)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.5)
            finally:
                conn.close()
        else:
            pytest.fail("code-server did not answer within 60 s")
        yield f"http://127.0.0.1:{port}/?folder={folder}", folder
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _open_model(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(".monaco-workbench", timeout=WAIT)
    page.keyboard.press("Control+P")
    page.wait_for_selector(".quick-input-widget input", timeout=WAIT)
    page.keyboard.type(RAG.name)
    page.wait_for_selector(f".quick-input-list :text('{RAG.name}')", timeout=WAIT)
    page.keyboard.press("Enter")
    page.wait_for_selector(".monaco-editor .view-lines", timeout=WAIT)


def _go_to(page: Page, line: int, column: int) -> None:
    page.keyboard.press("Control+G")
    page.wait_for_selector(".quick-input-widget input", timeout=WAIT)
    page.keyboard.type(f"{line}:{column}")
    page.keyboard.press("Enter")


def _webview_frame(page: Page, marker: str) -> Frame:
    """The webview frame (nested in VS Code's own) whose page holds ``marker``."""
    deadline = time.monotonic() + WAIT / 1000
    while time.monotonic() < deadline:
        for frame in page.frames:
            with contextlib.suppress(Exception):  # a frame navigating or gone: look again
                if marker in frame.content():
                    return frame
        time.sleep(0.5)
    raise AssertionError(f"no webview shows {marker!r}")


@pytest.mark.browser
@pytest.mark.slow
def test_extension_in_code_server(
    code_server: tuple[str, Path], browser: Browser, tmp_path: Path
) -> None:
    url, folder = code_server
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(WAIT)
    try:
        _open_model(page, url)
        # the Problems panel lists the language server's findings
        page.keyboard.press("Control+Shift+M")
        problems = page.locator(".markers-panel")
        problems.get_by_text("AITW-LLM-001@llm_app").first.wait_for(timeout=WAIT)
        assert "threat-workbench" in problems.inner_text()
        page.screenshot(path=str(tmp_path / "problems.png"))
        # hover on an element: its findings
        text = RAG.read_text(encoding="utf-8")
        line = text[: text.index("  - id: llm_app\n")].count("\n") + 1
        page.locator(".monaco-editor .view-lines").first.click()
        _go_to(page, line, 11)
        page.keyboard.press("Control+K")
        page.keyboard.press("Control+I")
        hover = page.locator(".monaco-hover-content").first
        hover.get_by_text("findings").first.wait_for(timeout=WAIT)
        assert "AITW-LLM-001@llm_app" in hover.inner_text()
        page.keyboard.press("Escape")
        # a quick fix on the finding records a decision in the file
        page.keyboard.press("Control+.")
        fix = page.locator(".action-widget").get_by_text(
            "AITW-LLM-001@llm_app: mark as a false positive"
        )
        fix.first.click()
        page.keyboard.press("Control+S")
        deadline = time.monotonic() + 30
        saved = ""
        while time.monotonic() < deadline:
            saved = (folder / RAG.name).read_text(encoding="utf-8")
            if "AITW-LLM-001@llm_app\n    status: false_positive" in saved:
                break
            time.sleep(0.5)
        assert "AITW-LLM-001@llm_app\n    status: false_positive" in saved
        assert saved.startswith(text.split("\nsystem:", 1)[0])  # comments kept
        page.screenshot(path=str(tmp_path / "decided.png"))
        # the side panel: the diagram and the top risks; a click reveals the element
        page.keyboard.press("F1")
        page.wait_for_selector(".quick-input-widget input", timeout=WAIT)
        page.keyboard.type("Threat Workbench: Show the diagram")
        page.wait_for_selector(".quick-input-list :text('Show the diagram')", timeout=WAIT)
        page.keyboard.press("Enter")
        frame = _webview_frame(page, "atw-architecture")
        assert frame.locator("ol.risks li").count() > 0
        vector = text[: text.index("  - id: vector_store\n")].count("\n") + 1
        frame.locator('[data-element="vector_store"]').first.click()
        page.locator(f".statusbar :text('Ln {vector},')").first.wait_for(timeout=WAIT)
        page.screenshot(path=str(tmp_path / "panel.png"))
        # the diagram fits the panel; its button shows it at its actual size, and back
        frame.locator("button.zoom").click()
        frame.locator(".diagram.actual").wait_for(timeout=WAIT)
        assert frame.locator("button.zoom").inner_text() == "Fit to the panel"
        page.screenshot(path=str(tmp_path / "panel-actual.png"))
        # open in the notebook workbench, with the focus still in the side panel: a
        # notebook beside the model, opened in VS Code
        page.keyboard.press("F1")
        page.wait_for_selector(".quick-input-widget input", timeout=WAIT)
        page.keyboard.type("Threat Workbench: Open the model in the notebook")
        page.wait_for_selector(".quick-input-list :text('notebook workbench')", timeout=WAIT)
        page.keyboard.press("Enter")
        notebook = folder / "rag_assistant.workbench.ipynb"
        page.locator(".tab :text('rag_assistant.workbench.ipynb')").first.wait_for(timeout=WAIT)
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        assert 'ThreatModel.load("rag_assistant.yaml")' in "".join(cells[1]["source"])
    finally:
        page.close()
