"""analyze / check on the command line, and the JSON, CSV, SARIF and table formats."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import REFERENCE, reference_missing
from tests.test_cli import run
from workbench import ThreatModel
from workbench.catalog import Catalog, load_catalog
from workbench.engine import Analysis, analyze
from workbench.export import to_csv, to_json, to_sarif, to_table

HERE = Path(__file__).resolve().parent
CATALOG = HERE / "fixtures" / "engine_catalog"
SARIF_SCHEMA = REFERENCE / "sarif" / "sarif-schema-2.1.0.json"

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
        pytest.skip(reference_missing("sarif", SARIF_SCHEMA.name))
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


def test_table_lists_groups_then_their_findings(model_file: Path) -> None:
    a = analyze(ThreatModel.load(model_file), load_catalog(CATALOG, builtin=False))
    text = to_table(a)
    lines = text.splitlines()
    assert lines[0].split() == ["RISK", "N", "FIX", "GROUP"]
    assert lines[1].startswith("    ")
    assert lines[1].split() == [
        "RISK",
        "STATUS",
        "STRIDE",
        "STAGE",
        "FINDING",
        "THREAT",
        "(OR",
        "TARGET)",
    ]
    assert "TEST-PI-001@app" in text
    assert "above tolerance (low)" in text
    assert f"{len(a.findings)} findings in {len(a.groups)} groups; by risk:" in text
    assert json.loads(to_json(a))["summary"]["findings"] == len(a.findings)


GROUPED = """\
format_version: 1
system: {name: Demo}
boundaries:
  - {id: inet, name: Internet, trust: untrusted}
  - {id: vpc, name: VPC}
elements:
  - {id: customer, kind: user, name: "Customer [31mred", boundary: inet}
  - id: app
    kind: llm_app
    name: Bot
    boundary: vpc
    properties: {exposure: internet}
flows:
  - {id: ask, source: customer, target: app, name: question}
  - {id: reply, source: app, target: customer, name: answer}
"""
"""One threat (cleartext flow) on two flows: a group of two; two findings of their own."""


@pytest.fixture
def grouped(tmp_path: Path) -> Analysis:
    p = tmp_path / "grouped.yaml"
    p.write_text(GROUPED, encoding="utf-8")
    a = analyze(ThreatModel.load(p), load_catalog(CATALOG, builtin=False))
    assert [len(g.members) for g in a.groups if len(g.members) > 1] == [2]
    return a


GROUP_CATALOG = HERE / "fixtures" / "group_catalog"
BY_CAUSE = """\
format_version: 1
system: {name: Grouped}
boundaries:
  - {id: inet, name: Internet, trust: untrusted}
  - {id: vpc, name: VPC}
elements:
  - {id: customer, kind: user, name: Customer, boundary: inet}
  - id: app
    kind: llm_app
    name: Bot
    boundary: vpc
    properties: {exposure: internet, authorization: true}
  - {id: store, kind: vector_store, name: Vector store, boundary: vpc}
flows:
  - {id: ask, source: customer, target: app, name: question}
  - {id: reply, source: app, target: customer, name: answer}
  - {id: lookup, source: store, target: app, name: chunks}
