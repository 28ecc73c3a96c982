"""The README's two set-up commands are the ones the Makefile runs, and the first one
really opens JupyterLab on the quickstart (``make test`` is what runs this file)."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.browser.servers import free_port

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the Two commands section has no bash block"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line]


def test_readme_names_exactly_the_two_make_targets() -> None:
    assert _readme_commands() == ["make lab", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^lab: ", makefile, re.MULTILINE)
    assert re.search(r"^test: ", makefile, re.MULTILINE)
    assert "notebooks/01-quickstart.ipynb" in makefile
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.skipif(
    not (ROOT / ".venv" / "bin" / ".installed").is_file() or sys.prefix != str(ROOT / ".venv"),
    reason="needs the repository's own .venv (made by make test / make lab)",
)
def test_make_lab_serves_the_quickstart(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "BROWSER": "true", "JUPYTER_RUNTIME_DIR": str(tmp_path)}
    log = tmp_path / "lab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["make", "--no-print-directory", "lab", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        token = None
        deadline = time.monotonic() + 120
        while token is None and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text(errors="replace")
            found = re.search(rf"127\.0\.0\.1:{port}/lab\?token=(\w+)", log.read_text())
            token = found.group(1) if found else None
            time.sleep(0.5)
        assert token, log.read_text(errors="replace")
        text = log.read_text(errors="replace")
        assert f"Serving notebooks from local directory: {ROOT / 'notebooks'}" in text
        assert "01-quickstart.ipynb" in text  # the page it opens
        status, _ = _get(port, f"/lab/tree/01-quickstart.ipynb?token={token}")
        assert status == 200
        status, body = _get(port, f"/api/contents/01-quickstart.ipynb?token={token}")
        assert status == 200
        cells = json.loads(body)["content"]["cells"]
        assert any("rag_assistant" in "".join(c["source"]) for c in cells)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
