"""Engine figures: full analysis against pytm's ``resolve()``, and incremental re-analysis.

Run: ``python benchmarks/bench_engine.py [--sizes 100,1000,2000] [--repeat 5] [--edits 50]
[--catalog DIR] [--no-builtin] [--no-pytm] [--no-memory]`` (or ``make bench``).

Synthetic models have about three flows per element (``benchmarks/synthetic.py``). Every
time is wall clock (``time.perf_counter``), the **median** of ``--repeat`` runs; the machine
is shared and noisy, so medians, not best runs, are the figures.

- *full*: ``Analyzer(catalog).analyze(model)`` **and** everything the analysis computes on
  first use: the attack paths (``Analysis.attack_paths``) and, once the engine has them,
  the finding groups (``getattr(analysis, "groups", None)``). A lazy step is part of the
  analysis: a benchmark that never touches it would not measure it. A finding's reasons
  (``Finding.why``, words for a reader) are written when first read; the line *with every
  finding's reasons read* times a full analysis that reads all of them, as an export of
  every finding does. The *CPU time* line gives both sides' process time (median), which
  a busy shared machine disturbs less than wall time.
- *pytm*: pytm 1.4's ``TM.resolve()`` on the same synthetic model (same elements, by DFD
  type: external entities as ``Actor``, processes as ``Process``, stores as ``Datastore``;
  the same nested boundaries and flows; encrypted flows marked encrypted), with pytm's own
  threat library; building the pytm model is not timed. The runs alternate with ours, so
  both see the same load. ``x pytm`` is pytm's median time over ours.
- *edit*: the median over ``--edits`` single-property edits of random elements at every
  size (the 90th percentile and the slowest are printed below the row), each re-analysed
  by ``Analyzer.update`` from the previous edit's analysis, attack paths (and groups)
  included; *update only* leaves the lazy steps out. Building the edited
  model (``ThreatModel.update_element``) is not timed.
- *peak MB*: ``tracemalloc``'s peak during one full analysis (paths included).

Floors from the speed issue (2-core reference machine): at 1,000 and 2,000 elements the full
analysis at least 10x faster than pytm's ``resolve()``; one property edit at most 10 ms
(median) at 1,000 elements. They are checked and printed at the end (met / NOT met); the
exit status is 0 unless ``--check`` is given and a floor is not met (``make bench`` runs on).
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
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic import synthetic_model
from workbench import ThreatModel
from workbench.catalog import Catalog, load_catalog
from workbench.engine import Analysis, Analyzer
from workbench.model import DfdType, kind_info

PYTM_FLOOR = 10.0
"""The full analysis must be at least this many times faster than pytm's resolve()."""
EDIT_FLOOR_MS = 10.0
"""Median time of one property edit at 1,000 elements, at most."""

EDITS: list[tuple[str, list[Any]]] = [
    ("rate_limited", [True, False]),
    ("exposure", ["internet", "internal", "isolated"]),
    ("logging", [True, False]),
    ("authentication", ["none", "oauth", "mtls"]),
    ("input_validation", [True, False]),
    ("encrypted_at_rest", [True, False]),
]
"""Properties the edit benchmark changes, one at a time, and the values it picks from."""


def touch(analysis: Analysis) -> Analysis:
    """Compute what the analysis computes lazily: attack paths and (when the engine has
    them) finding groups."""
    analysis.attack_paths  # noqa: B018 - computed on first use
    getattr(analysis, "groups", None)
    return analysis


def full_analysis(catalog: Catalog, model: ThreatModel) -> Analysis:
    """A full analysis from scratch, lazy steps included."""
    return touch(Analyzer(catalog).analyze(model))


def timed(fn: Callable[[], object]) -> float:
    return clocked(fn)[0]


