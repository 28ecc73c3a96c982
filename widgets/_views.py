"""Views that follow the canvas only while they are shown.

The PASTA and controls views recompute attack paths and control coverage, which costs
more than the edit itself on large models. In a tab they are hidden most of the time: a
hidden view only notes that it is out of date and refreshes when it is shown again.
"""

from __future__ import annotations

from .canvas import Canvas


class LiveView:
    """Mixin: call :meth:`_follow` in ``__init__``; the :class:`~widgets.Workbench` calls
    :meth:`set_live` when its tabs change."""

    _live: bool = True
    _stale: bool = False

    def refresh(self) -> None:  # pragma: no cover - every view defines it
        raise NotImplementedError

    def _follow(self, canvas: Canvas, *, live: bool = True) -> None:
        """Follow ``canvas``'s updates; a view made hidden (``live=False``) is drawn the
        first time it is shown."""
        self._live, self._stale = live, not live
        canvas.on_update(self._updated)
        if live:
            self.refresh()

    def _updated(self) -> None:
        if self._live:
            self.refresh()
        else:
            self._stale = True

    @property
    def stale(self) -> bool:
        """Whether the view missed updates while hidden."""
        return self._stale

    def set_live(self, live: bool) -> None:
        """Follow updates (refreshing now if any were missed) or stop following them."""
        self._live = live
        if live and self._stale:
            self._stale = False
            self.refresh()
