"""Regenerate the lock files from a fresh resolution of pyproject.toml's ranges.

Run by ``make lock``. Two throw-away environments are built with today's newest releases:

* ``requirements/constraints.txt``: every package of ``.[dev,bench]``; ``make test`` and
  CI install with ``-c`` on it, so a green run means the same versions for everyone;
* ``binder/requirements.txt``: every package of ``.[serve]`` (notebooks, widgets, exports
  and the Panel app), which Binder installs before ``binder/postBuild`` adds the workbench
  with ``--no-deps``.

The package's own dependency ranges in pyproject.toml stay open; ``make test-latest``
tests the newest releases without these pins.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OURS = "ai-threat-workbench"

TARGETS = {
    ROOT / "requirements" / "constraints.txt": (
        ".[dev,bench]",
        "Constraints for `make test` and CI: the tested version of every dependency of the\n"
        "dev and bench extras. Regenerate with `make lock`; do not edit by hand.",
    ),
    ROOT / "binder" / "requirements.txt": (
        ".[serve]",
        "Binder (repo2docker) installs these before running postBuild; postBuild then\n"
        "installs the workbench itself with --no-deps. Every package is pinned to the\n"
        "version the notebooks are tested with (tests/test_binder.py builds a fresh\n"
        "environment from this file and runs every notebook in it). Regenerate with\n"
        "`make lock`; do not edit by hand.",
    ),
}


def freeze(spec: str) -> list[str]:
    """Install ``spec`` from the repository into a new environment; return its pins."""
    with tempfile.TemporaryDirectory(prefix="atw-lock-") as tmp:
        venv.create(tmp, with_pip=True)
        py = str(Path(tmp) / "bin" / "python")
        pip = [py, "-m", "pip", "--disable-pip-version-check", "--quiet"]
        subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "install", spec], check=True, cwd=ROOT)
        out = subprocess.run(
            [*pip, "freeze", "--all"], check=True, capture_output=True, text=True
        ).stdout
    skip = {OURS, "pip", "setuptools", "wheel"}
    pins = [line for line in out.splitlines() if line and "==" in line]
    return sorted((p for p in pins if p.split("==")[0].lower() not in skip), key=str.lower)


def main() -> int:
    """Resolve each target in a fresh environment and write its lock file."""
    today = dt.date.today().isoformat()
    python = ".".join(map(str, sys.version_info[:2]))
    for path, (spec, header) in TARGETS.items():
        pins = freeze(spec)
        lines = [f"# {line}" if line else "#" for line in header.splitlines()]
        lines.append(f"# Resolved {today} for Python {python} from pyproject.toml {spec}.")
        path.write_text("\n".join([*lines, *pins]) + "\n", encoding="utf-8")
        print(f"{path.relative_to(ROOT)}: {len(pins)} packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
