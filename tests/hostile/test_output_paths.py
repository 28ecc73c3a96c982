"""Hostile ``-o`` paths (issue 11, points 4 to 9): every command that writes goes through
:mod:`workbench.outputs` — regular files only, one clear line and exit 2 when refused or
unwritable, the format from the name, one overwrite rule, no temporary files left."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.test_cli import run
from tests.test_export_report import ENGINE_CATALOG
from tests.test_interop_cli import MINIMAL_OTM, write_otm

ARCH = Path(__file__).resolve().parents[2] / "starters"
CAT = ("-c", str(ENGINE_CATALOG), "--no-builtin")


@pytest.fixture
def model_file(tmp_path: Path, minimal_text: str) -> Path:
    p = tmp_path / "bot.yaml"
    p.write_text(minimal_text, encoding="utf-8")
    return p


def _commands(tmp_path: Path, model: Path) -> dict[str, Callable[[Path], list[str]]]:
    """Each command that writes, as a function of its output path."""
    otm = write_otm(tmp_path, MINIMAL_OTM)
    return {
        "analyze": lambda o: ["analyze", str(model), *CAT, "-o", str(o)],
        "report": lambda o: ["report", str(model), "-f", "ipynb", *CAT, "-o", str(o)],
        "export": lambda o: ["export", str(model), "--to", "otm", "--no-threats", "-o", str(o)],
        "diff": lambda o: ["diff", str(model), str(model), "--no-risk", "-o", str(o)],
        "new": lambda o: ["new", str(o)],
        "import": lambda o: ["import", str(otm), "-o", str(o)],
    }


COMMANDS = ("analyze", "report", "export", "diff", "new", "import")


def _one_clear_line(err: str, path: Path) -> None:
    lines = [  # without progress and import warnings
        line for line in err.splitlines() if not line.startswith(("[", "warning: "))
    ]
    assert len(lines) == 1, err
    assert str(path) in lines[0]
    assert "Traceback" not in err
    assert ".tmp" not in err


# --------------------------------------------------------------- 4: regular files only
@pytest.mark.parametrize("command", COMMANDS)
def test_output_refuses_a_symlink(command: str, tmp_path: Path, model_file: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    link = tmp_path / "out.json"
    link.symlink_to(victim)
    code, _, err = run(*_commands(tmp_path, model_file)[command](link), "--force")
    assert code == 2
    _one_clear_line(err, link)
    assert "symbolic link" in err
    assert link.is_symlink()
    assert victim.read_text() == "keep me\n"


@pytest.mark.parametrize("command", COMMANDS)
def test_output_refuses_a_fifo(command: str, tmp_path: Path, model_file: Path) -> None:
    fifo = tmp_path / "out.json"
    os.mkfifo(fifo)
    code, _, err = run(*_commands(tmp_path, model_file)[command](fifo), "--force")
    assert code == 2
    _one_clear_line(err, fifo)
    assert "FIFO" in err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="creating a device node needs root")
def test_output_refuses_a_device_node(tmp_path: Path, model_file: Path) -> None:
    node = tmp_path / "null"
    os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a private /dev/null
    code, _, err = run("analyze", str(model_file), *CAT, "-o", str(node), "--force")
    assert code == 2
    _one_clear_line(err, node)
    assert "is a device" in err
    assert stat.S_ISCHR(os.lstat(node).st_mode)


def test_dev_null_is_refused_without_touching_it() -> None:
    from workbench.errors import OutputError
    from workbench.outputs import check_output

    with pytest.raises(OutputError, match=r"^/dev/null: is a device; only regular files"):
        check_output("/dev/null", force=True)


# --------------------------------------------------------------- 5: one line, exit 2
@pytest.mark.parametrize("command", COMMANDS)
def test_output_onto_a_directory(command: str, tmp_path: Path, model_file: Path) -> None:
    folder = tmp_path / "out.json"
    folder.mkdir()
    code, _, err = run(*_commands(tmp_path, model_file)[command](folder), "--force")
    assert code == 2
    _one_clear_line(err, folder)
    assert "is a directory" in err


@pytest.mark.parametrize("command", COMMANDS)
def test_output_under_a_file(command: str, tmp_path: Path, model_file: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("x")
    target = blocker / "sub" / "out.json"  # the folder cannot exist
    code, _, err = run(*_commands(tmp_path, model_file)[command](target))
    assert code == 2
    _one_clear_line(err, target)


@pytest.mark.parametrize("command", COMMANDS)
def test_unwritable_output_gives_one_line(
    command: str, tmp_path: Path, model_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Permissions do not stop root: the refusal of the final rename is simulated."""

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied", str(src))

    target = tmp_path / "out.json"
    argv = _commands(tmp_path, model_file)[command](target)
    monkeypatch.setattr(os, "replace", refuse)
    code, _, err = run(*argv)
    monkeypatch.undo()
    assert code == 2
    _one_clear_line(err, target)
    assert "cannot write: Permission denied" in err
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_model_card_onto_an_existing_file(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text("<p>mine</p>")
    code, _, err = run(
        "model-card", str(ARCH / "fine_tuning_pipeline.yaml"), "-f", "html", "-o", str(report)
    )
    assert code == 2
    _one_clear_line(err, report)
    assert "model-card -o takes a folder" in err
    assert report.read_text() == "<p>mine</p>"


def test_model_card_output_named_like_a_file(tmp_path: Path) -> None:
    target = tmp_path / "card.md"
    code, _, err = run("model-card", str(ARCH / "fine_tuning_pipeline.yaml"), "-o", str(target))
    assert code == 2
    assert "model-card -o takes a folder" in err
    assert not target.exists()


# --------------------------------------------------------------- 6: format from the name
def test_analyze_infers_the_format_from_the_extension(tmp_path: Path, model_file: Path) -> None:
    for name in ("out.sarif", "out.json", "out.csv", "out.txt"):
        assert run("analyze", str(model_file), *CAT, "-o", str(tmp_path / name))[0] == 0
    assert json.loads((tmp_path / "out.sarif").read_text())["version"] == "2.1.0"
    assert "version" not in json.loads((tmp_path / "out.json").read_text())
    assert (tmp_path / "out.csv").read_text().splitlines()[0].count(",") >= 3
    assert not (tmp_path / "out.txt").read_text().lstrip().startswith(("{", "["))
    # SARIF is JSON: an explicit sarif into .json is no contradiction
    assert (
        run("analyze", str(model_file), *CAT, "-f", "sarif", "-o", str(tmp_path / "s.json"))[0] == 0
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["analyze", "{model}", "-f", "json", "-o", "{tmp}/x.sarif"],
        ["analyze", "{model}", "-f", "table", "-o", "{tmp}/x.csv"],
        ["report", "{model}", "-f", "html", "-o", "{tmp}/r.pdf"],
        ["diff", "{model}", "{model}", "-f", "json", "-o", "{tmp}/d.md"],
    ],
)
def test_a_format_that_contradicts_the_name_is_refused(
    argv: list[str], tmp_path: Path, model_file: Path
) -> None:
    args = [a.format(model=model_file, tmp=tmp_path) for a in argv]
    code, _, err = run(*args)
    assert code == 2
    assert "the name says" in err
    assert "--format is" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == [model_file]


