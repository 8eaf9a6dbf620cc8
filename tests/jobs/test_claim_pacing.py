"""When the worker's loop claims installations: at once while more may be waiting, else once per
poll (the rule alone, and the loop keeping to it)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.jobs.support import FakeClock, add_installation, add_job, job_settings, make_worker
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.jobs.claim_pacing import ClaimPacing

Factory = async_sessionmaker[AsyncSession]
POLL = 0.5
SAFETY_TIMEOUT = 10


def test_the_first_claim_is_made_at_once() -> None:
    pacing = ClaimPacing(jobs_per_turn=50)
    assert pacing.claim_now(100.0, POLL)
    assert pacing.wait_seconds(100.0, POLL) == 0.0


def test_a_claim_that_filled_every_free_place_is_followed_at_once() -> None:
    pacing = ClaimPacing(jobs_per_turn=50)
    pacing.claimed(100.0, asked=4, got=4)
    assert pacing.claim_now(100.01, POLL)
    assert pacing.wait_seconds(100.01, POLL) == 0.0


def test_after_a_claim_that_found_fewer_the_next_waits_for_the_poll() -> None:
    pacing = ClaimPacing(jobs_per_turn=50)
    pacing.claimed(100.0, asked=4, got=1)
    pacing.turn_ended(3)  # a turn that ran out of due jobs
    assert not pacing.claim_now(100.2, POLL)
    assert pacing.wait_seconds(100.2, POLL) == pytest.approx(0.3)
    assert pacing.claim_now(100.5, POLL)
    assert pacing.wait_seconds(100.7, POLL) == 0.0


def test_a_failed_claim_waits_for_the_poll_too() -> None:
    pacing = ClaimPacing(jobs_per_turn=50)
    pacing.claimed(100.0, asked=4, got=0)
    assert not pacing.claim_now(100.1, 2.0)
    assert pacing.wait_seconds(100.1, 2.0) == pytest.approx(1.9)


def test_a_turn_ended_at_its_limit_may_have_left_work_so_the_next_claim_is_at_once() -> None:
    pacing = ClaimPacing(jobs_per_turn=50)
    pacing.claimed(100.0, asked=4, got=1)
    pacing.turn_ended(50)
    assert pacing.claim_now(100.1, POLL)
    assert pacing.wait_seconds(100.1, POLL) == 0.0


async def _loop_turns(times: int = 20) -> None:
    """Lets the event loop run every callback now ready, a few rounds over (no timing)."""
    for _ in range(times):
        await asyncio.sleep(0)


async def test_a_turn_ending_after_a_claim_that_found_fewer_claims_nothing_before_the_poll(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    first = await add_installation(session_factory, name="First")
    second = await add_installation(session_factory, name="Second")
    await add_job(session_factory, first, clock, entity_id="1")
    worker = make_worker(
        session_factory,
        HandlerRegistry({}),
        clock,
        settings=job_settings(worker_concurrency=3, worker_poll_seconds=3600),
    )
    claims: list[list[uuid.UUID]] = []
    released = asyncio.Event()
    store = worker._store
    claim, release = store.claim_installations, store.release_installation

    async def counted_claim(limit: int, **options: object) -> list[uuid.UUID]:
        won = await claim(limit, **options)  # type: ignore[arg-type]
        claims.append(won)
        return won

    async def noted_release(installation_id: uuid.UUID) -> None:
        await release(installation_id)
        released.set()

    async def handler(ctx: JobContext) -> None:  # work for another installation meanwhile
        await add_job(session_factory, second, clock, entity_id="2")

    worker._registry = HandlerRegistry({"test.job": handler})
    store.claim_installations = counted_claim  # type: ignore[method-assign]
    store.release_installation = noted_release  # type: ignore[method-assign]
    stop = asyncio.Event()
    running = asyncio.ensure_future(worker.run(stop))
    await asyncio.wait_for(released.wait(), SAFETY_TIMEOUT)
    await _loop_turns()
    stop.set()
    await asyncio.wait_for(running, SAFETY_TIMEOUT)
    assert claims == [[first]]  # the second installation waits for the next poll
