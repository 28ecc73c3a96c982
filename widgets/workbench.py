"""The workbench: a header (File, Load, Save, Export), the canvas, then tabs with the
inspector and threat panel, the PASTA stages and the control coverage.

>>> wb = Workbench.from_template("rag_assistant")  # doctest: +SKIP
>>> wb                                              # draws it in the notebook
>>> wb.model                                        # always the live, valid model
>>> wb.save("my_model.yaml")                        # atomic, keeps a .bak
>>> wb.export("html")                               # my_model.html next to it
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import ipywidgets as w

from workbench.catalog import Catalog, load_catalog
from workbench.engine import Analysis, Analyzer
from workbench.errors import ModelFileError
from workbench.export.safehtml import Html
from workbench.export.safehtml import h_single as h
from workbench.model import ThreatModel
from workbench.model.merge import merge
from workbench.register import Register, build_register

from ._looks import Looks
from .canvas import Canvas
from .controls import ControlsView
from .findings import FindingsPanel
from .inspector import Inspector
from .pasta import PastaView
from .snapshot import view_bundle, with_snapshot
from .watch import FileWatch, kernel_loop

DEFAULT_FILE = "threat_model.yaml"
_View = TypeVar("_View", PastaView, ControlsView)

_RECORD_STYLE = "color:#64748b;font-size:11px;margin:2px 0"
"""How the line that records the model in the notebook looks (quiet)."""
EXPORT_FORMATS: list[tuple[str, str]] = [
    ("HTML report", "html"),
    ("PDF report", "pdf"),
    ("Model cards (Markdown)", "md"),
]
"""What Export writes, as (label, format)."""
EXPORT_STEPS = 20
"""Progress steps of an export (a report announces about one per section)."""
PANELS_AT_THE_LATEST = 3.0
"""In a kernel, the inspector and the threat panel are built when the canvas has drawn its
first frame, before the next cell runs, or this many seconds after the workbench,
whichever comes first (a workbench not shown, or shown where no canvas draws)."""


_warmed: Future[Catalog] | None = None
"""The built-in catalog being loaded in the background (see :func:`warm_catalog`)."""


def warm_catalog() -> None:
    """Start loading the built-in catalog on a background thread, for the next workbench
    made without a catalog: a notebook imports the workbench in one cell and shows a model
    in a later one, and the first workbench then does not wait for the catalog. Done when
    this module is imported in a kernel; a workbench made before the load ends waits for
    it (and gets its error, if the catalog does not load)."""
    global _warmed
    if _warmed is not None:
        return
    future: Future[Catalog] = Future()

    def load() -> None:
        try:
            future.set_result(load_catalog())
        except BaseException as exc:  # handed to the workbench that takes the catalog
            future.set_exception(exc)

    _warmed = future
    threading.Thread(target=load, name="atw-catalog", daemon=True).start()


def _builtin_catalog() -> Catalog:
    """The catalog :func:`warm_catalog` loaded (once; each workbench has its own), else
    the built-in catalog loaded now."""
    global _warmed
    future, _warmed = _warmed, None
    return future.result() if future is not None else load_catalog()


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
        self.catalog = catalog if catalog is not None else _builtin_catalog()
        self.analyzer = Analyzer(self.catalog)
        self.canvas = Canvas(model, analyzer=self.analyzer, height=height)
        # The inspector and the threat panel (about sixty widgets under the canvas) are
        # built in a kernel once the canvas has drawn its first frame: the browser then
        # draws the canvas without first making their views, and the kernel builds them
        # while the browser draws (see _panels_later). Elsewhere at once.
        self._inspector: Inspector | None = None
        self._findings: FindingsPanel | None = None
        self._threats = w.HBox()
        self._threats.add_class("atw-tab-threats")
        # The PASTA and controls views are built when their tab is first shown (or when
        # ``wb.pasta`` / ``wb.controls`` is first used): fewer widgets to send on display.
        self._pasta: PastaView | None = None
        self._controls: ControlsView | None = None
        self._pasta_box = w.VBox()
        self._controls_box = w.VBox()
        self._record: Any = None
        """The output that records the model for the notebook's Export menu (an IPython
        display handle; see :meth:`_ipython_display_`)."""
        default = path if path is not None else (model.source_path or DEFAULT_FILE)
        looks = Looks()
        self.path = looks.new(
            w.Text, value=str(default), description="File", layout=w.Layout(flex="1")
        )
        self.load_button = looks.new(w.Button, description="Load", icon="folder-open")
        self.save_button = looks.new(
            w.Button, description="Save", icon="save", button_style="success"
        )
        self.export_format = looks.new(
            w.Dropdown, options=EXPORT_FORMATS, value="html", layout=_width(190)
        )
        self.export_button = looks.new(w.Button, description="Export", icon="file-export")
        # its own layout: its visibility changes
        self.progress = looks.new(w.IntProgress, min=0, max=EXPORT_STEPS, layout=_width(120))
        self.progress.layout.visibility = "hidden"
        self.status = looks.new(w.HTML)
        self.title = looks.new(w.HTML, value=_title(model))
        self.load_button.on_click(lambda _: self._load_clicked())
        self.save_button.on_click(lambda _: self._save_clicked())
        self.export_button.on_click(lambda _: self._export_clicked())
        for control, name in (
            (self.path, "path"),
            (self.load_button, "load"),
            (self.save_button, "save"),
            (self.export_format, "export-format"),
            (self.export_button, "export"),
            (self.progress, "export-progress"),
            (self.status, "save-status"),
            (self._pasta_box, "tab-pasta"),
            (self._controls_box, "tab-controls"),
        ):
            control.add_class(f"atw-{name}")
        self.widget = w.VBox([self._header(), self.canvas, self._tabs()])
        self.widget.add_class("atw-workbench")
        self.canvas.on_refused(self._refused)
        self._base = model
        """The model as the watched file last held it (loaded or saved): what one's own
        unsaved edits and someone else's saved ones are merged against."""
        self.watch: FileWatch | None = None
        """Watches the file the model came from or was saved to (see :meth:`_follow`)."""
        if model.source_path is not None:
            self._follow(Path(model.source_path))
        self._panels_later()

    # ----------------------------------------------------------------- panels
    def _panels_later(self) -> None:
        """Build the inspector and the threat panel after the canvas's first frame, in a
        kernel; at the latest before the next cell runs or :data:`PANELS_AT_THE_LATEST`
        seconds from now (a notebook run without a front end, whose saved widget state
        should hold them); elsewhere now."""
        loop = kernel_loop()
        if loop is None:
            self._build_panels()
            return
        ipython = sys.modules.get("IPython")
        shell = ipython.get_ipython() if ipython is not None else None
        events = getattr(shell, "events", None)
        canvas = self.canvas
        build = _weakly(self._build_panels)  # the workbench is not kept alive by these
        done = False

        def once(*_: object) -> None:
            nonlocal done
            if done:
                return
            done = True
            timer.cancel()
            canvas.on_painted(once, remove=True)
            if events is not None:
                with contextlib.suppress(ValueError):
                    events.unregister("pre_run_cell", once)
            build()

        timer = loop.call_later(PANELS_AT_THE_LATEST, once)
        canvas.on_painted(once)
        if events is not None:
            events.register("pre_run_cell", once)

    def _build_panels(self) -> tuple[Inspector, FindingsPanel]:
        """The inspector and the threat panel, built into their tab the first time."""
        inspector, findings = self._inspector, self._findings
        if inspector is not None and findings is not None:
            return inspector, findings
        inspector = self._inspector = Inspector(self.canvas)
        findings = self._findings = FindingsPanel(self.canvas)
        inspector.widget.layout = w.Layout(
            flex="0 0 380px", width="380px", max_height="560px", overflow="auto"
        )
        findings.widget.layout = w.Layout(flex="1 1 auto", min_width="0")
        self._threats.children = [inspector.widget, findings.widget]
        return inspector, findings

    @property
    def inspector(self) -> Inspector:
        """The inspector (in a kernel built after the canvas's first frame, or on first
        use)."""
        return self._build_panels()[0]

    @property
    def findings(self) -> FindingsPanel:
        """The threat panel (in a kernel built after the canvas's first frame, or on first
        use)."""
        return self._build_panels()[1]

    def _header(self) -> w.Widget:
        return w.HBox(
            [
                self.title,
                self.path,
                self.load_button,
                self.save_button,
                self.export_format,
                self.export_button,
                self.progress,
                self.status,
            ],
            layout=w.Layout(flex_flow="row wrap", align_items="center"),
        )

    def _tabs(self) -> w.Tab:
        self.canvas.layout = w.Layout(width="100%")
        self.tabs = w.Tab(children=[self._threats, self._pasta_box, self._controls_box])
        for i, name in enumerate(("Inspector and threats", "PASTA", "Controls")):
            self.tabs.set_title(i, name)
        self.tabs.observe(lambda _: self._tab_changed(), names="selected_index")
        self._tab_changed()
        return self.tabs

    def _tab_changed(self) -> None:
        """Only the shown PASTA or controls view follows edits (they cost the most)."""
        selected = self.tabs.selected_index
        if selected == 1 or self._pasta is not None:
            self.pasta.set_live(selected == 1)
        if selected == 2 or self._controls is not None:
            self.controls.set_live(selected == 2)

    @property
    def pasta(self) -> PastaView:
        """The PASTA view (built on first use)."""
        if self._pasta is None:
            self._pasta = self._place(PastaView(self.canvas, live=False), self._pasta_box)
        return self._pasta

    @property
    def controls(self) -> ControlsView:
        """The controls view (built on first use)."""
        if self._controls is None:
            self._controls = self._place(ControlsView(self.canvas, live=False), self._controls_box)
        return self._controls

    @staticmethod
    def _place(view: _View, box: w.VBox) -> _View:
        box.children = [view.widget]
        return view

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
        """Write the live model atomically to ``path`` (default: the File field), and record
        it in the notebook for *File → Save and Export Notebook As → Risk assessment*."""
        target = Path(path if path is not None else self.path.value).expanduser()
        written = self.model.save(target)
        self.path.value = str(written)
        self._base = self.model
        self._follow(written)
        if self._record is not None:
            self._record.update(self._record_bundle(written), raw=True)
        return written

    def _save_clicked(self) -> None:
        try:
            written = self.save()
        except (OSError, ValueError) as exc:
            self._error(f"Not saved: {exc}")
            return
        self._ok(f"Saved {written.name}")

    # ----------------------------------------------------------------- loading
    def load_file(self, path: str | os.PathLike[str] | None = None) -> ThreatModel:
        """Replace the live model with the one in ``path`` (default: the File field).

        Raises ``ModelFileError`` or ``OSError`` when the file cannot be loaded; the live
        model is then unchanged."""
        target = Path(path if path is not None else self.path.value).expanduser()
        model = ThreatModel.load(target)
        self.canvas.selection = []
        self.model = model
        self.title.value = _title(model)
        self.path.value = str(target)
        self._base = model
        self._follow(target)
        return model

    # ----------------------------------------------------------------- the file changed
    def _follow(self, path: Path) -> None:
        """Watch ``path`` (as just loaded or saved) for changes someone else saves."""
        if self.watch is not None and self.watch.path == path:
            self.watch.known()
            return
        if self.watch is not None:
            self.watch.stop()
        self.watch = FileWatch(path, _weakly(self._file_changed))
        self.watch.start()

    def _file_changed(self, text: str) -> None:
        """Someone else saved the watched file: take their model, merged with this
        workbench's unsaved edits (both sides' changes; one's own where they conflict)."""
        path = self.watch.path if self.watch is not None else Path(self.path.value)
        try:
            theirs = ThreatModel.load(path)
        except (ModelFileError, OSError, ValueError) as exc:
            self._error(f"{path.name} changed on disk but does not load: {_first_line(exc)}")
            return
        if self.model == self._base:
            self.model = theirs
            self._base = theirs
            self.title.value = _title(theirs)
            self._ok(f"Reloaded {path.name}: it was saved elsewhere")
            return
        result = merge(self._base, self.model, theirs)
        if result.error:
            self._error(
                f"{path.name} was saved elsewhere; your unsaved edits do not fit with it "
                f"({_first_line(result.error)}). Save to keep yours, or Load to take the file's."
            )
            return
        self.model = result.model
        self._base = theirs
        self.title.value = _title(result.model)
        taken = "; ".join(result.theirs[:6]) + (" …" if len(result.theirs) > 6 else "")
        if result.conflicts:
            self._error(
                f"Merged what was saved to {path.name} ({taken}) with your unsaved edits. "
                f"Kept your version of {', '.join(result.conflicts)} (also changed in the "
                f"file): Save to keep yours, or Load to take the file's."
            )
        else:
            self._ok(f"Merged what was saved to {path.name} ({taken}) with your unsaved edits")

    def _load_clicked(self) -> None:
        try:
            model = self.load_file()
        except ModelFileError as exc:
            lines = "; ".join(str(p) for p in exc.problems[:5]) or str(exc)
            self._error(f"Not loaded: {lines}")
            return
        except (OSError, ValueError) as exc:
            self._error(f"Not loaded: {exc}")
            return
        self._ok(f"Loaded {model.system.name}")

    # ----------------------------------------------------------------- exporting
    def export(self, fmt: str, progress: Callable[[str], None] | None = None) -> list[Path]:
        """Write the live model's risk assessment (``html``, ``pdf``) or its model cards
        (``md``) next to the model file (the File field); returns the files written."""
        model_path = Path(self.path.value).expanduser()
        analysis = self.analysis
        if fmt in ("html", "pdf"):
            return [_write_report(analysis, model_path.with_suffix(f".{fmt}"), fmt, progress)]
        if fmt == "md":
            return _write_cards(analysis, model_path.parent, progress)
        raise ValueError(f"unknown export format {fmt!r}")

    def _export_clicked(self) -> None:
        self.progress.value = 0
        self.progress.bar_style = ""
        self.progress.layout.visibility = "visible"

        def step(message: str) -> None:
            self.progress.value = min(self.progress.value + 1, EXPORT_STEPS)
            self.status.value = h("span", f"{message} …")

        try:
            written = self.export(self.export_format.value, step)
        except Exception as exc:  # any failure is shown; the model is untouched
            self.progress.bar_style = "danger"
            self._error(f"Export failed: {type(exc).__name__}: {exc}")
            return
        self.progress.value = EXPORT_STEPS
        self.progress.bar_style = "success"
        names = ", ".join(p.name for p in written) or "nothing (no model element)"
        self._ok(f"Exported {names}")

    # ----------------------------------------------------------------- status
    def _ok(self, text: str) -> None:
        self.status.value = h("span", text, style="color:#047857")

    def _error(self, text: str) -> None:
        self.status.value = h("span", text, class_="atw-error", style="color:#b91c1c")

    def _refused(self, reason: str, msg: dict[str, Any]) -> None:
        self._error(f"Refused: {reason}")

    # ----------------------------------------------------------------- display
    def _ipython_display_(self) -> None:
        """Show the widget, then a one-line output that records the model in the notebook
        (:data:`~workbench.export.report.notebook.MODEL_MIMETYPE`): the model as shown, and
        after each Save the model as saved with its file. Saving the notebook keeps it, so
        the notebook's Export menu (and ``jupyter nbconvert --to risk_html``) finds it."""
        from IPython.display import display

        display(self._repr_mimebundle_(), raw=True)  # type: ignore[no-untyped-call]
        self._record = display(  # type: ignore[no-untyped-call]
            self._record_bundle(None), raw=True, display_id=True
        )

    def _record_bundle(self, saved: Path | None) -> dict[str, Any]:
        from workbench.export.report.notebook import MODEL_MIMETYPE, model_record

        where = None
        if saved is not None:
            try:
                where = Path(os.path.relpath(saved.resolve(), Path.cwd())).as_posix()
            except ValueError:  # another drive (Windows)
                where = str(saved.resolve())
        state = f"as saved to {where}" if where else "as shown"
        line = (
            f"Threat model kept in this notebook ({state}) for File → Save and Export "
            "Notebook As → Risk assessment."
        )
        return {
            "text/plain": line,
            "text/html": str(h("div", line, class_="atw-record", style=_RECORD_STYLE)),
            MODEL_MIMETYPE: model_record(self.model, where),
        }

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The widget view, plus a static snapshot (``text/html``) for readers whose
        front end cannot run the widget (see :mod:`widgets.snapshot`)."""
        return with_snapshot(view_bundle(self.widget.model_id), self.model, self.analysis)

    def __repr__(self) -> str:
        return f"<Workbench on {self.model!r}>"


def _weakly(method: Callable[..., object]) -> Callable[..., None]:
    """``method``, held weakly: a watch or a timer does not keep its workbench alive."""
    ref = weakref.WeakMethod(method)

    def call(*args: Any) -> None:
        bound = ref()
        if bound is not None:
            bound(*args)

    return call


def _first_line(exc: object) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _width(px: int) -> w.Layout:
    return w.Layout(width=f"{px}px")


def _title(model: ThreatModel) -> Html:
    return h("b", model.system.name)


def _write_report(
    analysis: Analysis, target: Path, fmt: str, progress: Callable[[str], None] | None
) -> Path:
    from workbench.export import report_html, report_pdf
    from workbench.outputs import write_output

    model = analysis.model
    if fmt == "pdf":
        data = report_pdf(model, analysis, progress=progress)
    else:
        data = report_html(model, analysis, progress=progress).encode("utf-8")
    write_output(target, data, force=True, backup=False)
    return target


def _write_cards(
    analysis: Analysis, directory: Path, progress: Callable[[str], None] | None
) -> list[Path]:
    from workbench.export import build_card, card_elements
    from workbench.export.model_card import write_card

    written = []
    for element in card_elements(analysis.model):
        if progress:
            progress(f"model card for {element.id}")
        written.append(write_card(build_card(analysis, element.id), directory, "md"))
    return written


if kernel_loop() is not None:  # imported in a notebook's kernel: see warm_catalog
    warm_catalog()
