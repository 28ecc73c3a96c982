"""``threat-workbench import`` and ``export``, the pre-commit hooks and the CI guide."""

from __future__ import annotations

import io
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REFERENCE, needs_reference
from workbench import ThreatModel
from workbench.cli import main
from workbench.interop.otm import from_otm
from workbench.interop.threat_dragon import from_threat_dragon

ROOT = Path(__file__).resolve().parents[1]
INTEROP = REFERENCE / "interop"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "interop"
needs_interop = needs_reference("interop")


def run(*args: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def write_otm(tmp_path: Path, doc: dict[str, Any], name: str = "in.otm.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(doc), encoding="utf-8")
    return p


MINIMAL_OTM: dict[str, Any] = {
    "otmVersion": "0.2.0",
    "project": {"name": "Tiny", "id": "tiny"},
    "trustZones": [{"id": "z", "name": "Zone", "risk": {"trustRating": 100}}],
    "components": [
        {"id": "a", "name": "A", "type": "process", "parent": {"trustZone": "z"}},
        {"id": "b", "name": "B", "type": "weird-thing", "parent": {"trustZone": "z"}},
    ],
    "dataflows": [{"id": "ab", "name": "a to b", "source": "a", "destination": "b"}],
}


# --------------------------------------------------------------------------- import
@needs_interop
@pytest.mark.parametrize(
    ("sample", "fmt", "elements"),
    [
        ("otm/EXAMPLE.json", "otm", 4),
        ("otm/EXAMPLE.yaml", "otm", 4),
        ("threat-dragon/v2-threat-model.json", "threat-dragon", 7),
        ("threagile/threagile-example.yaml", "threagile", 14),
    ],
)
def test_import_detects_the_format_and_writes_a_valid_model(
    tmp_path: Path, sample: str, fmt: str, elements: int
) -> None:
    out = tmp_path / "model.yaml"
    code, stdout, err = run("import", INTEROP / sample, "-o", out)
    assert code == 0, err
    assert stdout == ""
    assert f": {fmt}: {elements} elements" in err
    assert err.rstrip().endswith(f"→ {out}")
    assert run("validate", out)[0] == 0
    assert len(ThreatModel.load(out).elements) == elements
    assert run("import", INTEROP / sample, "--from", fmt, "-o", tmp_path / "again.yaml")[0] == 0


def test_import_to_stdout_with_warnings_and_report(tmp_path: Path) -> None:
    src = write_otm(tmp_path, MINIMAL_OTM)
    report = tmp_path / "report.json"
    code, stdout, err = run("import", src, "--report", report)
    assert code == 0
    assert ThreatModel.from_yaml(stdout).element("b").kind == "process"
    assert "warning: " in err
    assert "type 'weird-thing' is not a workbench kind" in err
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["format"] == "otm"
    assert data["counts"]["elements"] == 2
    assert len(data["warnings"]) == 1


def test_import_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    src = write_otm(tmp_path, MINIMAL_OTM)
    out = tmp_path / "model.yaml"
    out.write_text("keep me\n", encoding="utf-8")
    code, _, err = run("import", src, "-o", out)
    assert code == 2
    assert "exists; pass --force" in err
    assert out.read_text(encoding="utf-8") == "keep me\n"
    code, _, _ = run("import", src, "-o", out, "--force")
    assert code == 0
    assert (tmp_path / "model.yaml.bak").read_text(encoding="utf-8") == "keep me\n"
    assert ThreatModel.load(out).system.name == "Tiny"


def test_failed_import_writes_nothing(tmp_path: Path) -> None:
    bad = write_otm(tmp_path, {**MINIMAL_OTM, "components": "oops"})
    out = tmp_path / "model.yaml"
    report = tmp_path / "r.json"
    code, stdout, err = run("import", bad, "-o", out, "--report", report)
    assert code == 1
    assert stdout == ""
    assert "import failed; nothing was written" in err
    assert "components: expected a list, got str" in err
    assert not out.exists()
    assert not report.exists()
    assert list(tmp_path.iterdir()) == [bad]


def test_strict_import_fails_on_warnings(tmp_path: Path) -> None:
    src = write_otm(tmp_path, MINIMAL_OTM)
    out = tmp_path / "model.yaml"
    code, _, err = run("import", src, "-o", out, "--strict")
    assert code == 1
    assert "--strict: nothing was written" in err
    assert not out.exists()
    clean = write_otm(
        tmp_path,
        {**MINIMAL_OTM, "components": MINIMAL_OTM["components"][:1], "dataflows": []},
        "clean.json",
    )
    assert run("import", clean, "-o", out, "--strict")[0] == 0


def test_import_wrong_format_and_usage(tmp_path: Path) -> None:
    src = write_otm(tmp_path, MINIMAL_OTM)
    code, _, err = run("import", src, "--from", "threagile")
    assert code == 1
    assert "looks like otm, not threagile" in err
    with pytest.raises(SystemExit) as info:
        run("import", src, "--from", "visio")
    assert info.value.code == 2


# --------------------------------------------------------------------------- export
@pytest.mark.parametrize(("fmt", "name"), [("otm", "out.otm.json"), ("threat-dragon", "td.json")])
def test_export_then_import_gives_the_model_back(tmp_path: Path, fmt: str, name: str) -> None:
    model_path = tmp_path / "model.yaml"
    (tmp_path / "model.yaml").write_text(
        (FIXTURES / "rich.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    out = tmp_path / name
    code, _, err = run("export", model_path, "--to", fmt, "-o", out)
    assert code == 0, err
    assert f"{out}: {fmt}: 7 elements, 7 flows, " in err
    back = tmp_path / "back.yaml"
    code, _, err = run("import", out, "-o", back)
    assert code == 0, err
    assert "warning" not in err
    assert ThreatModel.load(back) == ThreatModel.load(model_path)


@needs_interop
def test_exported_files_validate_against_their_schemas(tmp_path: Path) -> None:
    from jsonschema import Draft7Validator

    model = tmp_path / "model.yaml"
    assert run("new", "--template", "llm_agent_tools", model)[0] == 0
    for fmt, schema_path in (
        ("otm", INTEROP / "otm" / "otm_schema.json"),
        ("threat-dragon", INTEROP / "threat-dragon" / "threat-dragon-v2.schema.json"),
    ):
        out = tmp_path / f"{fmt}.json"
        assert run("export", model, "--to", fmt, "-o", out)[0] == 0
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        doc = json.loads(out.read_text(encoding="utf-8"))
        assert list(Draft7Validator(schema).iter_errors(doc)) == []
        assert doc == json.loads(out.read_text(encoding="utf-8"))


def test_export_otm_as_yaml_without_threats(tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    assert run("new", model)[0] == 0
    out = tmp_path / "model.otm.yaml"
    assert run("export", model, "--to", "otm", "-o", out, "--no-threats")[0] == 0
    doc = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert "threats" not in doc
    assert from_otm(doc).model == ThreatModel.load(model)


def test_export_refusals(tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    assert run("new", model)[0] == 0
    before = model.read_bytes()
    code, _, err = run("export", model, "--to", "otm", "-o", model)
    assert code == 1
    assert "is the model itself" in err
    assert model.read_bytes() == before
    code, _, err = run("export", model, "--to", "threat-dragon", "-o", tmp_path / "td.yaml")
    assert code == 2
    assert "Threat Dragon files are JSON" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("system: {}\n", encoding="utf-8")
    code, _, err = run("export", broken, "--to", "otm", "-o", tmp_path / "x.json")
    assert code == 1
    assert "required field 'name' is missing" in err
    assert not (tmp_path / "x.json").exists()
    with pytest.raises(SystemExit):
        run("export", model, "-o", tmp_path / "x.json")  # --to is required


def test_export_warns_when_the_file_is_too_big_to_import_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench import parsing

    model = tmp_path / "model.yaml"
    assert run("new", model)[0] == 0
    monkeypatch.setattr(parsing, "MAX_FILE_BYTES", model.stat().st_size + 1)
    code, _, err = run("export", model, "--to", "threat-dragon", "-o", tmp_path / "td.json")
    assert code == 0
    assert "MiB that 'threat-workbench import' reads back" in err
    code, _, err = run("import", tmp_path / "td.json", "-o", tmp_path / "back.yaml")
    assert code == 1
    assert "the limit is" in err


def test_export_threat_dragon_from_the_cli_keeps_decisions(tmp_path: Path) -> None:
    model = tmp_path / "model.yaml"
    model.write_text((FIXTURES / "rich.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "td.json"
    assert run("export", model, "--to", "threat-dragon", "-o", out)[0] == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert from_threat_dragon(doc).model.decisions == ThreatModel.load(model).decisions


# --------------------------------------------------------------------------- pre-commit
HOOK_PATTERN_MATCHES = [
    "threat-model.yaml",
    "threat_model.yml",
    "threatmodel.json",
    "docs/threat-model.yaml",
    "payments.threat-model.yaml",
    "rag-threatmodel.json",
    "a/b/svc_threat_model.yml",
]
HOOK_PATTERN_MISSES = [
    "model.yaml",
    "threat-model.yaml.bak",
    "threat-model.txt",
    "mythreatmodel.yaml",
    "threat-models/README.md",
]


def hooks() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return {h["id"]: h for h in data}


def test_pre_commit_hooks_are_declared() -> None:
    h = hooks()
    assert set(h) == {"threat-workbench-validate", "threat-workbench-check"}
    assert h["threat-workbench-validate"]["entry"] == "threat-workbench validate"
    assert h["threat-workbench-check"]["entry"] == "threat-workbench check --fail-on high"
    for hook in h.values():
        assert hook["language"] == "python"
        assert hook["name"]
        assert set(hook["types_or"]) == {"yaml", "json"}
    pattern = h["threat-workbench-validate"]["files"]
    assert pattern == h["threat-workbench-check"]["files"]
    assert f"`{pattern}`" in (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    assert [p for p in HOOK_PATTERN_MATCHES if not re.search(pattern, p)] == []
    assert [p for p in HOOK_PATTERN_MISSES if re.search(pattern, p)] == []


def test_pre_commit_entries_run(tmp_path: Path) -> None:
    h = hooks()
    good = tmp_path / "threat-model.yaml"
    assert run("new", "--template", "rag_assistant", good)[0] == 0
    bad = tmp_path / "other.threat-model.yaml"
    bad.write_text("system: {name: x}\nelements: [{id: a, kind: nope, name: A}]\n")
    validate = shlex.split(h["threat-workbench-validate"]["entry"])[1:]
    assert run(*validate, good)[0] == 0
    code, _, err = run(*validate, good, bad)  # pre-commit passes every matching file
    assert code == 1
    assert "'nope' is not a known kind" in err
    check = shlex.split(h["threat-workbench-check"]["entry"])[1:]
    code, out, _ = run(*check, good)
    assert code == 1  # the starter architecture has high risks left open on purpose
    assert ": FAIL: " in out
    code, out, _ = run(*check, "--fail-on", "critical", good)  # args: the last one wins
    assert "at or above 'critical'" in out


# --------------------------------------------------------------------------- CI guide
def yaml_blocks(text: str) -> list[Any]:
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)]


def test_ci_guide_workflow_uploads_sarif_and_gates() -> None:
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    blocks = yaml_blocks(text)
    workflow = next(b for b in blocks if isinstance(b, dict) and "jobs" in b)
    assert workflow["permissions"]["security-events"] == "write"
    steps = workflow["jobs"]["threat-model"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert "threat-workbench analyze model.yaml --format sarif -o results.sarif" in runs
    upload = next(
        s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")
    )
    assert upload["with"]["sarif_file"] == "results.sarif"
    order = [
        i for i, s in enumerate(steps) if s is upload or "check model.yaml" in s.get("run", "")
    ]
    assert len(order) == 2  # the upload comes before the gate
    assert any("threat-workbench diff" in r and "--format markdown" in r for r in runs)
    config = next(b for b in blocks if isinstance(b, dict) and "repos" in b)
    ids = {h["id"] for h in config["repos"][0]["hooks"]}
    assert ids == set(hooks())


def test_ci_guide_commands_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands of the workflow work as written (in a folder with model.yaml)."""
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    workflow = next(b for b in yaml_blocks(text) if isinstance(b, dict) and "jobs" in b)
    monkeypatch.chdir(tmp_path)
    assert run("new", "--template", "rag_assistant", "model.yaml")[0] == 0
    commands = [
        shlex.split(s["run"])[1:]
        for s in workflow["jobs"]["threat-model"]["steps"]
        if s.get("run", "").startswith(
            ("threat-workbench validate", "threat-workbench analyze", "threat-workbench check")
        )
    ]
    assert len(commands) == 3
    codes = [run(*c)[0] for c in commands]
    assert codes == [0, 0, 1]  # check fails: the starter architecture has open high risks
    sarif = json.loads((tmp_path / "results.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["results"]
    schema_path = REFERENCE / "sarif" / "sarif-schema-2.1.0.json"
    if schema_path.exists():
        from jsonschema import Draft7Validator

        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        assert list(Draft7Validator(schema).iter_errors(sarif)) == []


@needs_interop
def test_import_summary_names_the_report_option(tmp_path: Path) -> None:
    """Threats of the other tool are not decisions: the summary says how to list them."""
    out = tmp_path / "model.yaml"
    code, _, err = run("import", INTEROP / "threat-dragon/v2-threat-model.json", "-o", out)
    assert code == 0
    assert "write them out with --report FILE.json" in err
    report = tmp_path / "r.json"
    code, _, err = run(
        "import",
        INTEROP / "threat-dragon/v2-threat-model.json",
        "-o",
        tmp_path / "m2.yaml",
        "--report",
        report,
    )
    assert code == 0
    assert f"listed in {report}" in err
