"""Saving figures: the canonical writer against the comment-preserving one, at 1,000 to
16,000 elements (issue 11, point 19: at most 3x the canonical writer, linear).

Run: ``python benchmarks/bench_save.py [--sizes 1000,2000,4000,8000,16000] [--repeat 5]
[--ruamel] [--cpu]``. Each figure is the best of ``--repeat`` runs (wall clock,
``time.perf_counter``; with ``--cpu`` this process's CPU time, ``time.process_time``,
steadier on a busy machine) of ``ThreatModel.save`` (backup on, as by default), in a
temporary folder; a model is loaded and edited before the clock starts (the garbage
collector is left on: ``save`` pauses it itself while it makes the text).

The model is ``benchmarks/synthetic.py``'s (elements, three flows each, boundaries,
assets), written as a person would write it (:func:`hand_written`): a comment above every
tenth element and after each element's name, assets and flows in flow style, a comment
after every seventh flow.

- *canonical*: the model saved with no source file (sorted, defaults left out).
- *one edit*: the hand-written file loaded, one element renamed, saved over the file
  (comments, order and style kept).
- *all moved*: the same with every element moved (a layout on the canvas), the worst
  common case: every element's position changes.
- ``--ruamel``: also the ruamel.yaml round trip the writer used before (now the fallback
  for files with anchors or aliases), one run of *one edit* (the merge, the dump and the
  check that the text loads back): slow at the large sizes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.synthetic import synthetic_document
from workbench import ThreatModel, rewrite, saving

REPEAT = 5


def hand_written(n_elements: int) -> str:
    """``synthetic_document(n_elements)`` as a person would write it, with comments."""
    doc = synthetic_document(n_elements)
    out = ["# Hand-written model\n", "format_version: 1\n", "system:\n"]
    out.append(f"  name: {doc['system']['name']}  # the system\n")
    out.append("boundaries:\n")
    for b in doc["boundaries"]:
        out.append(f"  - id: {b['id']}\n    name: {b['name']}\n")
        if "trust" in b:
            out.append(f"    trust: {b['trust']}\n")
        if "parent" in b:
            out.append(f"    parent: {b['parent']}\n")
    out.append("assets:\n")
    for a in doc["assets"]:
        out.append(
            f"  - {{id: {a['id']}, name: {a['name']}, classification: {a['classification']}, "
            f"pii: {str(a['pii']).lower()}}}\n"
        )
    out.append("elements:\n")
    for i, e in enumerate(doc["elements"]):
        if i % 10 == 0:
            out.append(f"  # group {i // 10}\n")
        out.append(f"  - id: {e['id']}\n    kind: {e['kind']}\n")
        out.append(f"    name: {e['name']}  # element {i}\n    boundary: {e['boundary']}\n")
        if e["assets"]:
            out.append(f"    assets: [{', '.join(e['assets'])}]\n")
        p = e["properties"]
        out.append(f"    properties:\n      exposure: {p['exposure']}\n")
        out.append(f"      logging: {str(p['logging']).lower()}\n")
        out.append(f"    position: {{x: {e['position']['x']}, y: {e['position']['y']}}}\n")
    out.append("flows:\n")
    for i, f in enumerate(doc["flows"]):
        comment = "  # checked" if i % 7 == 0 else ""
        out.append(
            f"  - {{id: {f['id']}, source: {f['source']}, target: {f['target']}, "
            f"encrypted: {str(f['encrypted']).lower()}}}{comment}\n"
        )
    return "".join(out)


CLOCK = time.perf_counter


def best_of(runs: int, prepare: Callable[[], Any], timed: Callable[[Any], object]) -> float:
    """The shortest of ``runs`` timings of ``timed(prepare())`` (``prepare`` untimed)."""
    best = float("inf")
    for _ in range(runs):
        arg = prepare()
        start = CLOCK()
        timed(arg)
        best = min(best, CLOCK() - start)
    return best


def moved(m: ThreatModel) -> ThreatModel:
    elements = [
        e.model_copy(update={"position": e.position.model_copy(update={"x": e.position.x + 10})})
        if e.position is not None
        else e
        for e in m.elements
    ]
    return m.replace(elements=elements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,2000,4000,8000,16000")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="runs per figure (best)")
    parser.add_argument("--ruamel", action="store_true", help="also time the ruamel round trip")
    parser.add_argument(
        "--cpu", action="store_true", help="CPU time (time.process_time): steadier when busy"
    )
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.cpu else time.perf_counter
    print(
        f"Python {sys.version.split()[0]}; ThreatModel.save, best of {args.repeat} runs "
        f"({CLOCK.__module__}.{CLOCK.__name__}); ratio = writer / canonical"
    )
    header = (
        f"{'elements':>8} {'flows':>6} {'file MB':>8} {'canonical':>10} {'one edit':>9} "
        f"{'ratio':>6} {'all moved':>10} {'ratio':>6}"
    )
    print(header + (f" {'ruamel':>9} {'ratio':>6}" if args.ruamel else ""))
    for n in (int(x) for x in args.sizes.split(",")):
        print(row(n, args.repeat, args.ruamel), flush=True)


def row(n: int, repeat: int, ruamel: bool) -> str:
    """The figures of one size."""
    text = hand_written(n)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "model.yaml"
        canonical_path = Path(d) / "canonical.yaml"
        path.write_text(text, encoding="utf-8")

        def without_source() -> ThreatModel:
            return ThreatModel.model_validate(ThreatModel.load(path).model_dump())

        t_canonical = best_of(repeat, without_source, lambda m: m.save(canonical_path))

        def edited(edit: Callable[[ThreatModel], ThreatModel]) -> ThreatModel:
            path.write_text(text, encoding="utf-8")
            return edit(ThreatModel.load(path))

        def one_edit() -> ThreatModel:
            return edited(rename)

        t_edit = best_of(repeat, one_edit, lambda m: m.save())
        assert "# group 1\n" in path.read_text(encoding="utf-8")
        t_moved = best_of(repeat, lambda: edited(moved), lambda m: m.save())
        flows = text.count("\n  - {id: f")
        out = (
            f"{n:>8} {flows:>6} {len(text) / 1e6:>8.2f} {t_canonical:>9.3f}s "
            f"{t_edit:>8.3f}s {t_edit / t_canonical:>6.2f} {t_moved:>9.3f}s "
            f"{t_moved / t_canonical:>6.2f}"
        )
        if ruamel:
            m = one_edit()
            start = CLOCK()
            full, compact = saving._full_document(m), saving.to_document(m)
            written = rewrite._ruamel_write_over(text, full, compact)
            assert written is not None
            assert saving._reads_back(written, m)
            t_ruamel = CLOCK() - start
            out += f" {t_ruamel:>8.3f}s {t_ruamel / t_canonical:>6.2f}"
    return out


def rename(m: ThreatModel) -> ThreatModel:
    return m.update_element("e5", name="Renamed")


if __name__ == "__main__":
    main()
