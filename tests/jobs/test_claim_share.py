"""A worker's fair share of the waiting installations while other workers are connected: the
decision alone, then two workers claiming on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.jobs.support import FakeClock, add_installation, add_job, connected_as
from upsales_fortnox.jobs.claim_share import Waiting, Workload, fair_share
from upsales_fortnox.jobs.store.job_store import JobStore

Factory = async_sessionmaker[AsyncSession]
NOW = datetime(2026, 12, 3, 12, 0, 0)
GRACE = timedelta(seconds=1)


def _waiting(count: int, *, waited_seconds: float = 0.0) -> list[Waiting]:
    since = NOW - timedelta(seconds=waited_seconds)
    return [Waiting(uuid.UUID(int=index + 1), since) for index in range(count)]


def _share(waiting: list[Waiting], load: Workload, limit: int = 200) -> list[uuid.UUID]:
    return fair_share(waiting, load, limit=limit, overdue_before=NOW - GRACE)


def test_a_worker_alone_takes_everything_up_to_its_limit() -> None:
    waiting = _waiting(30)
    alone = Workload(workers=1, leased=0, mine=0)
    assert _share(waiting, alone) == [candidate.installation_id for candidate in waiting]
    assert _share(waiting, alone, limit=4) == [w.installation_id for w in waiting[:4]]


def test_two_idle_workers_split_a_burst_evenly_in_its_order() -> None:
    waiting = _waiting(201)
    first = _share(waiting, Workload(workers=2, leased=0, mine=0))
    assert first == [candidate.installation_id for candidate in waiting[:101]]
    rest = [candidate for candidate in waiting if candidate.installation_id not in set(first)]
    second = _share(rest, Workload(workers=2, leased=101, mine=0))
    assert second == [candidate.installation_id for candidate in rest]


def test_a_worker_serving_more_than_its_share_takes_only_an_even_split_of_the_new_work() -> None:
    waiting = _waiting(10)
    busy = Workload(workers=2, leased=100, mine=100)
    assert len(_share(waiting, busy)) == 5  # ceil(10 / 2): claims always make progress
    idle = Workload(workers=2, leased=100, mine=0)
    assert len(_share(waiting, idle)) == 10  # brings it to ceil(110 / 2) = 55, more than 10
    three = Workload(workers=3, leased=0, mine=0)
    assert len(_share(_waiting(10), three)) == 4


def test_installations_left_waiting_past_the_grace_are_taken_by_whoever_looks() -> None:
    fresh = _waiting(6)
    overdue = [Waiting(uuid.UUID(int=100 + index), NOW - 2 * GRACE) for index in range(4)]
    departed = [Waiting(uuid.UUID(int=200), None)]  # only a departed worker's lease is left
    waiting = overdue + fresh + departed
    busy = Workload(workers=2, leased=50, mine=50)
    taken = _share(waiting, busy)
    # ceil(11 / 2) = 6 in order (the 4 overdue and 2 fresh), and the departed worker's one
    assert taken == [w.installation_id for w in waiting[:6]] + [uuid.UUID(int=200)]
    assert len(_share(waiting, busy, limit=3)) == 3


def test_no_worker_counted_means_alone() -> None:
    assert len(_share(_waiting(5), Workload(workers=0, leased=0, mine=0))) == 5


def _store(session_factory: Factory, owner: str, clock: FakeClock) -> JobStore:
    return JobStore(
        session_factory,
        owner=owner,
        lease=timedelta(seconds=60),
        clock=clock,
        claim_grace=GRACE,
    )


@pytest.mark.postgres
async def test_two_connected_workers_share_the_waiting_installations(pg_sessions: Factory) -> None:
    clock = FakeClock()
    installations = [await add_installation(pg_sessions, name=f"AB {n}") for n in range(10)]
    for installation_id in installations:
        await add_job(pg_sessions, installation_id, clock)
    first = _store(pg_sessions, "worker-a", clock)
    second = _store(pg_sessions, "worker-b", clock)
    try:
        async with connected_as(pg_sessions, "worker-b"):  # b is up, not claiming yet
            claimed_by_first = await first.claim_installations(200)
        assert len(claimed_by_first) == 5
        claimed_by_second = await second.claim_installations(200)
        assert sorted(claimed_by_first + claimed_by_second) == sorted(installations)
    finally:
        await first.close()
        await second.close()


@pytest.mark.postgres
async def test_what_another_connected_worker_leaves_waiting_is_taken_after_the_grace(
    pg_sessions: Factory,
) -> None:
    clock = FakeClock()
    installations = [await add_installation(pg_sessions, name=f"AB {n}") for n in range(4)]
    for installation_id in installations:
        await add_job(pg_sessions, installation_id, clock)
    worker = _store(pg_sessions, "worker-a", clock)
    try:
        async with connected_as(pg_sessions, "worker-b"):  # connected, but never claims
            first_claim = await worker.claim_installations(200)
            assert len(first_claim) == 2
            clock.advance(GRACE.total_seconds() * 2)
            # an even split of the two left would be one; both have waited past the grace
            rest = await worker.claim_installations(200, exclude=first_claim)
        assert sorted(first_claim + rest) == sorted(installations)
    finally:
        await worker.close()
