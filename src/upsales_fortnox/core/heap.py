"""Keeping the garbage collector's pauses short in a serving process."""

from __future__ import annotations

import gc

_frozen = False


def freeze_startup_objects() -> None:
    """Move every object alive now (modules, the app, its routes and schemas, the database
    metadata: well over 100,000 of them) out of the collector's reach, once per process.

    They live as long as the process anyway, but every full collection walked them all: measured
    with ``bench/intake.py``, full collections paused the event loop for up to 160 ms, which
    set the webhook intake's p99 latency, and cost a third of its CPU. Call it when start-up is
    done; objects that die later are collected as usual.
    """
    global _frozen
    if _frozen:
        return
    gc.collect()
    gc.freeze()
    _frozen = True