def test_report_infers_pdf_and_ipynb(tmp_path: Path, model_file: Path) -> None:
    pytest.importorskip("weasyprint")
    code, _, err = run("report", str(model_file), *CAT, "-o", str(tmp_path / "r.pdf"))
    assert code == 0, err
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF-")
    code, _, err = run("report", str(model_file), *CAT, "-o", str(tmp_path / "r.ipynb"))
    assert code == 0, err
    assert json.loads((tmp_path / "r.ipynb").read_text())["nbformat"] == 4


def test_diff_infers_markdown(tmp_path: Path, model_file: Path) -> None:
    out = tmp_path / "d.md"
    assert run("diff", str(model_file), str(model_file), "--no-risk", "-o", str(out))[0] == 0
    text = out.read_text()
    assert run("diff", str(model_file), str(model_file), "--no-risk", "-f", "markdown")[1] == text


# --------------------------------------------------------------- 7: one overwrite rule
@pytest.mark.parametrize("command", [*COMMANDS, "model-card"])
def test_every_command_refuses_to_overwrite_without_force(
    command: str, tmp_path: Path, model_file: Path
) -> None:
    if command == "model-card":
        folder = tmp_path / "cards"
        folder.mkdir()
        target = folder / "base_model.model-card.md"
        argv = ["model-card", str(ARCH / "fine_tuning_pipeline.yaml"), "-e", "base_model"]
        argv += ["-o", str(folder)]
    else:
        target = tmp_path / ("out.yaml" if command in ("new", "import") else "out.json")
        argv = _commands(tmp_path, model_file)[command](target)
    target.write_text("mine\n")
    code, _, err = run(*argv)
    assert code == 2
    assert f"{target}: exists; pass --force to overwrite" in err
    assert target.read_text() == "mine\n"
    code, _, err = run(*argv, "--force")
    assert code == 0, err
    assert target.read_text() != "mine\n"
    assert target.with_name(target.name + ".bak").read_text() == "mine\n"


