"""The risk assessment as GitHub-flavoured Markdown, for pull requests and wikis: the same
sections as the HTML report (:func:`workbench.export.report.build_report`), written as
Markdown, with the architecture diagram as an SVG file beside it.

The sections are read back from the HTML the report builds (markup made by
:mod:`workbench.export.safehtml`, so a small, known set of elements), which keeps the
Markdown's content the HTML's, word for word:

* headings, paragraphs, lists, quotes and definition lists become their Markdown forms;
* a table becomes a GFM table; a row that spans the whole table (a cause's heading and
  statement, an element's heading in the register) ends the table, is written as
  paragraphs (an ``h3`` inside it as a heading), and the rows after it start a new table
  under the same header; lists laid out in columns are written one after another;
* links keep their target when it is an ``http(s)`` URL; links inside the page are
  written as their text (their anchors are the HTML's); risk levels are bold;
* the diagram (an SVG ``data:`` image) becomes an image of a file beside the Markdown,
  and its file's content is returned to be written.

Every text is escaped (:func:`workbench.export.model_card.markdown.md_text`): nothing a
user typed can start Markdown or HTML markup, end a table cell (``|``) or a line. The
only HTML written is ``<br>`` inside table cells.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING

from ..engine import Analysis
from ..model import ThreatModel
from ..register import Register
from .model_card.markdown import md_text
from .report import Progress, ReportOptions, build_report

if TYPE_CHECKING:
    from ..catalog import Catalog

_VOID = frozenset({"br", "img", "col", "wbr", "hr", "meta", "input"})
_BLOCK = frozenset(
    {
        *("p", "div", "section", "nav", "figure", "figcaption", "blockquote", "ul", "ol"),
        *("li", "dl", "dt", "dd", "table", "h1", "h2", "h3", "h4", "h5", "h6", "pre"),
    }
)
_SAFE_URL = re.compile(r"^https?://[^\s<>\"'`\\]+$", re.IGNORECASE)


@dataclass
class _Node:
    """An element of the report's HTML, with its children (nodes and text)."""

    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[_Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def elements(self, *tags: str) -> list[_Node]:
        return [c for c in self.children if isinstance(c, _Node) and (not tags or c.tag in tags)]


class _Tree(HTMLParser):
    """The report's HTML as a tree of :class:`_Node`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = _Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


@dataclass
class MarkdownReport:
    """A report in Markdown and the files it refers to (name -> content)."""

    text: str
    files: dict[str, str]


def report_markdown(
    model: ThreatModel,
    analysis: Analysis | None = None,
    register: Register | None = None,
    *,
    catalog: Catalog | None = None,
    options: ReportOptions | None = None,
    image_prefix: str = "report",
    progress: Progress | None = None,
) -> MarkdownReport:
    """The risk assessment as GitHub-flavoured Markdown; its diagram goes to
    ``<image_prefix>-architecture.svg`` (in :attr:`MarkdownReport.files`), to be written
    beside the Markdown."""
    sections = build_report(
        model, analysis, register, catalog=catalog, options=options, progress=progress
    )
    writer = _Writer(image_prefix)
    parts = [writer.convert(str(s.html)) for s in sections]
    text = "\n\n".join(p for p in parts if p.strip())
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    return MarkdownReport(text, writer.files)


class _Writer:
    """Converts report HTML to Markdown blocks (see the module's documentation)."""

    def __init__(self, image_prefix: str) -> None:
        self.image_prefix = re.sub(r"[^A-Za-z0-9_.-]", "_", image_prefix) or "report"
        self.files: dict[str, str] = {}

    def convert(self, html: str) -> str:
        tree = _Tree()
        tree.feed(html)
        tree.close()
        return "\n\n".join(self.blocks(tree.root))

    # ------------------------------------------------------------------ blocks
    def blocks(self, node: _Node) -> list[str]:
        """The Markdown blocks of a node's children."""
        out: list[str] = []
        inline: list[_Node | str] = []

        def flush() -> None:
            text = self.inline(_Node("span", children=list(inline))).strip()
            if text:
                out.append(_block_start(text))
            inline.clear()

        for child in node.children:
            if isinstance(child, _Node) and child.tag in _BLOCK:
                flush()
                out += self.block(child)
            elif isinstance(child, _Node) and child.tag == "img":
                flush()
                out.append(self.image(child))
            else:
                inline.append(child)
        flush()
        return out

    def block(self, node: _Node) -> list[str]:
        tag = node.tag
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = self.inline(node).strip()
            return [f"{'#' * int(tag[1])} {text}"] if text else []
        if tag in ("ul", "ol"):
            return [self.listing(node, 0)] if node.elements("li") else []
        if tag == "dl":
            return self.definitions(node)
        if tag == "table":
            return self.table(node)
        if tag == "blockquote":
            return ["\n>\n".join(f"> {b}" for b in self.blocks(node))]
        return self.blocks(node)

    def listing(self, node: _Node, depth: int) -> str:
        """A list, nested lists indented under their items."""
        lines = []
        number = int(node.attrs.get("start") or 1)
        numbered = node.tag == "ol" and "toc" not in node.classes  # the contents number
        for li in node.elements("li"):  # their items themselves
            if numbered:
                number = int(li.attrs.get("value") or number)
                marker = f"{number}. "
                number += 1
            else:
                marker = "- "
            nested = li.elements("ul", "ol")
            own = _Node("li", children=[c for c in li.children if c not in nested])
            text = _block_start(" ".join(self.cell_parts(own)))
            lines.append(f"{'   ' * depth}{marker}{text}")
            lines += [self.listing(n, depth + 1) for n in nested]
        return "\n".join(lines)

    def definitions(self, node: _Node) -> list[str]:
        items = []
        term = ""
        for child in node.elements("dt", "dd"):
            if child.tag == "dt":
                term = self.inline(child).strip()
            else:  # the definition on the next line of the item (a soft break)
                items.append(f"- **{term}**\n  {self.inline(child).strip()}")
        return ["\n".join(items)] if items else []

    # ------------------------------------------------------------------ tables
    def table(self, node: _Node) -> list[str]:
        body_rows = [
            tr
            for part in node.elements("thead", "tbody", "tfoot", "tr")
            for tr in (part.elements("tr") if part.tag != "tr" else [part])
            if part.tag != "thead"
        ]
        if "columns" in node.classes:  # lists laid out side by side: one after another
            return [b for tr in body_rows for td in tr.elements("td") for b in self.blocks(td)]
        head_rows = [tr for part in node.elements("thead") for tr in part.elements("tr")]
        header = [self.cell(c) for c in head_rows[0].elements("th", "td")] if head_rows else []
        width = len(header) or max((len(tr.elements("td", "th")) for tr in body_rows), default=0)
        if not header:
            header = [""] * width
        caption = node.elements("caption")
        out = [f"**{self.inline(caption[0]).strip()}**"] if caption else []
        rows: list[list[str]] = []

        def flush() -> None:
            if rows:
                out.append(_gfm_table(header, rows))
                rows.clear()

        for tr in body_rows:
            cells = tr.elements("td", "th")
            spans = len(cells) == 1 and width > 1
            if spans:  # a heading row across the table: written as paragraphs
                flush()
                out += self.blocks(cells[0])
            else:
                rows.append([self.cell(c) for c in cells] + [""] * (width - len(cells)))
        flush()
        return out

    def cell(self, node: _Node) -> str:
        """A table cell on one line: its blocks joined by ``<br>``."""
        return "<br>".join(p for p in self.cell_parts(node) if p)

    def cell_parts(self, node: _Node) -> list[str]:
        parts: list[str] = []
        inline: list[_Node | str] = []

        def flush() -> None:
            text = self.inline(_Node("span", children=list(inline))).strip()
            if text:
                parts.append(text)
            inline.clear()

        for child in node.children:
            if isinstance(child, _Node) and child.tag in ("ul", "ol"):
                flush()
                parts += [f"• {self.cell(li)}" for li in child.elements("li")]
            elif isinstance(child, _Node) and child.tag in _BLOCK:
                flush()
                parts += self.cell_parts(child)
            else:
                inline.append(child)
        flush()
        return parts

    # ------------------------------------------------------------------ inline
    def inline(self, node: _Node) -> str:
        out = []
        for child in node.children:
            if isinstance(child, str):
                out.append(md_text(re.sub(r"\s+", " ", child)))
                continue
            tag = child.tag
            if tag == "br":
                out.append("<br>")
            elif tag in ("wbr", "col", "colgroup"):
                continue
            elif tag == "img":
                out.append(self.image(child))
            elif tag == "a":
                out.append(self.link(child))
            elif tag in ("strong", "b") or "risk" in child.classes:
                out.append(_wrap("**", self.inline(child)))
            elif tag in ("em", "i"):
                out.append(_wrap("*", self.inline(child)))
            elif tag in _BLOCK:
                out.append(" " + self.inline(child).strip() + " ")
            else:
                out.append(self.inline(child))
        return "".join(out)

    def link(self, node: _Node) -> str:
        text = self.inline(node).strip()
        href = node.attrs.get("href", "")
        if not _SAFE_URL.match(href) or not text:
            return text  # an anchor of the HTML page: its text only
        target = href.replace("(", "%28").replace(")", "%29")
        return f"[{text}]({target})"

    def image(self, node: _Node) -> str:
        """A figure (the diagram, an attack tree): an SVG file beside the Markdown, shown as
        an image."""
        src = node.attrs.get("src", "")
        prefix = "data:image/svg+xml;base64,"
        if not src.startswith(prefix):
            return ""
        if node.attrs.get("alt", "").startswith("Attack tree"):
            name = f"{self.image_prefix}-attack-tree-{len(self.files)}.svg"
        else:
            name = f"{self.image_prefix}-architecture.svg"
        if name in self.files:
            name = f"{self.image_prefix}-figure-{len(self.files) + 1}.svg"
        self.files[name] = base64.b64decode(src[len(prefix) :]).decode("utf-8")
        alt = md_text(node.attrs.get("alt", ""))
        return f"![{alt}]({name})"


_BLOCK_START = re.compile(r"^(?:[#+=-]|\d{1,9}[.)])")


def _block_start(text: str) -> str:
    """Text that starts a block, unable to start a heading, a list or a rule: its first
    character escaped when it could (``#``, ``-``, ``+``, ``=``, ``1.``, ``1)``)."""
    m = _BLOCK_START.match(text)
    if not m:
        return text
    end = m.end() - 1
    return f"{text[:end]}\\{text[end:]}"


def _wrap(marker: str, text: str) -> str:
    """``**text**`` around what it wraps, its spaces kept outside (``** x**`` is no
    emphasis in Markdown)."""
    core = text.strip()
    if not core:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    tail = text[len(text.rstrip()) :]
    return f"{lead}{marker}{core}{marker}{tail}"


def _gfm_table(header: list[str], rows: list[list[str]]) -> str:
    """A GFM table (cells already escaped: a ``|`` in them is ``\\|``)."""
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(" --- " for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(r[: len(header)]) + " |" for r in rows]
    return "\n".join(lines)
