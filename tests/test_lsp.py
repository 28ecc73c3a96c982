"""The language server end to end: a real client (pytest-lsp) talks to
``threat-workbench lsp`` over stdio."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

pytest.importorskip("pygls")
pytest_lsp = pytest.importorskip("pytest_lsp")

from lsprotocol import types  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

from workbench.errors import ModelFileError  # noqa: E402
from workbench.io import loads_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STARTERS = sorted((ROOT / "starters").glob("*.yaml"))
RAG = ROOT / "starters" / "rag_assistant.yaml"
TODAY = "2026-12-01"


@pytest_lsp.fixture(  # type: ignore[untyped-decorator]
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "workbench.cli", "lsp", "--today", TODAY],
    ),
)
async def client(lsp_client: LanguageClient):
    params = types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        initialization_options={"level": "high"},
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


def uri_of(name: str) -> str:
    return f"file:///work/models/{name}"


async def open_doc(client: LanguageClient, name: str, text: str) -> list[types.Diagnostic]:
    uri = uri_of(name)
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text)
        )
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics[uri])


async def change_doc(
    client: LanguageClient, name: str, text: str, version: int
) -> list[types.Diagnostic]:
    uri = uri_of(name)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=version, uri=uri),
            [types.TextDocumentContentChangeWholeDocument(text)],
        )
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics[uri])


def apply(text: str, edits: Sequence[types.TextEdit]) -> str:
    """The text with the edits applied (ASCII text: columns are code units)."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)

    def at(p: types.Position) -> int:
        return offsets[p.line] + p.character

    for e in sorted(edits, key=lambda e: at(e.range.start), reverse=True):
        text = text[: at(e.range.start)] + e.new_text + text[at(e.range.end) :]
    return text


def place(text: str, needle: str, offset: int = 0, after: str = "") -> types.Position:
    """The position of ``needle`` (+ ``offset``), first found after ``after``."""
    start = text.index(after) if after else 0
    i = text.index(needle, start) + offset
    line = text.count("\n", 0, i)
    return types.Position(line, i - (text.rfind("\n", 0, i) + 1))


def ranged(text: str, r: types.Range) -> str:
    lines = text.split("\n")
    assert r.start.line == r.end.line
    return lines[r.start.line][r.start.character : r.end.character]


def errors(diags: list[types.Diagnostic]) -> list[types.Diagnostic]:
    return [d for d in diags if d.severity == types.DiagnosticSeverity.Error]


# ---------------------------------------------------------------------------- diagnostics
@pytest.mark.asyncio
async def test_starters_load_and_show_findings_on_their_elements(client: LanguageClient):
    for path in STARTERS:
        text = path.read_text(encoding="utf-8")
        diags = await open_doc(client, path.name, text)
        assert not errors(diags), (path.name, errors(diags))
        findings = [d for d in diags if isinstance(d.code, str) and "@" in d.code]
        assert findings, path.name
        for d in findings:
            assert d.severity == types.DiagnosticSeverity.Warning
            # on the ID of the element or flow the finding concerns
            assert ranged(text, d.range) == str(d.code).rsplit("@", 1)[1]
            assert " can " in d.message  # the threat statement
    rag = client.diagnostics[uri_of(RAG.name)]
    llm = next(d for d in rag if d.code == "AITW-LLM-001@llm_app")
    assert "critical risk" in llm.message
    assert "Route: " in llm.message
    assert " → " in llm.message


BROKEN = [
    # (what is changed in the RAG starter, the text of the error's range)
    ("    kind: llm_app\n", "    kind: llm_appp\n", "llm_appp"),
    ("    kind: llm_app\n", "    kind: llm_app\n    colour: blue\n", "colour"),
    (
        "  - id: f_client_to_gateway\n    source: web_client\n",
        "  - id: f_client_to_gateway\n    source: web_clien\n",
        "web_clien",
    ),
]


