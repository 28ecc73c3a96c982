# mypy: disable-error-code="no-untyped-call"
# (Panel and param are only partly typed: calling their constructors is untyped.)
"""One browser session of the workshop app: :class:`WorkshopSession`, and
:func:`session_factory`, the Panel app function that builds one per session."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import panel as pn

from workbench.catalog import Catalog
from workbench.engine import Analyzer
from workbench.export.safehtml import h_single
from workbench.model import ThreatModel

from ..canvas import Canvas
from .bridge import CanvasView
from .panels import InspectorPanel, ThreatPanel


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-").lower() or "threat-model"


class WorkshopSession:
    """Everything one browser session owns: its model (in ``canvas.model``), the canvas
    view, the inspector, the threat panel and the download buttons."""

    def __init__(self, model: ThreatModel, catalog: Catalog) -> None:
        self.canvas = Canvas(model, analyzer=Analyzer(catalog), height="620px")
        self.canvas_view = CanvasView(self.canvas, sizing_mode="stretch_width", min_height=640)
        self.inspector = InspectorPanel(self.canvas)
        self.threats = ThreatPanel(self.canvas)
        slug = _slug(model.system.name)
        self.download_yaml = pn.widgets.FileDownload(
            callback=self.model_yaml,
            filename=f"{slug}.yaml",
            label="Download YAML",
            css_classes=["atw-download-yaml"],
            color="success",
        )
        self.export_html = pn.widgets.FileDownload(
            callback=self.report_html,
            filename=f"{slug}-risk-assessment.html",
            label="Export HTML report",
            css_classes=["atw-export-html"],
        )
        self.view = pn.Row(
            pn.Column(
                pn.pane.HTML(
                    str(
                        h_single(
                            "h2",
                            f"AI Threat Workbench: {model.system.name}",
                            style="margin:4px 0",
                        )
                    )
                ),
                pn.Row(self.download_yaml, self.export_html),
                self.canvas_view,
                sizing_mode="stretch_width",
            ),
            pn.Column(self.inspector.view, self.threats.view, width=460),
            sizing_mode="stretch_width",
        )

    @property
    def model(self) -> ThreatModel:
        """The session's live model."""
        return self.canvas.model

    def model_yaml(self) -> io.BytesIO:
        """The live model as YAML (for the download button)."""
        return io.BytesIO(self.model.to_yaml().encode("utf-8"))

    def report_html(self) -> io.BytesIO:
        """The live model's risk assessment as one HTML page (for the export button)."""
        from workbench.export import report_html

        return io.BytesIO(report_html(self.model, self.canvas.analysis).encode("utf-8"))

    def close(self) -> None:
        """Release the session's canvas (called when the browser session ends)."""
        self.canvas_view.close()


def session_factory(model: ThreatModel, catalog: Catalog) -> Callable[[], pn.viewable.Viewable]:
    """A Panel app function: each call (one per browser session) builds a new
    :class:`WorkshopSession` on a copy of ``model``, closed when the session ends."""

    def app() -> pn.viewable.Viewable:
        session = WorkshopSession(model, catalog)
        doc = pn.state.curdoc
        if doc is not None:
            doc.on_session_destroyed(lambda _ctx: session.close())
        return session.view

    return app
