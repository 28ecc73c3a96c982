"""Start-up figures: ``threat-workbench analyze`` of a small and a large model, and
``import workbench``, each a fresh process.

Run: ``python benchmarks/bench_cli.py [--runs 15] [--import-runs 30] [--sizes 10,1000]
[--bytecode]``.

- *analyze*: ``threat-workbench analyze FILE`` (the installed script next to this Python,
  else ``python -m workbench.cli``) on synthetic models (``benchmarks/synthetic.py``) saved
  with ``ThreatModel.save``; the sizes' runs alternate, so that all see the same load. Wall
  time and CPU time (user + system, from ``os.wait4``) per run; medians are printed, and the
  difference between the largest and the smallest model. The same figures can be had with
  ``hyperfine -N -w 2 -r 15 'threat-workbench analyze small.yaml' '... big.yaml'``.
- *import*: ``python -c "import workbench"`` and, for reference, ``python -c pass`` and
  ``python -c "from workbench import ThreatModel"`` (medians of ``--import-runs``), then one
  ``-X importtime`` run of each import with its own cost per top-level package, and the heavy
  modules (UI, notebook, PDF) that ``import workbench`` must not load.
- ``--bytecode``: let the child processes cache bytecode (in a temporary folder, through
  ``PYTHONPYCACHEPREFIX``) even when ``PYTHONDONTWRITEBYTECODE`` is set, as an installed
  package has; without it, the environment is used as it is.

Floors from the speed issue (2-core reference machine): analyze of 1,000 elements at most
1.0 s more wall time than of 10 elements; ``import workbench`` at most 150 ms. Both are
checked and printed at the end (met / NOT met); the exit status is 0 unless ``--check`` is
given and a floor is not met.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic import synthetic_model

ROOT = Path(__file__).resolve().parents[1]

ANALYZE_FLOOR_S = 1.0
"""Extra wall time of analyze at 1,000 elements over 10 elements, at most."""
IMPORT_FLOOR_MS = 150.0
"""Wall time of ``python -c "import workbench"``, at most."""
HEAVY = (
    "nbconvert",
    "weasyprint",
    "playwright",
    "panel",
    "ipywidgets",
    "anywidget",
    "IPython",
    "jupyterlab",
    "widgets",
)
"""UI, notebook and PDF libraries that ``import workbench`` must not load."""
DEFERRED = ("pydantic", "networkx", "yaml", "ruamel")
"""Libraries that ``import workbench`` does not need either (loaded when a model, a file
or a graph is used); reported when loaded."""


def script() -> list[str]:
    """How to run the command line: the installed script, else ``python -m``."""
    exe = Path(sys.executable).with_name("threat-workbench")
    return [str(exe)] if exe.is_file() else [sys.executable, "-m", "workbench.cli"]


def run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command`` (output discarded)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=env
    )
    if hasattr(os, "wait4"):
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
    else:  # pragma: no cover - Windows: wall time only
        proc.wait()
        wall, cpu = time.perf_counter() - start, float("nan")
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{stderr}")
    return wall, cpu


def medians(
    commands: dict[str, list[str]], runs: int, env: dict[str, str], warmup: int = 1
) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds per command; the commands' runs alternate."""
    walls: dict[str, list[float]] = defaultdict(list)
    cpus: dict[str, list[float]] = defaultdict(list)
    for i in range(warmup + runs):
        for name, command in commands.items():
            wall, cpu = run(command, env)
            if i >= warmup:
                walls[name].append(wall)
                cpus[name].append(cpu)
    return {n: (statistics.median(walls[n]), statistics.median(cpus[n])) for n in commands}


def import_costs(statement: str, env: dict[str, str]) -> dict[str, float]:
    """Milliseconds of ``-X importtime`` self time per top-level package for ``statement``
    (beyond what the interpreter imports for ``pass``)."""

    def costs(code: str) -> dict[str, float]:
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", code],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env=env,
        ).stderr
        per: dict[str, float] = defaultdict(float)
        for line in out.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            self_us, _, name = line.removeprefix("import time:").split("|")
            per[name.strip().split(".")[0]] += int(self_us) / 1000
        return per

    base, full = costs("pass"), costs(statement)
    return {k: v - base.get(k, 0.0) for k, v in full.items() if v - base.get(k, 0.0) > 0.05}


