"""``threat-workbench report`` and ``threat-workbench model-card``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import run
from tests.test_export_report import ENGINE_CATALOG, needs_pdf, pdf_info, pdf_text
from workbench.export.model_card import parse_front_matter

pytest.importorskip("nbconvert")

ARCH = Path(__file__).resolve().parents[1] / "starters"


@pytest.fixture
def model_file(tmp_path: Path, minimal_text: str) -> Path:
    p = tmp_path / "bot.yaml"
    p.write_text(minimal_text, encoding="utf-8")
    return p


def test_report_html_with_progress(model_file: Path) -> None:
    code, out, err = run(
        "report", str(model_file), "--catalog", str(ENGINE_CATALOG), "--no-builtin"
    )
    assert code == 0, err
    target = model_file.with_suffix(".html")
    assert out.strip() == str(target)
    html = target.read_text(encoding="utf-8")
    assert "Executive summary" in html
    assert "TEST-PI-001@bot" in html
    lines = err.strip().splitlines()
    assert len(lines) >= 5
    assert all(line.startswith("[") and " s] " in line for line in lines)
    assert "3 findings" in err or "findings" in lines[2]
    assert "section: Findings by cause" in err
    assert lines[-1].endswith("KiB)")


def test_report_ipynb(model_file: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "out" / "report.ipynb"
    code, _, err = run(
        "report",
        str(model_file),
        "-f",
        "ipynb",
        "-o",
        str(out_file),
        "-c",
        str(ENGINE_CATALOG),
        "--no-builtin",
    )
    assert code == 0, err
    nb = json.loads(out_file.read_text(encoding="utf-8"))
    assert nb["metadata"]["threat_workbench"]["kind"] == "risk_assessment"


@needs_pdf
@pytest.mark.slow
def test_report_pdf_letter(model_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "r.pdf"
    code, _, err = run(
        "report",
        str(model_file),
        "--format",
        "pdf",
        "-o",
        str(target),
        "--paper",
        "letter",
        "-c",
        str(ENGINE_CATALOG),
        "--no-builtin",
    )
    assert code == 0, err
    assert "rendering PDF (weasyprint)" in err
    assert "(letter)" in pdf_info(target)["Page size"]
    assert "Findings by cause" in pdf_text(target)


def test_report_on_an_invalid_model_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("system: {name: x}\nelements: [{id: a, kind: nope, name: A}]\n")
    code, _, err = run("report", str(bad))
    assert code == 1
    assert "bad.yaml" in err
    assert not bad.with_suffix(".html").exists()


def test_model_card_markdown_for_every_model_element(tmp_path: Path) -> None:
    code, out, err = run("model-card", str(ARCH / "fine_tuning_pipeline.yaml"), "-o", str(tmp_path))
    assert code == 0, err
    written = sorted(Path(p).name for p in out.split())
    assert written == [
        "base_model.model-card.md",
        "base_model.risk-assessment.json",
        "tuned_model.model-card.md",
        "tuned_model.risk-assessment.json",
    ]
    front = parse_front_matter((tmp_path / "tuned_model.model-card.md").read_text("utf-8"))
    assert front["model_name"] == "Tuned model artifact"
    sidecar = json.loads((tmp_path / "tuned_model.risk-assessment.json").read_text("utf-8"))
    assert sidecar["risk_assessment"]["element"]["id"] == "tuned_model"
    assert "model card for tuned_model" in err


def test_model_card_html_json_for_one_element(tmp_path: Path) -> None:
    for fmt in ("html", "json"):
        code, out, err = run(
            "model-card",
            str(ARCH / "rag_assistant.yaml"),
            "--element",
            "llm_api",
            "--format",
            fmt,
            "-o",
            str(tmp_path),
        )
        assert code == 0, err
        assert Path(out.strip()).suffix == f".{fmt}"


def test_model_card_unknown_element_exits_2(tmp_path: Path) -> None:
    code, _, err = run(
        "model-card", str(ARCH / "rag_assistant.yaml"), "-e", "nope", "-o", str(tmp_path)
    )
    assert code == 2
    assert "no element nope" in err


def test_model_card_without_model_elements_exits_1(model_file: Path, tmp_path: Path) -> None:
    code, _, err = run(
        "model-card",
        str(model_file),
        "-o",
        str(tmp_path),
        "-c",
        str(ENGINE_CATALOG),
        "--no-builtin",
    )
    assert code == 1
    assert "--element" in err


@needs_pdf
@pytest.mark.slow
def test_model_card_pdf(tmp_path: Path) -> None:
    code, out, err = run(
        "model-card",
        str(ARCH / "fine_tuning_pipeline.yaml"),
        "-e",
        "tuned_model",
        "-f",
        "pdf",
        "-o",
        str(tmp_path),
    )
    assert code == 0, err
    text = pdf_text(Path(out.strip()))
    assert "Tuned model artifact" in text
    assert "To be completed." in text
    assert "Training data" in text
