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
    causes,
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
    trees,
)
from .context import ReportContext
from .notebook import Section
from .options import Progress, ReportOptions

if TYPE_CHECKING:
    from ...catalog import Catalog

Render = Callable[[ReportContext], Html]
"""Draws the body of one section from the report's context."""

BODY: tuple[tuple[str, str, Render], ...] = (
    ("summary", "Executive summary", summary.render),
    ("scope", "Scope and business objectives", scope.render),
    ("architecture", "Architecture", architecture.render),
    ("causes", "Findings by cause", causes.render),
    ("attack_paths", "Attack paths", attack_paths.render),
    ("plan", "Mitigation plan", mitigations.render_plan),
    ("coverage", "Control coverage by framework", coverage.render),
    ("matrix", "Risk matrix: inherent and residual", matrix.render),
    ("accepted", "Accepted and transferred risks", accepted.render),
    ("signoff", "Review cadence and sign-off", signoff.render),
)
"""The numbered sections of the body, in order: ID (the anchor ``#sec-ID``), title, and
what draws it."""
APPENDICES: tuple[tuple[str, str, Render], ...] = (
    ("inventory", "Trust boundaries and assets", inventory.render),
    ("register", "Elements, data flows and their findings", threat_register.render),
    ("paths", "Further attack paths and attack trees", trees.render_with_paths),
    ("incidents", "Incident readiness", incidents.render),
    ("mitigations", "Mitigations and their controls", mitigations.render_others),
    ("controls", "Controls by framework", coverage.render_controls),
    ("method", "Method, sources and glossary", appendix.render),
)
"""The lettered appendices, after the body: the full per-element register with the rule
evidence, and the detail the body's sections point to. The last one prints the long
texts the other sections cut short."""
SECTIONS = BODY + APPENDICES
"""Every section in order: the body, then the appendices."""


class ReportBuilder(ReportContext):
    """Builds the sections of one report from an analysis and its register: the context
    every section reads, with the outline of :data:`SECTIONS`."""

    SECTIONS = SECTIONS
    APPENDICES = APPENDICES

    def __init__(
        self,
        analysis: Analysis,
        register: Register | None = None,
        options: ReportOptions | None = None,
    ) -> None:
        outline = [(sid, title) for sid, title, _ in self.SECTIONS]
        appendix = [sid for sid, _, _ in self.APPENDICES]
        super().__init__(analysis, register, options, outline=outline, appendix=appendix)

    def sections(self, progress: Progress | None = None) -> list[Section]:
        """Title page, contents and every numbered section, in order."""
        out = [Section("title", "Title page and contents", front.title_page(self))]
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
                        class_=self._section_class(sid),
                    ),
                )
            )
        return out

    def _section_class(self, sid: str) -> str:
        """``section section-ID``; ``landscape`` when the section asked for a landscape
        page; ``appendix`` (``appendix-first`` for the first one) for the appendices:
        the style sheet starts them on a new page."""
        out = f"section section-{sid.replace('_', '-')}"
        if sid in self.landscape:
            out += " landscape"
        if sid in self.appendix:
            out += " appendix"
            if sid == self.APPENDICES[0][0]:
                out += " appendix-first"
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
