"""Layout figures: ``workbench.layout.layout(model)`` at 500 and 2,000 elements, and the
crossings it avoids.

Run: ``python benchmarks/bench_layout.py [--sizes 500,2000] [--repeat 5] [--no-crossings]
[--check]``.

Synthetic models have about three flows per element over nested boundaries
(``benchmarks/synthetic.py``; their stored positions play no part: the layout ignores
them). Every time is wall clock (``time.perf_counter``), the **median** of ``--repeat``
runs after one warm-up run; the machine is shared and noisy, so medians, not best runs,
are the figures.

- *layout*: ``layout(model)``, crossings reduced (what the canvas's Auto-layout, the
  starters and the report's diagram use).
- *plain*: ``layout(model, untangle=False)``: the same containers with items in name
  order, the layout before crossings were reduced.
- *crossings*: pairs of flows that cross, drawn as straight segments between element
  centres (``workbench.layout.crossings``), for the plain order and the layout; counted
  once per size (about 6 s at 2,000 elements, not timed; ``--no-crossings`` skips it).
  Flows in the synthetic models join random boundaries, so most of them cross far from
  any container and reordering changes little; the starters, below, are architectures.
- *starters*: the same for each starter architecture (one run each).

Floors from the layout issue (2-core reference machine): ``layout(model)`` at most 0.5 s
at 500 elements and 2 s at 2,000 (medians). They are checked and printed at the end (met /
NOT met); the exit status is 0 unless ``--check`` is given and a floor is not met.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic import synthetic_model
from workbench import ThreatModel
from workbench.layout import crossings, layout
from workbench.starters import load_template, names

FLOORS = {500: 0.5, 2000: 2.0}
"""Elements -> the longest median time of ``layout(model)`` allowed (seconds)."""


def median_time(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def crossing_pair(model: ThreatModel) -> tuple[int, int]:
    """Crossings in the plain order and in the layout."""
    plain = crossings(model, layout(model, untangle=False).positions)
    return plain, crossings(model, layout(model).positions)


def change(plain: int, untangled: int) -> str:
    return f"{(untangled - plain) / plain * 100:+.1f}%" if plain else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,2000")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    parser.add_argument("--no-crossings", action="store_true", help="skip the crossing counts")
    parser.add_argument("--check", action="store_true", help="exit 1 when a floor is not met")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}; median of {args.repeat} runs")
    print(
        f"{'elements':>8} {'flows':>6} {'boxes':>5} {'layout':>8} {'plain':>8} "
        f"{'crossings plain':>15} {'layout':>9} {'change':>7}"
    )
    medians: dict[int, float] = {}
    for n in (int(x) for x in args.sizes.split(",")):
        model = synthetic_model(n)
        medians[n] = median_time(lambda m=model: layout(m), args.repeat)  # type: ignore[misc]
        plain_time = median_time(lambda m=model: layout(m, untangle=False), args.repeat)  # type: ignore[misc]
        boxes = len(layout(model).boxes)
        if args.no_crossings:
            counts = f"{'-':>15} {'-':>9} {'-':>7}"
        else:
            plain, untangled = crossing_pair(model)
            counts = f"{plain:>15,} {untangled:>9,} {change(plain, untangled):>7}"
        print(
            f"{n:>8} {len(model.flows):>6} {boxes:>5} {medians[n]:>7.3f}s "
            f"{plain_time:>7.3f}s {counts}"
        )
    print("\nstarters (one run each):")
    print(
        f"{'':>22} {'elements':>8} {'flows':>6} {'layout':>8} {'crossings plain':>15} {'layout':>7}"
    )
    for name in names():
        model = load_template(name)
        start = time.perf_counter()
        layout(model)
        seconds = time.perf_counter() - start
        plain, untangled = crossing_pair(model)
        print(
            f"{name:>22} {len(model.elements):>8} {len(model.flows):>6} "
            f"{seconds * 1e3:>6.1f}ms {plain:>15} {untangled:>7}"
        )
    met = report_floors(medians)
    return 1 if args.check and not met else 0


def report_floors(medians: dict[int, float]) -> bool:
    """Print each floor that this run measured, met or not."""
    verdicts = []
    for n, floor in FLOORS.items():
        if n in medians:
            ok = medians[n] <= floor
            verdicts.append(ok)
            print(
                f"floor: layout(model) at {n:,} elements <= {floor:g} s median: "
                f"{medians[n]:.3f} s, {'met' if ok else 'NOT met'}"
            )
    return all(verdicts)


if __name__ == "__main__":
    raise SystemExit(main())