@pytest.mark.asyncio
@pytest.mark.parametrize(("old", "new", "marked"), BROKEN)
async def test_load_errors_at_their_exact_range(client: LanguageClient, old, new, marked):
    text = RAG.read_text(encoding="utf-8")
    assert old in text
    broken = text.replace(old, new, 1)
    with pytest.raises(ModelFileError) as exc:
        loads_model(broken, "rag_assistant.yaml")
    diags = await open_doc(client, "rag_assistant.yaml", broken)
    errs = errors(diags)
    assert len(errs) == len(exc.value.problems)
    # the CLI's message, at the line and column the CLI prints, over the bad value
    first = exc.value.problems[0]
    assert first.line is not None
    assert errs[0].range.start == types.Position(first.line - 1, (first.column or 1) - 1)
    assert first.message in errs[0].message
    assert ranged(broken, errs[0].range) == marked
    # fixed: the errors go and the findings come back
    diags = await change_doc(client, "rag_assistant.yaml", text, 2)
    assert not errors(diags)
    assert any(d.code == "AITW-LLM-001@llm_app" for d in diags)


HALF_TYPED = [
    "",
    "system:\n",
    "system: {name: x}\nelements:\n  - id: a\n    kind: \n",
    "system: {name: x}\nelements:\n  - id: a\n    kind: user\n    name: [unclosed\n",
    "system: {name: x}\nflows:\n  - {id: f, source: nowhere, target: ",
    '{"system": {"name": "x"}, "elements": [',
    "\t- : : :\n\x00",
    "system: &a {name: *a}\n",
    "- just\n- a list\n",
]


@pytest.mark.asyncio
async def test_half_typed_and_bad_files_never_crash_it(client: LanguageClient):
    for i, text in enumerate(HALF_TYPED):
        diags = await open_doc(client, f"broken{i}.threat.yaml", text)
        assert errors(diags), repr(text)
        # the server still answers every request on it
        pos = types.Position(0, 0)
        doc = types.TextDocumentIdentifier(uri_of(f"broken{i}.threat.yaml"))
        await client.text_document_hover_async(types.HoverParams(doc, pos))
        await client.text_document_completion_async(types.CompletionParams(doc, pos))
        await client.text_document_document_symbol_async(types.DocumentSymbolParams(doc))
        await client.text_document_definition_async(types.DefinitionParams(doc, pos))
    # and still analyses a good file afterwards
    diags = await open_doc(client, RAG.name, RAG.read_text(encoding="utf-8"))
    assert any(d.code == "AITW-LLM-001@llm_app" for d in diags)


@pytest.mark.asyncio
async def test_orphaned_decision_and_level_setting(client: LanguageClient):
    text = RAG.read_text(encoding="utf-8").replace(
        "  - finding: AITW-OPS-002@prompt_guard\n", "  - finding: AITW-OPS-002@prompt_gaurd\n"
    )
    diags = await open_doc(client, RAG.name, text)
    orphans = [d for d in diags if d.code == "orphaned-decision"]
    assert len(orphans) == 1
    assert ranged(text, orphans[0].range) == "AITW-OPS-002@prompt_gaurd"
    assert "no element or flow 'prompt_gaurd'" in orphans[0].message
    high = [d for d in diags if isinstance(d.code, str) and "@" in d.code]
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"threatWorkbench": {"level": "critical"}})
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    critical = [d for d in client.diagnostics[uri_of(RAG.name)] if "@" in str(d.code)]
    assert 0 < len(critical) < len(high)
    assert all("critical risk" in d.message for d in critical)


# ---------------------------------------------------------------------------- completion
def labels(result: types.CompletionList | Sequence[types.CompletionItem] | None) -> list[str]:
    items = result.items if isinstance(result, types.CompletionList) else result or []
    return [i.label for i in items]


