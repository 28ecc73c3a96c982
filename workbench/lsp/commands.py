"""Subcommand ``lsp`` of ``threat-workbench``: the language server over standard input
and output (pygls is imported only when the command runs)."""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from ..cli_options import add_catalog_options, add_today_option

LEVELS = ("low", "medium", "high", "critical")


def add_commands(sub: Any) -> None:
    """Add ``lsp`` to the CLI's subparsers."""
    p = sub.add_parser(
        "lsp",
        help="run the language server for model files (stdio)",
        description="Run the language server for model files over standard input and "
        "output: diagnostics, completion, hover, code actions, definitions, references, "
        "rename and the outline. Needs pygls: pip install ai-threat-workbench[lsp].",
    )
    p.add_argument(
        "--stdio", action="store_true", help="talk over standard input and output (the default)"
    )
    p.add_argument(
        "--level",
        choices=LEVELS,
        default="high",
        help="lowest residual risk of an open finding shown as a warning (default: high; "
        "the editor's setting threatWorkbench.level wins)",
    )
    add_catalog_options(p)
    add_today_option(p)
    p.set_defaults(func=_lsp)


def _lsp(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        from .server import serve
    except ImportError as exc:
        print(
            f"error: the language server needs pygls ({exc}): pip install ai-threat-workbench[lsp]",
            file=err,
        )
        return 2
    if out is not sys.stdout:
        print("error: the language server talks over the process's standard output", file=err)
        return 2
    serve(
        level=args.level,
        catalogs=tuple(args.catalog),
        builtin=not args.no_builtin,
        today=args.today,
    )
    return 0