"""
"""With :data:`GROUP_CATALOG`: a missing control (authorization on the store: two
threats), one threat on two flows, and a finding of its own with a control in place."""


def by_cause(**names: str) -> Analysis:
    """:data:`BY_CAUSE` (elements renamed by ID) analysed with :data:`GROUP_CATALOG`.
    Renamed without validation, so that names the model refuses (control characters)
    show that the outputs do not depend on that check."""
    model = ThreatModel.from_yaml(BY_CAUSE)
    for eid, name in names.items():
        elements = [
            e.model_copy(update={"name": name}) if e.id == eid else e for e in model.elements
        ]
        model = model.model_copy(update={"elements": elements})
    a = analyze(model, load_catalog(GROUP_CATALOG, builtin=False))
    assert [g.cause for g in a.groups] == ["missing_control", "threat", "single"]
    return a


def test_table_puts_each_group_above_its_findings(grouped: Analysis) -> None:
    lines = to_table(grouped).splitlines()
    heads = [i for i, line in enumerate(lines) if line and not line.startswith(" ")][1:]
    assert len(heads) == len(grouped.groups) + 1  # + the summary line
    for g, at, end in zip(grouped.groups, heads, heads[1:], strict=False):
        head = lines[at].split()
        assert head[:3] == [g.risk, str(len(g.members)), g.fix]
        assert g.title.split()[0] in lines[at]
        members = [line.split()[4] for line in lines[at + 1 : end] if line.strip()]
        assert members == list(g.members)
        assert all(line.startswith("    ") for line in lines[at + 1 : end] if line.strip())
    flow = next(g for g in grouped.groups if g.cause == "threat")
    at = next(i for i in heads if flow.title.split(" —")[0] in lines[i])
    assert lines[at + 1].rstrip().endswith("on question")


def test_table_keeps_rich_models_narrow(catalog: Catalog) -> None:
    a = analyze(ThreatModel.from_template("rag_assistant"), catalog)
    assert max(len(line) for line in to_table(a).splitlines()) <= 160


def test_table_names_the_threats_of_a_missing_control() -> None:
    a = by_cause()
    lines = to_table(a).splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("high "))
    assert lines[at].split()[:3] == ["high", "2", "GRP-MIT-AUTHZ"]
    assert lines[at].endswith("Vector store does not say whether it authorizes each request")
    # its members are different threats: their titles are listed, not the target
    assert lines[at + 1].split()[4] == "GRP-LEAK-001@store"
    assert lines[at + 1].endswith("  Store answers every caller with everything")
    assert lines[at + 2].split()[4] == "GRP-TAMPER-001@store"
    assert lines[at + 2].endswith("  Anyone can overwrite the store")


def test_table_shows_names_without_control_characters() -> None:
    esc = "\x1b[2J\x1b[31m"
    a = by_cause(store=f"Vector {esc}store", app=f"Bot\r\nFAKE LINE {esc}")
    text = to_table(a)
    assert "\x1b" not in text
    assert "\r" not in text
    assert "FAKE LINE" not in text.splitlines()[0]
    assert not any(line.startswith("FAKE") for line in text.splitlines())
    assert "Vector [2J [31mstore does not say whether it authorizes each request" in text
    assert "on Bot FAKE LINE [2J [31m" in text


def test_json_lists_groups_before_findings(grouped: Analysis) -> None:
    doc = json.loads(to_json(grouped))
    keys = list(doc)
    assert keys.index("groups") < keys.index("findings")
    assert doc["summary"]["groups"] == len(grouped.groups)
    assert [g["id"] for g in doc["groups"]] == [g.id for g in grouped.groups]
    scores = [g["score"] for g in doc["groups"]]
    assert scores == sorted(scores, reverse=True)
    flow = next(g for g in doc["groups"] if g["cause"] == "threat")
    assert flow["id"] == "threat:TEST-FLOW-001"
    assert flow["members"] == ["TEST-FLOW-001@ask", "TEST-FLOW-001@reply"]
    assert flow["targets"] == ["ask", "reply"]
    assert flow["fix"] == "MIT-TEST"
    assert flow["fix_title"] == "Test mitigation"
    assert flow["risk"] == "medium"
    assert flow["title"].startswith("Cleartext flow across a boundary")
    # every finding names a group that exists and lists it, exactly once
    groups = {g["id"]: g for g in doc["groups"]}
    for f in doc["findings"]:
        assert f["in_place"] == []
        assert f["id"] in groups[f["group"]]["members"]
        assert f["group"] == grouped.group_of(f["id"]).id
    members = [m for g in doc["groups"] for m in g["members"]]
    assert sorted(members) == sorted(f["id"] for f in doc["findings"])


def test_json_carries_controls_in_place() -> None:
    doc = json.loads(to_json(by_cause()))
    by_id = {f["id"]: f for f in doc["findings"]}
    assert by_id["GRP-PI-001@app"]["in_place"] == ["GRP-MIT-AUTHZ"]
    assert by_id["GRP-LEAK-001@store"]["in_place"] == []
    (missing,) = (g for g in doc["groups"] if g["cause"] == "missing_control")
    assert missing == {
        "id": "missing:store:authorization",
        "cause": "missing_control",
        "title": "Vector store does not say whether it authorizes each request",
        "fix": "GRP-MIT-AUTHZ",
        "fix_title": "Authorize every request",
        "risk": "high",
        "score": 16,
        "likelihood": 4,
        "impact": 4,
        "members": ["GRP-LEAK-001@store", "GRP-TAMPER-001@store"],
        "targets": ["store"],
        "open": 2,
    }


def test_sarif_related_locations_name_the_other_members(grouped: Analysis) -> None:
    doc = json.loads(to_sarif(grouped))
    results = doc["runs"][0]["results"]
    ids = [r["partialFingerprints"]["findingId"] for r in results]
    assert sorted(ids) == sorted(f.id for f in grouped.findings)  # one result per finding
    by_id = dict(zip(ids, results, strict=True))
    ask, reply = by_id["TEST-FLOW-001@ask"], by_id["TEST-FLOW-001@reply"]
    for result, other, target in (
        (ask, "TEST-FLOW-001@reply", "reply"),
        (reply, "TEST-FLOW-001@ask", "ask"),
    ):
        assert result["properties"]["group"]["id"] == "threat:TEST-FLOW-001"
        assert result["properties"]["group"]["title"].startswith("Cleartext flow")
        (related,) = result["relatedLocations"]
        assert related["logicalLocations"] == [{"name": target, "kind": "flow"}]
        assert other in related["message"]["text"]
        assert "threat:TEST-FLOW-001" in related["message"]["text"]
        assert related["physicalLocation"]["region"]["startLine"] > 0
    alone = by_id["TEST-PI-001@app"]
    assert "relatedLocations" not in alone
    assert alone["properties"]["group"]["id"] == "finding:TEST-PI-001@app"
    if SARIF_SCHEMA.exists():
        schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
        jsonschema.Draft4Validator(schema).validate(doc)


def test_sarif_related_locations_are_capped() -> None:
    from workbench.export.register_formats import MAX_RELATED

    n = MAX_RELATED + 5
    users = "\n".join(
        f"  - {{id: u{i}, kind: user, name: User {i}, boundary: inet}}" for i in range(n)
    )
    flows = "\n".join(f"  - {{id: f{i}, source: u{i}, target: app}}" for i in range(n))
    text = (
        GROUPED.split("elements:")[0]
        + f"elements:\n{users}\n"
        + (f"  - {{id: app, kind: llm_app, name: Bot, boundary: vpc}}\nflows:\n{flows}\n")
    )
    a = analyze(ThreatModel.from_yaml(text), load_catalog(CATALOG, builtin=False))
    g = a.group_of("TEST-FLOW-001@f0")
    assert len(g.members) == n
    doc = json.loads(to_sarif(a))
    for r in doc["runs"][0]["results"]:
        fid = r["partialFingerprints"]["findingId"]
        if fid not in g.members:
            continue
        others = [m for m in g.members if m != fid][:MAX_RELATED]
        related = r["relatedLocations"]
        assert len(related) == MAX_RELATED
        assert [loc["id"] for loc in related] == list(range(1, MAX_RELATED + 1))
        for loc, other in zip(related, others, strict=True):
            assert f"): {other}, " in loc["message"]["text"]
        assert r["properties"]["group"]["findings"] == n


def test_csv_has_a_group_column(grouped: Analysis) -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(grouped))))
    assert {r["id"]: r["group"] for r in rows} == {
        f.id: grouped.group_of(f.id).id for f in grouped.findings
    }
    assert {r["group"] for r in rows if r["id"].startswith("TEST-FLOW-001@")} == {
        "threat:TEST-FLOW-001"
    }


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
    assert code == 2  # did not load (1 is kept for "policy failed")
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


def test_an_empty_model_says_so() -> None:
    from workbench import ThreatModel
    from workbench.engine import analyze
    from workbench.export.register_formats import to_table

    text = to_table(analyze(ThreatModel.model_validate({"system": {"name": "Empty"}})))
    assert text == "no findings; attack paths: 0\n"
    assert "by risk: ;" not in text
