"""The language server (pygls): one :class:`~workbench.lsp.document.ModelDocument` per
open model file, diagnostics published after every change, and the requests answered
from the document's state. Every handler catches what goes wrong in it: a bad or
half-typed file never takes the server down.

Settings (``initializationOptions`` or ``workspace/didChangeConfiguration`` under
``threatWorkbench``): ``level``, the lowest residual risk shown as a warning
(``low`` … ``critical``; default ``high``, as ``threat-workbench check``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from ..catalog import Catalog, load_catalog
from ..engine import LEVELS
from ..version import __version__
from . import actions, completion, navigation, panel
from .diagnostics import diagnostics
from .document import ModelDocument

log = logging.getLogger(__name__)

T = TypeVar("T")

MODEL_NAMES = re.compile(r"(\.threat\.(ya?ml|json)|(^|/)threat-model\.(ya?ml|json))$")
"""File names that are model files whatever they hold."""
_TOP_KEY = re.compile(r"^(system|elements|format_version)\s*:", re.MULTILINE)
_JSON_KEY = re.compile(r'"(system|elements)"\s*:')


def is_model_file(uri: str, text: str) -> bool:
    """Whether a document is a threat-model file: by name (``*.threat.yaml``,
    ``threat-model.yaml``, their JSON twins) or by content (a top-level ``system``,
    ``elements`` or ``format_version`` key)."""
    if MODEL_NAMES.search(uri.lower()):
        return True
    return bool(_TOP_KEY.search(text) or _JSON_KEY.search(text[:4096]))


class WorkbenchServer(LanguageServer):
    """The workbench's language server (see the module docstring)."""

    def __init__(
        self,
        *,
        level: str = "high",
        catalogs: tuple[Path, ...] = (),
        builtin: bool = True,
        today: dt.date | str | None = None,
    ) -> None:
        super().__init__("threat-workbench", __version__)
        self.level = level
        self.catalogs = catalogs
        self.builtin = builtin
        self.today = today
        self.documents: dict[str, ModelDocument] = {}
        self._catalog: Catalog | None = None

    @property
    def catalog(self) -> Catalog:
        """The catalog, loaded on first use."""
        if self._catalog is None:
            self._catalog = load_catalog(*self.catalogs, builtin=self.builtin)
        return self._catalog

    def set_level(self, settings: Any) -> bool:
        """Take ``level`` from settings (a mapping, maybe under ``threatWorkbench``);
        whether it changed."""
        if not isinstance(settings, dict):
            return False
        settings = settings.get("threatWorkbench", settings)
        level = settings.get("level") if isinstance(settings, dict) else None
        if isinstance(level, str) and level in LEVELS and level != self.level:
            self.level = level
            return True
        return False

    def document(self, uri: str) -> ModelDocument | None:
        """The state of a model document, brought up to the workspace's text."""
        text = self.workspace.get_text_document(uri).source
        doc = self.documents.get(uri)
        if doc is None:
            if not is_model_file(uri, text):
                return None
            doc = self.documents[uri] = ModelDocument(uri, self.catalog, today=self.today)
        if doc.text != text or not doc.read:
            doc.update(text)
        return doc

    def refresh(self, uri: str) -> None:
        """Bring a document up to date and publish its diagnostics."""
        doc = self.document(uri)
        found = diagnostics(doc, self.level) if doc is not None else []
        version = self.workspace.get_text_document(uri).version
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=found, version=version)
        )


def guarded(default: T, what: str, call: Callable[[], T]) -> T:
    """``call()``, or ``default`` when it fails (logged): a failing request answers
    nothing rather than an error."""
    try:
        return call()
    except Exception:
        log.exception("%s failed", what)
        return default