COMPLETIONS = [
    # (text inserted after the llm_app element's "kind: llm_app" line, what must be offered)
    ("    properties:\n      exposure: ", ["internet", "partner", "internal", "isolated"]),
    ("    properties:\n      rate_limited: ", ["true", "false"]),
    ("    properties:\n      ", ["exposure", "authentication", "rate_limited"]),
    ("    boundary: ", ["internet", "app_vpc", "corp_network"]),
]


@pytest.mark.asyncio
async def test_completion(client: LanguageClient):
    text = RAG.read_text(encoding="utf-8")
    await open_doc(client, RAG.name, text)
    uri = uri_of(RAG.name)
    version = 2

    async def offered(new_text: str, at: types.Position) -> list[str]:
        nonlocal version
        await change_doc(client, RAG.name, new_text, version)
        version += 1
        result = await client.text_document_completion_async(
            types.CompletionParams(types.TextDocumentIdentifier(uri), at)
        )
        return labels(result)

    anchor = "  - id: llm_app\n"
    for inserted, expected in COMPLETIONS:
        head, tail = text.split(anchor, 1)
        # half-typed: the line ends where the cursor is
        new = head + anchor + inserted + "\n" + tail
        line = (head + anchor + inserted).count("\n")
        col = len(inserted.rsplit("\n", 1)[-1])
        got = await offered(new, types.Position(line, col))
        assert set(expected) <= set(got), (inserted, got)
    # kinds, flows' ends, decisions' threats
    new = text.replace("    kind: llm_app\n", "    kind: \n", 1)
    got = await offered(new, place(new, "    kind: \n", 10, after=anchor))
    assert {"llm_app", "agent", "vector_store", "user"} <= set(got)
    new = text.replace("    source: web_client\n", "    source: \n", 1)
    got = await offered(new, place(new, "    source: \n", 12))
    assert {"web_client", "llm_app", "vector_store"} <= set(got)
    assert "internet" not in got  # a boundary, not an element
    new = text.replace("decisions:\n", "decisions:\n  - threat: \n", 1)
    got = await offered(new, place(new, "  - threat: \n", 12))
    assert {"AITW-LLM-001", "AITW-RAG-003"} <= set(got)
    new = text.replace("decisions:\n", "decisions:\n  - finding: \n", 1)
    got = await offered(new, place(new, "  - finding: \n", 13))
    assert got[0] == "AITW-LLM-001@llm_app" or "AITW-LLM-001@llm_app" in got[:10]


# ---------------------------------------------------------------------------- hover
@pytest.mark.asyncio
async def test_hover_on_element_and_threat(client: LanguageClient):
    text = RAG.read_text(encoding="utf-8")
    await open_doc(client, RAG.name, text)
    doc = types.TextDocumentIdentifier(uri_of(RAG.name))
    h = await client.text_document_hover_async(
        types.HoverParams(doc, place(text, "id: llm_app", 6))
    )
    assert h is not None
    value = h.contents.value  # type: ignore[union-attr]
    assert "Assistant orchestrator" in value
    assert "AITW-LLM-001@llm_app" in value
    assert "critical" in value
    assert "mitigated" in value  # AITW-LLM-011@llm_app's decision
    h = await client.text_document_hover_async(
        types.HoverParams(doc, place(text, "finding: AITW-LLM-011@llm_app", 11))
    )
    assert h is not None
    value = h.contents.value  # type: ignore[union-attr]
    assert value.startswith("**AITW-LLM-011: ")
    assert "atlas:" in value or "owasp_llm:" in value
    assert "MIT-LLM-GROUNDING" in value


