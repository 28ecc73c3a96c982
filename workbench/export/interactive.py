"""An interactive architecture diagram for the HTML report (optional), drawn by pyvis.

pyvis writes a whole HTML page with vis-network inlined (``cdn_resources="in_line"``,
about 700 KB) but its template also links Bootstrap from a CDN: those two tags are
removed, and a page that still names another host is refused. The page goes into the
report as ``<iframe sandbox="allow-scripts" srcdoc=...>``: its scripts run in an opaque
origin that cannot reach the report, and the report's Content-Security-Policy (which the
frame inherits) lets exactly these scripts run, by their SHA-256 hashes, and nothing load
from anywhere (see :func:`allow_frame_scripts`). The PDF keeps the static SVG diagram.

Labels and tooltips are plain text: pyvis writes them as JSON with ``<``, ``>`` and ``&``
escaped, and vis-network shows string tooltips with ``innerText``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from typing import TYPE_CHECKING, Any

from ..diagram import LAYER_FILL
from ..layout import shown_positions
from ..model.kinds import KINDS, DfdType
from ..model.types import RISK_RANK
from .safehtml import Html, h

if TYPE_CHECKING:
    from ..engine import Analysis
    from ..model import ThreatModel

FRAME_CLASS = "atw-interactive"
"""CSS class of the report's interactive frame (the exporter looks for it)."""

_SHAPES = {
    DfdType.EXTERNAL_ENTITY: "box",
    DfdType.PROCESS: "ellipse",
    DfdType.DATA_STORE: "database",
}
_RISK_BORDER = {"critical": "#7f1d1d", "high": "#dc2626", "medium": "#d97706", "low": "#64748b"}
_CDN_TAG = re.compile(
    r"<link\b[^>]*\bhref=\"https?://[^\"]*\"[^>]*>|<script\b[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>",
    re.IGNORECASE | re.DOTALL,
)
_REMOTE = re.compile(r"\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", re.IGNORECASE)
_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.IGNORECASE | re.DOTALL)
_FRAME = re.compile(
    r"<iframe\b[^>]*\bclass=\"" + FRAME_CLASS + r"\"[^>]*\bsrcdoc=\"([^\"]*)\"", re.IGNORECASE
)
_CSP = re.compile(r"(<meta http-equiv=\"Content-Security-Policy\" content=\")([^\"]*)(\")")
FRAME_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)
"""The frame's own policy (on top of the report's, which it inherits)."""


class InteractiveDiagramError(RuntimeError):
    """pyvis is missing or wrote a page that would load something from the network."""


def _open_findings(analysis: Analysis | None) -> dict[str, tuple[int, str]]:
    """Per target: how many findings are open and the highest residual risk among them."""
    if analysis is None:
        return {}
    from ..register import build_register

    out: dict[str, tuple[int, str]] = {}
    for entry in build_register(analysis).entries:
        if not entry.is_open:
            continue
        target = entry.finding.target
        count, worst = out.get(target, (0, "low"))
        risk = entry.residual_risk
        out[target] = (count + 1, risk if RISK_RANK[risk] > RISK_RANK[worst] else worst)
    return out


_HREF = re.compile("(h)(ref)", re.IGNORECASE)


def _tooltip(lines: list[str]) -> str:
    """A tooltip as plain text. pyvis switches to its own popup, which sets
    ``innerHTML = title``, as soon as any title contains "href": a word joiner (U+2060,
    invisible) inside the word keeps every title on vis-network's text tooltip."""
    text = "\n".join(line for line in lines if line)
    return _HREF.sub("\\1\u2060\\2", text)