def loaded_modules(statement: str, env: dict[str, str]) -> set[str]:
    code = f"{statement}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    return {m.split(".")[0] for m in json.loads(out)}


def child_env(bytecode: bool, cache: Path) -> dict[str, str]:
    env = dict(os.environ)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per analyze (median)")
    parser.add_argument("--import-runs", type=int, default=30, help="runs per import (median)")
    parser.add_argument("--sizes", default="10,1000", help="elements of the models analysed")
    parser.add_argument(
        "--bytecode", action="store_true", help="let the children cache bytecode (see above)"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a floor is not met")
    args = parser.parse_args()
    sizes = sorted(int(x) for x in args.sizes.split(","))
    with tempfile.TemporaryDirectory(prefix="atw-bench-cli-") as tmp:
        folder = Path(tmp)
        env = child_env(args.bytecode, folder / "pycache")
        print(
            f"Python {sys.version.split()[0]}; bytecode cache: "
            f"{'yes' if args.bytecode or not env.get('PYTHONDONTWRITEBYTECODE') else 'no'} "
            f"(PYTHONDONTWRITEBYTECODE={env.get('PYTHONDONTWRITEBYTECODE', '')!r}); "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
        )
        commands = {}
        for n in sizes:
            path = folder / f"model-{n}.yaml"
            synthetic_model(n).save(path, backup=False)
            commands[f"analyze {n:,} elements"] = [*script(), "analyze", str(path)]
        analyze = medians(commands, args.runs, env)
        print(f"\nthreat-workbench analyze (median of {args.runs} runs each, alternating):")
        for name, (wall, cpu) in analyze.items():
            print(f"  {name:<26} wall {wall * 1e3:7.0f} ms   cpu {cpu * 1e3:7.0f} ms")
        small, big = analyze[f"analyze {sizes[0]:,} elements"], analyze[list(analyze)[-1]]
        extra_wall, extra_cpu = big[0] - small[0], big[1] - small[1]
        print(
            f"  difference {sizes[-1]:,} - {sizes[0]:,} elements: wall {extra_wall:.3f} s, "
            f"cpu {extra_cpu:.3f} s"
        )

        python = [sys.executable, "-c"]
        imports = medians(
            {
                "python -c pass": [*python, "pass"],
                "import workbench": [*python, "import workbench"],
                "from workbench import ThreatModel": [*python, "from workbench import ThreatModel"],
            },
            args.import_runs,
            env,
            warmup=3,
        )
        print(f"\nimports (median of {args.import_runs} runs each, alternating):")
        for name, (wall, cpu) in imports.items():
            print(f"  {name:<34} wall {wall * 1e3:6.0f} ms   cpu {cpu * 1e3:6.0f} ms")
        for statement in ("import workbench", "from workbench import ThreatModel"):
            costs = sorted(import_costs(statement, env).items(), key=lambda kv: -kv[1])
            shown = ", ".join(f"{k} {v:.0f}" for k, v in costs[:8] if v >= 0.5)
            print(f"  -X importtime, {statement}: {sum(v for _, v in costs):.0f} ms ({shown})")
        loaded = loaded_modules("import workbench", env)
        heavy = sorted(loaded & set(HEAVY))
        print(f"  heavy modules loaded by import workbench: {', '.join(heavy) or 'none'}")
        print(
            "  of pydantic, networkx, yaml, ruamel, loaded by import workbench: "
            f"{', '.join(sorted(loaded & set(DEFERRED))) or 'none'}"
        )
        if args.bytecode:
            shutil.rmtree(folder / "pycache", ignore_errors=True)

    verdicts = []
    met = extra_wall <= ANALYZE_FLOOR_S
    verdicts.append(met)
    print(
        f"\nfloor: analyze {sizes[-1]:,} elements <= {ANALYZE_FLOOR_S:.1f} s more wall time "
        f"than {sizes[0]:,}: {extra_wall:.3f} s, {'met' if met else 'NOT met'}"
    )
    wall = imports["import workbench"][0] * 1e3
    met = wall <= IMPORT_FLOOR_MS and not heavy
    verdicts.append(met)
    print(
        f"floor: import workbench <= {IMPORT_FLOOR_MS:.0f} ms, no heavy module: "
        f"{wall:.0f} ms, {'met' if met else 'NOT met'}"
    )
    return 1 if args.check and not all(verdicts) else 0


if __name__ == "__main__":
    raise SystemExit(main())
