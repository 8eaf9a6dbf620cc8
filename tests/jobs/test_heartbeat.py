"""The heartbeat against a lease that runs out in real time (a store stand-in)."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from typing import Any, cast

from upsales_fortnox.jobs.heartbeat import Heartbeat
from upsales_fortnox.jobs.runs import RunningJob
from upsales_fortnox.jobs.store.job_store import JobStore

LEASE = 7.5  # seconds (the retry has 0.6 s of slack), the heartbeat every third of it


class _Store:
    """A lease that ends ``LEASE`` s after its last renewal; the first ``failures`` fail."""

    lease_seconds = LEASE

    def __init__(self, failures: int) -> None:
        # The job started with two thirds of the installation's lease left (it is renewed at
        # a start only once a third has passed): the first beat finds a third left.
        self.ends_at = time.monotonic() + 2 * LEASE / 3
        self.failures = failures
        self.tries = 0

    def seconds_held(self, job: RunningJob) -> float:
        return self.ends_at - time.monotonic()

    async def renew(self, job: RunningJob) -> None:
        self.tries += 1
        if self.tries <= self.failures:
            raise ConnectionError("a blip")
        self.ends_at = time.monotonic() + LEASE


def _job() -> RunningJob:
    return RunningJob(
        job_id=1,
        installation_id=uuid.uuid4(),
        kind="test.job",
        entity_id=None,
        payload={},
        attempts=1,
        max_attempts=3,
        attempt_id=1,
        attempt_number=1,
        recovered=False,
    )


async def _run(store: _Store, interval: float, runs_for: float) -> tuple[Heartbeat, bool]:
    handler: asyncio.Future[Any] = asyncio.ensure_future(asyncio.sleep(runs_for))
    heartbeat = Heartbeat(cast(JobStore, store), _job(), handler, interval)
    with contextlib.suppress(asyncio.CancelledError):
        await handler
    await heartbeat.stop()
    return heartbeat, handler.cancelled()


async def test_one_failed_renewal_is_tried_again_while_the_lease_lasts() -> None:
    store = _Store(failures=1)

    heartbeat, cancelled = await _run(store, interval=LEASE / 3, runs_for=0.8 * LEASE)

    # Tried again with time left for the try (not at the margin, where it had none).
    assert store.tries >= 2 and not heartbeat.lost and not cancelled


async def test_renewals_failing_to_the_end_stop_the_run_before_the_lease_ends() -> None:
    store = _Store(failures=1000)

    heartbeat, cancelled = await _run(store, interval=LEASE / 3, runs_for=2 * LEASE)

    assert heartbeat.lost and cancelled and store.tries >= 2
