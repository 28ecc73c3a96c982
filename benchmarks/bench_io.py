"""Core figures: validate, save, load, edit and graph queries at 100 / 1,000 / 5,000 elements.

Run: ``python benchmarks/bench_io.py`` (or ``make bench``). Prints the best of 3 runs of
each step (wall clock, ``time.perf_counter``) and the peak memory of a load
(``tracemalloc``). Figures, not pass/fail: machines are noisy.
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic import synthetic_document
from workbench import Element, ThreatModel
from workbench.graph import ModelGraph


def best_of(fn: Callable[[], Any], runs: int = 3) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    print(
        f"{'elements':>8} {'flows':>6} {'validate':>9} {'save yaml':>10} {'load yaml':>10} "
        f"{'load json':>10} {'edit+save':>10} {'graph':>8} {'paths':>8} {'file MB':>8} "
        f"{'peak MB':>8}"
    )
    for n in (100, 1000, 5000):
        doc = synthetic_document(n)
        t_validate, model = best_of(partial(ThreatModel.model_validate, doc))
        with tempfile.TemporaryDirectory() as d:
            yml, jsn = Path(d) / "m.yaml", Path(d) / "m.json"
            t_save, _ = best_of(partial(model.save, yml, backup=False))
            model.save(jsn, backup=False)
            t_load, loaded = best_of(partial(ThreatModel.load, yml))
            t_json, _ = best_of(partial(ThreatModel.load, jsn))

            def edit(loaded: ThreatModel = loaded) -> None:
                loaded.add_element(Element(id="new", kind="agent", name="New")).save(backup=False)

            t_edit, _ = best_of(edit)
            tracemalloc.start()
            ThreatModel.load(yml)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            size = yml.stat().st_size / 1e6
        t_graph, g = best_of(model.graph)

        def all_paths(g: ModelGraph = g) -> list[Any]:
            return list(g.paths(g.untrusted_actors(), g.crown_jewels(), limit=1000))

        t_paths, _ = best_of(all_paths)
        print(
            f"{n:>8} {len(model.flows):>6} {t_validate:>8.3f}s {t_save:>9.3f}s "
            f"{t_load:>9.3f}s {t_json:>9.3f}s {t_edit:>9.3f}s {t_graph:>7.3f}s "
            f"{t_paths:>7.3f}s {size:>8.2f} {peak / 1e6:>8.1f}"
        )


if __name__ == "__main__":
    main()