# ---------------------------------------------------------------------------- code actions
@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("which", "status"),
    [("mitigated", "mitigated"), ("accept", "accepted"), ("false positive", "false_positive")],
)
async def test_code_actions_record_a_decision(client: LanguageClient, which, status):
    text = RAG.read_text(encoding="utf-8")
    diags = await open_doc(client, RAG.name, text)
    diag = next(d for d in diags if d.code == "AITW-LLM-001@llm_app")
    doc = types.TextDocumentIdentifier(uri_of(RAG.name))
    result = await client.text_document_code_action_async(
        types.CodeActionParams(doc, diag.range, types.CodeActionContext([diag]))
    )
    assert result
    action = next(a for a in result if isinstance(a, types.CodeAction) and which in a.title)
    assert action.edit is not None
    assert action.edit.changes is not None
    edits = action.edit.changes[doc.uri]
    new_text = apply(text, edits)
    model = loads_model(new_text)
    decision = model.decision("AITW-LLM-001@llm_app")
    assert decision is not None
    assert decision.status == status
    if status == "mitigated":
        assert decision.mitigations
        assert decision.controls
    if status == "accepted":
        assert decision.owner
        assert decision.review_by is not None
    # written through the comment-preserving writer: every comment line is still there
    comments = [line for line in text.split("\n") if line.lstrip().startswith("#")]
    kept = set(new_text.split("\n"))
    assert all(c in kept for c in comments)
    # the diagnostic goes once the edit is in
    diags = await change_doc(client, RAG.name, new_text, 2)
    assert not any(d.code == "AITW-LLM-001@llm_app" for d in diags)


# ---------------------------------------------------------------------------- navigation
@pytest.mark.asyncio
async def test_rename_element_everywhere(client: LanguageClient):
    text = RAG.read_text(encoding="utf-8")
    await open_doc(client, RAG.name, text)
    doc = types.TextDocumentIdentifier(uri_of(RAG.name))
    at = place(text, "source: llm_app", 9)
    prepared = await client.text_document_prepare_rename_async(types.PrepareRenameParams(doc, at))
    assert isinstance(prepared, types.Range)
    assert ranged(text, prepared) == "llm_app"
    edit = await client.text_document_rename_async(types.RenameParams(doc, at, "chat_app"))
    assert edit is not None
    assert edit.changes is not None
    new_text = apply(text, edit.changes[doc.uri])
    expected = loads_model(text).update_element("llm_app", id="chat_app")
    assert loads_model(new_text) == expected
    assert "llm_app\n" not in new_text.replace("kind: llm_app\n", "")
    # a taken name is refused
    with pytest.raises(Exception, match="already"):
        await client.text_document_rename_async(types.RenameParams(doc, at, "vector_store"))


@pytest.mark.asyncio
async def test_definition_references_and_symbols(client: LanguageClient):
    text = RAG.read_text(encoding="utf-8")
    await open_doc(client, RAG.name, text)
    doc = types.TextDocumentIdentifier(uri_of(RAG.name))
    at = place(text, "target: vector_store", 9)
    found = await client.text_document_definition_async(types.DefinitionParams(doc, at))
    assert isinstance(found, list)
    assert len(found) == 1
    assert found[0].range.start == place(text, "id: vector_store", 4)
    refs = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc,
            position=at,
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert refs is not None
    words = {ranged(text, r.range) for r in refs}
    assert words == {"vector_store"}
    assert len(refs) == text.count("vector_store") - text.count("kind: vector_store")
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(doc))
    assert symbols
    tops = {s.name: s for s in symbols if isinstance(s, types.DocumentSymbol)}
    assert "internet" in tops

    def names(s: types.DocumentSymbol) -> set[str]:
        out = {s.name}
        for c in s.children or ():
            out |= names(c)
        return out

    everything = set().union(*(names(s) for s in tops.values()))
    model = loads_model(text)
    assert {e.id for e in model.elements} <= everything


