"""Moved to :mod:`workbench.register.review` (model review sits next to the register's
diffs); this alias re-exports it for one more release. Import from
``workbench.register.review`` instead."""

from __future__ import annotations

from ..register.review import (
    GIT_TIMEOUT,
    MODEL_PARTS,
    SECTIONS,
    FieldChange,
    ItemChange,
    ItemRef,
    ModelDiff,
    SectionDiff,
    diff_models,
    load_model_spec,
    md,
    to_json,
    to_markdown,
    to_text,
)

__all__ = [
    "GIT_TIMEOUT",
    "MODEL_PARTS",
    "SECTIONS",
    "FieldChange",
    "ItemChange",
    "ItemRef",
    "ModelDiff",
    "SectionDiff",
    "diff_models",
    "load_model_spec",
    "md",
    "to_json",
    "to_markdown",
    "to_text",
]
