"""Jobs that end ``dead`` without a run: one whose worker stopped during its last attempt (its
lease expired), and one of a kind no handler is registered for. Each is logged with its code
and told to the observer as ``dead`` with no seconds, as a failed run's death is."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from upsales_fortnox.jobs.failures import error_text, reason_code
from upsales_fortnox.jobs.runs import DueJob, RunningJob
from upsales_fortnox.jobs.store.job_store import JobStore

logger = logging.getLogger("upsales_fortnox.jobs.worker")

#: Told of every job that ended: its kind, how (``done``, ``retry``, ``wait``, ``dead``,
#: ``reauthorize``, ``released``, ``lease_lost``) and its run's seconds (None: it ended without
#: a run, buried). Must not block or raise.
JobObserver = Callable[[str, str, float | None], None]


class Burials:
    def __init__(self, store: JobStore, on_outcome: JobObserver | None) -> None:
        self._store = store
        self._on_outcome = on_outcome

    async def bury_expired(self, installation_id: uuid.UUID, due: DueJob) -> bool:
        """``dead``: a job whose worker stopped during its last attempt (its lease expired)."""
        reason = error_text(
            "lease_expired",
            f"the worker running attempt {due.attempts} of {due.max_attempts} stopped; "
            "no attempts left. Its log says why (a restart, or the job itself: memory, a "
            "hang); retry it once that is mended",
        )
        buried = await self._store.bury_expired(due, reason)
        if buried:
            extra = {"installation_id": str(installation_id), "job_id": due.job_id}
            self._dead(due.kind, reason, extra)
        return buried

    async def bury_unknown_kind(self, job: RunningJob, log_extra: dict[str, object]) -> None:
        """``dead``: no handler is registered for the job's kind (unless the job's lease was
        lost meanwhile: the worker holding it now buries and counts it)."""
        reason = error_text(
            "unknown_job_kind", f"no handler is registered for job kind {job.kind!r}"
        )
        if await self._store.bury(job, reason):
            self._dead(job.kind, reason, log_extra)

    def _dead(self, kind: str, reason: str, log_extra: dict[str, object]) -> None:
        logger.error("job dead: %s", reason, extra={**log_extra, "code": reason_code(reason)})
        if self._on_outcome is not None:
            self._on_outcome(kind, "dead", None)
