"""The workbench: canvas, inspector and threat panel in one notebook widget.

>>> wb = Workbench.from_template("rag_assistant")  # doctest: +SKIP
>>> wb                                              # draws it in the notebook
>>> wb.model                                        # always the live, valid model
>>> wb.save("my_model.yaml")                        # atomic, keeps a .bak
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

import ipywidgets as w

from workbench.catalog import Catalog, load_catalog
from workbench.engine import Analysis, Analyzer
from workbench.model import ThreatModel
from workbench.register import Register, build_register

from .canvas import Canvas
from .findings import FindingsPanel
from .inspector import Inspector

DEFAULT_FILE = "threat_model.yaml"


class Workbench:
    """Draw an AI system, watch its threats appear, record decisions, save the model.

    Parameters
    ----------
    model
        The threat model to work on (``ThreatModel.load(path)``, a template ...).
    catalog
        Threat catalog for the analysis (default: the built-in catalog).
    path
        Where Save writes (default: the file the model was loaded from, else
        ``threat_model.yaml`` in the working directory).
    height
        CSS height of the canvas.
    """

    def __init__(
        self,
        model: ThreatModel,
        *,
        catalog: Catalog | None = None,
        path: str | os.PathLike[str] | None = None,
        height: str = "560px",
    ) -> None:
        self.catalog = catalog if catalog is not None else load_catalog()
        self.analyzer = Analyzer(self.catalog)
        self.canvas = Canvas(model, analyzer=self.analyzer, height=height)
        self.inspector = Inspector(self.canvas)
        self.findings = FindingsPanel(self.canvas)
        default = path if path is not None else (model.source_path or DEFAULT_FILE)
        self.path = w.Text(value=str(default), description="File", layout=w.Layout(flex="1"))
        self.save_button = w.Button(description="Save", icon="save", button_style="success")
        self.save_button.on_click(lambda _: self._save_clicked())
        self.status = w.HTML()
        self.path.add_class("atw-path")
        self.save_button.add_class("atw-save")
        self.status.add_class("atw-status")
        title = w.HTML(f"<b>{html.escape(model.system.name)}</b>")
        self.canvas.layout = w.Layout(width="100%")
        self.inspector.widget.layout = w.Layout(
            flex="0 0 380px", width="380px", max_height="560px", overflow="auto"
        )
        self.findings.widget.layout = w.Layout(flex="1 1 auto", min_width="0")
        self.widget = w.VBox(
            [
                w.HBox([title, self.path, self.save_button, self.status]),
                self.canvas,
                w.HBox([self.inspector.widget, self.findings.widget]),
            ]
        )
        self.widget.add_class("atw-workbench")
        self.canvas.on_refused(self._refused)

    # ----------------------------------------------------------------- constructors
    @classmethod
    def from_template(cls, name: str, **kwargs: Any) -> Workbench:
        """A workbench on one of the starter architectures."""
        return cls(ThreatModel.from_template(name), **kwargs)

    @classmethod
    def load(cls, path: str | os.PathLike[str], **kwargs: Any) -> Workbench:
        """A workbench on the model in ``path`` (Save writes back to it)."""
        return cls(ThreatModel.load(path), **kwargs)

    # ----------------------------------------------------------------- live state
    @property
    def model(self) -> ThreatModel:
        """The live model: every accepted edit on the canvas or in the forms is in it."""
        return self.canvas.model

    @model.setter
    def model(self, value: ThreatModel) -> None:
        self.canvas.model = value

    @property
    def analysis(self) -> Analysis:
        """Findings of the live model (re-analysed incrementally after each edit)."""
        analysis = self.canvas.analysis
        if analysis is None:  # pragma: no cover - the canvas always has an analyzer here
            raise RuntimeError("the canvas has no analysis")
        return analysis

    @property
    def register(self) -> Register:
        """Findings joined with the model's decisions."""
        return build_register(self.analysis)

    # ----------------------------------------------------------------- saving
    def save(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the live model atomically to ``path`` (default: the File field)."""
        target = Path(path if path is not None else self.path.value).expanduser()
        written = self.model.save(target)
        self.path.value = str(written)
        return written

    def _save_clicked(self) -> None:
        try:
            written = self.save()
        except (OSError, ValueError) as exc:
            self.status.value = (
                f"<span style='color:#b91c1c'>Not saved: {html.escape(str(exc))}</span>"
            )
            return
        self.status.value = f"<span style='color:#047857'>Saved {html.escape(written.name)}</span>"

    def _refused(self, reason: str, msg: dict[str, Any]) -> None:
        self.status.value = f"<span style='color:#b91c1c'>Refused: {html.escape(reason)}</span>"

    # ----------------------------------------------------------------- display
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"<Workbench on {self.model!r}>"
