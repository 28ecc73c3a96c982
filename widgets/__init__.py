"""Notebook widgets over the workbench core: the architecture canvas, the inspector, the
threat panel, the PASTA and controls views, and the :class:`Workbench` that puts them
together.

>>> from widgets import Workbench
>>> wb = Workbench.from_template("rag_assistant")  # doctest: +SKIP

Nothing in :mod:`workbench` imports this package. Its classes are imported on first use,
so that ``widgets.serve_command`` (a CLI plugin) does not load ipywidgets and anywidget.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .canvas import Canvas
    from .controls import ControlsView
    from .findings import FindingsPanel
    from .inspector import Inspector
    from .pasta import PastaView
    from .workbench import Workbench

_MODULES = {
    "Canvas": ".canvas",
    "ControlsView": ".controls",
    "FindingsPanel": ".findings",
    "Inspector": ".inspector",
    "PastaView": ".pasta",
    "Workbench": ".workbench",
}
__all__ = ["Canvas", "ControlsView", "FindingsPanel", "Inspector", "PastaView", "Workbench"]


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        value = getattr(importlib.import_module(_MODULES[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
