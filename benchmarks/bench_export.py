"""Export figures: risk assessment to HTML and to PDF at 30 / 300 / 1,000 elements.

Run: ``python benchmarks/bench_export.py [--sizes 30,300,1000] [--engine weasyprint|chromium]
[--full] [--catalog DIR] [--no-builtin]``.

Each figure is the wall-clock time (``time.perf_counter``), and beside it the process's
CPU time (``time.process_time``), of one run from a loaded model to the finished
document: analysis, report notebook (sections, SVG diagram) and
nbconvert rendering, plus WeasyPrint (or Chromium) for the PDF. nbconvert's import (~2 s
cold) is paid once before timing, as in a notebook session or a long-running app.
Synthetic models have about three flows per element (``benchmarks/synthetic.py``). PDFs
of models with more than 300 findings summarise the printed register by threat (see
``ReportOptions.max_findings``); ``--full`` prints every finding instead.

Floors on the 2-core reference machine: 1,000 elements to HTML in under 5 s, to PDF in
under 30 s (issue 15; the export issue's were 10 s and 60 s), judged on CPU time with
WeasyPrint (it runs in this process; on an idle machine CPU time is the wall time, and other
work on a shared machine does not inflate it), on wall time with Chromium. The PDF is
tagged (its structure for screen readers).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic import synthetic_model
from workbench.catalog import load_catalog
from workbench.engine import analyze
from workbench.export.exporters import RiskHTMLExporter, html_to_pdf
from workbench.export.report import PRINT_MAX_FINDINGS, ReportOptions, report_notebook

FLOORS = {1000: (5.0, 30.0)}


Times = tuple[float, float]
"""Wall-clock seconds and process (CPU) seconds."""


def _clock() -> Times:
    return time.perf_counter(), time.process_time()


def _since(start: Times) -> Times:
    now = _clock()
    return now[0] - start[0], now[1] - start[1]


def bench(n: int, catalog: object, engine: str, full: bool) -> tuple[Times, Times, int, int]:
    """Wall and CPU seconds to HTML and to PDF, findings, PDF size in KiB."""
    model = synthetic_model(n)
    start = _clock()
    analysis = analyze(model, catalog)  # type: ignore[arg-type]
    nb = report_notebook(model, analysis)
    html, _ = RiskHTMLExporter().from_notebook_node(nb)
    t_html = _since(start)

    start = _clock()
    analysis = analyze(model, catalog)  # type: ignore[arg-type]
    options = ReportOptions(max_findings=None if full else PRINT_MAX_FINDINGS, for_print=True)
    nb = report_notebook(model, analysis, options=options)
    page, _ = RiskHTMLExporter().from_notebook_node(nb)
    pdf = html_to_pdf(page, engine)
    t_pdf = _since(start)
    assert html
    assert pdf.startswith(b"%PDF-")
    return t_html, t_pdf, len(analysis.findings), len(pdf) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="30,300,1000")
    parser.add_argument("--engine", default="weasyprint", choices=["weasyprint", "chromium"])
    parser.add_argument("--full", action="store_true", help="print every finding in the PDF")
    parser.add_argument("--catalog", action="append", default=[])
    parser.add_argument("--no-builtin", action="store_true")
    args = parser.parse_args()
    catalog = load_catalog(*args.catalog, builtin=not args.no_builtin)
    RiskHTMLExporter()  # nbconvert's import and template set-up, once
    print(f"engine: {args.engine}{' (full register)' if args.full else ''}")
    print(
        f"{'elements':>8}  {'findings':>8}  {'HTML wall':>9}  {'(CPU)':>7}  {'PDF wall':>9}"
        f"  {'(CPU)':>7}  {'PDF size':>9}"
    )
    failed = False
    for n in (int(s) for s in args.sizes.split(",")):
        t_html, t_pdf, findings, kib = bench(n, catalog, args.engine, args.full)
        note = ""
        if n in FLOORS:
            html_floor, pdf_floor = FLOORS[n]
            # judged on CPU time when WeasyPrint runs in this process: on an idle machine
            # it is the wall time, and a shared machine's load does not inflate it
            cpu = args.engine == "weasyprint"
            ok = (t_html[cpu] < html_floor) and (t_pdf[cpu] < pdf_floor)
            failed |= not ok
            what = "CPU" if cpu else "wall"
            note = (
                f"  floors <{html_floor:.0f} s / <{pdf_floor:.0f} s ({what}): "
                f"{'ok' if ok else 'MISSED'}"
            )
        print(
            f"{n:>8}  {findings:>8}  {t_html[0]:>8.2f}s  {t_html[1]:>6.2f}s  {t_pdf[0]:>8.2f}s"
            f"  {t_pdf[1]:>6.2f}s  {kib:>6} KiB{note}"
        )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
