"""Shared layouts and styles for a view's controls.

Every ipywidgets object is a model that the kernel announces and the browser creates
before anything is drawn, and each control brings a layout and a style of its own unless
it is given one. A view that builds its controls through :class:`Looks` shares one
default layout, a few named layouts, and one style per style class: with the forms and
hidden tabs built on first use, the workbench went from 474 to 75 models.

Never change a shared layout or style in place (``control.layout.width = ...``): give the
control its own with ``looks.new(..., layout=w.Layout(...))``.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w


class Looks:
    """Makes controls that share layouts and styles.

    Parameters
    ----------
    **style
        Style settings for every control whose style class has them (e.g.
        ``description_width="130px"``).
    """

    def __init__(self, **style: Any) -> None:
        self._style = style
        self._styles: dict[type[Any], Any] = {}
        self._layouts: dict[tuple[tuple[str, str], ...], w.Layout] = {}

    def layout(self, **settings: str) -> w.Layout:
        """The one shared layout with these settings."""
        key = tuple(sorted(settings.items()))
        if key not in self._layouts:
            self._layouts[key] = w.Layout(**settings)
        return self._layouts[key]

    def style(self, cls: type[Any]) -> Any:
        """The one shared style for controls of ``cls`` (``None`` when it has no style)."""
        trait = cls.class_traits().get("style")
        if trait is None:
            return None
        style_class = trait.klass
        if style_class not in self._styles:
            names = set(style_class.class_trait_names())
            self._styles[style_class] = style_class(
                **{k: v for k, v in self._style.items() if k in names}
            )
        return self._styles[style_class]

    def new(self, cls: type[Any], *, layout: w.Layout | None = None, **kw: Any) -> Any:
        """``cls(**kw)`` with the shared default layout (or ``layout``) and style."""
        style = self.style(cls)
        if style is not None and "style" not in kw:
            kw["style"] = style
        return cls(layout=layout if layout is not None else self.layout(), **kw)
