"""A model shows itself in a notebook without widgets, escaping what users typed."""

from __future__ import annotations

import pytest

from workbench import ThreatModel


def hostile() -> ThreatModel:
    return ThreatModel.model_validate(
        {
            "system": {"name": "<script>alert(1)</script>", "owners": ["<b>me</b>"]},
            "boundaries": [{"id": "b", "name": "</table><img src=x onerror=alert(2)>"}],
            "elements": [
                {"id": "a", "kind": "user", "name": "Tool: email <x>", "boundary": "b"},
                {"id": "c", "kind": "tool", "name": 'quote " and \\ backslash'},
            ],
            "flows": [{"id": "f", "source": "a", "target": "c", "name": "<i>flow</i>"}],
        }
    )


def test_html_escapes_user_text() -> None:
    html = hostile()._repr_mimebundle_()["text/html"]
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html
    assert "<b>me</b>" not in html


def test_plain_text() -> None:
    text = hostile()._repr_mimebundle_()["text/plain"]
    assert text.startswith("Threat model: <script>")
    assert "2 elements, 1 flows" in text


def test_svg_diagram_with_boundaries_and_odd_names() -> None:
    from workbench.diagram import to_svg

    svg = to_svg(hostile())
    assert svg.lstrip().startswith("<svg")
    assert "Tool: email &lt;x&gt;" in svg  # label text kept and escaped
    assert 'data-boundary="b"' in svg  # the boundary's box
    assert "<img" not in svg
    html = ThreatModel.from_template("rag_assistant")._repr_mimebundle_()["text/html"]
    assert html.count("<svg") == 1
    assert 'class="node"' in html


def test_the_diagram_needs_no_graphviz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    html = ThreatModel.from_template("rag_assistant")._repr_mimebundle_()["text/html"]
    assert html.count("<svg") == 1
    assert "threat-workbench-model" in html


def test_no_diagram_when_left_out() -> None:
    from workbench.display import summary_html

    assert "<svg" not in summary_html(ThreatModel.from_template("rag_assistant"), diagram=False)