# --------------------------------------------------------------- 8: temporary files
def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_a_killed_save_is_cleaned_by_the_next(tmp_path: Path) -> None:
    from workbench.outputs import write_output

    target = tmp_path / "out.json"
    script = textwrap.dedent(
        f"""
        import os, signal
        from workbench.outputs import write_output
        os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
        write_output({str(target)!r}, "x")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], check=False)
    assert done.returncode == -9
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1
    assert left[0].startswith(".out.json.")
    assert left[0].endswith(".tmp")
    alive = tmp_path / f".out.json.{os.getppid()}.zzzz.tmp"  # a save still running
    alive.write_text("")
    write_output(target, "{}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out.json", alive.name])


def test_stale_temporaries_of_dead_processes_are_removed(tmp_path: Path) -> None:
    stale = tmp_path / f".model.yaml.{_dead_pid()}.abcd1234.tmp"
    stale.write_text("half")
    other = tmp_path / f".other.yaml.{_dead_pid()}.abcd1234.tmp"  # another target's
    other.write_text("half")
    assert run("new", str(tmp_path / "model.yaml"))[0] == 0
    assert not stale.exists()
    assert other.exists()


def test_backup_temporary_has_no_fixed_name(
    tmp_path: Path, minimal_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old writer copied to ``<name>.bak.tmp``: two saves raced on it, and anything
    in its place (here a folder) broke every save."""
    target = tmp_path / "model.yaml"
    target.write_text(minimal_text)
    (tmp_path / "model.yaml.bak.tmp").mkdir()
    code, _, err = run("new", str(target), "--force")
    assert code == 0, err
    assert (tmp_path / "model.yaml.bak").read_text() == minimal_text
    names: set[str] = set()
    import workbench.outputs as outputs
    from workbench.outputs import write_output

    real = outputs._temp

    def spy(t: Path) -> tuple[int, str]:
        fd, name = real(t)
        names.add(Path(name).name)
        return fd, name

    monkeypatch.setattr(outputs, "_temp", spy)
    for _ in range(2):
        write_output(target, minimal_text, force=True)
    assert len(names) == 4  # two targets and two backups, each its own name
    assert all(n.startswith(f".model.yaml.{os.getpid()}.") for n in names)


# --------------------------------------------------------------- 9: check's exit codes
def test_check_tells_a_failed_policy_from_a_file_that_did_not_load(
    tmp_path: Path, model_file: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("system: {name: x}\nelements: [{id: a, kind: nope, name: A}]\n")
    code, _, err = run("check", str(bad), *CAT)
    assert code == 2
    assert "elements[0].kind" in err
    code, out, _ = run("check", str(model_file), "--fail-on", "low", *CAT)
    assert code == 1
    assert "FAIL" in out
    assert run("check", str(model_file), "--fail-on", "critical", *CAT)[0] == 0
    assert run("check", str(model_file), str(bad), "--fail-on", "low", *CAT)[0] == 2


def test_check_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run("check", "--help")
    text = " ".join(capsys.readouterr().out.split())
    assert "1 some open finding is at or above it (policy failed)" in text
    assert "2 a file did not load" in text
