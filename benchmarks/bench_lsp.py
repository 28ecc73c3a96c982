"""Language server figures: keystroke to diagnostics, over stdio, on synthetic models.

Run: ``python benchmarks/bench_lsp.py [--sizes 500,2000] [--repeat 9] [--level high]``.

The server is started as an editor starts it (``threat-workbench lsp``, a separate
process); a pygls client opens a synthetic model (``benchmarks/synthetic.py``, written
by the canonical writer) and then sends one-character edits as an editor sends them
(incremental ``didChange``, one range each). The time is wall clock from sending the
change to receiving the ``publishDiagnostics`` of that version: the server's parse,
validation, incremental re-analysis (``Analyzer.update``), register, threat statements
of the shown findings and the JSON-RPC round trip. Three kinds of keystroke:

- *system name*: a character typed into the system's name: the analysis is redone
  incrementally, the statements are reused (nothing they read changed);
- *element name*: a character typed into an element's name: every shown finding's
  statement is written again (names appear in routes);
- *property*: ``logging: true`` turned into ``false`` on an element (a new finding
  set for it and its neighbourhood).

The *in-process* column repeats the same edits on a ``ModelDocument`` in this process
(``update`` + ``diagnostics``), without the protocol. Medians of ``--repeat`` keystrokes
(the machine is shared: medians, not best runs). The target of issue 18 is 100 ms at 500
elements; it is printed, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.synthetic import synthetic_model
from workbench.catalog import load_catalog
from workbench.lsp.diagnostics import diagnostics
from workbench.lsp.document import ModelDocument
from workbench.saving import dumps_model

TARGET_MS = 100.0
URI = "file:///bench/synthetic.threat.yaml"


def keystrokes(text: str, kind: str, n: int) -> list[tuple[types.Range, str, str]]:
    """``n`` edits of one kind: each the range replaced, the new text there, and the
    whole text after it."""
    lines = text.split("\n")
    out = []
    if kind == "system name":
        line = next(i for i, s in enumerate(lines) if s.startswith("  name: Synthetic"))
    elif kind == "element name":
        line = next(i for i, s in enumerate(lines) if s.strip().startswith("name: llm_app"))
    else:
        line = next(i for i, s in enumerate(lines) if s.strip() == "logging: true")
    for k in range(n):
        if kind == "property":
            old = lines[line]
            value = "false" if old.strip() == "logging: true" else "true"
            start = old.index(":") + 2
            new_line = old[:start] + value
            rng = types.Range(types.Position(line, start), types.Position(line, len(old)))
            lines[line] = new_line
            out.append((rng, value, "\n".join(lines)))
        else:
            col = len(lines[line])
            char = "abcdefghij"[k % 10]
            lines[line] += char
            rng = types.Range(types.Position(line, col), types.Position(line, col))
            out.append((rng, char, "\n".join(lines)))
    return out


class Client(LanguageClient):
    """A client that remembers when each version's diagnostics arrived."""

    def __init__(self) -> None:
        super().__init__("bench-lsp", "1")
        self.arrived: dict[int, asyncio.Event] = {}
        self.counts: dict[int, int] = {}

        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)  # type: ignore[untyped-decorator]
        def published(ls: Client, params: types.PublishDiagnosticsParams) -> None:
            version = params.version if params.version is not None else -1
            ls.counts[version] = len(params.diagnostics)
            ls.arrived.setdefault(version, asyncio.Event()).set()

    async def wait(self, version: int) -> None:
        await asyncio.wait_for(self.arrived.setdefault(version, asyncio.Event()).wait(), 120)


async def over_stdio(text: str, repeat: int, level: str) -> tuple[float, dict[str, float], int]:
    client = Client()
    await client.start_io(sys.executable, "-m", "workbench.cli", "lsp", "--level", level)
    await client.initialize_async(
        types.InitializeParams(capabilities=types.ClientCapabilities(), process_id=None)
    )
    client.initialized(types.InitializedParams())
    t0 = time.perf_counter()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(types.TextDocumentItem(URI, "yaml", 1, text))
    )
    await client.wait(1)
    opened = time.perf_counter() - t0
    shown = client.counts[1]
    version = 1
    medians = {}
    for kind in ("system name", "element name", "property"):
        times = []
        current = text
        for rng, new, after in keystrokes(current, kind, repeat):
            version += 1
            t0 = time.perf_counter()
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    types.VersionedTextDocumentIdentifier(version=version, uri=URI),
                    [types.TextDocumentContentChangePartial(range=rng, text=new)],
                )
            )
            await client.wait(version)
            times.append(time.perf_counter() - t0)
            current = after
        medians[kind] = statistics.median(times) * 1000
        # back to the original text for the next kind
        version += 1
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=version, uri=URI),
                [types.TextDocumentContentChangeWholeDocument(text)],
            )
        )
        await client.wait(version)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()  # type: ignore[no-untyped-call]
    return opened * 1000, medians, shown


def in_process(text: str, repeat: int, level: str) -> dict[str, float]:
    doc = ModelDocument(URI, load_catalog())
    doc.update(text)
    diagnostics(doc, level)
    medians = {}
    for kind in ("system name", "element name", "property"):
        times = []
        for _, _, after in keystrokes(text, kind, repeat):
            t0 = time.perf_counter()
            doc.update(after)
            diagnostics(doc, level)
            times.append(time.perf_counter() - t0)
        doc.update(text)
        diagnostics(doc, level)
        medians[kind] = statistics.median(times) * 1000
    return medians


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="500,2000")
    p.add_argument("--repeat", type=int, default=9)
    p.add_argument("--level", default="high")
    args = p.parse_args()
    print(f"keystroke -> diagnostics, median of {args.repeat}, level {args.level} (ms)")
    head = f"{'elements':>8} {'lines':>7} {'shown':>6} {'open':>7}"
    print(f"{head}  keystroke      stdio  in-process")
    for n in (int(s) for s in args.sizes.split(",")):
        text = dumps_model(synthetic_model(n))
        opened, stdio, shown = asyncio.run(over_stdio(text, args.repeat, args.level))
        local = in_process(text, args.repeat, args.level)
        for i, kind in enumerate(stdio):
            head = (
                f"{n:>8} {text.count(chr(10)):>7} {shown:>6} {opened:>7.0f}" if i == 0 else " " * 31
            )
            print(f"{head}  {kind:<13} {stdio[kind]:>6.0f} {local[kind]:>11.0f}")
        if n == 500:
            worst = max(stdio.values())
            verdict = "met" if worst <= TARGET_MS else "NOT met"
            print(f"{'':31}  target {TARGET_MS:.0f} ms at 500 elements (slowest kind): {verdict}")


if __name__ == "__main__":
    main()
