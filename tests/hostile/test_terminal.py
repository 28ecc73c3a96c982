"""Hostile text reaching the terminal or a CI log (issue 11, points 10 and 11): names,
keys, IDs and file names from a model are printed with control characters escaped and
never as a GitHub Actions workflow command; a file with thousands of problems prints a
bounded list."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.errors import MAX_PRINTED, ModelFileError, Problem
from workbench.io import load_model
from workbench.terminal import safe_line, safe_text

from ..conftest import MINIMAL

PAYLOAD = "\x1b]0;owned\x07\x1b[2J\r\x9b31m\u202e\n::add-mask::secret\n::error title=x::boom"

KEY = PAYLOAD.replace("[", "(")  # an unknown key (point 16 covers keys with '[')


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def assert_safe(text: str) -> None:
    """No control character but newline, no line a workflow command."""
    bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F]
    assert not bad, bad
    assert "\u202e" not in text
    for line in text.splitlines():
        assert not line.strip().startswith("::"), line
        assert "##[" not in line, line


def test_safe_line_escapes_every_control_character() -> None:
    assert safe_line("a\x1b[31mb\x07c\rd\ne\tf\x9bg\x7fh") == (
        "a\\x1b[31mb\\x07c\\rd\\ne\\tf\\x9bg\\x7fh"
    )
    assert safe_line("x\u202ey") == "x\\u202ey"
    assert safe_line("plain – ünïcode ok") == "plain – ünïcode ok"


@pytest.mark.parametrize(
    "text",
    ["::error::x", "  ::add-mask::s", "\u00a0::stop-commands::t", "a\n::warning::w", "##[error]x"],
)
def test_workflow_commands_are_neutralised(text: str) -> None:
    assert_safe(safe_line(text))
    assert_safe(safe_text(text))
    assert safe_line("::error::x") == "\\x3a:error::x"


def test_safe_text_keeps_our_own_lines() -> None:
    assert safe_text("one\n\ttwo\n") == "one\n\ttwo\n"
    assert safe_text("a\x1bb\n::error::c\n") == "a\\x1bb\n\\x3a:error::c\n"


def test_problem_str_is_safe() -> None:
    p = Problem("::error::f.yaml", 1, 2, "system.\x1b[2J", f"unknown field {PAYLOAD!s}")
    assert_safe(str(p))
    assert "\n" not in str(p)
    assert p.raw().startswith("::error::f.yaml:1:2")


def test_validate_escapes_hostile_keys_and_file_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    name = "::error title=pwned::x.yaml"
    Path(name).write_text(
        'system:\n  name: S\n  "' + KEY.encode("unicode_escape").decode() + '": 1\n',
        encoding="utf-8",
    )
    code, out, err = run("validate", name)
    assert code == 1
    assert "unknown field" in err
    assert_safe(out + err)
    assert "\\x1b]0;owned\\x07" in err  # shown, escaped


NAME_PAYLOAD = "::add-mask::secret ##[error]x ::error title=x::boom"
"""What a name can still hold (one line, no control characters: point 15) that a CI log
would read as a workflow command."""


def _model_with_bot_named(tmp_path: Path, name: str) -> Path:
    p = tmp_path / "m.yaml"
    quoted = name.encode("unicode_escape").decode().replace('"', '\\"')
    p.write_text(
        MINIMAL.replace("name: Support bot\n    boundary", f'name: "{quoted}"\n    boundary'),
        encoding="utf-8",
    )
    return p


def test_check_refuses_control_characters_in_names_safely(tmp_path: Path) -> None:
    p = _model_with_bot_named(tmp_path, PAYLOAD)
    code, out, err = run("check", str(p), "--fail-on", "low")
    assert code == 2  # the model is invalid
    assert "elements[1].name: contains an escape character (ESC, U+001B) at character 1" in err
    assert_safe(out + err)


def test_check_neutralises_workflow_commands_in_names(tmp_path: Path) -> None:
    p = _model_with_bot_named(tmp_path, NAME_PAYLOAD)
    code, out, err = run("check", str(p), "--fail-on", "low")
    assert code == 1
    assert "add-mask::secret" in out  # the element name is printed, neutralised
    assert_safe(out + err)


def test_analyze_table_is_safe(tmp_path: Path) -> None:
    p = _model_with_bot_named(tmp_path, NAME_PAYLOAD)
    code, out, err = run("analyze", str(p))
    assert code == 0
    assert_safe(out + err)


def many_errors(n: int) -> str:
    items = "".join(f"  - {{id: e{i}, kind: nope, name: E}}\n" for i in range(n))
    return "system:\n  name: S\nelements:\n" + items


def test_twenty_thousand_problems_print_a_bounded_list(tmp_path: Path) -> None:
    p = tmp_path / "many.yaml"
    p.write_text(many_errors(20_000), encoding="utf-8")
    code, _, err = run("validate", str(p))
    assert code == 1
    lines = err.splitlines()
    assert len(lines) == MAX_PRINTED + 1
    assert lines[-1] == f"... and {20_000 - MAX_PRINTED:,} more problems (20,000 in all)"
    assert len(err) < 20_000
    with pytest.raises(ModelFileError) as info:
        load_model(p)
    assert len(info.value.problems) == 20_000  # the API keeps them all
    assert len(str(info.value).splitlines()) == MAX_PRINTED + 1


def test_analyze_with_many_problems_is_bounded_too(tmp_path: Path) -> None:
    p = tmp_path / "many.yaml"
    p.write_text(many_errors(500), encoding="utf-8")
    code, _, err = run("analyze", str(p))
    assert code == 1
    assert len(err.splitlines()) == MAX_PRINTED + 1
