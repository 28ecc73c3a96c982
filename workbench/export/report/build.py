"""The report assembled: the outline of numbered sections, each drawn by its own module
from one shared :class:`~.context.ReportContext`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ...engine import Analysis, analyze
from ...model import ThreatModel
from ...register import Register
from ..safehtml import Html, h
from . import (
    accepted,
    appendix,
    architecture,
    attack_paths,
    coverage,
    front,
    incidents,
    inventory,
    matrix,
    mitigations,
    scope,
    signoff,
    summary,
    threat_register,
    weaknesses,
)
from .context import ReportContext
from .notebook import Section
from .options import Progress, ReportOptions

if TYPE_CHECKING:
    from ...catalog import Catalog

Render = Callable[[ReportContext], Html]
"""Draws the body of one section from the report's context."""

SECTIONS: tuple[tuple[str, str, Render], ...] = (
    ("summary", "Executive summary", summary.render),
    ("scope", "Scope and business objectives", scope.render),
    ("architecture", "Architecture", architecture.render),
    ("inventory", "Elements, data and trust boundaries", inventory.render),
    ("register", "Threat register", threat_register.render),
    ("weaknesses", "Weaknesses", weaknesses.render),
    ("attack_paths", "Attack paths", attack_paths.render),
    ("mitigations", "Mitigations and their controls", mitigations.render),
    ("coverage", "Control coverage by framework", coverage.render),
    ("matrix", "Risk matrix: inherent and residual", matrix.render),
    ("accepted", "Accepted and transferred risks", accepted.render),
    ("incidents", "Incident readiness", incidents.render),
    ("signoff", "Review cadence and sign-off", signoff.render),
    ("appendix", "Appendix", appendix.render),
)
"""The numbered sections in order: ID (the anchor ``#sec-ID``), title, and what draws it.
The appendix comes last: it prints the long texts the other sections cut short."""


class ReportBuilder(ReportContext):
    """Builds the sections of one report from an analysis and its register: the context
    every section reads, with the outline of :data:`SECTIONS`."""

    SECTIONS = SECTIONS

    def __init__(
        self,
        analysis: Analysis,
        register: Register | None = None,
        options: ReportOptions | None = None,
    ) -> None:
        outline = [(sid, title) for sid, title, _ in self.SECTIONS]
        super().__init__(analysis, register, options, outline=outline)

    def sections(self, progress: Progress | None = None) -> list[Section]:
        """Title page, contents and every numbered section, in order."""
        out = [
            Section("title", "Title page", front.title_page(self)),
            Section("contents", "Contents", front.contents(self)),
        ]
        for sid, title, render in self.SECTIONS:
            if progress:
                progress(f"section: {title}")
            body = render(self)
            out.append(
                Section(
                    sid,
                    title,
                    h(
                        "section",
                        self.heading(sid, title),
                        body,
                        id=f"s-{sid}",
                        class_=f"section section-{sid.replace('_', '-')}",
                    ),
                )
            )
        return out


def analyse(model: ThreatModel, analysis: Analysis | None, catalog: Catalog | None) -> Analysis:
    """``analysis`` when given, else a fresh analysis of ``model`` with ``catalog``."""
    if analysis is not None:
        return analysis
    return analyze(model, catalog)


def build_report(
    model: ThreatModel,
    analysis: Analysis | None = None,
    register: Register | None = None,
    *,
    catalog: Catalog | None = None,
    options: ReportOptions | None = None,
    progress: Progress | None = None,
) -> list[Section]:
    """The report's sections (title page, contents, numbered sections) as HTML."""
    options = options or ReportOptions()
    if analysis is None and progress:
        progress("analysing the model")
    analysis = analyse(model, analysis, catalog)
    return ReportBuilder(analysis, register, options).sections(progress)