# ---------------------------------------------------------------------------- keystrokes
def test_a_keystroke_in_a_value_gives_what_a_full_parse_gives():
    """The keystroke path (the parsed document changed in place) against a fresh load of
    every intermediate text: same model, same problems, same outline."""
    from workbench.catalog import load_catalog
    from workbench.lsp.document import ModelDocument
    from workbench.lsp.outline import outline

    text = RAG.read_text(encoding="utf-8")
    doc = ModelDocument(uri_of("k.yaml"), load_catalog(), today=TODAY)
    doc.update(text)
    assert doc._parsed is not None
    typed = [
        # (the line's text before, what is typed at its end, one character at a time)
        ("    name: Assistant orchestrator (LLM app)", " v2"),
        ("  name: Support knowledge assistant (RAG)", "!x"),
        ("    source: llm_app", "x"),  # a dangling reference: an error, at its place
        ("    owner: Customer Support Platform team", " and friends"),
    ]
    fast = 0
    for before, added in typed:
        for i in range(1, len(added) + 1):
            new = text.replace(before + "\n", before + added[:i] + "\n", 1)
            parsed = doc._parsed
            doc.update(new)
            fast += doc._parsed is parsed  # the same document, changed in place
            problems: list[object] = []
            try:
                expected = loads_model(new, "k.yaml")
            except ModelFileError as exc:
                problems = list(exc.problems)
            assert doc.problems == problems
            if not problems:
                assert doc.loaded is not None
                assert doc.loaded.model == expected
            assert doc.outline.items == outline(new).items
            assert doc.outline.refs == outline(new).refs
        doc.update(text)
    assert fast == 16  # the keystroke path was taken wherever it applies (not after "!")


