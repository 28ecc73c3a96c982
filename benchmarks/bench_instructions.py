"""Engine against pytm in machine instructions: a measure that a shared machine does not move.

Run: ``python benchmarks/bench_instructions.py [--sizes 1000,2000]``. Needs ``valgrind``
(prints a note and exits 0 without it) and pytm (``pip install pytm``); takes a few minutes
(everything runs about fifty times slower under valgrind).

Wall and CPU time on the 2-core development machine move by a third with other work
(``bench_engine.py`` prints them); the number of instructions a run executes does not.
For each size this counts, with ``valgrind --tool=cachegrind --cache-sim=no`` and a fixed
``PYTHONHASHSEED``, the instructions of:

- *ours*: one full analysis, attack paths and groups included (``bench_engine``'s
  ``full_analysis``): a process that runs it three times minus one that runs it once,
  halved (imports, the catalog, the model and the warm-up run cancel out);
- *pytm*: pytm's ``TM.resolve()`` on the same synthetic model (``bench_engine``'s
  ``pytm_model``): a process that resolves minus one that only builds the model.

The ratio is not a time ratio (instructions differ in cost: cache misses, branches), but
it follows the work each side does and it is the same on every run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_OURS = """
import sys
sys.path.insert(0, {root!r})
from benchmarks.synthetic import synthetic_model
from benchmarks.bench_engine import full_analysis
from workbench.catalog import load_catalog
catalog, model = load_catalog(), synthetic_model({size})
for _ in range({runs}):
    full_analysis(catalog, model)
"""

_PYTM = """
import sys
sys.path.insert(0, {root!r})
from benchmarks.synthetic import synthetic_model
from benchmarks.bench_engine import pytm_model
tm = pytm_model(synthetic_model({size}))
if {runs}:
    tm.resolve()
"""


def instructions(code: str) -> int:
    """Instructions executed by ``python -c code`` under cachegrind."""
    done = subprocess.run(
        [
            "valgrind",
            "--tool=cachegrind",
            "--cache-sim=no",
            "--cachegrind-out-file=/dev/null",
            sys.executable,
            "-c",
            code,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        check=True,
    )
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def ours(size: int) -> float:
    """Instructions of one full analysis at ``size`` elements."""
    once = instructions(_OURS.format(root=str(ROOT), size=size, runs=1))
    thrice = instructions(_OURS.format(root=str(ROOT), size=size, runs=3))
    return (thrice - once) / 2


def pytm(size: int) -> float:
    """Instructions of pytm's ``resolve()`` at ``size`` elements."""
    built = instructions(_PYTM.format(root=str(ROOT), size=size, runs=0))
    resolved = instructions(_PYTM.format(root=str(ROOT), size=size, runs=1))
    return resolved - built


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,2000")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed: nothing measured")
        return 0
    try:
        import pytm as _  # type: ignore[import-not-found, import-untyped, unused-ignore]  # noqa: F401
    except ImportError:
        print("pytm is not installed (pip install pytm): nothing measured")
        return 0
    print("elements   ours (M instr.)   pytm resolve (M instr.)   x pytm")
    for size in (int(s) for s in args.sizes.split(",")):
        a, b = ours(size), pytm(size)
        print(f"{size:>8} {a / 1e6:>17,.0f} {b / 1e6:>25,.0f} {b / a:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
