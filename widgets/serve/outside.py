"""A shared room owns its file while the server runs; what another program writes to it
meanwhile is not merged, but it is not lost either: :func:`keep_outside_version` copies it
beside the file before the room's next save writes over it."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

_log = logging.getLogger(__name__)

Stamp = tuple[int, int] | None
"""A file's modification time (ns) and size; ``None`` when it cannot be read."""


def stamp(path: Path) -> Stamp:
    """The file's modification time (ns) and size, or ``None`` if it cannot be read."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def keep_outside_version(path: Path, known: Stamp, now: float) -> tuple[Stamp, Path | None]:
    """If ``path`` changed since it was ``known``, copy it to
    ``<name>.outside-<time>.bak`` (``now``: the time, in seconds) and log a warning; the
    file's stamp now, and the copy made (if any)."""
    current = stamp(path)
    if current is None or current == known:
        return known, None
    when = time.strftime("%Y%m%dT%H%M%S", time.localtime(now))
    copy = path.with_name(f"{path.name}.outside-{when}.bak")
    n = 1
    while copy.exists():
        n += 1
        copy = path.with_name(f"{path.name}.outside-{when}-{n}.bak")
    try:
        shutil.copy2(path, copy)
    except OSError as exc:
        _log.warning("%s changed outside its room and could not be kept: %s", path, exc)
        return known, None
    _log.warning(
        "%s was changed by another program while its room ran; that version is kept as %s "
        "and the room's next save writes over the file",
        path,
        copy,
    )
    return current, copy
