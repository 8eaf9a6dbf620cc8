"""Concurrency: one worker serving several installations at once (SQLite and PostgreSQL), and
two competing workers on PostgreSQL. An installation is never served twice at the same time
and every job runs exactly once."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.conftest import BACKENDS
from tests.database import truncate_all
from tests.jobs.support import (
    FakeClock,
    Result,
    add_installation,
    add_job,
    job_settings,
    make_worker,
)
from upsales_fortnox.core.db.engine import create_engine, create_session_factory
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.models.job import InboundEvent, SyncJob
from upsales_fortnox.vocabulary import EventSource, JobStatus

Factory = async_sessionmaker[AsyncSession]


@dataclass
class RunLog:
    """Records each handler run as an interval on a shared sequence of events."""

    sequence: itertools.count[int] = field(default_factory=itertools.count)
    intervals: dict[uuid.UUID, list[tuple[int, int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    runs: Counter[int] = field(default_factory=Counter)
    runner_of: dict[int, str] = field(default_factory=dict)
    running_now: set[uuid.UUID] = field(default_factory=set)
    most_at_once: int = 0
    started: dict[str, asyncio.Event] = field(default_factory=lambda: defaultdict(asyncio.Event))
    waits_for: dict[str, str] = field(default_factory=dict)

    def registry(self, names: dict[int, str]) -> HandlerRegistry:
        async def handler(ctx: JobContext) -> Result:
            begin = next(self.sequence)
            self.runs[ctx.job_id] += 1
            runner = names[id(ctx.session_factory)]
            self.runner_of[ctx.job_id] = runner
            self.started[runner].set()
            if runner in self.waits_for:
                # Hold this runner's jobs until the other one has started one of its own.
                await asyncio.wait_for(self.started[self.waits_for[runner]].wait(), timeout=20)
            self.running_now.add(ctx.installation_id)
            self.most_at_once = max(self.most_at_once, len(self.running_now))
            # Real database work, so that runs interleave.
            async with ctx.session_factory() as session:
                session.add(
                    InboundEvent(
                        installation_id=ctx.installation_id,
                        source=EventSource.FORTNOX,
                        dedupe_key=f"job-{ctx.job_id}",
                        event_type="test",
                        entity_type="test",
                        payload={},
                    )
                )
                await session.commit()
            await ctx.checkpoint({"step": 1})
            self.running_now.discard(ctx.installation_id)
            self.intervals[ctx.installation_id].append((begin, next(self.sequence), ctx.job_id))
            return Result({"job": ctx.job_id})

        return HandlerRegistry({"test.job": handler})

    def overlaps(self) -> list[tuple[uuid.UUID, int, int]]:
        found = []
        for installation_id, intervals in self.intervals.items():
            ordered = sorted(intervals)
            for (_, end, job_a), (begin, _, job_b) in itertools.pairwise(ordered):
                if begin < end:
                    found.append((installation_id, job_a, job_b))
        return found


async def _fill(
    session_factory: Factory, clock: FakeClock, installations: int, jobs_each: int
) -> list[int]:
    job_ids = []
    for number in range(installations):
        installation_id = await add_installation(session_factory, name=f"Customer {number}")
        for entity in range(jobs_each):
            job_ids.append(
                await add_job(session_factory, installation_id, clock, entity_id=str(entity))
            )
    return job_ids


async def _assert_all_done_once(session_factory: Factory, log: RunLog, job_ids: list[int]) -> None:
    assert log.overlaps() == []
    assert sorted(log.runs) == sorted(job_ids)
    assert set(log.runs.values()) == {1}
    async with session_factory() as session:
        statuses = Counter((await session.scalars(select(SyncJob.status))).all())
        attempts = await session.scalar(select(func.max(SyncJob.attempts)))
    assert statuses == {JobStatus.DONE: len(job_ids)}
    assert attempts == 1


async def test_one_worker_serves_installations_concurrently_without_overlap(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    job_ids = await _fill(session_factory, clock, installations=4, jobs_each=6)
    log = RunLog()
    worker = make_worker(
        session_factory,
        log.registry({id(session_factory): "only"}),
        clock,
        settings=job_settings(worker_concurrency=3),
        jobs_per_turn=3,
    )
    assert await worker.run_once() == len(job_ids)
    await _assert_all_done_once(session_factory, log, job_ids)
    assert log.most_at_once >= 2


@pytest.mark.postgres
@pytest.mark.skipif("postgresql" not in BACKENDS, reason="TEST_POSTGRES=off")
async def test_two_workers_compete_without_running_anything_twice(
    postgres_schema_url: str,
) -> None:
    engines = [create_engine(postgres_schema_url, pool_size=5) for _ in range(2)]
    try:
        await truncate_all(engines[0])
        factories = [create_session_factory(engine) for engine in engines]
        clock = FakeClock()
        job_ids = await _fill(factories[0], clock, installations=6, jobs_each=6)
        log = RunLog()
        names = {id(factories[0]): "first", id(factories[1]): "second"}
        registry = log.registry(names)
        workers = [
            make_worker(
                factory,
                registry,
                clock,
                settings=job_settings(worker_concurrency=3),
                worker_id=f"worker-{number}",
                jobs_per_turn=2,
            )
            for number, factory in enumerate(factories)
        ]
        # The first worker claims its installations and holds them in its first jobs; only
        # then does the second start, so it must serve the installations the first left over.
        log.waits_for["first"] = "second"
        first_run = asyncio.ensure_future(workers[0].run_once())
        first_started = asyncio.ensure_future(log.started["first"].wait())
        await asyncio.wait({first_run, first_started}, timeout=20, return_when="FIRST_COMPLETED")
        assert first_started.done(), "the first worker ran no job (see its outcome)" + (
            f": {first_run.result()!r}" if first_run.done() else ""
        )
        second_run = asyncio.ensure_future(workers[1].run_once())
        processed = await asyncio.gather(first_run, second_run)

        assert sum(processed) == len(job_ids)
        await _assert_all_done_once(factories[0], log, job_ids)
        assert set(log.runner_of.values()) == {"first", "second"}
    finally:
        for engine in engines:
            await engine.dispose()
