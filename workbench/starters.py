"""Starter architectures: realistic models shipped in ``starters/`` to begin from
(``ThreatModel.from_template(name)``, ``threat-workbench new --template NAME``)."""

from __future__ import annotations

from dataclasses import replace

from .io import Source, load_model
from .model import ThreatModel
from .model.references import did_you_mean
from .resources import starters_dir


def names() -> list[str]:
    """Names of the starter architectures, sorted."""
    return sorted(p.stem for p in starters_dir().glob("*.yaml"))


def load_template(name: str) -> ThreatModel:
    """Load a starter architecture by name. The model is not tied to the template's file
    (saving it needs a path), but saving keeps the template's comments."""
    available = names()
    if name not in available:
        raise KeyError(
            f"no starter architecture '{name}'{did_you_mean(name, available)} "
            f"(available: {', '.join(available)})"
        )
    model = load_model(starters_dir() / f"{name}.yaml")
    if isinstance(model._source, Source):
        model._source = replace(model._source, path=None)
    return model


load_starter = load_template
"""The same as :func:`load_template`, by its new name."""
