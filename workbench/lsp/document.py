"""One open model file as the language server sees it: its text, its outline, the model
it loads as (or the problems that stop it), and the analysis of the last text that
loaded, kept up to date by one :class:`~workbench.engine.Analyzer` per document (its
incremental edit path).

Positions: the outline counts columns in code points; the protocol counts UTF-16 code
units (the default encoding, the only one this server offers). :meth:`ModelDocument.range`
and :meth:`ModelDocument.place` convert.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from lsprotocol import types

from ..catalog import Catalog
from ..engine import Analysis, Analyzer, Finding
from ..errors import ModelFileError, Problem
from ..io import Format, load_warnings, loads_model, model_from_document
from ..model import ThreatModel
from ..parsing import gc_paused
from ..register import Register, build_register
from ..statements import Statement, StatementWriter
from .keystroke import Parsed, changed_value
from .outline import Outline, Span, outline, outline_of

OUTLINE_KEYS = frozenset(
    {"id", "name", "kind", "boundary", "parent", "source", "target", "finding", "threat"}
    | {"element"}
)
"""Keys whose values the outline reads: a keystroke in one outlines the text again."""
OUTLINED = frozenset({"elements", "flows", "boundaries", "assets", "objectives", "decisions"})
"""The top-level keys whose items the outline reads."""


@dataclass(frozen=True)
class Loaded:
    """The result of the last text that loaded."""

    model: ThreatModel
    analysis: Analysis
    register: Register


def file_format(uri: str, text: str) -> Format:
    """``json`` for a ``.json`` file or a text that starts with ``{``, else ``yaml``."""
    if uri.lower().endswith(".json") or text.lstrip().startswith("{"):
        return "json"
    return "yaml"


Signature = tuple[dict[str, str], tuple[object, ...]]
"""What the threat statements of a model's findings read: the elements' names by ID, and
everything else (see :meth:`ModelDocument.statement`)."""


def _signature(model: ThreatModel) -> Signature:
    """The :data:`Signature` of a model."""
    names = {e.id: e.name for e in model.elements}
    elements = tuple(
        (e.id, e.kind, e.boundary, e.properties, tuple(e.assets), tuple(e.tags))
        for e in model.elements
    )
    flows = tuple(
        (
            *(f.id, f.source, f.target, f.name, tuple(f.data), f.protocol, f.encrypted),
            *(f.authenticated, f.untrusted_content, f.query, f.initiated_by, tuple(f.tags)),
        )
        for f in model.flows
    )
    return names, (
        elements,
        flows,
        tuple(model.boundaries),
        tuple(model.assets),
        tuple(model.objectives),
        model.risk_tolerance,
    )


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class ModelDocument:
    """The state of one open document (see the module docstring)."""

    def __init__(self, uri: str, catalog: Catalog, *, today: dt.date | str | None = None) -> None:
        self.uri = uri
        self.catalog = catalog
        self.today = today
        self.analyzer = Analyzer(catalog)
        self.text = ""
        self.read = False
        """Whether :meth:`update` has been given a text."""
        self.lines: list[str] = [""]
        self.outline = Outline()
        self.known = Outline()
        """The last outline that defined any ID (for completion while the text does not
        parse)."""
        self.problems: list[Problem] = []
        """Why the current text does not load (empty when it does)."""
        self.warnings: tuple[Problem, ...] = ()
        self.loaded: Loaded | None = None
        """The last text that loaded (maybe not the current one: see :attr:`fresh`)."""
        self.fresh = False
        """Whether :attr:`loaded` is the current text."""
        self._signature: Signature | None = None
        self._statements: dict[str, Statement] = {}
        self._writer: StatementWriter | None = None
        self._parsed: Parsed | None = None
        self.made: dict[str, tuple[object, types.Diagnostic]] = {}
        """The findings' diagnostics last published, each with what it was made from
        (:mod:`.diagnostics` makes a diagnostic again only when that changed)."""

    @property
    def filename(self) -> str:
        """The name problems are reported under: the URI's last part."""
        return self.uri.rsplit("/", 1)[-1] or self.uri

    def update(self, text: str) -> None:
        """Take a new text: outline it, load it and, when it loads, re-analyse it (the
        edit path of the document's analyzer). Never raises: a failure of the engine
        itself becomes a problem at the top of the file and the analyzer starts anew."""
        self.text = text
        self.read = True
        self.lines = text.split("\n")
        self.fresh = False
        try:
            model = self._load(text)
        except ModelFileError as exc:
            self.problems, self.warnings = list(exc.problems), ()
            return
        except Exception as exc:  # a parser bug must not take the server down
            self.problems = [Problem(self.filename, 1, 1, "", f"could not read: {exc!r}")]
            self.warnings = ()
            return
        self.problems, self.warnings = [], load_warnings(model)
        try:
            analysis = self.analyzer.update(model)
            register = build_register(analysis, today=self.today)
            signature = _signature(model)
        except Exception as exc:  # an engine bug: report it, start the analyzer anew
            self.analyzer = Analyzer(self.catalog)
            self.problems = [Problem(self.filename, 1, 1, "", f"analysis failed: {exc!r}")]
            return
        self.loaded = Loaded(model, analysis, register)
        self.fresh = True
        self._keep_statements(signature)

    def _keep_statements(self, signature: Signature) -> None:
        """Forget the statements an edit may have changed: all of them, unless the edit
        renamed elements and changed nothing else that statements read; then only those
        that hold an old name (names are put into statements as they are)."""
        old, self._signature = self._signature, signature
        if old is None or old[1] != signature[1]:
            self._statements, self._writer = {}, None
            return
        renamed = [name for key, name in old[0].items() if signature[0].get(key) != name]
        if renamed:
            self._statements = {
                fid: st
                for fid, st in self._statements.items()
                if not any(n in st.text or any(n in r for r in st.route) for n in renamed)
            }

    def statement(self, finding: Finding) -> Statement:
        """The threat statement of a finding of the current analysis. Kept while an edit
        leaves what statements read unchanged (everything but descriptions, decisions,
        scope and the system's own fields): typing in a description or a decision's
        rationale writes no statement again."""
        found = self._statements.get(finding.id)
        if found is not None:
            return found
        if self.loaded is None:
            raise LookupError("no analysis: the document has not loaded yet")
        if self._writer is None or self._writer.analysis is not self.loaded.analysis:
            self._writer = StatementWriter(self.loaded.analysis)
        st = self._statements[finding.id] = self._writer.statement(finding)
        return st

    def _load(self, text: str) -> ThreatModel:
        """The model of the text (:class:`ModelFileError` when it does not load), and
        its outline. A keystroke inside a plain text value changes the document parsed
        last time (:mod:`.keystroke`); any other edit parses the text."""
        fmt = file_format(self.uri, text)
        parsed = self._parsed if fmt == "yaml" else None
        changed = changed_value(parsed, text) if parsed is not None else None
        if parsed is not None and changed is not None:
            self._patch_outline(parsed, *changed)
            return model_from_document(parsed.data, parsed.root, text, self.filename, fmt)
        self._parsed = None
        tree: list[Any] = []
        try:
            return loads_model(text, self.filename, fmt, tree=tree)
        finally:
            self._outline(text, fmt, tree)
            if tree and tree[0] is not None:
                self._parsed = Parsed(text, tree[1], tree[0])

    def _patch_outline(self, parsed: Parsed, path: tuple[str | int, ...], value: str) -> None:
        """Bring the outline up to a changed value: nothing to do for a value it does not
        read; an item's name is changed in place; anything else outlines the tree again."""
        last = path[-1]
        if path[0] not in OUTLINED or (last not in OUTLINE_KEYS and not isinstance(last, int)):
            return
        renamed = len(path) == 3 and last == "name" and isinstance(path[1], int)
        if renamed and self.outline.rename_item(str(path[0]), int(path[1]), value):
            return
        with gc_paused():
            self.outline = outline_of(parsed.root)

    def _outline(self, text: str, fmt: Format, tree: list[Any]) -> None:
        """The outline of the text, from the node tree loading composed (a YAML text
        that does not parse has none; a JSON text is composed here)."""
        if tree:
            with gc_paused():
                self.outline = outline_of(tree[0])
        elif fmt == "json":
            self.outline = outline(text)
        else:
            self.outline = Outline()
        if self.outline.items:
            self.known = self.outline

    # ------------------------------------------------------------------ positions
    def position(self, line: int, col: int) -> types.Position:
        """The protocol position of 0-based ``line`` and code-point column ``col``."""
        if 0 <= line < len(self.lines):
            text = self.lines[line]
            return types.Position(line, _utf16(text[: max(col, 0)]))
        return types.Position(max(line, 0), max(col, 0))

    def range(self, span: Span) -> types.Range:
        """The protocol range of a span."""
        return types.Range(
            self.position(span.line, span.col), self.position(span.end_line, span.end_col)
        )

    def place(self, pos: types.Position) -> tuple[int, int]:
        """The 0-based line and code-point column of a protocol position."""
        if not 0 <= pos.line < len(self.lines):
            return pos.line, pos.character
        text, units, col = self.lines[pos.line], 0, 0
        while col < len(text) and units < pos.character:
            units += 2 if ord(text[col]) > 0xFFFF else 1
            col += 1
        return pos.line, col

    def problem_range(self, p: Problem) -> types.Range:
        """The range of a load problem: the value that starts at its line and column (a
        scalar: its text; a key: the key), else from there to the end of the line; the
        first line when it has no place."""
        if p.line is None:
            return types.Range(types.Position(0, 0), self.position(0, len(self.lines[0])))
        line, col = p.line - 1, (p.column or 1) - 1
        parsed = self._parsed
        found = parsed.scalar_end(line, col) if parsed and parsed.text == self.text else None
        if found is not None and found[0] == line and found[1] > col:
            return types.Range(self.position(line, col), self.position(line, found[1]))
        end = self._token_end(line, col)
        return types.Range(self.position(line, col), self.position(line, end))

    def _token_end(self, line: int, col: int) -> int:
        """The end of the value or key that starts at ``(line, col)``: the outline's
        scalar when one starts there, else the text up to a ':' that ends a key, else
        the end of the line (at least one character)."""
        if not 0 <= line < len(self.lines):
            return col + 1
        text = self.lines[line]
        for span in self._scalar_spans(line):
            if span.col <= col < span.end_col or (span.col == col and span.end_col > col):
                return span.end_col if span.end_line == line else len(text)
        rest = text[col:]
        stripped = rest.lstrip("- ")
        offset = len(rest) - len(stripped)
        key = stripped.split(": ", 1)[0] if ": " in stripped else stripped.rstrip(":")
        end = col + offset + len(key.split(" #", 1)[0].rstrip())
        return max(end, col + 1) if end <= len(text) else max(len(text), col + 1)

    def _scalar_spans(self, line: int) -> list[Span]:
        spans = [i.id_span for i in self.outline.items] + [r.span for r in self.outline.refs]
        return [s for s in spans if s.line == line]
