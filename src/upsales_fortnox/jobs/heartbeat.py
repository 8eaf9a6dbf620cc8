"""A running job's heartbeat: its leases are renewed while its handler runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from upsales_fortnox.jobs.runs import LeaseLost, RunningJob
from upsales_fortnox.jobs.store.job_store import JobStore

logger = logging.getLogger("upsales_fortnox.jobs.worker")


class Heartbeat:
    """Renews a running job's leases every ``interval`` seconds until :meth:`stop`; on losing
    them, sets :attr:`lost` and cancels the handler.

    The first renewal is due only after ``interval``, so a timer stands in until then: a job
    shorter than that never starts a task for its heartbeat.
    """

    def __init__(
        self, store: JobStore, job: RunningJob, handler_task: asyncio.Future[Any], interval: float
    ) -> None:
        self.lost = False
        self._store = store
        self._job = job
        self._handler_task = handler_task
        self._interval = interval
        self._over = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._timer = asyncio.get_running_loop().call_later(interval, self._begin)

    def _begin(self) -> None:
        self._task = asyncio.create_task(self._beat())

    async def _beat(self) -> None:
        while not self._over.is_set():
            try:
                await self._store.renew(self._job)
            except LeaseLost:
                self.lost = True
                self._handler_task.cancel()
                return
            except Exception:
                logger.warning(
                    "renewing the job lease failed; will try again",
                    exc_info=True,
                    extra={
                        "installation_id": str(self._job.installation_id),
                        "job_id": self._job.job_id,
                    },
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._over.wait(), timeout=self._interval)

    async def stop(self) -> None:
        """Stop renewing; returns once a renewal in flight has ended."""
        self._timer.cancel()
        self._over.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
