"""``threat-workbench report`` and ``threat-workbench model-card``.

Progress goes to stderr, one line per step; the files are written by
:mod:`workbench.outputs` (atomic, regular files only, an existing file only with
``--force``). Heavy imports (nbconvert, WeasyPrint) happen inside the handlers.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any, TextIO

from ..cli_options import add_catalog_options, add_force_option

REPORT_SUFFIXES = {
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".ipynb": "ipynb",
    ".md": "md",
}
CARD_SUFFIXES = (".md", ".html", ".htm", ".pdf", ".json")


def add_commands(sub: Any) -> None:
    """Add the export subcommands to the CLI's subparsers."""
    r = sub.add_parser(
        "report",
        help="write the risk assessment as HTML, PDF or Markdown",
        description="Analyse a model and write its risk assessment: HTML, PDF, GitHub-flavoured "
        "Markdown (its diagram as OUT's name with -architecture.svg, beside it) or the "
        "report notebook.",
    )
    r.add_argument("file", type=Path, metavar="FILE", help="the model (.yaml or .json)")
    r.add_argument(
        "--format",
        "-f",
        choices=["html", "pdf", "md", "ipynb"],
        help="default: from OUT's suffix (.html, .pdf, .md, .ipynb), else html",
    )
    r.add_argument(
        "--output", "-o", type=Path, metavar="OUT", help="default: FILE with the format's suffix"
    )
    r.add_argument("--paper", choices=["a4", "letter"], default="a4", help="default: a4")
    r.add_argument(
        "--engine",
        choices=["weasyprint", "chromium", "auto"],
        default="weasyprint",
        help="PDF engine (default: weasyprint; chromium uses /usr/bin/chromium)",
    )
    r.add_argument(
        "--full",
        action="store_true",
        help="PDF: list every finding even when there are many (slow for large models)",
    )
    r.add_argument(
        "--trees",
        type=int,
        default=0,
        metavar="N",
        help="PDF: draw the attack trees of the N most at-risk crown jewels whole (default "
        "0: every tree is drawn small, one row per way; the HTML draws them all whole)",
    )
    r.add_argument(
        "--interactive-diagram",
        action="store_true",
        help="HTML: add a pannable, zoomable view of the architecture (pyvis, offline, "
        "about 700 KB)",
    )
    add_catalog_options(r)
    add_force_option(r)
    r.set_defaults(func=_report)

    m = sub.add_parser(
        "model-card",
        help="write model cards (Markdown, HTML, PDF or JSON) for the model elements",
        description="Write a Hugging Face style model card (beside a Markdown card, its risk "
        "assessment as <element>.risk-assessment.json), "
        "for each model element (model artifacts, foundation model APIs, and training "
        "jobs or endpoints that stand for a model), or for --element ID.",
    )
    m.add_argument("file", type=Path, metavar="FILE", help="the model (.yaml or .json)")
    m.add_argument("--element", "-e", action="append", default=[], metavar="ID", help="repeatable")
    m.add_argument("--format", "-f", choices=["md", "html", "pdf", "json"], default="md")
    m.add_argument(
        "--output",
        "-o",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="the folder for the cards, created if missing (default: .)",
    )
    m.add_argument("--paper", choices=["a4", "letter"], default="a4", help="default: a4")
    m.add_argument("--engine", choices=["weasyprint", "chromium", "auto"], default="weasyprint")
    add_catalog_options(m)
    add_force_option(m, "a card")
    m.set_defaults(func=_model_card)


