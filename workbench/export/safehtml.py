"""The safe-HTML kit: markup escaped by construction, for the reports, the model cards
and the notebook widgets.

Every string that comes from a model, a catalog or a decision is text. Markup is built
only by :func:`h` (or :func:`h_single`), which escapes every ``str`` it is given
(attributes too) and accepts only :class:`Html` as markup. Text holding right-to-left
characters or bidi controls is isolated with ``<bdi>``, so it cannot reorder what
follows. Links are kept only for ``http(s)`` URLs and in-page anchors; images only as
``data:`` URIs.

Build markup from parts (``h("td", name)``), never by formatting strings: ``Html(...)``
is for constants written here and in the callers (a style sheet, a separator), never
for anything a user wrote.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable, Iterator, Sequence

_BIDI = re.compile(
    "[\u0590-\u08ff\u200e\u200f\u202a-\u202e\u2066-\u2069\ufb1d-\ufdff\ufe70-\ufefc"
    "\U00010800-\U00010fff\U0001e800-\U0001efff]"
)
_SAFE_HREF = re.compile(r"^https?://[^\s\x00-\x1f\x7f\"'<>\\`]+$", re.IGNORECASE)
_SAFE_ANCHOR = re.compile(r"^#[A-Za-z0-9_.:@\-]+$")
_SAFE_SRC = re.compile(r"^data:image/(svg\+xml|png|jpeg);base64,[A-Za-z0-9+/=]*$")
_VOID = frozenset({"br", "img", "col", "hr", "wbr", "meta", "input"})


class Html(str):
    """Markup built by this kit: inserted as it is. Any other ``str`` is text and is
    escaped."""

    __slots__ = ()


def text(value: object) -> Html:
    """``value`` as HTML text: escaped, and isolated with ``<bdi>`` when it holds
    right-to-left characters or bidi controls (so they cannot reorder what follows)."""
    s = str(value)
    escaped = html.escape(s, quote=True)
    if _BIDI.search(s):
        return Html(f"<bdi>{escaped}</bdi>")
    return Html(escaped)


def safe_url(url: str, attribute: str = "href") -> bool:
    """Whether ``url`` may go into ``href`` (http, https, in-page anchor) or ``src``
    (``data:`` image)."""
    if attribute == "src":
        return bool(_SAFE_SRC.match(url))
    return bool(_SAFE_HREF.match(url) or _SAFE_ANCHOR.match(url))


def _render(child: object, out: list[str]) -> None:
    if child is None or child is False:
        return
    if isinstance(child, Html):
        out.append(child)
    elif isinstance(child, str):
        out.append(text(child))
    elif isinstance(child, (list, tuple, Iterator)):
        for c in child:
            _render(c, out)
    else:
        out.append(text(child))


def join(*children: object) -> Html:
    """Children rendered one after another (``str`` escaped)."""
    out: list[str] = []
    _render(children, out)
    return Html("".join(out))


def joined(separator: str, items: Iterable[object]) -> Html:
    """``items`` rendered with ``separator`` (text) between them."""
    out: list[object] = []
    for i, item in enumerate(items):
        if i:
            out.append(separator)
        out.append(item)
    return join(out)


def _element(tag: str, children: tuple[object, ...], attrs: dict[str, object], q: str) -> Html:
    parts = [f"<{tag}"]
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")
        if name in ("href", "src") and not safe_url(str(value), name):
            continue
        if value is True:
            parts.append(f" {name}")
        else:
            parts.append(f" {name}={q}{html.escape(str(value), quote=True)}{q}")
    parts.append(">")
    if tag in _VOID:
        return Html("".join(parts))
    _render(children, parts)
    parts.append(f"</{tag}>")
    return Html("".join(parts))


def h(tag: str, *children: object, **attrs: object) -> Html:
    """An element. Attribute names: a trailing ``_`` is dropped (``class_``), other ``_``
    become ``-``; ``None``/``False`` leave the attribute out, ``True`` writes it bare.
    ``href``/``src`` values that are not safe (see :func:`safe_url`) are dropped.
    Attribute values are written in double quotes."""
    return _element(tag, children, attrs, '"')


def h_single(tag: str, *children: object, **attrs: object) -> Html:
    """:func:`h` with attribute values in single quotes, as the notebook widgets have
    always written them (their views, tests and saved outputs look for them)."""
    return _element(tag, children, attrs, "'")


def link(url: str, label: object, **attrs: object) -> Html:
    """A link when ``url`` is safe, otherwise just the label."""
    if url and safe_url(url):
        external = not url.startswith("#")
        return h("a", label, href=url, rel="noopener noreferrer" if external else None, **attrs)
    return h("span", label, **attrs)


def table(
    headers: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    class_: str = "",
    widths: Sequence[str] | None = None,
    row_ids: Sequence[str] | None = None,
    empty: str = "None.",
) -> Html:
    """A table whose header repeats on every printed page (``thead``)."""
    body: list[str] = []
    for i, row in enumerate(rows):
        rid = row_ids[i] if row_ids else None
        body.append(h("tr", [h("td", c) for c in row], id=rid))
    if not body:
        return h("p", empty, class_="empty")
    cols = h("colgroup", [h("col", style=f"width:{w}") for w in widths]) if widths else None
    head = h("thead", h("tr", [h("th", x, scope="col") for x in headers]))
    return h("table", cols, head, h("tbody", Html("".join(body))), class_=class_ or None)


def risk_badge(risk: str) -> Html:
    """A coloured label of a risk level."""
    return h("span", risk, class_=f"risk risk-{risk}")


def yes_no(value: bool | None) -> str:
    """``yes``, ``no`` or ``unknown``."""
    return "unknown" if value is None else ("yes" if value else "no")


def small(*children: object) -> Html:
    """Secondary text (IDs under names)."""
    return h("span", *children, class_="sub")


def bullets(items: Iterable[object], empty: str = "None recorded.") -> Html:
    """A bullet list, or a note that there is none."""
    lis = [h("li", x) for x in items]
    return h("ul", lis) if lis else h("p", empty, class_="empty")


def svg_data_uri(svg: str) -> str:
    """A ``data:`` URI of an SVG document (shown through ``<img>``: no script, no fetch)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
