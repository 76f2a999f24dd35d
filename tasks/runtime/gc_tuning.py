"""Garbage-collector settings for a process that runs many agent tasks at once.

CPython's cyclic collector walks every tracked object of the generations it collects. A worker
holds Django, the Agents SDK, pydantic models and, under load, hundreds of runs: with 200
concurrent benchmark tasks its full collections walked about 260,000 objects several times a
second and took a third of the process's CPU (``manage.py bench`` shows the figures).

Two settings remove most of that, once per process, when its worker starts:

* ``gc.freeze()`` after a collection: what exists then (modules, settings, the agent and its
  tools, all living as long as the process) leaves the collector's view for good;
* a higher first-generation threshold, so the many short-lived objects of each turn are
  collected in fewer, larger passes (the older generations keep their default ratios).

Reference cycles are still collected; only how often the collector walks the heap changes.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass

# Allocations (net of deallocations) between two young-generation collections; CPython's
# default is 700. The older generations keep their default ratios (10, 10).
YOUNG_THRESHOLD = 50_000

_applied: GcTuning | None = None


@dataclass(frozen=True)
class GcTuning:
    frozen: int
    thresholds: tuple[int, int, int]

    def describe(self) -> str:
        return (
            f"{self.frozen:,} startup objects frozen, collection thresholds"
            f" {', '.join(f'{t:,}' for t in self.thresholds)}"
        )


def tune_gc_for_workers() -> GcTuning:
    """Applies the settings above (once per process; later calls return the first result)."""
    global _applied
    if _applied is None:
        gc.collect()  # garbage that exists now must not be frozen with the live objects
        gc.freeze()
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
        _applied = GcTuning(frozen=gc.get_freeze_count(), thresholds=gc.get_threshold())
    return _applied