class _Progress:
    """Prints ``[  1.2 s] step`` lines to ``err``."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.start:6.1f} s] {message}", file=self.err, flush=True)


def _load(args: argparse.Namespace, progress: _Progress, err: TextIO) -> Any:
    """The analysis of ``args.file`` (``None`` after printing problems)."""
    from ..catalog import load_catalog
    from ..engine import analyze
    from ..errors import ModelFileError, print_problems
    from ..io import load_model

    progress(f"loading {args.file}")
    try:
        model = load_model(args.file)
        catalog = load_catalog(*args.catalog, builtin=not args.no_builtin)
    except ModelFileError as exc:
        print_problems(exc.problems, err)
        return None
    progress(f"analysing {len(model.elements)} elements, {len(model.flows)} flows")
    analysis = analyze(model, catalog)
    progress(f"{len(analysis.findings)} findings")
    return analysis


def _report(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..outputs import check_output, output_format, write_output

    args.format = output_format(args.output, args.format, REPORT_SUFFIXES, "html")
    target: Path = args.output or args.file.with_suffix("." + args.format)
    check_output(target, force=args.force)
    if args.format == "md":
        check_output(_diagram_file(target), force=args.force)
    progress = _Progress(err)
    analysis = _load(args, progress, err)
    if analysis is None:
        return 1
    if args.format == "md":
        return _report_markdown(args, analysis, target, progress, out)
    from .exporters import PDFEngineError
    from .report import ReportOptions, report_notebook

    options = ReportOptions(
        paper=args.paper,
        interactive_diagram=args.interactive_diagram,
        print_trees=max(0, args.trees),
    )
    try:
        if args.format == "pdf":
            from .render import report_pdf

            data = report_pdf(
                analysis.model,
                analysis,
                options=options,
                engine=args.engine,
                full=args.full,
                progress=progress,
            )
        else:
            nb = report_notebook(
                analysis.model,
                analysis,
                options=options,
                model_path=str(args.file),
                progress=progress,
            )
            if args.format == "ipynb":
                import nbformat

                data = nbformat.writes(nb).encode("utf-8")  # type: ignore[no-untyped-call]
            else:
                from .exporters import RiskHTMLExporter

                progress("rendering HTML (nbconvert)")
                html, _ = RiskHTMLExporter().from_notebook_node(nb)
                data = html.encode("utf-8")
    except PDFEngineError as exc:
        print(f"error: {exc}", file=err)
        return 1
    write_output(target, data, force=args.force)
    progress(f"wrote {target} ({len(data) / 1024:.0f} KiB)")
    print(target, file=out)
    return 0


def _diagram_file(target: Path) -> Path:
    """Where a Markdown report's diagram goes: beside it, ``<name>-architecture.svg``."""
    return target.with_name(f"{target.stem}-architecture.svg")


def _report_markdown(
    args: argparse.Namespace, analysis: Any, target: Path, progress: _Progress, out: TextIO
) -> int:
    """Write the Markdown report and its diagram (one SVG file beside it)."""
    from ..outputs import write_output
    from .markdown import report_markdown
    from .report import ReportOptions

    options = ReportOptions(paper=args.paper)
    report = report_markdown(
        analysis.model, analysis, options=options, image_prefix=target.stem, progress=progress
    )
    for name, svg in report.files.items():
        path = target.with_name(name)
        write_output(path, svg.encode("utf-8"), force=args.force)
        progress(f"wrote {path}")
    data = report.text.encode("utf-8")
    write_output(target, data, force=args.force)
    progress(f"wrote {target} ({len(data) / 1024:.0f} KiB)")
    print(target, file=out)
    return 0


def _card_folder(directory: Path, *, create: bool = False) -> None:
    """Refuse a ``-o`` that is not a folder (or looks like a file name); with ``create``,
    create it when missing."""
    from ..errors import OutputError

    if directory.is_symlink() or (directory.exists() and not directory.is_dir()):
        raise OutputError(f"{directory}: is not a folder; model-card -o takes a folder")
    if not directory.exists():
        if directory.suffix.lower() in CARD_SUFFIXES:
            raise OutputError(
                f"{directory}: model-card -o takes a folder (the cards are named "
                "<element-id>.model-card.<format>); give a folder name"
            )
        if not create:
            return
        try:
            directory.mkdir(parents=True)
        except OSError as exc:
            raise OutputError(
                f"{directory}: cannot create the folder: {exc.strerror or exc}"
            ) from None


def _model_card(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from ..outputs import check_output, keep_backup

    _card_folder(args.output)
    progress = _Progress(err)
    analysis = _load(args, progress, err)
    if analysis is None:
        return 1
    from .exporters import PDFEngineError
    from .model_card import build_card, card_elements, write_card

    model = analysis.model
    ids = args.element or [e.id for e in card_elements(model)]
    unknown = [i for i in ids if i not in {e.id for e in model.elements}]
    if unknown:
        print(f"{args.file}: no element {', '.join(unknown)}", file=err)
        return 2
    if not ids:
        print(
            f"{args.file}: no model element (model_artifact, foundation_model_api, "
            "training_job, fine_tuning_job, inference_endpoint); pass --element ID",
            file=err,
        )
        return 1
    for eid in ids if args.output.is_dir() else ():  # refuse before writing any card
        check_output(args.output / f"{eid}.model-card.{args.format}", force=args.force)
    _card_folder(args.output, create=True)
    for eid in ids:
        progress(f"model card for {eid}")
        keep_backup(args.output / f"{eid}.model-card.{args.format}")
        sidecar = args.output / f"{eid}.risk-assessment.json"
        if args.format == "md":
            keep_backup(sidecar)
        card = build_card(analysis, eid)
        try:
            path = write_card(card, args.output, args.format, paper=args.paper, engine=args.engine)
        except PDFEngineError as exc:
            print(f"error: {exc}", file=err)
            return 1
        progress(f"wrote {path}")
        print(path, file=out)
        if args.format == "md":
            print(sidecar, file=out)
    return 0
