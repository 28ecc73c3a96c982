"""Core figures: validate, save, load, edit and graph queries at 100 / 1,000 / 5,000 elements.

Run: ``python benchmarks/bench_io.py [--sizes 100,1000,5000] [--repeat 5]`` (or ``make
bench``). Prints the median of ``--repeat`` runs of each step (wall clock,
``time.perf_counter``) and the peak memory of a load (``tracemalloc``). Figures, not
pass/fail: machines are noisy, hence medians rather than best runs.

*load yaml* is ``ThreatModel.load`` of the canonical file (read, safe parse with every
check of the loader, validation, reference checks); *parse* is its YAML part alone
(``workbench.io.parse_yaml``: compose with the C parser, checks and construction in one
walk), *careful* the same on the path that invalid files take (node checks, then PyYAML's
constructor), for comparison.
"""

from __future__ import annotations

import argparse
import statistics
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
from workbench import parsing as wio
from workbench.graph import ModelGraph

REPEAT = 5


def median_of(fn: Callable[[], Any], runs: int | None = None) -> tuple[float, Any]:
    """Median wall time of ``runs`` calls (default ``REPEAT``), and the last result. The
    results are kept until the end, so that freeing one is not timed as part of the next."""
    times, results = [], []
    for _ in range(runs or REPEAT):
        start = time.perf_counter()
        results.append(fn())
        times.append(time.perf_counter() - start)
    return statistics.median(times), results[-1]


def careful_parse(text: str) -> Any:
    """The loader's path for files with a problem: node checks, then PyYAML's constructor."""
    loader = wio._YAML_LOADER(text)
    try:
        with wio.gc_paused():
            node = loader.get_single_node()
            wio._check_nodes(node)
            return loader.construct_document(node)
    finally:
        loader.dispose()


def main() -> None:
    global REPEAT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="runs per figure (median)")
    args = parser.parse_args()
    REPEAT = args.repeat
    print(f"Python {sys.version.split()[0]}; median of {REPEAT} runs")
    print(
        f"{'elements':>8} {'flows':>6} {'validate':>9} {'save yaml':>10} {'load yaml':>10} "
        f"{'parse':>8} {'careful':>8} {'load json':>10} {'edit+save':>10} {'graph':>8} "
        f"{'paths':>8} {'file MB':>8} {'peak MB':>8}"
    )
    for n in (int(x) for x in args.sizes.split(",")):
        doc = synthetic_document(n)
        t_validate, model = median_of(partial(ThreatModel.model_validate, doc))
        with tempfile.TemporaryDirectory() as d:
            yml, jsn = Path(d) / "m.yaml", Path(d) / "m.json"
            t_save, _ = median_of(partial(model.save, yml, backup=False))
            model.save(jsn, backup=False)
            t_load, loaded = median_of(partial(ThreatModel.load, yml))
            text = yml.read_text(encoding="utf-8")
            t_parse, _ = median_of(partial(wio.parse_yaml, text, str(yml)))
            t_careful, _ = median_of(partial(careful_parse, text))
            t_json, _ = median_of(partial(ThreatModel.load, jsn))

            def edit(loaded: ThreatModel = loaded) -> None:
                loaded.add_element(Element(id="new", kind="agent", name="New")).save(backup=False)

            t_edit, _ = median_of(edit)
            tracemalloc.start()
            ThreatModel.load(yml)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            size = yml.stat().st_size / 1e6
        t_graph, g = median_of(model.graph)

        def all_paths(g: ModelGraph = g) -> list[Any]:
            return list(g.paths(g.untrusted_actors(), g.crown_jewels(), limit=1000))

        t_paths, _ = median_of(all_paths)
        print(
            f"{n:>8} {len(model.flows):>6} {t_validate:>8.3f}s {t_save:>9.3f}s "
            f"{t_load:>9.3f}s {t_parse:>7.3f}s {t_careful:>7.3f}s {t_json:>9.3f}s "
            f"{t_edit:>9.3f}s {t_graph:>7.3f}s "
            f"{t_paths:>7.3f}s {size:>8.2f} {peak / 1e6:>8.1f}"
        )


if __name__ == "__main__":
    main()
