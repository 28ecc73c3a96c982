"""How a report is laid out: :class:`ReportOptions`, paper sizes and the text limits that
keep tables readable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Paper = Literal["a4", "letter"]
PAPERS: tuple[Paper, ...] = ("a4", "letter")
Progress = Callable[[str], None]

CELL_LIMIT = 600
"""Longest free text shown whole in a table cell (descriptions, rationales)."""
SHORT_LIMIT = 200
"""Longest owner, protocol or ticket shown whole in a table cell."""
PARA_LIMIT = 2000
"""Longest free text shown whole in a paragraph or list."""
PRINT_MAX_FINDINGS = 300
"""Default ``max_findings`` of PDFs: above it the printed register is summarised."""
GROUP_MEMBERS_COMPACT = 5
"""Members listed under each finding group when findings are summarised."""
GROUPS_COMPACT = 20
"""Causes described when findings are summarised (the worst; the register appendix lists
the highest residual risks of the others)."""
LIST_COMPACT = 30
"""Rows of the long lists of a summarised report (holders of an asset, pairs of trust
boundaries the flows join)."""


@dataclass(frozen=True)
class ReportOptions:
    """How a report is laid out."""

    paper: Paper = "a4"
    """Paper size for print and PDF: ``a4`` or ``letter``."""
    date: dt.date | None = None
    """Date on the title page (default: today)."""
    title: str = "AI risk assessment"
    """Kind of document, shown above the system's name."""
    top_risks: int = 10
    """How many top risks the executive summary lists."""
    max_findings: int | None = None
    """List at most this many findings one by one (highest residual risk first); with more,
    the register and the weaknesses are also summarised by threat and the data flows by
    trust boundary, so that a large model still prints in reasonable time and pages.
    ``None`` lists everything (the HTML default); PDFs default to
    :data:`PRINT_MAX_FINDINGS`."""
    max_attack_paths: int = 15
    """How many attack paths are listed (the highest scoring): the first five in the body,
    the others in the appendix."""
    diagram: bool = True
    """Whether to draw the architecture."""
    for_print: bool = False
    """Laid out for print (PDFs): the appendix names the mitigations that are not a
    cause's fix without describing them (the HTML report describes every one)."""
    print_trees: int = 0
    """Print only: how many attack trees to draw whole (the most at-risk crown jewels
    first, ``report --trees N``); the others are drawn small, one row per way
    (:func:`workbench.attack_trees.compact_figure`), so that the printed assessment stays
    within its page budget. The HTML report draws every tree whole."""
    interactive_diagram: bool = False
    """HTML only: add a pannable, zoomable pyvis view of the architecture under the
    static diagram (about 700 KB, in a sandboxed frame; see
    :mod:`workbench.export.interactive`). PDFs always use the static diagram."""
