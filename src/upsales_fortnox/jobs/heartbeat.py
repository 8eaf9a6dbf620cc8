"""A running job's heartbeat: its leases are renewed while its handler runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from contextlib import AbstractContextManager
from typing import Any

from upsales_fortnox.integrations.send_check import checked_before_sending
from upsales_fortnox.jobs.presence_losses import PresenceLosses
from upsales_fortnox.jobs.runs import LeaseLost, RunningJob
from upsales_fortnox.jobs.store.job_store import JobStore

logger = logging.getLogger("upsales_fortnox.jobs.worker")


class Heartbeat:
    """Renews a running job's leases every ``interval`` seconds until :meth:`stop`; on losing
    them, sets :attr:`lost` and cancels the handler.

    A renewal that fails (the database out of reach) is tried again, sooner as the lease's end
    nears; when the lease would end within half an interval without one, the leases count as
    lost too: the handler is cancelled before another worker may take the installation over,
    so no two workers serve it at once.

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
        log_extra = {"installation_id": str(self._job.installation_id), "job_id": self._job.job_id}
        margin = renewal_margin(self._interval, self._store.lease_seconds)
        while not self._over.is_set():
            held = self._store.seconds_held(self._job)
            wait = self._interval
            try:  # a renewal that hangs is given up in time too
                timeout = None if held is None else max(held - margin, 0.0)
                await asyncio.wait_for(self._store.renew(self._job), timeout=timeout)
            except LeaseLost:
                self.lose()
                return
            except Exception:
                if self._over.is_set():  # the run ended meanwhile: its outcome decides
                    return
                held = self._store.seconds_held(self._job)
                if held is None or held - margin <= margin / 4:
                    logger.error(
                        "the job lease could not be renewed before its end; the run stops",
                        exc_info=True,
                        extra={**log_extra, "code": "job_lease_unrenewable"},
                    )
                    self.lose()
                    return
                logger.warning(
                    "renewing the job lease failed; will try again", exc_info=True, extra=log_extra
                )
                wait = min(self._interval, (held - margin) / 2)  # time left for the next try
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._over.wait(), timeout=wait)

    def lose(self) -> None:
        """The leases count as lost: the handler is cancelled (a run already over keeps its
        outcome)."""
        if self._handler_task.done():
            return
        self.lost = True
        self._handler_task.cancel()

    async def stop(self) -> None:
        """Stop renewing; returns once a renewal in flight has ended."""
        self._timer.cancel()
        self._over.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)


def renewal_margin(interval: float, lease_seconds: float) -> float:
    """How long before a lease's end its heartbeat gives a failing renewal up (and a write is
    no longer sent under it)."""
    return min(interval / 2, lease_seconds / 4)


def writes_under_lease(
    store: JobStore, job: RunningJob, interval: float, presence_losses: PresenceLosses
) -> AbstractContextManager[None]:
    """Within it (and in the tasks created within it, such as the job's handler), a write is
    sent only under the job's lease (:mod:`upsales_fortnox.integrations.send_check`): its check
    raises :class:`LeaseLost` once the job's installation may be another worker's. That is when
    its lease, as this worker knows it, ends within the renewal margin (it ran out unrenewed,
    say while the process was stalled; the margin covers the write's own way out), or when the
    worker's presence in the database ended since the claim."""
    margin = renewal_margin(interval, store.lease_seconds)
    installation = job.installation_id

    def check() -> None:
        held = store.seconds_held(job)
        if held is None or held <= margin or presence_losses.held_from_before_a_loss(installation):
            raise LeaseLost(f"job {job.job_id}: its lease may be over; no write is sent")

    return checked_before_sending(check)