@pytest.mark.asyncio
async def test_ranges_in_flow_style_and_past_astral_characters(client: LanguageClient):
    """A value inside ``{...}``: its range ends with the value; columns are UTF-16 code
    units (an emoji counts two)."""
    text = (
        "system: {name: Demo}\n"
        "elements:\n"
        '  - {id: u, kind: user, name: "🚀 User"}\n'
        '  - {id: bot, name: "🤖 Bot", kind: llm_apq, boundary: x}\n'
    )
    diags = await open_doc(client, "flow.threat.yaml", text)
    errs = errors(diags)
    line = text.split("\n")[3]
    units = [len(line[:i].encode("utf-16-le")) // 2 for i in range(len(line) + 1)]
    kind = next(d for d in errs if "kind" in d.message)
    start = line.index("llm_apq")
    assert kind.range.start == types.Position(3, units[start])
    assert kind.range.end == types.Position(3, units[start + len("llm_apq")])
    boundary = next(d for d in errs if "boundary" in d.message)
    start = line.index("x}")
    assert boundary.range.start == types.Position(3, units[start])
    assert boundary.range.end == types.Position(3, units[start + 1])


def test_kept_statements_equal_fresh_ones():
    """Statements kept across edits (a description, a name, a property) are those a new
    writer gives for the new analysis."""
    from workbench.catalog import load_catalog
    from workbench.lsp.document import ModelDocument
    from workbench.statements import StatementWriter

    text = RAG.read_text(encoding="utf-8")
    doc = ModelDocument(uri_of("s.yaml"), load_catalog(), today=TODAY)
    doc.update(text)
    assert doc.loaded is not None
    for f in doc.loaded.analysis.findings:
        doc.statement(f)
    edits = [
        ("    name: Assistant orchestrator (LLM app)\n", "    name: Orchestrator\n"),
        ("    name: Vector store\n", "    name: Vector index\n"),
        ("  name: Support knowledge assistant (RAG)\n", "  name: Assistant\n"),
        ("      rate_limited: true\n", "      rate_limited: false\n"),
    ]
    for old, new in edits:
        assert old in text, old
        for version in (text.replace(old, new, 1), text):
            doc.update(version)
            assert doc.loaded is not None
            fresh = StatementWriter(doc.loaded.analysis)
            for f in doc.loaded.analysis.findings:
                assert doc.statement(f) == fresh.statement(f), (new, f.id)


@pytest.mark.asyncio
async def test_diagram_request_for_the_side_panel(client: LanguageClient):
    text = RAG.read_text(encoding="utf-8")
    await open_doc(client, RAG.name, text)
    result = await client.protocol.send_request_async(  # type: ignore[no-untyped-call]
        "threatWorkbench/diagram", {"uri": uri_of(RAG.name)}
    )
    data = result._asdict()  # pygls reads an unknown method's answer as named tuples
    assert data["svg"].startswith("<svg")
    assert 'data-element="llm_app"' in data["svg"]
    assert data["risks"][0].risk == "critical"
    llm = data["places"].llm_app
    assert (llm.line, llm.character) == (
        place(text, "id: llm_app", 4).line,
        place(text, "id: llm_app", 4).character,
    )


def test_random_edits_never_raise():
    """Two hundred random edits of the RAG starter (characters deleted, YAML's indicators
    typed, the text cut short), each followed by every request at a random place: the
    document's state and every feature answer without raising."""
    import random

    from workbench.catalog import load_catalog
    from workbench.lsp import actions, completion, navigation
    from workbench.lsp.diagnostics import diagnostics
    from workbench.lsp.document import ModelDocument

    rng = random.Random(18)
    text = RAG.read_text(encoding="utf-8")
    doc = ModelDocument(uri_of("fuzz.yaml"), load_catalog(), today=TODAY)
    current = text
    for step in range(200):
        i = rng.randrange(len(current) + 1)
        move = rng.randrange(4)
        if move == 0:
            current = current[:i] + current[i + rng.randint(1, 20) :]
        elif move == 1:
            current = current[:i] + rng.choice(":{}[]-#&*!'\"\n\t x@é🚀") + current[i:]
        elif move == 2:
            current = current[:i]
        else:
            current = text if step % 3 else current
        doc.update(current)
        diagnostics(doc, rng.choice(["low", "high"]))
        lines = current.split("\n")
        line = rng.randrange(len(lines))
        pos = types.Position(line, rng.randrange(len(lines[line]) + 2))
        completion.completions(doc, pos)
        actions.hover(doc, pos)
        navigation.definition(doc, pos)
        navigation.references(doc, pos, True)
        navigation.prepare_rename(doc, pos)
        navigation.symbols(doc)
        context = types.CodeActionContext(diagnostics=[])
        actions.code_actions(
            doc,
            types.CodeActionParams(
                types.TextDocumentIdentifier(doc.uri), types.Range(pos, pos), context
            ),
        )


def test_a_keystroke_that_changes_a_typed_value_gives_what_a_full_parse_gives():
    """Booleans, numbers and null changed in place (``true`` -> ``false``, ``90`` -> ``9``
    -> ``900``, ``true`` -> ``on``, ``true`` -> ``null``) against a fresh load."""
    from workbench.catalog import load_catalog
    from workbench.lsp.document import ModelDocument

    text = RAG.read_text(encoding="utf-8")
    doc = ModelDocument(uri_of("t.yaml"), load_catalog(), today=TODAY)
    doc.update(text)
    anchor = "  - id: api_gateway\n"
    head, tail = text.split(anchor, 1)
    flag = "      rate_limited: true\n"
    assert flag in tail
    versions = [
        head + anchor + tail.replace(flag, flag.replace("true", v), 1)
        for v in ("false", "on", "null", "true", "maybe", "tru")
    ] + [
        text.replace("  review_cadence_days: 90\n", f"  review_cadence_days: {v}\n", 1)
        for v in ("9", "900", "9000000", "90")
    ]
    fast = 0
    for new in versions:
        parsed = doc._parsed
        doc.update(new)
        fast += doc._parsed is parsed
        problems: list[object] = []
        try:
            expected = loads_model(new, "t.yaml")
        except ModelFileError as exc:
            problems = list(exc.problems)
        assert doc.problems == problems, new
        if not problems:
            assert doc.loaded is not None
            assert doc.loaded.model == expected
    assert fast >= 6
