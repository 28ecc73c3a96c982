"""YAML text as the workbench writes it: dumpers, scalar styles, the canonical form and
the indentation of an existing file (shared by :mod:`workbench.saving` and
:mod:`workbench.rewrite`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from .model.references import decision_key
from .parsing import _TAG


def _represent_float(representer: Any, value: float) -> Any:
    """Floats as YAML 1.1 readers expect them (``1.0e-05``, not ``1e-05``)."""
    text = repr(value).lower()
    if "e" in text and "." not in text:
        text = text.replace("e", ".0e")
    return representer.represent_scalar(_TAG + "float", text)


_REPRESENTER: Any = None


def _ruamel(source_text: str | None = None) -> Any:
    global _REPRESENTER
    from ruamel.yaml import YAML
    from ruamel.yaml.representer import RoundTripRepresenter

    if _REPRESENTER is None:

        class Representer(RoundTripRepresenter):
            pass

        Representer.add_representer(float, _represent_float)
        _REPRESENTER = Representer
    y = YAML(typ="rt")
    y.Representer = _REPRESENTER
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap a user's long lines
    indent = _guess_indent(source_text) if source_text is not None else _Indent()
    y.indent(mapping=indent.mapping, sequence=indent.sequence, offset=indent.offset)
    return y


@dataclass(frozen=True)
class _Indent:
    """How a file indents, in ruamel.yaml's terms: the items of a block sequence start
    ``sequence`` columns right of their key, their dash ``offset`` columns."""

    sequence: int = 4
    offset: int = 2

    @property
    def mapping(self) -> int:
        return max(self.sequence - self.offset, 2)


def _guess_indent(text: str) -> _Indent:
    """The indentation of ``text``, read from its first block sequence item as
    ``ruamel.yaml.util.load_yaml_guess_indent`` reads it, without loading the document
    (that function loads it all: it cost a third of a save)."""
    key_indent = 0
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("- "):
            dash = len(line) - len(line.lstrip(" "))
            after = len(line) - len(line[dash + 1 :].lstrip(" "))
            if line[after:].startswith("#"):
                continue  # a comment after the dash
            sequence, offset = after - key_indent, dash - key_indent
            return _Indent(sequence, offset) if 0 <= offset <= sequence - 2 else _Indent()
        if stripped.endswith(":") and not stripped.startswith("#"):
            key_indent = len(line) - len(line.lstrip(" "))
    return _Indent()


_BASE_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BASE_DUMPER):  # type: ignore[misc]
    """PyYAML's safe dumper (the C one when present) writing clean multi-line text as a
    literal block."""


class _IndentedDumper(yaml.SafeDumper):
    """PyYAML's Python dumper with the items of a block sequence indented under their key
    (``key:\\n  - item``), for files written that way; the C dumper never indents them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: Any, value: str) -> Any:
    style = "|" if "\n" in value.rstrip("\n") and _block_safe(value) else None
    return dumper.represent_scalar(_TAG + "str", value, style=style)


class _FlowDumper(_BASE_DUMPER):  # type: ignore[misc]
    """PyYAML's safe dumper writing text with line breaks in double quotes (escaped), for
    values inside a flow collection (``{x: 1, note: "two\\nlines"}``): on one line."""


def _represent_flow_str(dumper: Any, value: str) -> Any:
    style = '"' if any(c in value for c in "\n\r\x85\u2028\u2029") else None
    return dumper.represent_scalar(_TAG + "str", value, style=style)


_Dumper.add_representer(str, _represent_str)
_IndentedDumper.add_representer(str, _represent_str)
_FlowDumper.add_representer(str, _represent_flow_str)

_RESOLVER = yaml.resolver.Resolver()
_LINE_BREAKS_1_1 = ("\x85", "\u2028", "\u2029")


def _styled(value: Any) -> Any:
    """For ruamel (a YAML 1.2 writer): mark strings that a YAML 1.1 reader (PyYAML) would
    not read back as the same string (``yes``, ``on``, ``1e3``, ``~``, text with NEL or
    control characters) to be written in double quotes, and clean multi-line text as a
    literal block."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString

    if isinstance(value, dict):
        return {k: _styled(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_styled(v) for v in value]
    if not isinstance(value, str):
        return value
    printable = all(c.isprintable() or c == "\n" for c in value) and not any(
        c in value for c in _LINE_BREAKS_1_1
    )
    if "\n" in value.rstrip("\n") and printable and _block_safe(value):
        return LiteralScalarString(value)
    tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    plain = tag == _TAG + "str"
    if not printable or not plain or "\n" in value:
        return DoubleQuotedScalarString(value)
    return value


def _block_safe(text: str) -> bool:
    lines = text.split("\n")
    return (
        text.endswith("\n")
        and not text.endswith("\n\n")
        and not lines[0].startswith((" ", "\t"))
        and all(line == line.rstrip() and line.isprintable() for line in lines)
        and not any(c in text for c in _LINE_BREAKS_1_1)
    )


def _canonical_yaml(doc: dict[str, Any]) -> str:
    text: str = yaml.dump(
        doc,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=4096,
        default_flow_style=False,
    )
    return text


_ID_KEYS = ("id", "finding")


def _id_of(item: Any) -> str | None:
    """An item's ID: ``id``, a decision's ``finding``, or a scoped decision's key
    (``THREAT@boundary:ID`` ...)."""
    if isinstance(item, dict):
        for k in _ID_KEYS:
            if isinstance(item.get(k), str):
                return str(item[k])
        if "threat" in item:
            return decision_key(item)
    return None


def _ids(items: list[Any]) -> list[str] | None:
    """The IDs of a list of objects with unique IDs; ``None`` for any other list."""
    ids = [_id_of(x) for x in items]
    if not all(ids):
        return None
    found = [str(i) for i in ids]
    return found if len(set(found)) == len(found) else None
