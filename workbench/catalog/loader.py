"""Loading catalogs: the built-in one, then users' own directories.

Precedence is explicit: the built-in catalog first, then each user directory in the order
given. An ID defined twice is an error naming both files (there is no silent override). To
change a built-in threat, list its ID under ``disabled:`` in a user file and add your own
threat under a new ID.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import ModelFileError, Problem
from ..io import validation_problems
from ..model.references import did_you_mean
from ..parsing import (
    MAX_FILE_BYTES,
    decode_text,
    gc_paused,
    mark,
    node_at,
    parse_yaml,
    read_limited,
)
from ..resources import catalogs_dir
from .entries import CatalogFile, Framework, Mitigation, OutOfScope, Threat
from .predicates import Context, Predicate

CATALOG_SECTIONS = ("threats", "mitigations", "frameworks", "out_of_scope", "disabled")


@dataclass
class Catalog:
    """A validated, merged catalog."""

    threats: dict[str, Threat] = field(default_factory=dict)
    """Threats by ID (disabled ones removed), in load order."""
    mitigations: dict[str, Mitigation] = field(default_factory=dict)
    """Mitigations by ID."""
    frameworks: dict[str, Framework] = field(default_factory=dict)
    """Frameworks by ID."""
    out_of_scope: dict[str, dict[str, OutOfScope]] = field(default_factory=dict)
    """Per framework, the entries deliberately not covered."""
    origin: dict[str, str] = field(default_factory=dict)
    """Which file defined each ID."""
    sources: list[str] = field(default_factory=list)
    """The directories loaded, in order."""

    def title(self, framework: str, entry: str) -> str:
        """The framework's title for ``entry`` ('' when unknown)."""
        fw = self.frameworks.get(framework)
        if fw is None:
            return ""
        for e in fw.entries:
            if e.id == entry:
                return e.title
        return ""

    def link(self, framework: str, entry: str) -> str:
        """A link to ``entry`` in the framework's publication ('' when there is none);
        ``{id}`` in the framework's link stands for the ID, ``{num}`` for its digits."""
        fw = self.frameworks.get(framework)
        if fw is None or not fw.link:
            return ""
        number = "".join(c for c in entry if c.isdigit())
        return fw.link.replace("{id}", entry).replace("{num}", number)


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.yaml") if "schema" not in p.parts)


def _load_file(path: Path) -> tuple[CatalogFile, list[str], Any]:
    """One catalog file; anything unreadable (not UTF-8, too large, a directory, a FIFO or
    a device named ``*.yaml``, a broken link) is one :class:`Problem` naming the file."""
    name = str(path)
    raw = read_limited(path, name, MAX_FILE_BYTES, descriptors=False, expected="a catalog file")
    parsed, disabled, root = _parse_file(name, decode_text(raw, name))
    return parsed, list(disabled), root


@functools.lru_cache(maxsize=64)
def _parse_file(name: str, text: str) -> tuple[CatalogFile, tuple[str, ...], Any]:
    """One catalog file, parsed and validated; cached by name and content (the results
    are immutable: frozen models and a node tree that is only read), so that a new
    workbench or analysis does not parse an unchanged catalog again."""
    data, root = parse_yaml(text, name)
    if data is None:
        return CatalogFile(), (), root
    if not isinstance(data, dict):
        raise ModelFileError.one(name, "expected a mapping of catalog sections", line=1, column=1)
    unknown = [k for k in data if k not in CATALOG_SECTIONS]
    if unknown:
        line, col = mark(node_at(root, (unknown[0],), key=True))
        hint = did_you_mean(str(unknown[0]), CATALOG_SECTIONS)
        raise ModelFileError.one(
            name, f"unknown catalog section{hint}", line=line, column=col, path=str(unknown[0])
        )
    disabled = data.pop("disabled", []) or []
    if not isinstance(disabled, list) or not all(isinstance(d, str) for d in disabled):
        raise ModelFileError.one(name, "expected a list of IDs", path="disabled")
    try:
        parsed = CatalogFile.model_validate(data)
    except ValidationError as exc:
        raise ModelFileError(validation_problems(exc, name, root, CatalogFile, data=data)) from None
    return parsed, tuple(disabled), root


