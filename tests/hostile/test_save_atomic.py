"""Saving a model goes through the one atomic writer (:mod:`workbench.outputs`): random
temporary names for the file and its backup, regular files only, a killed save cleaned up
by the next one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import workbench.outputs as outputs
from workbench import ThreatModel
from workbench.errors import OutputError

IO_SOURCE = Path(__file__).resolve().parents[2] / "workbench" / "io.py"


def test_io_has_no_atomic_writer_of_its_own(
    tmp_path: Path, minimal_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = IO_SOURCE.read_text(encoding="utf-8")
    for own in ("os.replace(", "mkstemp(", ".bak.tmp", "fsync("):
        assert own not in source
    placed: list[tuple[str, str]] = []
    real = outputs._place

    def spy(target: Path, dest: Path, payload: bytes, mode: int, failure: str) -> None:
        placed.append((target.name, dest.name))
        real(target, dest, payload, mode, failure)

    monkeypatch.setattr(outputs, "_place", spy)
    p = tmp_path / "model.yaml"
    p.write_text(minimal_text, encoding="utf-8")
    m = ThreatModel.load(p)
    m.update_element("bot", name="Renamed").save()
    assert placed == [("model.yaml", "model.yaml.bak"), ("model.yaml", "model.yaml")]
    assert (tmp_path / "model.yaml.bak").read_text(encoding="utf-8") == minimal_text
    m.save(backup=False)
    assert placed[2:] == [("model.yaml", "model.yaml")]
    assert (tmp_path / "model.yaml.bak").read_text(encoding="utf-8") == minimal_text


def test_every_save_and_backup_has_its_own_temporary_name(
    tmp_path: Path, minimal_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The old writer copied the backup through ``<name>.bak.tmp``: two saves raced on
    it, and anything in its place (here a folder) broke every save."""
    p = tmp_path / "model.yaml"
    p.write_text(minimal_text, encoding="utf-8")
    (tmp_path / "model.yaml.bak.tmp").mkdir()
    names: list[str] = []
    real = outputs._temp

    def spy(target: Path) -> tuple[int, str]:
        fd, name = real(target)
        names.append(Path(name).name)
        return fd, name

    monkeypatch.setattr(outputs, "_temp", spy)
    m = ThreatModel.load(p)
    for name in ("One", "Two"):
        m = m.update_element("bot", name=name)
        m.save()
    assert len(set(names)) == len(names) == 4  # two files, two backups
    assert all(n.startswith(f".model.yaml.{os.getpid()}.") for n in names)
    assert sorted(x.name for x in tmp_path.iterdir()) == [
        "model.yaml",
        "model.yaml.bak",
        "model.yaml.bak.tmp",  # not ours to remove (a folder)
    ]


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_killed_save_is_cleaned_up_by_the_next(tmp_path: Path, minimal_text: str) -> None:
    p = tmp_path / "model.yaml"
    p.write_text(minimal_text, encoding="utf-8")
    script = textwrap.dedent(
        f"""
        import os, signal
        from workbench import ThreatModel
        m = ThreatModel.load({str(p)!r}).update_element("bot", name="Killed")
        os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)
        m.save()
        """
    )
    done = subprocess.run([sys.executable, "-c", script], check=False)
    assert done.returncode == -signal.SIGKILL
    left = sorted(x.name for x in tmp_path.iterdir())
    assert len(left) == 2
    assert left[0].startswith(".model.yaml.")
    assert left[0].endswith(".tmp")
    assert p.read_text(encoding="utf-8") == minimal_text  # untouched
    ThreatModel.load(p).update_element("bot", name="Saved").save()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["model.yaml", "model.yaml.bak"]
    assert "name: Saved" in p.read_text(encoding="utf-8")


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_save_writes_regular_files_only(tmp_path: Path, minimal_text: str) -> None:
    """A symbolic link given as the path is refused (never replaced by a file); a model
    loaded through a link is saved to the file the link points at."""
    real = tmp_path / "real.yaml"
    real.write_text(minimal_text, encoding="utf-8")
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    m = ThreatModel.load(link).update_element("bot", name="Through the link")
    with pytest.raises(OutputError, match="is a symbolic link; only regular files"):
        m.save(link)
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == minimal_text
    m.save()
    assert link.is_symlink()
    assert "name: Through the link" in real.read_text(encoding="utf-8")
    assert (tmp_path / "real.yaml.bak").read_text(encoding="utf-8") == minimal_text
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    with pytest.raises(OutputError, match="is a directory"):
        m.save(folder)
