"""Starter architectures shipped in ``catalogs/architectures/``."""

from __future__ import annotations

from dataclasses import replace

from .io import Source, load_model
from .model import ThreatModel
from .model.references import did_you_mean
from .resources import catalogs_dir


def names() -> list[str]:
    """Names of the starter architectures, sorted."""
    return sorted(p.stem for p in (catalogs_dir() / "architectures").glob("*.yaml"))


def load_template(name: str) -> ThreatModel:
    """Load a starter architecture by name. The model is not tied to the template's file
    (saving it needs a path), but saving keeps the template's comments."""
    available = names()
    if name not in available:
        raise KeyError(
            f"no starter architecture '{name}'{did_you_mean(name, available)} "
            f"(available: {', '.join(available)})"
        )
    model = load_model(catalogs_dir() / "architectures" / f"{name}.yaml")
    if isinstance(model._source, Source):
        model._source = replace(model._source, path=None)
    return model
