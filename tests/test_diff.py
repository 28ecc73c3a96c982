"""Model diff: sections, fields, the risk delta, renderings, the CLI and git revisions."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from workbench import Asset, Element, ThreatModel
from workbench.catalog import Catalog
from workbench.cli import main
from workbench.errors import ModelFileError
from workbench.interop.diff import (
    FieldChange,
    diff_models,
    load_model_spec,
    md,
    to_json,
    to_markdown,
    to_text,
)
from workbench.model import Decision
from workbench.starters import names

SCRIPT = "<script>alert(1)</script> | *bold*"


def run(*args: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main([str(a) for a in args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def rag() -> ThreatModel:
    return ThreatModel.from_template("rag_assistant")


def edited(rag: ThreatModel) -> ThreatModel:
    """rag_assistant with one edit of each kind."""
    vs = rag.element("vector_store")
    new = rag.update_element(
        "vector_store", properties=vs.properties.model_copy(update={"authorization": True})
    )
    new = new.update_flow("f_gateway_to_guard", protocol="HTTPS (inside VPC)", encrypted=True)
    new = new.remove_element("operator", cascade=True)
    new = new.add_element(
        Element(id="reranker", kind="inference_endpoint", name=SCRIPT, boundary="app_subnet")
    )
    new = new.replace(
        boundaries=[
            b.model_copy(update={"trust": "partner"}) if b.id == "corp_network" else b
            for b in new.boundaries
        ],
        assets=[*new.assets, Asset(id="rank_scores", name="Ranking scores")],
        system=new.system.model_copy(update={"version": "2.4"}),
    )
    return new.set_decision(
        Decision(
            finding="AITW-LLM-001@llm_app",
            status="mitigated",
            mitigations=["MIT-LLM-SPOTLIGHTING"],
            owner="Ann",
        )
    )


def test_equal_models_have_an_empty_diff(rag: ThreatModel, catalog: Catalog) -> None:
    d = diff_models(rag, ThreatModel.from_template("rag_assistant"), catalog=catalog)
    assert d.empty
    assert d.risk is not None
    assert d.risk.empty
    assert "The models are equal." in to_text(d)
    assert "Risk: 0 finding(s) added, 0 resolved, 0 changed" in to_text(d)


def test_known_edits_of_a_starter_architecture(rag: ThreatModel, catalog: Catalog) -> None:
    d = diff_models(rag, edited(rag), catalog=catalog)
    assert [i.id for i in d.elements.added] == ["reranker"]
    assert d.elements.added[0].detail == "inference_endpoint, in app_subnet"
    assert [i.id for i in d.elements.removed] == ["operator"]
    assert [(c.id, c.changes) for c in d.elements.changed] == [
        ("vector_store", (FieldChange("properties.authorization", False, True),))
    ]
    assert [i.id for i in d.flows.removed] == ["f_logs_to_operator", "f_operator_to_app"]
    assert [(c.id, [x.field for x in c.changes]) for c in d.flows.changed] == [
        ("f_gateway_to_guard", ["protocol", "encrypted"])
    ]
    assert [(c.id, c.changes) for c in d.boundaries.changed] == [
        ("corp_network", (FieldChange("trust", "trusted", "partner"),))
    ]
    assert [i.id for i in d.assets.added] == ["rank_scores"]
    assert [i.id for i in d.section("decisions").added] == ["AITW-LLM-001@llm_app"]
    assert d.model == (FieldChange("system.version", "2.3", "2.4"),)
    r = d.risk
    assert r is not None
    resolved = {e.id for e in r.resolved}
    # direct consequences of the edits: per-caller authorization on the vector store, an
    # encrypted flow across the boundary, the operator removed
    assert {
        "AITW-RAG-003@vector_store",
        "AITW-STRIDE-010@vector_store",
        "AITW-STRIDE-015@f_gateway_to_guard",
    } <= resolved
    edited_targets = {
        "vector_store",
        "f_gateway_to_guard",
        "operator",
        "f_logs_to_operator",
        "f_operator_to_app",
        "llm_app",
        "log_store",
        # corp_network became a partner: the ticket system in it is no longer an attacker
        "f_tickets_to_ingest",
    }
    assert {e.finding.target for e in r.resolved} <= edited_targets
    assert {e.finding.target for e in r.added} <= edited_targets | {"reranker"}
    changed = {c.id: c for c in r.changed}
    assert (
        changed["AITW-LLM-001@llm_app"].old.status,
        changed["AITW-LLM-001@llm_app"].new.status,
    ) == (
        "open",
        "mitigated",
    )
    assert (
        changed["AITW-LLM-001@llm_app"].new.residual_score
        < changed["AITW-LLM-001@llm_app"].old.residual_score
    )
    # authorization now shown on the vector store lowers its other findings' likelihood
    for cid, c in changed.items():
        if cid != "AITW-LLM-001@llm_app":
            assert c.new.finding.target in edited_targets, cid
            assert c.new.residual_score < c.old.residual_score, cid


def test_field_change_kinds() -> None:
    assert FieldChange("properties.logging", None, True).kind == "added"
    assert FieldChange("properties.logging", True, None).kind == "removed"
    assert FieldChange("description", "", "x").kind == "added"
    assert FieldChange("properties.logging", False, True).kind == "changed"


def test_property_added_and_removed(rag: ThreatModel) -> None:
    e = rag.element("log_store")
    props = e.properties.model_copy(update={"encrypted_at_rest": True, "logging": None})
    d = diff_models(rag, rag.update_element("log_store", properties=props), risk=False)
    assert d.risk is None
    (change,) = d.elements.changed
    assert {(c.field, c.kind) for c in change.changes} == {
        ("properties.encrypted_at_rest", "added"),
        ("properties.logging", "removed"),
    }
    assert "properties.encrypted_at_rest: set to true" in to_text(d)
    assert "properties.logging: unset (was true)" in to_text(d)


@pytest.mark.parametrize(
    ("a", "b"), [("rag_assistant", "llm_agent_tools"), ("fraud_classifier", "on_device_model")]
)
def test_pairs_of_starter_architectures(a: str, b: str, catalog: Catalog) -> None:
    old, new = ThreatModel.from_template(a), ThreatModel.from_template(b)
    d = diff_models(old, new, catalog=catalog)
    for section in ("elements", "flows", "boundaries", "assets", "objectives"):
        before = {x.id for x in getattr(old, section)}
        after = {x.id for x in getattr(new, section)}
        s = d.section(section)
        assert {i.id for i in s.added} == after - before
        assert {i.id for i in s.removed} == before - after
        assert {c.id for c in s.changed} <= before & after
    assert d.risk is not None
    from workbench.engine import analyze

    old_f = {f.id for f in analyze(old, catalog).findings}
    new_f = {f.id for f in analyze(new, catalog).findings}
    assert {e.id for e in d.risk.added} == new_f - old_f
    assert {e.id for e in d.risk.resolved} == old_f - new_f


def test_removed_element_orphans_its_decision(rag: ThreatModel, catalog: Catalog) -> None:
    old = rag.set_decision(
        Decision(
            finding="AITW-STRIDE-014@log_store",
            status="accepted",
            owner="Ann",
            rationale="Audit logs exist elsewhere.",
        )
    )
    d = diff_models(old, old.remove_element("log_store", cascade=True), catalog=catalog)
    assert d.risk is not None
    assert [x.finding for x in d.risk.orphaned] == ["AITW-STRIDE-014@log_store"]
    assert "! decision for AITW-STRIDE-014@log_store matches no finding any more" in to_text(d)
    assert "⚠️ decision for `AITW-STRIDE-014@log_store`" in to_markdown(d)


def test_markdown_escapes_model_text(rag: ThreatModel, catalog: Catalog) -> None:
    text = to_markdown(diff_models(rag, edited(rag), catalog=catalog))
    assert "<script>" not in text
    assert md(SCRIPT) in text
    assert md(SCRIPT) == "&lt;script&gt;alert(1)&lt;/script&gt; \\| \\*bold\\*"
    assert "| ✅ resolved | `AITW-RAG-003@vector_store`: " in text
    assert "| ✏️ changed | `AITW-LLM-001@llm_app`: " in text
    assert "#### Elements (1 added, 1 removed, 1 changed)" in text


def test_json_rendering(rag: ThreatModel, catalog: Catalog) -> None:
    d = diff_models(rag, edited(rag), catalog=catalog, old_label="a", new_label="b")
    data = json.loads(to_json(d))
    assert data == json.loads(json.dumps(d.to_dict()))
    assert (data["old"], data["new"]) == ("a", "b")
    assert data["elements"]["changed"][0]["changes"] == [
        {"field": "properties.authorization", "kind": "changed", "old": False, "new": True}
    ]
    assert data["risk"]["changed"][0]["new"]["status"] == "mitigated"
    assert d.risk is not None
    assert {x["id"] for x in data["risk"]["resolved"]} == {e.id for e in d.risk.resolved}
    assert "AITW-RAG-003@vector_store" in {x["id"] for x in data["risk"]["resolved"]}


# --------------------------------------------------------------------------- CLI
def save_pair(tmp_path: Path, rag: ThreatModel) -> tuple[Path, Path]:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    rag.save(old)
    edited(rag).save(new)
    return old, new


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_cli_diff_formats(tmp_path: Path, rag: ThreatModel, fmt: str) -> None:
    old, new = save_pair(tmp_path, rag)
    code, out, err = run("diff", old, new, "--format", fmt)
    assert (code, err) == (0, "")
    if fmt == "json":
        assert json.loads(out)["elements"]["added"][0]["id"] == "reranker"
    elif fmt == "markdown":
        assert out.startswith("### Threat model diff")
    else:
        assert out.startswith(f"Threat model diff: {old} → {new}")
        assert "  ~ vector_store: Vector store" in out


def test_cli_diff_exit_code_output_and_no_risk(tmp_path: Path, rag: ThreatModel) -> None:
    old, new = save_pair(tmp_path, rag)
    assert run("diff", old, old, "--exit-code")[0] == 0
    assert run("diff", old, new, "--exit-code")[0] == 1
    target = tmp_path / "diff.md"
    code, out, _ = run("diff", old, new, "-f", "markdown", "-o", target, "--no-risk")
    assert (code, out) == (0, "")
    text = target.read_text(encoding="utf-8")
    assert "**Risk:**" not in text
    assert "#### Elements" in text


def test_cli_diff_reports_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("system: {name: x}\nelements: [{id: a, kind: nope, name: A}]\n")
    code, out, err = run("diff", bad, bad)
    assert code == 1
    assert out == ""
    assert "'nope' is not a known kind" in err
    code, _, err = run("diff", tmp_path / "absent.yaml", bad)
    assert code == 1
    assert "No such file" in err


# --------------------------------------------------------------------------- git
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(cwd: Path, *args: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path, rag: ThreatModel, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    git(tmp_path, "init", "-q")
    sub = tmp_path / "models"
    sub.mkdir()
    rag.save(sub / "model.yaml", backup=False)
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first")
    edited(rag).save(sub / "model.yaml", backup=False)
    git(tmp_path, "commit", "-q", "-am", "second")
    return tmp_path


@needs_git
def test_diff_git_revisions(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo / "models")
    code, out, err = run("diff", "HEAD~1:model.yaml", "model.yaml", "--no-risk")
    assert (code, err) == (0, "")
    assert out.startswith("Threat model diff: HEAD~1:model.yaml → model.yaml")
    assert "  + reranker: " in out
    # the path may also be given from the top of the repository
    code, out, _ = run(
        "diff", "HEAD~1:models/model.yaml", "HEAD:models/model.yaml", "--no-risk", "--exit-code"
    )
    assert code == 1
    assert "  + reranker: " in out
    code, out, _ = run("diff", "HEAD:model.yaml", "model.yaml", "--no-risk", "--exit-code")
    assert code == 0  # the working copy is what was committed last
    assert "The models are equal." in out


@needs_git
def test_diff_git_errors_are_clear(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo / "models")
    code, _, err = run("diff", "HEAD~5:model.yaml", "model.yaml")
    assert code == 1
    assert err.startswith("HEAD~5:model.yaml: git show HEAD~5:model.yaml failed: fatal:")
    code, _, err = run("diff", "HEAD:missing.yaml", "model.yaml")
    assert code == 1
    assert "git show HEAD:missing.yaml failed" in err
    with pytest.raises(ModelFileError, match="expected FILE or REV:PATH"):
        load_model_spec(":model.yaml")


@needs_git
def test_load_model_spec_outside_a_repository(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="not a git repository"):
        load_model_spec("HEAD:model.yaml", cwd=tmp_path)


def test_every_starter_architecture_diffs_empty_with_itself(catalog: Catalog) -> None:
    for name in names():
        m = ThreatModel.from_template(name)
        assert diff_models(m, m, catalog=catalog).empty
