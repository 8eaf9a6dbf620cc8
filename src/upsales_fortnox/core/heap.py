"""Keeping the garbage collector's work small in a serving process."""

from __future__ import annotations

import gc
from typing import Final

YOUNG_OBJECTS_PER_COLLECTION: Final = 10_000
"""New objects (those the collector tracks) between two collections of the young generation;
Python's default is 700. A won deal makes thousands of short-lived objects (requests, rows,
models), nearly all freed as they go out of use, without the collector; at 700 the worker ran
a young collection every few deals and an older one every ten of those. Measured in
``bench/won_deals.py --quick`` (1,000 deals, the startup objects frozen): 126 ms of collector
CPU at 2,000, 59 ms at 10,000, 31 ms at 20,000. What a collection finds is a few thousand cycles
(exceptions and their tracebacks, say), so collecting them later costs little memory."""

_prepared = False


def prepare_heap_for_serving() -> None:
    """Once per process, when start-up is done: move every object alive now (modules, the app,
    its routes and schemas, the database metadata, the services: well over 100,000 of them) out
    of the collector's reach, and collect the young generation every
    :data:`YOUNG_OBJECTS_PER_COLLECTION` new objects.

    The startup objects live as long as the process anyway, but every full collection walked
    them all: full collections paused the event loop for up to 160 ms, which set the webhook
    intake's p99 latency and cost a third of its CPU (``bench/intake.py``), and in a worker
    with the default thresholds the collector took 0.5 s of the 4.5 s of CPU that 1,000 won
    deals cost (``bench/won_deals.py --quick``; 0.06 s with both). Objects that die later are
    collected as usual.
    """
    global _prepared
    if _prepared:
        return
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS_PER_COLLECTION, older, oldest)
    _prepared = True
