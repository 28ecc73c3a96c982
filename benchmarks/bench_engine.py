"""Engine figures: full analysis and incremental re-analysis at 100 / 1,000 / 5,000 elements.

Run: ``python benchmarks/bench_engine.py [--catalog DIR] [--no-builtin]`` (or ``make bench``).
Synthetic models have about three flows per element (``benchmarks/synthetic.py``). Times are
wall clock (``time.perf_counter``), best of 3; the incremental figure is the median over 20
single-property edits of random elements; peak memory is ``tracemalloc``'s peak during one
full analysis. Floors from the engine issue, on the 2-core reference machine: 1,000 elements
fully analysed in under 0.5 s, one edit re-analysed in under 50 ms.

When ``pytm`` is installed (``pip install pytm``), the same sizes are also resolved with it
for reference (elements and dataflows only; pytm's own threat library).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic import synthetic_model
from workbench.catalog import load_catalog
from workbench.engine import Analyzer


def bench_pytm(n: int) -> float | None:
    """Seconds pytm takes to resolve an equivalent model, or None without pytm."""
    try:
        from pytm import (  # type: ignore[import-not-found, import-untyped, unused-ignore]
            TM,
            Actor,
            Dataflow,
            Datastore,
            Process,
        )
    except ImportError:
        return None
    TM.reset()
    tm = TM(f"synthetic {n}")
    rng = random.Random(7)
    kinds = [Actor, Process, Datastore]
    nodes = [kinds[i % 3](f"e{i}") for i in range(n)]
    for i in range(n):
        for _ in range(3):
            t = rng.randrange(n)
            if t != i:
                Dataflow(nodes[i], nodes[t], f"f{i}_{t}")
    start = time.perf_counter()
    tm.resolve()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", action="append", default=[])
    parser.add_argument("--no-builtin", action="store_true")
    parser.add_argument("--sizes", default="100,1000,5000")
    args = parser.parse_args()
    catalog = load_catalog(*args.catalog, builtin=not args.no_builtin)
    print(f"catalog: {len(catalog.threats)} threats; Python {sys.version.split()[0]}")
    print(
        f"{'elements':>8} {'flows':>6} {'findings':>8} {'full':>8} {'per elem':>9} "
        f"{'edit':>8} {'paths':>6} {'peak MB':>8} {'pytm':>8}"
    )
    previous: tuple[int, float] | None = None
    for n in (int(x) for x in args.sizes.split(",")):
        model = synthetic_model(n)
        analyzer = Analyzer(catalog)
        full = min(_time(partial(analyzer.analyze, model)) for _ in range(3))
        analysis = analyzer.analyze(model)
        rng = random.Random(1)
        edits = []
        for i in range(20):
            e = rng.choice(model.elements)
            edited = model.update_element(
                e.id, properties={"rate_limited": i % 2 == 0, "exposure": "internet"}
            )
            analyzer.analyze(model)
            edits.append(_time(partial(analyzer.update, edited)))
        tracemalloc.start()
        Analyzer(catalog).analyze(model)
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        pytm = bench_pytm(n)
        print(
            f"{n:>8} {len(model.flows):>6} {len(analysis.findings):>8} {full:>7.3f}s "
            f"{full / n * 1e3:>7.3f}ms {statistics.median(edits) * 1e3:>6.1f}ms "
            f"{len(analysis.attack_paths):>6} {peak:>8.1f} "
            f"{'-' if pytm is None else f'{pytm:.3f}s':>8}"
        )
        if previous:
            ratio = (full / previous[1]) / (n / previous[0])
            print(
                f"{'':>8} growth vs previous size: x{full / previous[1]:.1f} time for "
                f"x{n / previous[0]:.0f} elements ({ratio:.2f} of linear)"
            )
        previous = (n, full)


def _time(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
