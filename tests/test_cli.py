"""The threat-workbench command line, in process and as an installed script."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from workbench import __version__
from workbench.cli import main


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_validate_ok(tmp_path: Path, minimal_text: str) -> None:
    p = tmp_path / "m.yaml"
    p.write_text(minimal_text)
    code, out, err = run("validate", str(p))
    assert code == 0
    assert out == f"{p}: ok (3 elements, 2 flows, 2 boundaries)\n"
    assert err == ""


def test_validate_reports_each_problem_and_exits_1(tmp_path: Path, minimal_text: str) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(minimal_text)
    bad = tmp_path / "rag.yaml"
    bad.write_text(
        minimal_text.replace("kind: document_store", "kind: documentstore").replace(
            "target: bot\n    name: question", "target: bott\n    name: q"
        )
    )
    code, out, err = run("validate", str(good), str(bad))
    assert code == 1
    assert f"{good}: ok" in out
    lines = err.splitlines()
    assert lines == [
        f"{bad}:26:11 elements[2].kind: 'documentstore' is not a known kind; "
        "did you mean 'document_store'?",
        f"{bad}:37:13 flows[0].target: 'bott' is not an element ID; did you mean 'bot'?",
    ]


def test_new_from_template(tmp_path: Path) -> None:
    p = tmp_path / "mine.yaml"
    code, out, _ = run("new", "--template", "llm_agent_tools", str(p))
    assert code == 0
    assert "created from 'llm_agent_tools'" in out
    assert run("validate", str(p))[0] == 0
    code, _, err = run("new", str(p))
    assert code == 2
    assert "exists; pass --force" in err
    code, _, _ = run("new", "--force", str(p))
    assert code == 0
    assert (tmp_path / "mine.yaml.bak").exists()
    code, _, err = run("new", "--template", "nope", str(tmp_path / "x.yaml"))
    assert code == 2
    assert "available: " in err


def test_templates_and_schema() -> None:
    code, out, _ = run("templates")
    assert code == 0
    assert "rag_assistant" in out.split()
    code, out, _ = run("schema")
    assert json.loads(out)["title"] == "ThreatModel"


def test_usage_errors_exit_2() -> None:
    with pytest.raises(SystemExit) as info:
        run("frobnicate")
    assert info.value.code == 2


def test_installed_script_reports_version() -> None:
    exe = shutil.which("threat-workbench", path=str(Path(sys.executable).parent))
    assert exe, "the console script is installed with the package"
    result = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"threat-workbench {__version__}"
