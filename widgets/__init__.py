"""Notebook widgets over the workbench core: the architecture canvas, the inspector, the
threat panel, the PASTA and controls views, and the :class:`Workbench` that puts them
together.

>>> from widgets import Workbench
>>> wb = Workbench.from_template("rag_assistant")  # doctest: +SKIP

Nothing in :mod:`workbench` imports this package.
"""

from .canvas import Canvas
from .controls import ControlsView
from .findings import FindingsPanel
from .inspector import Inspector
from .pasta import PastaView
from .workbench import Workbench

__all__ = ["Canvas", "ControlsView", "FindingsPanel", "Inspector", "PastaView", "Workbench"]
