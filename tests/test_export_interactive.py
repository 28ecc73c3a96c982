"""The optional interactive (pyvis) diagram of the HTML report: offline, sandboxed, its
scripts allowed by hash only, never in the PDF."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from pathlib import Path

import pytest

from workbench import ThreatModel
from workbench.export.interactive import (
    FRAME_CLASS,
    InteractiveDiagramError,
    allow_frame_scripts,
    interactive_frame,
    network_page,
    offline_page,
    script_hashes,
)

pytest.importorskip("pyvis")

CSP = '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'


@pytest.fixture(scope="module")
def rag() -> ThreatModel:
    return ThreatModel.from_template("rag_assistant")


def test_pyvis_page_links_a_cdn_and_the_offline_page_does_not(rag: ThreatModel) -> None:
    raw = network_page(rag)
    assert "cdn.jsdelivr.net" in raw  # what pyvis writes: the reason for offline_page
    page = offline_page(raw)
    assert "cdn.jsdelivr.net" not in page
    assert not re.search(r"(src|href)=\"https?://", page)
    assert "Content-Security-Policy" in page
    assert "new vis.DataSet" in page  # vis-network itself is inlined


def test_a_page_that_still_loads_from_elsewhere_is_refused() -> None:
    page = "<html><head></head><body><img src='//evil.example/x.png'></body></html>"
    with pytest.raises(InteractiveDiagramError, match="network"):
        offline_page(page)


def test_names_are_json_escaped_text_and_positions_kept(rag: ThreatModel) -> None:
    first = rag.elements[0]
    model = rag.update_element(first.id, name="</script><img src=x onerror=alert(1)>")
    page = network_page(model)
    assert "</script><img" not in page
    assert "\\u003c/script\\u003e" in page
    if first.position is not None:
        assert f'"x": {first.position.x}' in page


def test_frame_is_sandboxed_and_its_document_attribute_escaped(rag: ThreatModel) -> None:
    frame = interactive_frame(rag)
    assert frame.startswith(f'<iframe class="{FRAME_CLASS}" sandbox="allow-scripts"')
    assert "allow-same-origin" not in frame
    assert "<script" not in frame  # only as &lt;script inside srcdoc


def test_hashes_cover_exactly_the_frame_scripts(rag: ThreatModel) -> None:
    doc = f"<html><head>{CSP}</head><body>{interactive_frame(rag)}</body></html>"
    hashes = script_hashes(doc)
    page = html.unescape(re.search(r'srcdoc="([^"]*)"', doc).group(1))  # type: ignore[union-attr]
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", page, re.DOTALL)
    expected = {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in scripts
    }
    assert set(hashes) == expected
    assert len(hashes) >= 2
    out = allow_frame_scripts(doc)
    assert "script-src " + " ".join(hashes) in out
    assert out.split("<body>")[0].count("script-src") == 1


def test_no_hash_when_the_page_itself_holds_a_script(rag: ThreatModel) -> None:
    doc = f"<html><head>{CSP}</head><body><script>x()</script>{interactive_frame(rag)}</body>"
    assert script_hashes(doc) == []
    assert allow_frame_scripts(doc) == doc
    plain = f"<html><head>{CSP}</head><body><p>no frame</p></body></html>"
    assert allow_frame_scripts(plain) == plain


@pytest.mark.slow
def test_report_html_has_the_frame_only_on_request_and_pdf_never(
    rag: ThreatModel, tmp_path: Path
) -> None:
    pytest.importorskip("nbconvert")
    from workbench.export.render import report_html
    from workbench.export.report import ReportOptions, report_notebook

    plain = report_html(rag)
    assert FRAME_CLASS not in plain
    assert "script-src" not in plain
    rich = report_html(rag, options=ReportOptions(interactive_diagram=True))
    assert rich.count(f'class="{FRAME_CLASS}"') == 1
    assert "script-src 'sha256-" in rich
    assert "<script" not in rich  # every script is inside the escaped srcdoc
    nb = report_notebook(rag, options=ReportOptions(interactive_diagram=True))
    assert FRAME_CLASS in str(nb)


def test_pdf_options_drop_the_interactive_view(
    rag: ThreatModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("nbconvert")
    from workbench.export import render
    from workbench.export import report as report_module

    seen: list[bool] = []

    def fake_build(
        *args: object, options: report_module.ReportOptions, **kw: object
    ) -> list[object]:
        seen.append(options.interactive_diagram)
        raise RuntimeError("stop here")

    monkeypatch.setattr(report_module, "build_report", fake_build)
    with pytest.raises(RuntimeError, match="stop here"):
        render.report_pdf(rag, options=report_module.ReportOptions(interactive_diagram=True))
    assert seen == [False]
