"""Writing output files: the one atomic writer. Every file the workbench writes goes
through :func:`write_output`: the outputs of the command line, and models saved with
:meth:`ThreatModel.save <workbench.model.ThreatModel.save>` (through
:func:`workbench.saving.write_atomic`, which passes ``force``).

Rules (the same for every command that writes: ``analyze``, ``report``, ``model-card``,
``export``, ``diff``, ``new``, ``import``; and for saving a model):

* Only regular files are written. A symbolic link, a directory, a device node, a FIFO or a
  socket at the output path is refused, never replaced.
* An existing file is replaced only with ``force``; the old one is then kept as
  ``<name>.bak``.
* A missing folder is created; one that cannot be (a file in the way, no permission) is
  an error.
* Atomic: the data goes to a temporary file in the same folder, named
  ``.<name>.<pid>.<random>.tmp``, which then replaces the target with :func:`os.replace`.
  The copy that becomes ``<name>.bak`` goes through such a file too (never a fixed name,
  so two saves cannot race on it). A save that is killed can leave its temporary file
  behind: the next save to the same target removes those whose process is gone.
* Every failure is an :class:`~workbench.errors.OutputError` whose message is one line
  naming the output path (never the temporary file).
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
import time
from pathlib import Path

from .errors import OutputError
from .parsing import file_kind

STALE_SECONDS = 3600
"""Temporary files of the older naming scheme (no process id) are removed when older."""


def _lstat(path: Path, target: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from None


def check_output(target: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Raise :class:`OutputError` unless ``target`` may be written (see the module's rules);
    returns it as a :class:`Path`. Called before the work, so that a bad ``-o`` fails at
    once, and again by :func:`write_output`."""
    target = Path(target)
    if target.name in ("", ".", ".."):
        raise OutputError(f"{target}: is a directory; give a file name")
    st = _lstat(target, target)
    if st is None:
        parent = target.parent
        try:
            parent_mode: int | None = os.stat(parent).st_mode
        except FileNotFoundError:
            parent_mode = None
        except OSError as exc:
            raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from None
        if parent_mode is None:
            return target  # created by write_output
        if not stat.S_ISDIR(parent_mode):
            raise OutputError(f"{target}: {parent} is not a folder")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise OutputError(f"{target}: cannot write: the folder {parent} is not writable")
        return target
    what = file_kind(st.st_mode)
    if what is not None:
        raise OutputError(f"{target}: is {what}; only regular files are written")
    if not force:
        raise OutputError(
            f"{target}: exists; pass --force to overwrite (the old file is kept as "
            f"{target.name}.bak)"
        )
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise OutputError(f"{target}: cannot write: the folder {target.parent} is not writable")
    return target


_OURS = re.compile(r"\.(\d+)\.[^.]+\.tmp\Z")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def clean_stale(target: Path) -> None:
    """Remove temporary files that killed saves to ``target`` left behind: ours
    (``.<name>.<pid>.<random>.tmp``) whose process is gone, and those of the older naming
    schemes (``.<name>.<random>.tmp``, ``<name>.bak.tmp``) older than an hour."""
    if os.name != "posix":  # pragma: no cover - os.kill(pid, 0) is a probe on POSIX only
        return
    prefix = f".{target.name}."
    legacy = f"{target.name}.bak.tmp"
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        name = entry.name
        stale = False
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            if name.startswith(prefix) and name.endswith(".tmp"):
                m = _OURS.match(name, len(prefix) - 1)
                if m is not None:
                    stale = not _alive(int(m.group(1)))
                else:
                    stale = now - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS
            elif name == legacy:
                stale = now - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS
            if stale:
                os.unlink(entry.path)
        except OSError:
            continue


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def _temp(target: Path) -> tuple[int, str]:
    return tempfile.mkstemp(
        prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent
    )


def _write_fd(fd: int, data: bytes) -> None:
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_output(
    target: str | os.PathLike[str],
    data: bytes | str,
    *,
    force: bool = False,
    backup: bool = True,
) -> Path:
    """Write ``data`` (text is written as UTF-8 with ``\\n`` line ends) to ``target``
    atomically, following the module's rules; with ``force`` and ``backup``, an existing
    file is kept as ``<name>.bak``. Raises :class:`OutputError`."""
    target = check_output(target, force=force)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"{target}: cannot create the folder {target.parent}: {exc.strerror or exc}"
        ) from None
    payload = data.encode("utf-8") if isinstance(data, str) else data
    clean_stale(target)
    st = _lstat(target, target)
    if st is not None and backup:
        keep_backup(target)
    mode = st.st_mode & 0o777 if st is not None else 0o666 & ~_umask()
    _place(target, target, payload, mode, "cannot write")
    return target


def _place(target: Path, dest: Path, payload: bytes, mode: int, failure: str) -> None:
    """Write ``payload`` to ``dest`` atomically, through a temporary file named after
    ``target``; an :class:`OutputError` "``target``: ``failure``: why" otherwise, with the
    temporary file removed."""
    tmp: str | None = None
    try:
        fd, tmp = _temp(target)
        _write_fd(fd, payload)
        os.chmod(tmp, mode)
        os.replace(tmp, dest)
        tmp = None
    except OSError as exc:
        if isinstance(exc, OutputError):
            raise
        raise OutputError(f"{target}: {failure}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def keep_backup(target: str | os.PathLike[str]) -> Path | None:
    """Copy the regular file ``target`` to ``<name>.bak`` atomically (through a temporary
    file of its own); ``None`` when there is no file to keep. Raises :class:`OutputError`."""
    target = Path(target)
    st = _lstat(target, target)
    if st is None or not stat.S_ISREG(st.st_mode):
        return None
    bak = target.with_name(target.name + ".bak")
    bst = _lstat(bak, target)
    if bst is not None and not stat.S_ISREG(bst.st_mode):
        raise OutputError(f"{target}: cannot keep the old file: {bak} is {file_kind(bst.st_mode)}")
    try:
        payload = target.read_bytes()
    except OSError as exc:
        raise OutputError(f"{target}: cannot keep the old file: {exc.strerror or exc}") from None
    _place(target, bak, payload, st.st_mode & 0o777, "cannot keep the old file")
    return bak


def output_format(
    target: str | os.PathLike[str] | None,
    given: str | None,
    by_suffix: dict[str, str],
    default: str,
    *,
    compatible: dict[str, frozenset[str]] | None = None,
) -> str:
    """The format to write: ``given`` (``--format``), else the one that ``target``'s
    suffix names in ``by_suffix`` (longest suffixes first), else ``default``. A ``given``
    format that contradicts the suffix is refused (:class:`OutputError`), unless
    ``compatible[inferred]`` holds it (SARIF is JSON: ``-f sarif -o x.json`` is fine)."""
    inferred = None
    if target is not None:
        name = Path(target).name.lower()
        for suffix in sorted(by_suffix, key=len, reverse=True):
            if name.endswith(suffix):
                inferred = by_suffix[suffix]
                break
    if given is None:
        return inferred or default
    if (
        inferred is not None
        and given != inferred
        and given not in (compatible or {}).get(inferred, frozenset())
    ):
        raise OutputError(
            f"{target}: the name says {inferred} but --format is {given}; "
            "rename the output or leave out --format"
        )
    return given
