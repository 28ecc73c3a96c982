"""Notebook widgets over the workbench core: the architecture canvas, the inspector, the
threat panel and the :class:`Workbench` that puts them together.

>>> from widgets import Workbench
>>> wb = Workbench.from_template("rag_assistant")  # doctest: +SKIP

Nothing in :mod:`workbench` imports this package.
"""

from .canvas import Canvas
from .findings import FindingsPanel
from .inspector import Inspector
from .workbench import Workbench

__all__ = ["Canvas", "FindingsPanel", "Inspector", "Workbench"]
