"""Canvas figures in a real JupyterLab: first paint and the edit → findings round trip.

Run: ``python benchmarks/bench_canvas.py [--sizes 100 500 2000] [--edits 5]``. Needs
Chromium (``/usr/bin/chromium``), Playwright and JupyterLab; prints a note and exits 0
without them.

For each size a notebook builds ``Workbench(synthetic_model(N))`` (about three flows per
element, no stored positions, so the automatic layout runs). Printed, per size:

- *python*: building the workbench in the kernel (analysis, payload, widgets);
- *paint (view)*: from the view's first line of JavaScript to the first drawn frame;
- *paint (cell)*: from pressing Run on the cell to the first drawn frame (all of it);
- *edit → canvas*: the same, until the canvas has drawn the new element;
- *edit → panel*: median over ``--edits`` additions through the UI (palette, then a click
  on the canvas) from the click to the threat panel showing the new element's findings;
- *edit (python)*: the same edit applied in this process without a browser (edit,
  incremental re-analysis, payload diff), median.

Floors from the widget issue, on the 2-core reference machine: 500 elements painted in
under 1 s; one edit reflected in the threat panel in under 300 ms at 500 elements.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.servers import (  # noqa: E402  (after the path set-up)
    JupyterLab,
    jupyter_server,
    launch_chromium,
    missing_requirements,
)

TIMEOUT_MS = 120_000


def _notebook(n: int) -> dict[str, Any]:
    setup = (
        "import sys, time\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from benchmarks.synthetic import synthetic_model\n"
        "from widgets import Workbench\n"
        f"model = synthetic_model({n})"
    )
    build = (
        "t0 = time.perf_counter()\n"
        "wb = Workbench(model, height='700px')\n"
        "print(f'python={time.perf_counter() - t0:.3f}')\n"
        "wb"
    )

    def code(src: str) -> dict[str, Any]:
        return {"cell_type": "code", "metadata": {}, "source": src, "outputs": [],
                "execution_count": None}  # fmt: skip

    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "cells": [code(setup), code(build)],
    }


def _run_cell(page: Any, index: int) -> None:
    page.locator(".jp-CodeCell").nth(index).locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")


def bench_browser(page: Any, url: str, n: int, edits: int) -> dict[str, float]:
    page.goto(url)
    page.locator("#jp-main-statusbar .jp-StatusBar-TextItem", has_text="Idle").wait_for()
    _run_cell(page, 0)
    page.locator(".jp-CodeCell").nth(0).locator(".jp-InputArea-prompt", has_text="[1]").wait_for()
    start = time.perf_counter()
    _run_cell(page, 1)
    page.locator(".atw-canvas[data-painted='true']").wait_for(timeout=TIMEOUT_MS)
    paint_cell = time.perf_counter() - start
    canvas = page.locator(".atw-canvas")
    paint_view = float(canvas.get_attribute("data-paint-ms") or "nan") / 1000
    python = float(page.locator(".jp-RenderedText", has_text="python=").inner_text().split("=")[1])
    stage = page.locator(".atw-stage").bounding_box()
    heading = page.locator(".atw-findings-panel").locator("b").first
    times, drawn = [], []
    for i in range(edits):
        page.locator(".atw-kind[data-kind='guardrail']").click()
        x = stage["x"] + 12
        y = stage["y"] + 60 + 40 * i
        start = time.perf_counter()
        page.mouse.click(x, y)
        page.locator(f".atw-canvas[data-node-count='{n + i + 1}']").wait_for(timeout=TIMEOUT_MS)
        drawn.append(time.perf_counter() - start)
        heading.filter(has_text=f"Guardrail {i + 1}").wait_for(timeout=TIMEOUT_MS)
        times.append(time.perf_counter() - start)
    return {
        "python": python,
        "paint_view": paint_view,
        "paint_cell": paint_cell,
        "edit_canvas": statistics.median(drawn),
        "edit_panel": statistics.median(times),
    }


def bench_python_edit(n: int, edits: int) -> float:
    """Median seconds for one canvas edit in-process (no browser)."""
    from benchmarks.synthetic import synthetic_model
    from widgets import Workbench

    wb = Workbench(synthetic_model(n))
    wb.canvas.send = lambda content, buffers=None: None
    times = []
    for i in range(edits):
        start = time.perf_counter()
        wb.canvas.edit({"op": "add_element", "kind": "guardrail", "x": 10.0 * i, "y": -50.0})
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 2000])
    parser.add_argument("--edits", type=int, default=5)
    args = parser.parse_args(argv)
    missing = missing_requirements()
    if missing is not None:
        print(f"skipped: {missing}")
        return 0
    from playwright.sync_api import sync_playwright

    header = (
        f"{'elements':>8} {'flows':>6} {'python':>8} {'paint (view)':>13} "
        f"{'paint (cell)':>13} {'edit → canvas':>14} {'edit → panel':>13} {'edit (python)':>14}"
    )
    print(header)
    with tempfile.TemporaryDirectory(prefix="bench-canvas-") as tmp:
        base = Path(tmp)
        root = base / "notebooks"
        root.mkdir()
        with jupyter_server(base, root) as server, sync_playwright() as pw:
            browser = launch_chromium(pw)
            for n in args.sizes:
                print(_bench_size(browser, server, n, args.edits), flush=True)
            browser.close()
    return 0


def _bench_size(browser: Any, server: JupyterLab, n: int, edits: int) -> str:
    """One printed line of figures for a model of ``n`` elements."""
    from benchmarks.synthetic import synthetic_model

    name = f"bench_{n}.ipynb"
    (server.root_dir / name).write_text(json.dumps(_notebook(n)), encoding="utf-8")
    context = browser.new_context(viewport={"width": 1500, "height": 1300})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        figures = bench_browser(page, server.notebook_url(name), n, edits)
    except Exception:
        shot = Path(tempfile.gettempdir()) / f"bench-canvas-{n}-failure.png"
        page.screenshot(path=shot)
        print(f"failed at {n} elements; screenshot: {shot}", file=sys.stderr)
        raise
    finally:
        context.close()
    flows = len(synthetic_model(n).flows)
    python_edit = bench_python_edit(n, edits)
    return (
        f"{n:>8} {flows:>6} {figures['python']:>7.2f}s "
        f"{figures['paint_view']:>12.2f}s {figures['paint_cell']:>12.2f}s "
        f"{figures['edit_canvas'] * 1000:>12.0f}ms "
        f"{figures['edit_panel'] * 1000:>11.0f}ms {python_edit * 1000:>12.0f}ms"
    )


if __name__ == "__main__":
    sys.exit(main())
