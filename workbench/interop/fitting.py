"""Fitting other tools' values to the model's limits on import: one-line fields get their
line breaks joined and control characters dropped, over-long values are shortened with
an ellipsis and their full text kept in the item's description, over-long lists keep
their first items; every change is reported as a warning (see
:class:`workbench.interop.common.Report`). The limits are read from the model types, so
every importer fits the same way.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, get_args, get_origin

from pydantic import BaseModel

from ..model.types import (
    LINE_BREAKS,
    NOT_IN_ONE_LINE,
    NOT_IN_TEXT,
    ListCap,
    TextRule,
    describe_char,
)

if TYPE_CHECKING:
    from .common import Report


ELLIPSIS = "\u2026"
"""Marks a value that was shortened on import."""

_BREAKS = re.compile(f"[ ]*[\t{LINE_BREAKS}][\\s]*")
_OTHER_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


@dataclass(frozen=True)
class FieldLimits:
    """The limits the model sets on one field (see :mod:`workbench.model.types`)."""

    text: TextRule | None
    """The rule of a text field."""
    item: TextRule | None
    """The rule of each item of a list of text."""
    cap: ListCap | None
    """The most items of a list."""


def _first(items: Iterable[Any], kind: type[Any]) -> Any:
    return next((m for m in items if isinstance(m, kind)), None)


@functools.cache
def field_limits(cls: type[BaseModel]) -> dict[str, FieldLimits]:
    """The text and list limits of ``cls``'s fields, read from their types."""
    out = {}
    for name, info in cls.model_fields.items():
        item = None
        args = get_args(info.annotation) if get_origin(info.annotation) is list else ()
        if args and get_origin(args[0]) is Annotated:
            item = _first(args[0].__metadata__, TextRule)
        limits = FieldLimits(_first(info.metadata, TextRule), item, _first(info.metadata, ListCap))
        if limits != FieldLimits(None, None, None):
            out[name] = limits
    return out


def fit_text(value: str, rule: TextRule) -> tuple[str, list[str], bool]:
    """``value`` made acceptable to ``rule``: what changed (for a warning), and whether it
    had to be shortened. One-line text: line breaks and tabs (with the blanks around
    them) become one space; free text: carriage returns and other line separators become
    newlines. Then what the rule refuses is removed (control characters; in one line also
    bidirectional controls), and text longer than the rule allows ends in "…"."""
    changes: list[str] = []
    text = value
    if rule.one_line:
        text = text.strip()
        if _BREAKS.search(text):
            text = _BREAKS.sub(" ", text)
            changes.append("line breaks and tabs replaced by spaces")
        bad = NOT_IN_ONE_LINE
    else:
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if _OTHER_BREAKS.search(text):
            text = _OTHER_BREAKS.sub("\n", text)
            changes.append("line and paragraph separators replaced by newlines")
        bad = NOT_IN_TEXT
    found = bad.findall(text)
    if found:
        text = bad.sub("", text)
        kinds = ", ".join(dict.fromkeys(describe_char(c) for c in found[:20]))
        changes.append(f"{len(found):,} control character(s) removed: {kinds}")
    if rule.one_line:
        text = text.strip()
    shortened = len(text) > rule.max_length
    if shortened:
        changes.append(f"shortened from {len(text):,} to {rule.max_length:,} characters")
        text = text[: rule.max_length - 1].rstrip() + ELLIPSIS
    return text, changes, shortened


def _note_field(cls: type[BaseModel]) -> str | None:
    """The free-text field of ``cls`` that takes what did not fit elsewhere."""
    return next((n for n in ("description", "rationale") if n in cls.model_fields), None)


@dataclass
class _Fitter:
    """Fits the values of one item, collecting what goes into its note field."""

    report: Report
    path: str
    note_field: str | None
    notes: list[str] = field(default_factory=list)

    def value(self, name: str, value: str, rule: TextRule, fallback: Any = None) -> str:
        """One text value fitted to ``rule``, with a warning when it changed."""
        text, changes, shortened = fit_text(value, rule)
        if shortened and rule.one_line and self.note_field:
            full, _, _ = fit_text(value, TextRule(10**9))
            self.notes.append(f"Full {name} (shortened on import): {full}")
            changes[-1] += f"; the full text is kept in the {self.note_field}"
        if not text and rule.min_length:
            if fallback is None:
                changes.append("nothing was left; left out")
            else:
                text = fallback
                changes.append(f"nothing was left; '{text}' is used instead")
        if changes:
            self.report.warn(self.path, f"{name}: {'; '.join(changes)}")
        return text

    def items(self, name: str, values: list[Any], lim: FieldLimits) -> list[Any]:
        """A list cut to its limit, its text items fitted (empty ones left out)."""
        items = values
        cap = lim.cap
        if cap is not None and len(items) > cap.max_items:
            items = values[: cap.max_items]
            message = (
                f"{name}: {len(values):,} {cap.noun}, more than the {cap.max_items:,} allowed; "
                f"the first {cap.max_items:,} were kept"
            )
            texts = [v for v in values[cap.max_items :] if isinstance(v, str)]
            if lim.item is not None and self.note_field and texts:
                label = name.replace("_", " ").capitalize()
                self.notes.append(f"{label} left out on import: {', '.join(texts)}")
                message += f", the others are listed in the {self.note_field}"
            self.report.warn(self.path, message)
        rule = lim.item
        if rule is None:
            return list(items)
        fitted = []
        for i, v in enumerate(items):
            text = self.value(f"{name}[{i}]", v, rule) if isinstance(v, str) else v
            if text != "" or not rule.min_length:
                fitted.append(text)
        return fitted

    def note(self, value: Any, rule: TextRule | None) -> Any:
        """The note field's own text, with the notes added, fitted to ``rule``."""
        if not isinstance(value, str) or self.note_field is None:
            return value
        if self.notes:
            value = "\n\n".join([value.rstrip(), *self.notes] if value.strip() else self.notes)
        if rule is None:
            return value
        text, changes, _ = fit_text(value, rule)
        if changes:
            if changes[-1].startswith("shortened"):
                changes[-1] += "; the rest was left out"
            self.report.warn(self.path, f"{self.note_field}: {'; '.join(changes)}")
        return text


def fit_part(
    cls: type[BaseModel],
    raw: Mapping[str, Any],
    report: Report,
    path: str,
    fallback: str = "unnamed",
) -> dict[str, Any]:
    """``raw`` with its text fitted to the limits of ``cls`` (:func:`fit_text`), one
    warning per changed value. A one-line value that had to be shortened, and text items
    beyond a list's limit, are written in full into the item's description (a decision's
    rationale), so that nothing is lost without a word. A required name left empty takes
    the item's ID (``fallback`` when it has none)."""
    out = dict(raw)
    limits = field_limits(cls)
    fit = _Fitter(report, path, _note_field(cls))
    for name, lim in limits.items():
        value = out.get(name)
        if name == fit.note_field:
            continue
        if lim.text is not None and isinstance(value, str):
            item_id = raw.get("id")
            name_fallback = item_id if isinstance(item_id, str) and item_id else fallback
            out[name] = fit.value(name, value, lim.text, name_fallback)
        elif isinstance(value, list):
            out[name] = fit.items(name, value, lim)
    if fit.note_field is not None:
        note_rule = limits[fit.note_field].text if fit.note_field in limits else None
        value = fit.note(out.get(fit.note_field, ""), note_rule)
        if value != "" or fit.note_field in out:
            out[fit.note_field] = value
    return out
