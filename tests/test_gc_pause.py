"""The collector pause around loading and analysis: the collector is restored as it was,
objects built in the pause are promoted without a young collection, and cycles left
behind are still freed."""

from __future__ import annotations

import gc
import weakref

from workbench.parsing import gc_paused


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_pause_restores_the_collector_as_it_found_it() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # a caller that had disabled it keeps it disabled
    finally:
        gc.enable()


def test_objects_built_in_a_pause_skip_the_young_generations() -> None:
    with gc_paused():
        built = [[i] for i in range(5000)]
    assert gc.get_count()[0] < 100  # no young collection is due over them
    assert gc.is_tracked(built[0])
    assert gc.get_freeze_count() == 0  # promoted, not left frozen


def test_cycles_left_in_a_pause_are_still_freed() -> None:
    with gc_paused():
        ref = weakref.ref(_Node())
    assert ref() is not None  # a cycle survives reference counting ...
    gc.collect()
    assert ref() is None  # ... and the next full collection frees it