def _rule_problems(parsed: CatalogFile, name: str, root: Any) -> list[Problem]:
    problems = []
    for i, t in enumerate(parsed.threats):
        for message in t.applies_to.check(t.target, f"threats[{i}].applies_to"):
            path, _, text = message.partition(": ")
            line, col = mark(node_at(root, ("threats", i, "applies_to")))
            problems.append(Problem(name, line, col, path, text))
    for i, m in enumerate(parsed.mitigations):
        rules: tuple[tuple[str, Predicate | None, Context], ...] = (
            ("in_place", m.in_place, "element"),
            ("in_place_on_flow", m.in_place_on_flow, "flow"),
        )
        for key, rule, context in rules:
            if rule is None:
                continue
            for message in rule.check(context, f"mitigations[{i}].{key}"):
                path, _, text = message.partition(": ")
                line, col = mark(node_at(root, ("mitigations", i, key)))
                problems.append(Problem(name, line, col, path, text))
    return problems


def load_catalog(*directories: str | os.PathLike[str], builtin: bool = True) -> Catalog:
    """Load the built-in catalog (unless ``builtin=False``) and then each directory.

    Raises :class:`~workbench.errors.ModelFileError` listing every problem: bad files,
    rules naming unknown kinds or properties, duplicate IDs, references to unknown
    mitigations, controls or framework entries.
    """
    with gc_paused():  # thousands of small models: see workbench.io.gc_paused
        return _load_catalog([Path(d) for d in directories], builtin)


def _load_catalog(directories: list[Path], builtin: bool) -> Catalog:
    dirs = ([catalogs_dir()] if builtin else []) + directories
    catalog = Catalog(sources=[str(d) for d in dirs])
    problems: list[Problem] = []
    disabled: list[tuple[str, str]] = []
    for directory in dirs:
        if not directory.is_dir():
            problems.append(Problem(str(directory), None, None, "", "not a catalog directory"))
            continue
        for path in _files(directory):
            try:
                parsed, off, root = _load_file(path)
            except ModelFileError as exc:
                problems.extend(exc.problems)
                continue
            problems.extend(_rule_problems(parsed, str(path), root))
            problems.extend(_merge(catalog, parsed, str(path), root))
            disabled.extend((d, str(path)) for d in off)
    for threat_id, where in disabled:
        if catalog.threats.pop(threat_id, None) is None:
            problems.append(
                Problem(
                    where,
                    None,
                    None,
                    "disabled",
                    f"'{threat_id}' is not a threat ID of an earlier catalog",
                )
            )
    problems.extend(_reference_problems(catalog))
    if problems:
        raise ModelFileError(problems)
    return catalog


def _merge(catalog: Catalog, parsed: CatalogFile, name: str, root: Any) -> list[Problem]:
    problems = []
    sections: list[tuple[str, Iterable[Any], dict[str, Any]]] = [
        ("threats", parsed.threats, catalog.threats),
        ("mitigations", parsed.mitigations, catalog.mitigations),
        ("frameworks", parsed.frameworks, catalog.frameworks),
    ]
    for section, items, target in sections:
        for i, item in enumerate(items):
            key = f"{section}:{item.id}"
            if key in catalog.origin:
                line, col = mark(node_at(root, (section, i, "id")))
                problems.append(
                    Problem(
                        name,
                        line,
                        col,
                        f"{section}[{i}].id",
                        f"duplicate ID '{item.id}' (also in {catalog.origin[key]})",
                    )
                )
                continue
            catalog.origin[key] = name
            target[item.id] = item
    for fw, entries in parsed.out_of_scope.items():
        bucket = catalog.out_of_scope.setdefault(fw, {})
        for entry in entries:
            bucket[entry.id] = entry
    return problems


def _reference_problems(catalog: Catalog) -> list[Problem]:
    problems = []
    known = {fid: {e.id for e in fw.entries} for fid, fw in catalog.frameworks.items()}

    def check(origin: str, path: str, framework: str, ids: Iterable[str]) -> None:
        if framework not in known:
            return
        for ref in ids:
            if ref not in known[framework]:
                hint = did_you_mean(ref, known[framework])
                problems.append(
                    Problem(origin, None, None, path, f"'{ref}' is not an ID of {framework}{hint}")
                )

    for t in catalog.threats.values():
        origin = catalog.origin[f"threats:{t.id}"]
        for m in t.mitigations:
            if m not in catalog.mitigations:
                hint = did_you_mean(m, catalog.mitigations)
                problems.append(
                    Problem(
                        origin,
                        None,
                        None,
                        f"{t.id}.mitigations",
                        f"'{m}' is not a mitigation ID{hint}",
                    )
                )
        for fw, ids in t.references.model_dump().items():
            check(origin, f"{t.id}.references.{fw}", fw, ids)
    for mit in catalog.mitigations.values():
        origin = catalog.origin[f"mitigations:{mit.id}"]
        for fw, ids in mit.controls.model_dump(exclude={"atlas_none"}).items():
            check(origin, f"{mit.id}.controls.{fw}", fw, ids)
    return problems
