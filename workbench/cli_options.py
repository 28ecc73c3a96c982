"""Options shared by the ``threat-workbench`` subcommands, for every command group.

A leaf: it imports only the standard library, so the command modules (the core's
:mod:`workbench.export.commands` and :mod:`workbench.interop.commands`, and those that
other packages register through the ``ai_threat_workbench.commands`` entry-point group)
import their options from here and never from :mod:`workbench.cli`, which loads them.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

__all__ = ["add_catalog_options", "add_force_option", "add_today_option"]


def add_catalog_options(p: argparse.ArgumentParser) -> None:
    """``--catalog DIR`` (repeatable) and ``--no-builtin``, shared by every command that
    analyses a model."""
    p.add_argument(
        "--catalog",
        "-c",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="an extra catalog directory (repeatable; loaded after the built-in)",
    )
    p.add_argument(
        "--no-builtin",
        action="store_true",
        help="use only the --catalog directories, not the built-in catalog",
    )


def add_force_option(p: argparse.ArgumentParser, what: str = "OUT") -> None:
    """``--force``: replace an existing output (every command that writes has it)."""
    p.add_argument(
        "--force",
        action="store_true",
        help=f"overwrite {what} if it exists (the old file is kept as {what}.bak); without "
        "it an existing file is refused",
    )


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date (YYYY-MM-DD), got {text!r}") from None


def add_today_option(p: argparse.ArgumentParser) -> None:
    """``--today YYYY-MM-DD``: the date decisions' review dates are compared with (every
    command that builds a register has it; ``None`` when not given)."""
    p.add_argument(
        "--today",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="compare review dates with this date (default: $THREAT_WORKBENCH_TODAY, else "
        "the machine's date): a decision past its review_by counts as open",
    )
