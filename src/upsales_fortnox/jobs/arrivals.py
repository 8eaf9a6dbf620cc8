"""Jobs queued, told to this process's worker loops so that they claim at once instead of at
their next poll (``WORKER_POLL_SECONDS``): a won deal goes to Fortnox as soon as its hook is in.

In one process (the embedded default) the webhook intake tells its workers after each commit
that queued a job. On PostgreSQL every process's jobs are told too: a trigger on ``sync_jobs``
notifies :data:`CHANNEL` as the transaction that inserted them commits
(:mod:`upsales_fortnox.models.job_notice`), and each worker's presence connection listens to
it. A notice missed (a connection being replaced) costs that job the wait for the poll, as
before; how often a worker claims on notices is bounded (:mod:`.claim_pacing`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from upsales_fortnox.models.job_notice import CHANNEL

__all__ = ["CHANNEL", "JobArrivals"]


class JobArrivals:
    """The worker loops of one process listening for queued jobs."""

    def __init__(self) -> None:
        self._listening: set[asyncio.Event] = set()

    def announce(self) -> None:
        """Jobs were queued: every listening loop wakes."""
        for heard in self._listening:
            heard.set()

    @contextmanager
    def listened(self) -> Iterator[asyncio.Event]:
        """An event set at each announcement while the block runs (the listener clears it)."""
        heard = asyncio.Event()
        self._listening.add(heard)
        try:
            yield heard
        finally:
            self._listening.discard(heard)