def make_server(**options: Any) -> WorkbenchServer:  # noqa: C901 - one handler per feature
    """A server with every feature registered."""
    server = WorkbenchServer(**options)

    @server.feature(types.INITIALIZE)
    def initialize(ls: WorkbenchServer, params: types.InitializeParams) -> None:
        ls.set_level(params.initialization_options)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: WorkbenchServer, params: types.DidOpenTextDocumentParams) -> None:
        guarded(None, "didOpen", lambda: ls.refresh(params.text_document.uri))

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: WorkbenchServer, params: types.DidChangeTextDocumentParams) -> None:
        uri, version = params.text_document.uri, params.text_document.version
        await asyncio.sleep(0)  # let the changes already received come in first
        if ls.workspace.get_text_document(uri).version != version:
            return  # a newer change is on its way: its handler publishes
        guarded(None, "didChange", lambda: ls.refresh(uri))

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: WorkbenchServer, params: types.DidSaveTextDocumentParams) -> None:
        guarded(None, "didSave", lambda: ls.refresh(params.text_document.uri))

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: WorkbenchServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.documents.pop(uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(
        ls: WorkbenchServer, params: types.DidChangeConfigurationParams
    ) -> None:
        if ls.set_level(params.settings):
            for uri in list(ls.documents):
                guarded(None, "refresh", lambda uri=uri: ls.refresh(uri))  # type: ignore[misc]

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=[":", " ", "@"]),
    )
    def complete(ls: WorkbenchServer, params: types.CompletionParams) -> types.CompletionList:
        def run() -> list[types.CompletionItem]:
            doc = ls.document(params.text_document.uri)
            return completion.completions(doc, params.position) if doc else []

        none: list[types.CompletionItem] = []
        items = guarded(none, "completion", run)
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: WorkbenchServer, params: types.HoverParams) -> types.Hover | None:
        def run() -> types.Hover | None:
            doc = ls.document(params.text_document.uri)
            return actions.hover(doc, params.position) if doc else None

        return guarded(None, "hover", run)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def code_action(
        ls: WorkbenchServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        def run() -> list[types.CodeAction]:
            doc = ls.document(params.text_document.uri)
            return actions.code_actions(doc, params, today=ls.today) if doc else []

        none: list[types.CodeAction] = []
        return guarded(none, "codeAction", run) or None

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: WorkbenchServer, params: types.DefinitionParams) -> list[types.Location]:
        def run() -> list[types.Location]:
            doc = ls.document(params.text_document.uri)
            return navigation.definition(doc, params.position) if doc else []

        return guarded([], "definition", run)

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    def references(ls: WorkbenchServer, params: types.ReferenceParams) -> list[types.Location]:
        def run() -> list[types.Location]:
            doc = ls.document(params.text_document.uri)
            include = params.context.include_declaration
            return navigation.references(doc, params.position, include) if doc else []

        return guarded([], "references", run)

    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    def prepare_rename(
        ls: WorkbenchServer, params: types.PrepareRenameParams
    ) -> types.Range | None:
        def run() -> types.Range | None:
            doc = ls.document(params.text_document.uri)
            return navigation.prepare_rename(doc, params.position) if doc else None

        return guarded(None, "prepareRename", run)

    @server.feature(types.TEXT_DOCUMENT_RENAME)
    def rename(ls: WorkbenchServer, params: types.RenameParams) -> types.WorkspaceEdit | None:
        doc = ls.document(params.text_document.uri)
        if doc is None:
            return None
        # A refused name is an error the editor shows: let ValueError reach the client.
        return navigation.rename(doc, params.position, params.new_name)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(
        ls: WorkbenchServer, params: types.DocumentSymbolParams
    ) -> list[types.DocumentSymbol]:
        def run() -> list[types.DocumentSymbol]:
            doc = ls.document(params.text_document.uri)
            return navigation.symbols(doc) if doc else []

        return guarded([], "documentSymbol", run)

    @server.feature(panel.METHOD)
    def diagram(ls: WorkbenchServer, params: Any) -> dict[str, Any] | None:
        uri = params.get("uri") if isinstance(params, dict) else getattr(params, "uri", None)
        if not isinstance(uri, str):
            return None
        return guarded(None, "diagram", lambda: _panel(ls, uri))

    return server


def _panel(ls: WorkbenchServer, uri: str) -> dict[str, Any] | None:
    doc = ls.document(uri)
    return panel.panel(doc) if doc is not None else None


def serve(**options: Any) -> None:
    """Run the server over standard input and output until the client exits."""
    make_server(**options).start_io()
