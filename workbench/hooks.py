"""The model's conveniences that live in higher layers, provided from above.

:class:`~workbench.model.ThreatModel` offers ``load``, ``save``, ``to_yaml``, ``graph``,
``from_template`` and a notebook display, but loading, saving, the graph, the starters and
the display are built on the model, not under it. So the model asks for them here by
name, and :mod:`workbench.conveniences` (imported by the ``workbench`` package itself,
before any submodule) provides them: the model package imports nothing above it, and the
import contracts check that (``[tool.importlinter]`` in ``pyproject.toml``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_PROVIDED: dict[str, Callable[..., Any]] = {}


def provide(**functions: Callable[..., Any]) -> None:
    """Register conveniences by name (see :mod:`workbench.conveniences`)."""
    _PROVIDED.update(functions)


def use(name: str) -> Callable[..., Any]:
    """The convenience registered as ``name``."""
    fn = _PROVIDED.get(name)
    if fn is None:  # only when workbench/__init__.py did not run, which Python prevents
        raise RuntimeError(f"workbench convenience {name!r} is not installed")
    return fn
