"""Hostile text in a model is shown as text in the HTML report, the PDF and model cards."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from workbench import ThreatModel
from workbench.catalog import load_catalog
from workbench.engine import analyze

pytest.importorskip("nbconvert")

from tests.test_export_report import (
    ENGINE_CATALOG,
    Dom,
    assert_offline_and_scriptless,
    needs_pdf,
    pdf_text,
)
from workbench.export.model_card import (
    build_card,
    card_html,
    card_pdf,
    md_text,
    parse_front_matter,
    to_markdown,
    to_mct,
    validate_front_matter,
)
from workbench.export.render import report_html, report_pdf
from workbench.export.report import ReportOptions

DATE = dt.date(2026, 1, 15)
SCRIPT = "<script>window.__pwned=1;alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
JS_LINK = "javascript:alert(document.domain)"
MD_LINK = "[click me](javascript:alert(1)) **bold** _it_ `code` # not a heading"
LATEX = r"$\frac{1}{2}$ \textbf{x} $$E=mc^2$$ \\ \input{/etc/passwd} % & # ~ ^"
JINJA = "{{ 7*7 }} {% if true %}yes{% endif %} {# c #}"
RTL = "\u202eevil\u202c \u200fמודל\u200e \u2067isolate\u2069"
RTL_LINE = "\u200fמודל\u200e \u061cعربي"
"""Right-to-left text as a one-line field may hold it: marks, no bidirectional controls."""
LONG = "0123456789" * 1000  # 10,000 characters, no space

EVIL_NAME = f"Bot {SCRIPT} {IMG}"[:200]
HOSTILE = [SCRIPT, IMG, JS_LINK, MD_LINK, LATEX, JINJA, RTL]


def hostile_model() -> ThreatModel:
    doc: dict[str, Any] = {
        "format_version": 1,
        "system": {
            "name": f"System {JINJA} {RTL_LINE}",
            "description": " | ".join(HOSTILE),
            "version": "1.0 <b>beta</b>",
            "owners": [SCRIPT, f"Owner {LONG}"[:200]],
            "repository": JS_LINK,
        },
        "scope": {
            "description": MD_LINK,
            "in_scope": [LATEX],
            "out_of_scope": [JINJA],
            "assumptions": [RTL, LONG],
        },
        "objectives": [
            {
                "id": "obj",
                "title": f"Objective {IMG}",
                "description": LATEX,
                "impact": "major",
                "category": "privacy",
                "elements": ["bot", "weights"],
            }
        ],
        "risk_tolerance": {"accept_up_to": "low", "statement": SCRIPT},
        "assets": [
            {
                "id": "docs",
                "name": f"Docs {MD_LINK}"[:200],
                "description": LONG,
                "classification": "confidential",
                "pii": True,
            }
        ],
        "boundaries": [
            {"id": "internet", "name": f"Internet {IMG}", "trust": "untrusted"},
            {"id": "vpc", "name": f"VPC {JINJA}", "description": RTL},
        ],
        "elements": [
            {"id": "customer", "kind": "user", "name": f"User {RTL_LINE}", "boundary": "internet"},
            {
                "id": "bot",
                "kind": "llm_app",
                "name": EVIL_NAME,
                "description": " ".join(HOSTILE) + " " + LONG,
                "boundary": "vpc",
                "owner": f"{JS_LINK} {LONG}"[:200],
                "properties": {"exposure": "internet", "rate_limited": False},
            },
            {
                "id": "store",
                "kind": "document_store",
                "name": f"Store {MD_LINK}"[:200],
                "boundary": "vpc",
                "assets": ["docs"],
                "owner": LATEX,
            },
            {
                "id": "weights",
                "kind": "model_artifact",
                "name": f"Weights {SCRIPT}"[:200],
                "description": MD_LINK,
                "boundary": "vpc",
                "owner": IMG,
                "properties": {"model_format": "pickle"},
            },
            {
                "id": "train",
                "kind": "training_job",
                "name": f"Train {LATEX}"[:200],
                "boundary": "vpc",
            },
        ],
        "flows": [
            {"id": "ask", "source": "customer", "target": "bot", "name": SCRIPT},
            {"id": "retrieve", "source": "store", "target": "bot", "name": f"{IMG}"},
            {"id": "load", "source": "weights", "target": "bot", "name": JS_LINK},
            {"id": "fit", "source": "store", "target": "train", "name": "fit"},
            {"id": "write", "source": "train", "target": "weights", "name": "write"},
        ],
        "decisions": [
            {
                "finding": "TEST-PI-001@bot",
                "status": "accepted",
                "owner": f"{SCRIPT} {LONG}"[:200],
                "rationale": " ".join(HOSTILE) + " " + LONG,
                "ticket": JS_LINK,
                "controls": [f"SP800-53:{IMG}"],
            },
            {
                "finding": "TEST-DOS-001@bot",
                "status": "transferred",
                "owner": RTL_LINE,
                "rationale": JINJA,
                "ticket": "https://tickets.example/ok",
            },
        ],
    }
    return ThreatModel.model_validate(doc)


@pytest.fixture(scope="module")
def hostile() -> Any:
    model = hostile_model()
    return analyze(model, load_catalog(ENGINE_CATALOG, builtin=False))


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_hostile_model_has_findings_and_decisions(hostile: Any) -> None:
    ids = {f.id for f in hostile.findings}
    assert {"TEST-PI-001@bot", "TEST-DOS-001@bot"} <= ids


def test_html_report_shows_hostile_text_as_text(hostile: Any) -> None:
    html = report_html(hostile.model, hostile, options=ReportOptions(date=DATE))
    dom = assert_offline_and_scriptless(html)
    text = dom.text
    for s in (SCRIPT, IMG, MD_LINK, LATEX, JINJA, JS_LINK):
        assert s in text, s
    assert "49" not in text.replace(LONG, "")  # {{ 7*7 }} was not evaluated
    assert LONG in text
    assert "javascript:" not in "".join(dom.attr_values("href")).lower()
    assert "https://tickets.example/ok" in dom.attr_values("href")
    # bidi controls are isolated so they cannot reorder the text around them
    assert dom.count("bdi") > 0
    assert "\u202e" in text
    # the diagram: names are escaped inside the SVG, and the SVG is only an image
    import base64

    (svg_src,) = [a["src"] for t, a in dom.tags if t == "img" and a.get("class") == "diagram"]
    svg = base64.b64decode((svg_src or "").split(",", 1)[1]).decode("utf-8")
    assert "<script" not in svg
    assert "onerror=" not in svg.replace("onerror=alert", "")
    assert "&lt;script&gt;" in svg


@needs_pdf
@pytest.mark.slow
def test_pdf_report_shows_hostile_text_as_text(hostile: Any, tmp_path: Path) -> None:
    pdf = report_pdf(hostile.model, hostile, options=ReportOptions(date=DATE))
    path = tmp_path / "hostile.pdf"
    path.write_bytes(pdf)
    text = pdf_text(path)
    flat = squash(text)
    for s in (SCRIPT, IMG, JINJA, "[clickme](javascript:alert(1))**bold**_it_`code`"):
        assert squash(s) in flat, s
    assert squash(r"$\frac{1}{2}$\textbf{x}") in flat
    # 10,000 characters: cut in table cells, whole in the appendix (page headers and
    # footers may interleave where it crosses a page)
    assert flat.count("0123456789") >= 1990
    assert "morecharacters:seelongtext" in flat
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "3", str(path), str(tmp_path / "p")],
        check=True,
    )


def test_markdown_escaping() -> None:
    import mistune

    for s in HOSTILE:
        rendered = str(mistune.html(f"- **Label:** {md_text(s)}\n"))
        assert "<script" not in rendered
        assert "<img" not in rendered
        assert "href" not in rendered
        assert "<strong>bold" not in rendered
        assert "<em>" not in rendered
        assert "<code>" not in rendered
    assert "\n" not in md_text("a\n# heading\n\n    code\r\n- item")


def test_model_card_markdown_is_safe_and_round_trips(hostile: Any) -> None:
    import mistune

    card = build_card(hostile, "weights", date=DATE)
    md = to_markdown(card)
    front = parse_front_matter(md)
    validate_front_matter(front)
    assert front["model_name"] == hostile.model.element("weights").name
    findings = {f["id"]: f for f in card.risk_assessment["findings"]}
    assert findings["TEST-PI-001@bot"]["owner"] == f"{SCRIPT} {LONG}"[:200]
    assert findings["TEST-PI-001@bot"]["status"] == "accepted"
    body = md[md.index("\n---\n", 4) + 5 :]
    rendered = str(mistune.html(body))
    assert "<script" not in rendered
    assert "<img" not in rendered
    assert "javascript:" not in re.sub(r"[^<]*(<a [^>]*>)?", r"\1", rendered)
    assert "window.__pwned" in rendered  # shown, as text
    assert "&lt;script&gt;" in rendered
    # YAML front matter: one line per scalar, so no user text can end it early
    head = md[: md.index("\n---\n", 4)]
    assert all(not line.startswith("---") for line in head.splitlines()[1:])


def test_model_card_front_matter_survives_newlines_and_dashes(hostile: Any) -> None:
    # the model refuses a name with a newline; the card must not depend on that check
    weights = hostile.model.element("weights").model_copy(
        update={"name": "Weights\n---\nmodel_name: pwned"}
    )
    elements = [weights if e.id == "weights" else e for e in hostile.model.elements]
    model = hostile.model.model_copy(update={"elements": elements})
    analysis = analyze(model, hostile.catalog)
    md = to_markdown(build_card(analysis, "weights", date=DATE))
    front = parse_front_matter(md)
    assert front["model_name"] == "Weights\n---\nmodel_name: pwned"
    assert yaml.safe_load(md.split("\n---\n")[0][4:])["model_name"] == front["model_name"]


def test_model_card_html_and_mct_json(hostile: Any) -> None:
    card = build_card(hostile, "weights", date=DATE)
    html = card_html(card)
    dom: Dom = assert_offline_and_scriptless(html)
    assert SCRIPT in dom.text
    assert "To be completed." in dom.text
    doc = to_mct(card)
    assert doc["model_details"]["name"] == hostile.model.element("weights").name


@needs_pdf
@pytest.mark.slow
def test_model_card_pdf_shows_hostile_text(hostile: Any, tmp_path: Path) -> None:
    card = build_card(hostile, "weights", date=DATE)
    path = tmp_path / "card.pdf"
    path.write_bytes(card_pdf(card))
    flat = squash(pdf_text(path))
    assert squash(SCRIPT) in flat
    assert "Tobecompleted." in flat


def test_diagram_labels_escape_html_like_names(hostile: Any) -> None:
    from workbench.diagram import to_svg
    from workbench.export.report import report_diagram

    for svg in (to_svg(hostile.model), report_diagram(hostile.model).svg):
        assert "<script" not in svg
        assert "<img" not in svg
