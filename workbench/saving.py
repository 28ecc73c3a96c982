"""Saving threat-model files.

Atomic, through :func:`workbench.outputs.write_output` (the one atomic writer): the text
goes to a temporary file of its own in the same folder, which then replaces the target
with :func:`os.replace`; the previous file is kept as ``<name>.bak``, copied the same
way. A model loaded from a hand-written YAML file is written back over that file's text
(:class:`_TextWriter`: only what changed is rewritten, in time linear in the file), so
the comments, key order, item order and quoting of the file survive; the files it does
not handle (anchors, merge keys ...) go through ruamel.yaml's round-trip mode, to the
same effect, more slowly. Anything else is written in canonical form (fields in
declaration order, defaults left out, lists sorted by ID), and so is a model whose
text written over its file would not load back as the same model (checked on every
save). The garbage collector is paused while the text is made, as for loading.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from . import rewrite
from .errors import ModelFileError
from .io import Format, Source, detect_format, gc_paused, loads_model
from .model.threat_model import FORMAT_VERSION, ThreatModel
from .yaml_text import _canonical_yaml


def to_document(model: ThreatModel) -> dict[str, Any]:
    """The canonical document of ``model``: declaration order, defaults left out."""
    doc: dict[str, Any] = {"format_version": FORMAT_VERSION}
    doc.update(model.model_dump(mode="json", exclude_defaults=True))
    return doc


def _full_document(model: ThreatModel) -> dict[str, Any]:
    doc: dict[str, Any] = {"format_version": FORMAT_VERSION}
    doc.update(model.model_dump(mode="json"))
    return doc


def dumps_model(model: ThreatModel, fmt: Format = "yaml") -> str:
    """The model as text: canonical, or written over its source file."""
    return _dump(model, fmt)[0]


def _dump(model: ThreatModel, fmt: Format) -> tuple[str, bool]:
    """The text, and whether it is canonical output. The garbage collector is paused, as
    for loading (:func:`gc_paused`): writing builds as many objects."""
    with gc_paused():
        return _dump_text(model, fmt)


def _dump_text(model: ThreatModel, fmt: Format) -> tuple[str, bool]:
    if fmt == "json":
        return json.dumps(to_document(model), indent=2, ensure_ascii=False) + "\n", False
    src = model._source
    if isinstance(src, Source) and src.fmt == "yaml" and not _source_is_canonical(src):
        text = _round_trip(model, src.text)
        if text is not None:
            return text, False
    return _canonical_yaml(to_document(model)), True


def _round_trip(model: ThreatModel, source_text: str) -> str | None:
    """Write ``model`` over ``source_text`` keeping its comments and order: with
    :class:`_TextWriter`, or when it declines the file, with ruamel.yaml. ``None`` if the
    result would not load back as the same model (then canonical output is used)."""
    full, compact = _full_document(model), to_document(model)
    for write in (rewrite._write_over, rewrite._ruamel_write_over):
        text = write(source_text, full, compact)
        if text is not None and _reads_back(text, model):
            return text
    return None


def _reads_back(text: str, model: ThreatModel) -> bool:
    try:
        return loads_model(text) == model
    except ModelFileError:
        return False


# --------------------------------------------------------------------------- saving
def save_model(
    model: ThreatModel, path: str | os.PathLike[str] | None = None, *, backup: bool = True
) -> Path:
    """Write ``model`` atomically; keep the old file as ``<name>.bak`` when ``backup``.

    The file is written by :func:`workbench.outputs.write_output` (the one atomic writer):
    only a regular file is replaced (a symbolic link, a folder or a device at ``path`` is
    refused with :class:`~workbench.errors.OutputError`), through a temporary file of its
    own, as is the backup."""
    src = model._source
    if path is None:
        if not isinstance(src, Source) or src.path is None:
            raise ValueError("this model was not loaded from a file: give a path")
        target = src.path
    else:
        target = Path(path)
    fmt = detect_format(target)
    text, canonical = _dump(model, fmt)
    write_atomic(target, text, backup=backup)
    model._source = Source(path=target.resolve(), text=text, fmt=fmt, canonical=canonical)
    return target


def write_atomic(target: str | os.PathLike[str], text: str, *, backup: bool = True) -> None:
    """Write ``text`` to ``target`` atomically, replacing a regular file there (kept as
    ``<name>.bak`` when ``backup``): :func:`workbench.outputs.write_output` with
    ``force``. Raises :class:`~workbench.errors.OutputError` (an :class:`OSError`)."""
    from .outputs import write_output

    write_output(target, text, force=True, backup=backup)


def _source_is_canonical(src: Source) -> bool:
    """Whether the text a model was loaded from is exactly canonical output (then saving
    needs no round-trip); worked out once per source."""
    if src.canonical is None:
        src.canonical = _is_canonical_text(src.text)
    return src.canonical


def _is_canonical_text(text: str) -> bool:
    """Whether ``text`` is exactly what the canonical writer makes of the model it holds.

    Canonical text starts ``format_version: N`` then ``system:``: any other start (a
    comment, another order) says no at once. Otherwise the model is loaded and written
    section by section, stopping at the first section that differs."""
    if not text.startswith(f"format_version: {FORMAT_VERSION}\nsystem:\n"):
        return False
    try:
        model = loads_model(text)
    except ModelFileError:
        return False
    pos = 0
    for key, value in to_document(model).items():
        chunk = _canonical_yaml({key: value})
        if not text.startswith(chunk, pos):
            return False
        pos += len(chunk)
    return pos == len(text)
