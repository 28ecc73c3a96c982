"""analyze / check on the command line, and the JSON, CSV, SARIF and table formats."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest

from tests.test_cli import run
from workbench import ThreatModel
from workbench.catalog import load_catalog
from workbench.engine import analyze
from workbench.export import to_csv, to_json, to_sarif, to_table

HERE = Path(__file__).resolve().parent
CATALOG = HERE / "fixtures" / "engine_catalog"
SARIF_SCHEMA = HERE.parents[1] / "shared" / "reference" / "sarif" / "sarif-schema-2.1.0.json"

MODEL = """\
format_version: 1
system: {name: Demo}
boundaries:
  - {id: inet, name: Internet, trust: untrusted}
  - {id: vpc, name: VPC}
elements:
  - {id: customer, kind: user, name: "=HYPERLINK(\\"http://x\\")", boundary: inet}
  - id: app
    kind: llm_app
    name: Bot
    boundary: vpc
    properties: {exposure: internet}
flows:
  - {id: ask, source: customer, target: app, name: "+cmd|' /C calc'!A0"}
decisions:
  - {finding: TEST-PI-001@app, status: mitigated, mitigations: [MIT-TEST]}
"""


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    p = tmp_path / "demo.yaml"
    p.write_text(MODEL, encoding="utf-8")
    return p


def test_analyze_json(model_file: Path) -> None:
    code, out, _ = run(
        "analyze", str(model_file), "--format", "json", "--catalog", str(CATALOG), "--no-builtin"
    )
    assert code == 0
    doc = json.loads(out)
    ids = [f["id"] for f in doc["findings"]]
    assert "TEST-PI-001@app" in ids
    pi = next(f for f in doc["findings"] if f["id"] == "TEST-PI-001@app")
    assert pi["atlas"] == ["AML.T0051.001"]
    assert pi["owasp"] == ["LLM01"]
    assert pi["stride"] == ["T", "E"]
    assert pi["status"] == "mitigated"
    assert pi["why"]
    assert pi["risk"] in ("low", "medium", "high", "critical")
    assert doc["attack_paths"] == []


def test_sarif_validates_against_the_schema(model_file: Path) -> None:
    if not SARIF_SCHEMA.exists():
        pytest.skip("../shared/reference is not present")
    m = ThreatModel.load(model_file)
    a = analyze(m, load_catalog(CATALOG, builtin=False))
    doc = json.loads(to_sarif(a))
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(doc)
    results = doc["runs"][0]["results"]
    pi = next(r for r in results if r["partialFingerprints"]["findingId"] == "TEST-PI-001@app")
    assert pi["suppressions"][0]["status"] == "accepted"
    region = pi["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] == 8  # the line of element 'app' in the file
    rule_ids = [r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]]
    assert rule_ids == sorted(set(rule_ids))


def test_csv_neutralises_formulas(model_file: Path) -> None:
    a = analyze(ThreatModel.load(model_file), load_catalog(CATALOG, builtin=False))
    text = to_csv(a)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows
    cells = [c for r in rows for c in r.values()]
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
    assert any(c.startswith("'+cmd") for c in cells)


def test_table_lists_findings_by_risk(model_file: Path) -> None:
    a = analyze(ThreatModel.load(model_file), load_catalog(CATALOG, builtin=False))
    text = to_table(a)
    assert text.splitlines()[0].split() == [
        "RISK",
        "STATUS",
        "STRIDE",
        "STAGE",
        "FINDING",
        "ATLAS",
        "OWASP",
        "TITLE",
    ]
    assert "TEST-PI-001@app" in text
    assert "above tolerance (low)" in text
    assert json.loads(to_json(a))["summary"]["findings"] == len(a.findings)


def test_check_gate(model_file: Path) -> None:
    code, out, _ = run(
        "check", str(model_file), "--fail-on", "high", "--catalog", str(CATALOG), "--no-builtin"
    )
    assert code == 1
    assert "HIGH     TEST-DOS-001@app" in out
    assert out.strip().endswith("decided)")
    assert "FAIL: 1 open finding(s) at or above 'high'" in out
    code, out, _ = run(
        "check", str(model_file), "--fail-on", "critical", "--catalog", str(CATALOG), "--no-builtin"
    )
    assert code == 0
    assert ": ok: 0 open finding(s)" in out


def test_check_reports_invalid_model(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("system: {name: x}\nelements: [{id: a, kind: nope, name: A}]\n")
    code, _, err = run("check", str(p), "--catalog", str(CATALOG), "--no-builtin")
    assert code == 1
    assert "elements[0].kind" in err


def test_analyze_output_file(model_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "report.sarif"
    code, _, err = run(
        "analyze",
        str(model_file),
        "-f",
        "sarif",
        "-o",
        str(out),
        "-c",
        str(CATALOG),
        "--no-builtin",
    )
    assert code == 0
    assert json.loads(out.read_text())["version"] == "2.1.0"
    assert "findings" in err


def test_check_several_files(model_file: Path, tmp_path: Path) -> None:
    calm = tmp_path / "calm.yaml"
    calm.write_text("system: {name: Calm}\n", encoding="utf-8")
    code, out, _ = run(
        "check",
        str(calm),
        str(model_file),
        "--fail-on",
        "high",
        "--catalog",
        str(CATALOG),
        "--no-builtin",
    )
    assert code == 1
    assert f"{calm}: ok" in out
    assert f"{model_file}: FAIL" in out