def network_page(model: ThreatModel, analysis: Analysis | None = None) -> str:
    """The pyvis page (a whole HTML document) for ``model``; elements sit where the canvas
    shows them (:func:`workbench.layout.shown_positions`) and physics is off."""
    try:
        from pyvis.network import Network
    except ImportError as exc:  # pragma: no cover - pyvis ships with the export extra
        raise InteractiveDiagramError(
            "the interactive diagram needs pyvis: pip install 'ai-threat-workbench[export]'"
        ) from exc
    net = Network(height="520px", width="100%", directed=True, cdn_resources="in_line")
    boundaries = {b.id: b for b in model.boundaries}
    findings = _open_findings(analysis)
    shown = shown_positions(model)
    for e in model.elements:
        info = KINDS[e.kind]
        boundary = boundaries.get(e.boundary) if e.boundary else None
        count, worst = findings.get(e.id, (0, ""))
        x, y = shown[e.id]
        extra: dict[str, Any] = {"x": x, "y": y}
        net.add_node(
            e.id,
            label=e.name,
            title=_tooltip(
                [
                    f"{e.name} ({info.label}, {info.layer.value} layer)",
                    f"Trust boundary: {boundary.name} ({boundary.trust})" if boundary else "",
                    f"{count} open finding(s), highest risk {worst}"
                    if count
                    else "No open finding",
                ]
            ),
            shape=_SHAPES[info.dfd],
            color={
                "background": LAYER_FILL[info.layer],
                "border": _RISK_BORDER.get(worst, "#475569"),
            },
            borderWidth=3 if count else 1,
            physics=False,
            **extra,
        )
    for f in model.flows:
        count, worst = findings.get(f.id, (0, ""))
        net.add_edge(
            f.source,
            f.target,
            label=f.name or "",
            title=_tooltip(
                [
                    f"Flow {f.name or f.id}",
                    f"Data: {', '.join(f.data)}" if f.data else "",
                    f"Protocol: {f.protocol}" if f.protocol else "",
                    f"{count} open finding(s), highest risk {worst}" if count else "",
                ]
            ),
            color=_RISK_BORDER.get(worst, "#64748b"),
        )
    net.toggle_physics(False)
    return str(net.generate_html())


def offline_page(page: str) -> str:
    """``page`` without pyvis's CDN tags and with a Content-Security-Policy of its own;
    refused when anything in it still points to another host."""
    page = _CDN_TAG.sub("", page)
    if _REMOTE.search(page):
        raise InteractiveDiagramError("pyvis wrote a page that loads from the network")
    meta = f'<meta http-equiv="Content-Security-Policy" content="{FRAME_CSP}">'
    head = re.search(r"<head[^>]*>", page, re.IGNORECASE)
    if head is None:
        raise InteractiveDiagramError("pyvis wrote a page without <head>")
    return page[: head.end()] + meta + page[head.end() :]


def interactive_frame(model: ThreatModel, analysis: Analysis | None = None) -> Html:
    """The report's interactive diagram: a sandboxed ``<iframe>`` element whose
    ``srcdoc`` is the offline pyvis page (attribute-escaped)."""
    page = offline_page(network_page(model, analysis))
    return h(
        "iframe",
        class_=FRAME_CLASS,
        sandbox="allow-scripts",
        referrerpolicy="no-referrer",
        title="Interactive architecture diagram",
        srcdoc=page,
    )


def script_hashes(document: str) -> list[str]:
    """CSP hash sources (``'sha256-...'``) of the inline scripts inside the interactive
    frames of ``document``; none when the document itself (outside the frames' escaped
    ``srcdoc``) holds a ``<script`` tag, which a report never does."""
    if re.search(r"<script\b", document, re.IGNORECASE):
        return []
    hashes: list[str] = []
    for match in _FRAME.finditer(document):
        page = html.unescape(match.group(1))
        for script in _SCRIPT.findall(page):
            digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest())
            source = f"'sha256-{digest.decode('ascii')}'"
            if source not in hashes:
                hashes.append(source)
    return hashes


def allow_frame_scripts(document: str) -> str:
    """``document`` with its Content-Security-Policy extended by ``script-src`` hashes of
    the interactive frames' own scripts (so they run and nothing else does); unchanged
    when it has no interactive frame."""
    hashes = script_hashes(document)
    if not hashes:
        return document

    def extend(m: re.Match[str]) -> str:
        return f"{m.group(1)}{m.group(2)}; script-src {' '.join(hashes)}{m.group(3)}"

    return _CSP.sub(extend, document, count=1)
