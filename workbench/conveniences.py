"""Provides the model's conveniences (:mod:`workbench.hooks`) from the layers that own
them. Imported by ``workbench/__init__.py``; every function imports its module on first
use, so ``import workbench`` stays quick.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import hooks

if TYPE_CHECKING:
    from .graph import ModelGraph
    from .model import ThreatModel


def load_model(path: str | os.PathLike[str]) -> ThreatModel:
    """Load a model from a file (:func:`workbench.io.load_model`)."""
    from .io import load_model

    return load_model(path)


def loads_model(text: str, filename: str, fmt: str = "yaml") -> ThreatModel:
    """Parse a model from ``text``: JSON when ``fmt`` is ``json``, else YAML
    (:func:`workbench.io.loads_model`)."""
    from .io import loads_model

    return loads_model(text, filename=filename, fmt="json" if fmt == "json" else "yaml")


def load_template(name: str) -> ThreatModel:
    """Load a starter architecture by name (:func:`workbench.starters.load_template`)."""
    from .starters import load_template

    return load_template(name)


def to_document(model: ThreatModel) -> dict[str, Any]:
    """The canonical document of ``model`` (:func:`workbench.saving.to_document`)."""
    from .saving import to_document

    return to_document(model)


def dumps_model(model: ThreatModel, fmt: str) -> str:
    """The model as text: JSON when ``fmt`` is ``json``, else YAML
    (:func:`workbench.saving.dumps_model`)."""
    from .saving import dumps_model

    return dumps_model(model, fmt="json" if fmt == "json" else "yaml")


def save_model(
    model: ThreatModel, path: str | os.PathLike[str] | None, *, backup: bool = True
) -> Path:
    """Write ``model`` to ``path``, keeping a backup when ``backup``
    (:func:`workbench.saving.save_model`)."""
    from .saving import save_model

    return save_model(model, path, backup=backup)


def model_graph(model: ThreatModel) -> ModelGraph:
    """The graph of ``model`` (:class:`workbench.graph.ModelGraph`)."""
    from .graph import ModelGraph

    return ModelGraph(model)


def mimebundle(model: ThreatModel) -> dict[str, Any]:
    """The model's notebook display (:func:`workbench.display.mimebundle`)."""
    from .display import mimebundle

    return mimebundle(model)


hooks.provide(
    load_model=load_model,
    loads_model=loads_model,
    load_template=load_template,
    to_document=to_document,
    dumps_model=dumps_model,
    save_model=save_model,
    model_graph=model_graph,
    mimebundle=mimebundle,
)
