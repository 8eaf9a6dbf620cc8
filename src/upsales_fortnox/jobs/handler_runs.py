"""A job's handler run under its heartbeat, and what ends it early: the worker's stop (after a
grace period) or the end of its presence in the database."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AbstractContextManager
from typing import Any

from upsales_fortnox.jobs.heartbeat import Heartbeat, writes_under_lease
from upsales_fortnox.jobs.outcomes import Failed, Finished, Lost, Released, RunOutcome
from upsales_fortnox.jobs.presence_losses import PresenceLosses
from upsales_fortnox.jobs.runs import LeaseLost, RunningJob
from upsales_fortnox.jobs.store.job_store import JobStore

logger = logging.getLogger(__name__)


class HandlerRuns:
    """The handlers running now, each under the heartbeat that renews its leases."""

    def __init__(
        self,
        store: JobStore,
        presence_losses: PresenceLosses,
        *,
        heartbeat_seconds: float,
        grace_seconds: float,
    ) -> None:
        self._store = store
        self._presence_losses = presence_losses
        self._heartbeat_seconds = heartbeat_seconds
        self._grace_seconds = grace_seconds
        self._heartbeats: set[Heartbeat] = set()

    @property
    def running(self) -> int:
        return len(self._heartbeats)

    def lose_all(self) -> None:
        """Every running handler's leases are taken as lost (it stops; its outcome is not
        saved)."""
        for heartbeat in list(self._heartbeats):
            heartbeat.lose()

    def writes_checked(self, job: RunningJob) -> AbstractContextManager[None]:
        """Around the creation of the job's handler task: the task keeps the check that its
        writes are sent only under the job's leases (``writes_under_lease``)."""
        return writes_under_lease(self._store, job, self._heartbeat_seconds, self._presence_losses)

    async def execute(
        self,
        job: RunningJob,
        handler_task: asyncio.Future[Any],
        stop_waiter: asyncio.Future[Any] | None,
    ) -> RunOutcome:
        """Run the handler (its task made under :meth:`writes_checked`) under a heartbeat; once
        ``stop_waiter`` is done (the worker stops), wait out the grace period, then cancel it."""
        heartbeat = Heartbeat(self._store, job, handler_task, self._heartbeat_seconds)
        self._heartbeats.add(heartbeat)
        if self._presence_losses.held_from_before_a_loss(job.installation_id):
            heartbeat.lose()  # started along with the last outcome, after the presence ended
        try:
            if stop_waiter is None:
                await asyncio.wait({handler_task})
            else:
                await asyncio.wait({handler_task, stop_waiter}, return_when=asyncio.FIRST_COMPLETED)
            if not handler_task.done() and self._grace_seconds > 0:
                logger.info(
                    "stopping: the running job may finish within %.0f s",
                    self._grace_seconds,
                    extra={"installation_id": str(job.installation_id), "job_id": job.job_id},
                )
                await asyncio.wait({handler_task}, timeout=self._grace_seconds)
            if not handler_task.done():
                handler_task.cancel()
                await asyncio.gather(handler_task, return_exceptions=True)
                if not heartbeat.lost:
                    return Released()
        except asyncio.CancelledError:
            handler_task.cancel()
            raise
        finally:
            self._heartbeats.discard(heartbeat)
            await heartbeat.stop()  # after any renewal in flight, never inside one
        if heartbeat.lost:
            return Lost()
        if handler_task.cancelled():
            return Failed(asyncio.CancelledError("the handler was cancelled"))
        error = handler_task.exception()
        if isinstance(error, LeaseLost):
            return Lost()
        if error is not None:
            return Failed(error)
        try:
            return Finished.returning(handler_task.result())
        except Exception as exc:  # its to_json failed: as if the handler had raised
            return Failed(exc)