def clocked(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU (process) seconds ``fn()`` takes."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def with_reasons(catalog: Catalog, model: ThreatModel) -> Analysis:
    """A full analysis with every finding's reasons read (they are written on first
    read): what a JSON or SARIF export of every finding costs on top of the analysis."""
    analysis = full_analysis(catalog, model)
    for f in analysis.findings:
        f.why  # noqa: B018 - written on first read
    return analysis


# --------------------------------------------------------------------------- pytm
def pytm_model(model: ThreatModel) -> Any:
    """The synthetic model drawn with pytm (None when pytm is not installed). pytm keeps
    its model in class attributes: ``TM.reset()`` first."""
    try:
        from pytm import (  # type: ignore[import-not-found, import-untyped, unused-ignore]
            TM,
            Actor,
            Boundary,
            Dataflow,
            Datastore,
            Process,
        )
    except ImportError:
        return None
    TM.reset()
    tm = TM(model.system.name)
    boundaries = {b.id: Boundary(b.name) for b in model.boundaries}
    for b in model.boundaries:
        if b.parent is not None:
            boundaries[b.id].inBoundary = boundaries[b.parent]
    classes = {
        DfdType.EXTERNAL_ENTITY: Actor,
        DfdType.PROCESS: Process,
        DfdType.DATA_STORE: Datastore,
    }
    nodes = {}
    for e in model.elements:
        node = classes[kind_info(e.kind).dfd](e.name)
        if e.boundary is not None:
            node.inBoundary = boundaries[e.boundary]
        nodes[e.id] = node
    for f in model.flows:
        flow = Dataflow(nodes[f.source], nodes[f.target], f.id)
        if f.encrypted:
            flow.controls.isEncrypted = True
    return tm


def pytm_resolve(model: ThreatModel) -> tuple[float, int, float] | None:
    """Seconds pytm's ``resolve()`` takes on ``model``, its number of findings, and its
    CPU seconds."""
    tm = pytm_model(model)
    if tm is None:
        return None
    seconds, cpu = clocked(tm.resolve)
    return seconds, len(tm.findings), cpu


# --------------------------------------------------------------------------- edits
def edit_times(
    catalog: Catalog, model: ThreatModel, edits: int, seed: int = 1
) -> tuple[list[float], list[float]]:
    """Times of ``edits`` successive single-property edits re-analysed incrementally:
    with the lazy steps (paths, groups) and without them."""
    rng = random.Random(seed)
    analyzer = Analyzer(catalog)
    touch(analyzer.analyze(model))
    with_lazy, update_only = [], []
    for _ in range(edits):
        e = rng.choice(model.elements)
        prop, values = rng.choice(EDITS)
        current = getattr(e.properties, prop)
        value = rng.choice([v for v in values if v != current])
        props = {**e.properties.model_dump(exclude_none=True), prop: value}
        model = model.update_element(e.id, properties=props)
        start = time.perf_counter()
        analysis = analyzer.update(model)
        update_only.append(time.perf_counter() - start)
        touch(analysis)
        with_lazy.append(time.perf_counter() - start)
    return with_lazy, update_only


def peak_mb(catalog: Catalog, model: ThreatModel) -> float:
    tracemalloc.start()
    try:
        full_analysis(catalog, model)
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------- main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", action="append", default=[])
    parser.add_argument("--no-builtin", action="store_true")
    parser.add_argument("--sizes", default="100,1000,2000")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    parser.add_argument("--edits", type=int, default=50, help="edits per size (median)")
    parser.add_argument("--no-pytm", action="store_true", help="skip pytm's resolve()")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc run")
    parser.add_argument("--check", action="store_true", help="exit 1 when a floor is not met")
    args = parser.parse_args()
    catalog = load_catalog(*args.catalog, builtin=not args.no_builtin)
    print(
        f"catalog: {len(catalog.threats)} threats; Python {sys.version.split()[0]}; "
        f"median of {args.repeat} runs (full, pytm), of {args.edits} edits (edit)"
    )
    header = (
        f"{'elements':>8} {'flows':>6} {'findings':>8} {'paths':>6} {'full':>8} "
        f"{'per elem':>9} {'pytm':>8} {'x pytm':>7} {'edit':>8} {'upd only':>9} {'peak MB':>8}"
    )
    print(header)
    ratios: dict[int, float] = {}
    edits_ms: dict[int, float] = {}
    previous: tuple[int, float] | None = None
    for n in (int(x) for x in args.sizes.split(",")):
        model = synthetic_model(n)
        analysis = full_analysis(catalog, model)  # warm-up; its counts are printed
        ours, theirs, pytm_findings = [], [], None
        ours_cpu, theirs_cpu, reasons = [], [], []
        for _ in range(args.repeat):
            wall, cpu = clocked(partial(full_analysis, catalog, model))
            ours.append(wall)
            ours_cpu.append(cpu)
            reasons.append(timed(partial(with_reasons, catalog, model)))
            resolved = None if args.no_pytm else pytm_resolve(model)
            if resolved is not None:
                theirs.append(resolved[0])
                pytm_findings = resolved[1]
                theirs_cpu.append(resolved[2])
        full = statistics.median(ours)
        pytm = statistics.median(theirs) if theirs else None
        with_lazy, update_only = edit_times(catalog, model, args.edits)
        edit, upd = statistics.median(with_lazy) * 1e3, statistics.median(update_only) * 1e3
        edits_ms[n] = edit
        peak = "-" if args.no_memory else f"{peak_mb(catalog, model):.1f}"
        if pytm is not None:
            ratios[n] = pytm / full
        print(
            f"{n:>8} {len(model.flows):>6} {len(analysis.findings):>8} "
            f"{len(analysis.attack_paths):>6} {full:>7.3f}s {full / n * 1e3:>7.3f}ms "
            f"{'-' if pytm is None else f'{pytm:.3f}s':>8} "
            f"{'-' if pytm is None else f'{pytm / full:.2f}':>7} "
            f"{edit:>6.1f}ms {upd:>7.1f}ms {peak:>8}"
        )
        if pytm_findings is not None:
            print(f"{'':>8} pytm: {pytm_findings} findings from its own threat library")
            cpu_ours, cpu_theirs = statistics.median(ours_cpu), statistics.median(theirs_cpu)
            print(
                f"{'':>8} CPU time (process clock, less sensitive to a shared machine): "
                f"ours {cpu_ours:.3f}s, pytm {cpu_theirs:.3f}s, x{cpu_theirs / cpu_ours:.2f}"
            )
        with_why = statistics.median(reasons)
        ratio = f", x{pytm / with_why:.2f} pytm" if pytm is not None else ""
        print(
            f"{'':>8} with every finding's reasons read (written on first read): "
            f"{with_why:.3f}s{ratio}"
        )
        slow = sorted(with_lazy)
        print(
            f"{'':>8} edits: 90th percentile {slow[int(len(slow) * 0.9)] * 1e3:.1f} ms, "
            f"slowest {slow[-1] * 1e3:.1f} ms (an edit that changes what screens outsiders' "
            f"content traces their influence again)"
        )
        if previous:
            growth = (full / previous[1]) / (n / previous[0])
            print(
                f"{'':>8} growth vs previous size: x{full / previous[1]:.1f} time for "
                f"x{n / previous[0]:.0f} elements ({growth:.2f} of linear)"
            )
        previous = (n, full)
    met = report_floors(ratios, edits_ms)
    return 1 if args.check and not met else 0


def report_floors(ratios: dict[int, float], edits_ms: dict[int, float]) -> bool:
    """Print each floor of the speed issue that this run measured, met or not."""
    verdicts = []
    for n in (1000, 2000):
        if n in ratios:
            met = ratios[n] >= PYTM_FLOOR
            verdicts.append(met)
            print(
                f"floor: full analysis (paths included) at {n:,} elements >= "
                f"{PYTM_FLOOR:.0f}x faster than pytm resolve(): x{ratios[n]:.2f}, "
                f"{'met' if met else 'NOT met'}"
            )
    if 1000 in edits_ms:
        met = edits_ms[1000] <= EDIT_FLOOR_MS
        verdicts.append(met)
        print(
            f"floor: one property edit at 1,000 elements (paths included) <= "
            f"{EDIT_FLOOR_MS:.0f} ms median: {edits_ms[1000]:.1f} ms, "
            f"{'met' if met else 'NOT met'}"
        )
    return all(verdicts)


if __name__ == "__main__":
    raise SystemExit(main())
