"""Hostile inputs (issue 11, points 12, 13 and 16): pipes, devices and FIFOs; broken
catalog files; error paths with '[' in keys, UTF-16 files and huge integers. Each gives
one clear line naming the file, quickly, never a traceback or a hang."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.catalog import load_catalog
from workbench.cli import main
from workbench.errors import ModelFileError
from workbench.io import MAX_FILE_BYTES, load_model, loads_model, read_limited

from ..conftest import MINIMAL

posix_only = pytest.mark.skipif(os.name != "posix", reason="pipes, FIFOs and /dev are POSIX")


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))


def cli(
    *args: str, stdin: bytes | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The command line in a child process: bounded in memory and time, so that a
    regression fails the test instead of the machine."""
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args],
        input=stdin.decode("latin-1") if stdin is not None else None,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="latin-1",
        timeout=timeout,
        preexec_fn=_limit_memory,
    )


# --------------------------------------------------------------------------- point 12
@posix_only
def test_a_device_is_refused_without_reading() -> None:
    result = cli("validate", "/dev/zero")
    assert result.returncode == 1
    assert result.stderr == (
        "/dev/zero: a device, not a regular file: give a file, or pass the model on "
        "standard input as /dev/stdin\n"
    )


@posix_only
def test_a_fifo_without_writer_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "model.yaml"
    os.mkfifo(fifo)
    result = cli("validate", str(fifo), timeout=30)
    assert result.returncode == 1
    assert "a named pipe (FIFO), not a regular file" in result.stderr
    assert "Traceback" not in result.stderr


@posix_only
def test_stdin_is_read_and_bounded() -> None:
    ok = cli("validate", "/dev/stdin", stdin=MINIMAL.encode())
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("/dev/stdin: ok (3 elements")
    big = b"system:\n  name: S\n# " + b"x" * (60 * 2**20) + b"\n"
    result = cli("validate", "/dev/stdin", stdin=big)
    assert result.returncode == 1
    assert result.stderr == ("/dev/stdin: more than 16 MiB (the limit); reading stopped there\n")


@posix_only
def test_a_device_on_stdin_is_bounded() -> None:
    with open("/dev/zero", "rb") as zero:
        result = subprocess.run(
            [sys.executable, "-m", "workbench.cli", "validate", "/dev/stdin"],
            stdin=zero,
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=_limit_memory,
        )
    assert result.returncode == 1
    assert "more than 16 MiB (the limit)" in result.stderr


@posix_only
def test_the_read_itself_is_bounded() -> None:
    r, w = os.pipe()
    os.write(w, b"x" * 5000)
    os.close(w)
    try:
        with pytest.raises(ModelFileError, match="more than 0 MiB"):
            read_limited(f"/dev/fd/{r}", "pipe", limit=1000)
    finally:
        os.close(r)
    assert MAX_FILE_BYTES == 16 * 2**20


def test_a_directory_is_refused(tmp_path: Path) -> None:
    code, _, err = run("validate", str(tmp_path))
    assert code == 1
    assert len(err.splitlines()) == 1
    assert str(tmp_path) in err


# --------------------------------------------------------------------------- point 13
def catalog_error(directory: Path) -> str:
    with pytest.raises(ModelFileError) as info:
        load_catalog(directory, builtin=False)
    return str(info.value)


def test_catalog_file_not_utf8(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes("threats: []\n# caf\xe9\n".encode("latin-1"))
    assert catalog_error(tmp_path) == (
        f"{bad}:2:6: not UTF-8 text: byte 0xe9 at line 2, column 6 (byte 17)"
    )


def test_catalog_directory_named_yaml(tmp_path: Path) -> None:
    (tmp_path / "odd.yaml").mkdir()
    (tmp_path / "ok.yaml").write_text("threats: []\n", encoding="utf-8")
    assert catalog_error(tmp_path) == (f"{tmp_path / 'odd.yaml'}: a directory, not a catalog file")


@posix_only
def test_catalog_dangling_symlink(tmp_path: Path) -> None:
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    assert catalog_error(tmp_path) == (
        f"{tmp_path / 'gone.yaml'}: broken symbolic link (to {tmp_path / 'nowhere.yaml'})"
    )


@posix_only
def test_catalog_fifo_does_not_hang(tmp_path: Path) -> None:
    model = tmp_path / "m.yaml"
    model.write_text(MINIMAL, encoding="utf-8")
    cat = tmp_path / "cat"
    cat.mkdir()
    os.mkfifo(cat / "pipe.yaml")
    result = cli("analyze", str(model), "--catalog", str(cat), timeout=60)  # a child: bounded
    assert result.returncode == 1
    assert result.stderr == f"{cat / 'pipe.yaml'}: a named pipe (FIFO), not a catalog file\n"
    assert "a named pipe (FIFO), not a catalog file" in catalog_error(cat)


def test_catalog_problems_print_one_line_each(tmp_path: Path) -> None:
    model = tmp_path / "m.yaml"
    model.write_text(MINIMAL, encoding="utf-8")
    cat = tmp_path / "cat"
    cat.mkdir()
    (cat / "bad.yaml").write_bytes(b"\xff\xfe")
    (cat / "dir.yaml").mkdir()
    code, _, err = run("analyze", str(model), "--catalog", str(cat))
    assert code == 1
    assert "Traceback" not in err
    assert len(err.splitlines()) == 2
    assert all(str(cat) in line for line in err.splitlines())


# --------------------------------------------------------------------------- point 16
def problems(text: str, fmt: str = "yaml") -> list[str]:
    with pytest.raises(ModelFileError) as info:
        loads_model(text, "m." + fmt, "json" if fmt == "json" else "yaml")
    return [str(p) for p in info.value.problems]


def test_keys_with_brackets_keep_their_path() -> None:
    found = problems('system: {name: S, "tags[0]": 1}\n')
    assert found == ["m.yaml:1:19 system[\"tags[0]\"]: unknown field 'tags[0]'"]


def test_keys_with_brackets_deeper_down() -> None:
    text = MINIMAL.replace(
        "      rate_limited: false\n", "      rate_limited: false\n      a[b]: 1\n"
    )
    found = problems(text)
    assert len(found) == 1
    assert 'elements[1].properties["a[b]"]' in found[0]
    assert "'a[b]'" in found[0]


def test_utf16_is_named(tmp_path: Path) -> None:
    for encoding, expected in (
        ("utf-16", "not UTF-8 text: UTF-16 text (it starts with a UTF-16 byte-order mark)"),
        ("utf-16-le", "not UTF-8 text: UTF-16 or UTF-32 text (it holds NUL bytes)"),
        ("utf-32", "not UTF-8 text: UTF-32 text (it starts with a UTF-32 byte-order mark)"),
    ):
        p = tmp_path / f"{encoding}.yaml"
        p.write_bytes(MINIMAL.encode(encoding))
        with pytest.raises(ModelFileError) as info:
            load_model(p)
        assert str(info.value) == f"{p}: {expected}; save it as UTF-8"


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_huge_integer_says_the_number_is_too_large(fmt: str) -> None:
    digits = "1" * 5000
    if fmt == "json":
        text = '{"format_version": ' + digits + ', "system": {"name": "S"}}'
    else:
        text = "format_version: " + digits + "\nsystem:\n  name: S\n"
    (found,) = problems(text, fmt)
    assert "set_int_max_str_digits" not in found
    assert "number too large (5000 digits; at most 4300)" in found
    if fmt == "yaml":
        assert found.startswith("m.yaml:1:17")
