"""Leases: a stalled worker's job runs again; a worker that lost a lease records nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.database import advisory_lock_holders
from tests.jobs.support import (
    LEASE_SECONDS,
    FakeClock,
    Result,
    add_installation,
    add_job,
    connected_as,
    lease_rows,
    load_attempts,
    load_job,
    make_worker,
    simulate_crashed_run,
)
from upsales_fortnox.core.db.clock import DatabaseClock, host_now
from upsales_fortnox.integrations.errors import RetryableError
from upsales_fortnox.integrations.send_check import before_sending
from upsales_fortnox.jobs import HandlerRegistry, JobContext, LeaseLost, Worker
from upsales_fortnox.jobs.store.claims import InstallationClaims
from upsales_fortnox.jobs.store.job_store import JobStore
from upsales_fortnox.jobs.store.presence import PRESENCE_LOCK_CLASS
from upsales_fortnox.models.job import InstallationLease, SyncJob
from upsales_fortnox.vocabulary import AttemptOutcome, JobStatus

Factory = async_sessionmaker[AsyncSession]


def _counting_registry(runs: list[tuple[int, int]]) -> HandlerRegistry:
    async def handler(ctx: JobContext) -> Result:
        runs.append((ctx.job_id, ctx.attempt))
        return Result({"ok": True})

    return HandlerRegistry({"test.job": handler})


async def test_job_of_a_crashed_worker_runs_again_exactly_once(session_factory: Factory) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)
    await simulate_crashed_run(session_factory, job_id, clock, lease_left_seconds=-1)
    runs: list[tuple[int, int]] = []
    worker = make_worker(session_factory, _counting_registry(runs), clock)

    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    assert runs == [(job_id, 2)]
    job = await load_job(session_factory, job_id)
    assert (job.status, job.attempts) == (JobStatus.DONE, 2)
    crashed, rerun = await load_attempts(session_factory, job_id)
    assert (crashed.number, crashed.outcome, crashed.finished_at) == (
        1,
        AttemptOutcome.LEASE_EXPIRED,
        clock.now,
    )
    assert crashed.error is not None and crashed.error.startswith("lease_expired: ")
    assert (rerun.number, rerun.outcome, rerun.worker_id) == (
        2,
        AttemptOutcome.DONE,
        worker.worker_id,
    )


async def test_a_running_job_with_a_live_lease_is_left_alone(session_factory: Factory) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)
    await simulate_crashed_run(session_factory, job_id, clock, lease_left_seconds=30)
    runs: list[tuple[int, int]] = []
    worker = make_worker(session_factory, _counting_registry(runs), clock)

    # (On PostgreSQL its worker is still connected: stalled, not dead.)
    async with connected_as(session_factory, "crashed-worker"):
        assert await worker.run_once() == 0
        clock.advance(30)
        assert await worker.run_once() == 0  # expires only strictly after its moment
        clock.advance(1)
        assert await worker.run_once() == 1
    assert runs == [(job_id, 2)]


async def test_a_crash_on_the_last_attempt_makes_the_job_dead(session_factory: Factory) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock, max_attempts=1)
    await simulate_crashed_run(session_factory, job_id, clock, lease_left_seconds=-1)
    runs: list[tuple[int, int]] = []
    worker = make_worker(session_factory, _counting_registry(runs), clock)

    assert await worker.run_once() == 1
    assert runs == []
    job = await load_job(session_factory, job_id)
    assert (job.status, job.attempts) == (JobStatus.DEAD, 1)
    assert job.last_error == (
        "lease_expired: the worker running attempt 1 of 1 stopped; no attempts left. Its log "
        "says why (a restart, or the job itself: memory, a hang); retry it once that is mended"
    )
    (attempt,) = await load_attempts(session_factory, job_id)
    assert attempt.outcome == AttemptOutcome.LEASE_EXPIRED


async def _hold_lease(
    session_factory: Factory, installation_id: uuid.UUID, owner: str, clock: FakeClock, left: float
) -> None:
    async with session_factory() as session, session.begin():
        session.add(
            InstallationLease(
                installation_id=installation_id,
                owner=owner,
                expires_at=clock.now + timedelta(seconds=left),
            )
        )


async def test_an_installation_leased_by_another_worker_is_skipped_until_it_expires(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    leased = await add_installation(session_factory, name="Leased")
    free = await add_installation(session_factory, name="Free")
    leased_job = await add_job(session_factory, leased, clock)
    free_job = await add_job(session_factory, free, clock)
    await _hold_lease(session_factory, leased, "other-worker", clock, left=10)
    runs: list[tuple[int, int]] = []
    worker = make_worker(session_factory, _counting_registry(runs), clock)

    async with connected_as(session_factory, "other-worker"):
        assert await worker.run_once() == 1
        assert runs == [(free_job, 1)]
        (lease,) = await lease_rows(session_factory)
        assert lease.owner == "other-worker"

        clock.advance(11)
        assert await worker.run_once() == 1
    assert runs[-1] == (leased_job, 1)
    assert await lease_rows(session_factory) == []


async def test_checkpoint_saves_progress_and_renews_the_leases(session_factory: Factory) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock, payload={"page": 0})
    seen_payloads: list[dict[str, Any]] = []
    lease_after_checkpoint: list[Any] = []

    async def handler(ctx: JobContext) -> Result:
        seen_payloads.append(dict(ctx.payload))
        if ctx.attempt == 1:
            clock.advance(LEASE_SECONDS - 1)
            await ctx.checkpoint({"page": 3})
            job = await load_job(session_factory, job_id)
            leases = await lease_rows(session_factory)
            lease_after_checkpoint.extend([job.lease_expires_at, leases[0].expires_at])
            raise RetryableError("connection reset", code="network")
        return Result({"pages": ctx.payload["page"]})

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    await worker.run_once()
    expected_expiry = clock.now + timedelta(seconds=LEASE_SECONDS)
    assert lease_after_checkpoint == [expected_expiry, expected_expiry]
    job = await load_job(session_factory, job_id)
    assert job.payload == {"page": 3}

    clock.move_to(job.run_after)
    await worker.run_once()
    assert seen_payloads == [{"page": 0}, {"page": 3}]
    assert (await load_job(session_factory, job_id)).result == {"pages": 3}


async def _steal_job(session_factory: Factory, job_id: int) -> None:
    async with session_factory() as session, session.begin():
        await session.execute(
            update(SyncJob).where(SyncJob.id == job_id).values(lease_owner="newer-worker")
        )


async def test_a_worker_that_lost_the_job_records_nothing(session_factory: Factory) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock, payload={"page": 0})
    second_job = await add_job(session_factory, installation_id, clock)
    checkpoint_errors: list[BaseException] = []

    async def handler(ctx: JobContext) -> Result:
        await _steal_job(session_factory, ctx.job_id)
        try:
            await ctx.checkpoint({"page": 9})
        except LeaseLost as exc:
            checkpoint_errors.append(exc)
            raise
        return Result({"unreachable": True})

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    assert await worker.run_once() == 0
    assert len(checkpoint_errors) == 1
    job = await load_job(session_factory, job_id)
    assert (job.status, job.lease_owner, job.payload) == (
        JobStatus.RUNNING,
        "newer-worker",
        {"page": 0},
    )
    (attempt,) = await load_attempts(session_factory, job_id)
    assert attempt.finished_at is None and attempt.outcome is None
    # It stopped serving the installation rather than run its next job.
    assert (await load_job(session_factory, second_job)).status == JobStatus.QUEUED


async def test_a_job_started_twice_from_one_read_runs_once_with_one_attempt(
    session_factory: Factory,
) -> None:
    """The start's own check that the job is still due, and (on PostgreSQL, one statement)
    that the attempt row is opened only by the start that matched."""
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)
    store = JobStore(session_factory, owner="worker-a", lease=timedelta(seconds=60), clock=clock)
    assert await store.claim_installations(1) == [installation_id]
    (due,) = await store.due_jobs(installation_id, 1)
    run = await store.start(installation_id, due)
    assert run is not None and (run.attempts, run.attempt_number, run.recovered) == (1, 1, False)

    assert await store.start(installation_id, due) is None
    (attempt,) = await load_attempts(session_factory, job_id)
    assert (attempt.id, attempt.number, attempt.worker_id) == (run.attempt_id, 1, "worker-a")
    assert (await load_job(session_factory, job_id)).attempts == 1
    await store.close()


async def test_a_write_is_not_sent_once_the_lease_ran_out_unrenewed(
    session_factory: Factory,
) -> None:
    """A worker stalled past its lease (nothing renewed it) sends no write when it wakes: the
    installation may be another worker's by then, which runs the job again."""
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)
    refused: list[BaseException] = []
    sent: list[int] = []

    async def handler(ctx: JobContext) -> Result:
        before_sending()  # within its lease: allowed
        if ctx.attempt == 1:
            clock.advance(LEASE_SECONDS + 1)  # the process stalls past its lease
            try:
                await asyncio.create_task(_send(ctx.attempt))  # a task of the handler's
            except LeaseLost as exc:
                refused.append(exc)
                raise
        await _send(ctx.attempt)
        return Result({"sent": True})

    async def _send(attempt: int) -> None:
        before_sending()
        sent.append(attempt)

    registry = HandlerRegistry({"test.job": handler})
    stalled = make_worker(session_factory, registry, clock)
    assert await stalled.run_once() == 0
    assert len(refused) == 1 and sent == []
    job = await load_job(session_factory, job_id)
    # nobody took it over yet: its run over, the stalled worker gave it back (due again)
    assert (job.status, job.lease_owner, job.attempts) == (JobStatus.QUEUED, None, 1)

    other = make_worker(session_factory, registry, clock)
    assert await other.run_once() == 1
    assert sent == [2]
    assert (await load_job(session_factory, job_id)).status == JobStatus.DONE


async def test_a_write_near_the_leases_end_waits_for_a_renewal(session_factory: Factory) -> None:
    """Within the renewal margin of its lease's end a write is not sent (it might arrive after
    the end); once the lease is renewed, it is."""
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock, payload={"page": 0})
    refused: list[float] = []

    async def handler(ctx: JobContext) -> Result:
        clock.advance(LEASE_SECONDS - 5)  # 5 s left: inside the margin (a sixth of the lease)
        try:
            before_sending()
        except LeaseLost:
            refused.append(LEASE_SECONDS - 5)
        await ctx.checkpoint({"page": 1})  # renews both leases
        before_sending()
        return Result({"sent": True})

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    assert await worker.run_once() == 1
    assert refused == [LEASE_SECONDS - 5]
    assert (await load_job(session_factory, job_id)).status == JobStatus.DONE


async def test_a_write_after_the_presence_ended_is_not_sent(session_factory: Factory) -> None:
    """The worker's presence in the database ended while its job ran: even a handler that goes
    on after its cancel sends no write (another worker may hold the installation now)."""
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    await add_job(session_factory, installation_id, clock)
    refused: list[BaseException] = []

    async def handler(ctx: JobContext) -> Result:
        worker._presence_lost()
        try:
            await asyncio.sleep(0)  # the handler's cancel arrives
        except asyncio.CancelledError:
            try:
                before_sending()
            except LeaseLost as exc:
                refused.append(exc)
            raise
        return Result({"unreachable": True})

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    assert await worker.run_once() == 0
    assert len(refused) == 1


async def test_heartbeat_notices_a_lost_lease_and_cancels_the_handler(
    session_factory: Factory,
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)

    async def steal(worker: Worker) -> None:
        await _steal_job(session_factory, job_id)

    assert await _cancelled_while_running(session_factory, clock, steal)
    job = await load_job(session_factory, job_id)
    assert (job.status, job.lease_owner) == (JobStatus.RUNNING, "newer-worker")


Renew = Callable[..., Awaitable[None]]


async def _cancelled_while_running(
    session_factory: Factory,
    clock: FakeClock,
    meanwhile: Callable[[Worker], Awaitable[None]],
    *,
    heartbeat_seconds: float = 0.01,
) -> bool:
    """Run one job that does ``meanwhile`` and then would wait forever; whether the worker
    cancelled it (its run ended without an outcome)."""
    cancelled = asyncio.Event()

    async def handler(ctx: JobContext) -> None:
        try:
            await meanwhile(worker)
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    worker = make_worker(
        session_factory,
        HandlerRegistry({"test.job": handler}),
        clock,
        heartbeat_seconds=heartbeat_seconds,
    )
    assert await asyncio.wait_for(worker.run_once(), timeout=30) == 0
    return cancelled.is_set()


async def _run_with_renewals(
    session_factory: Factory,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    renew: Renew,
    lease_left: float,
) -> bool:
    """:func:`_cancelled_while_running`, its leases renewed by ``renew`` from the moment
    ``lease_left`` seconds of them are left."""

    async def meanwhile(worker: Worker) -> None:
        monkeypatch.setattr(JobStore, "renew", renew)
        clock.advance(LEASE_SECONDS - lease_left)

    return await _cancelled_while_running(session_factory, clock, meanwhile)


async def test_a_run_whose_lease_cannot_be_renewed_stops_before_it_ends(
    session_factory: Factory, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The database is out of reach while a long job runs: the handler is cancelled before
    the lease ends (another worker may take the installation then), not left running on."""
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)

    async def unreachable(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("the database is out of reach")

    assert await _run_with_renewals(session_factory, clock, monkeypatch, unreachable, 0.001)
    assert "job_lease_unrenewable" in [getattr(r, "code", None) for r in caplog.records]
    # runs again: given back at once where the job's row could still be written
    assert (await load_job(session_factory, job_id)).status == JobStatus.QUEUED


async def test_a_run_goes_on_through_a_failed_renewal_while_its_lease_lasts(
    session_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)
    renew = JobStore.renew
    failed_once = asyncio.Event()

    async def fails_once(self: JobStore, *args: Any, **kwargs: Any) -> None:
        if not failed_once.is_set():
            failed_once.set()
            raise ConnectionError("a blip")
        await renew(self, *args, **kwargs)

    monkeypatch.setattr(JobStore, "renew", fails_once)

    async def handler(ctx: JobContext) -> Result:
        await failed_once.wait()  # the heartbeat's first renewal failed
        return Result({})

    worker = make_worker(
        session_factory, HandlerRegistry({"test.job": handler}), clock, heartbeat_seconds=0.01
    )
    assert await asyncio.wait_for(worker.run_once(), timeout=10) == 1
    assert (await load_job(session_factory, job_id)).status == JobStatus.DONE


async def test_a_renewal_that_hangs_is_given_up_before_the_lease_ends(
    session_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    await add_job(session_factory, installation_id, clock)

    async def hangs(*args: Any, **kwargs: Any) -> None:
        clock.advance(1.0)  # time passes while it hangs
        await asyncio.Event().wait()

    assert await _run_with_renewals(session_factory, clock, monkeypatch, hangs, 0.02)


async def test_a_renewal_whose_transaction_failed_does_not_count(
    session_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    await add_job(session_factory, installation_id, clock)
    store = JobStore(
        session_factory, owner="worker-a", lease=timedelta(seconds=LEASE_SECONDS), clock=clock
    )
    renew_on = InstallationClaims.renew_on

    async def renewed_then_lost(self: InstallationClaims, *args: Any) -> None:
        await renew_on(self, *args)
        raise ConnectionError("the commit's answer never came")

    try:
        assert await store.claim_installations(1) == [installation_id]
        (due,) = await store.due_jobs(installation_id, 1)
        job = await store.start(installation_id, due)
        assert job is not None
        clock.advance(30)
        with monkeypatch.context() as patched:
            patched.setattr(InstallationClaims, "renew_on", renewed_then_lost)
            with pytest.raises(ConnectionError):
                await store.renew(job)

        assert store.seconds_held(job) == LEASE_SECONDS - 30  # not the uncommitted 60 s
    finally:
        await store.close()


@pytest.mark.postgres
async def test_a_worker_whose_presence_ended_stops_its_running_jobs_at_once(
    pg_sessions: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    """The database ended the worker's presence session (a restart, say): other workers may
    take its installations over from that moment, so its running job stops then, not at its
    next renewal."""
    clock = FakeClock()
    installation_id = await add_installation(pg_sessions)
    job_id = await add_job(pg_sessions, installation_id, clock)
    engine = pg_sessions.kw["bind"]

    async def end_its_presence(worker: Worker) -> None:
        (pid,) = await advisory_lock_holders(engine, PRESENCE_LOCK_CLASS, worker.worker_id)
        async with engine.connect() as connection:
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    # (the heartbeat's next renewal is an hour away)
    assert await _cancelled_while_running(
        pg_sessions, clock, end_its_presence, heartbeat_seconds=3600
    )
    assert "worker_presence_lost" in [getattr(r, "code", None) for r in caplog.records]
    # runs again: given back once its run was over, nobody having taken it over
    assert (await load_job(pg_sessions, job_id)).status == JobStatus.QUEUED


@pytest.mark.postgres
async def test_a_job_stopped_by_the_presence_ending_runs_again_without_waiting_out_its_lease(
    pg_sessions: Factory,
) -> None:
    """The database ended the worker's presence session while its job ran; the worker comes
    back (its next claim takes the presence again) before any other took the job over. The
    job, stopped and no longer run by anyone, is due again at once, not after its lease."""
    clock = FakeClock()
    installation_id = await add_installation(pg_sessions)
    job_id = await add_job(pg_sessions, installation_id, clock)
    engine = pg_sessions.kw["bind"]
    runs: list[int] = []

    async def handler(ctx: JobContext) -> Result:
        runs.append(ctx.attempt)
        if len(runs) == 1:
            (pid,) = await advisory_lock_holders(engine, PRESENCE_LOCK_CLASS, worker.worker_id)
            async with engine.connect() as connection:
                await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await asyncio.Event().wait()  # until the worker stops it
        return Result({})

    worker = make_worker(
        pg_sessions, HandlerRegistry({"test.job": handler}), clock, heartbeat_seconds=3600
    )
    assert await asyncio.wait_for(worker.run_once(), timeout=30) == 0
    assert await asyncio.wait_for(worker.run_once(), timeout=30) == 1  # the clock stood still

    assert len(runs) == 2
    assert (await load_job(pg_sessions, job_id)).status == JobStatus.DONE


async def test_no_job_starts_on_an_installation_held_from_before_the_presence_ended(
    session_factory: Factory,
) -> None:
    """The presence ends just as a job finishes: the job after it (started along with the
    outcome) does not run, as another worker may be taking the installation over."""
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    await add_job(session_factory, installation_id, clock, kind="first")
    second = await add_job(session_factory, installation_id, clock, kind="second")
    ran: list[str] = []

    async def first(ctx: JobContext) -> Result:
        ran.append("first")
        # As the presence connection's end is reported: once this handler has returned.
        asyncio.get_running_loop().call_soon(worker._presence_lost)
        return Result({})

    async def later(ctx: JobContext) -> Result:
        ran.append("second")
        return Result({})

    worker = make_worker(session_factory, HandlerRegistry({"first": first, "second": later}), clock)
    await asyncio.wait_for(worker.run_once(), timeout=10)

    # the start that came with the outcome never ran its handler; the job was given back and
    # ran once, under the worker's next claim
    assert ran == ["first", "second"]
    attempts = await load_attempts(session_factory, second)
    assert [attempt.outcome for attempt in attempts] == [
        AttemptOutcome.LEASE_EXPIRED,
        AttemptOutcome.DONE,
    ]


async def test_no_job_runs_on_an_installation_claimed_as_the_presence_ended(
    session_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The presence ends while the claim is under way: what it claimed is not surely the
    worker's (others may take it over at once), so its turn ends without running a job."""
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)
    ran: list[int] = []
    claim = JobStore.claim_installations

    async def claim_as_the_presence_ends(self: JobStore, *args: Any, **kwargs: Any) -> Any:
        claimed = await claim(self, *args, **kwargs)
        worker._presence_lost()  # reported before the claim's caller resumes
        return claimed

    async def handler(ctx: JobContext) -> Result:
        ran.append(ctx.job_id)
        return Result({})

    monkeypatch.setattr(JobStore, "claim_installations", claim_as_the_presence_ends)
    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    await asyncio.wait_for(worker.run_once(), timeout=10)

    assert ran == []
    assert (await load_job(session_factory, job_id)).status == JobStatus.QUEUED


@pytest.mark.postgres
async def test_a_worker_whose_host_clock_runs_ahead_leaves_a_connected_workers_lease_alone(
    pg_sessions: Factory,
) -> None:
    """Leases are compared on the database's clock: a worker on a host whose clock runs two
    leases ahead takes nothing from a connected worker once its clock is aligned. Unaligned,
    it would (the second half shows the test can tell)."""
    installation_id = await add_installation(pg_sessions)
    job_id = await add_job(pg_sessions, installation_id, FakeClock())
    await simulate_crashed_run(pg_sessions, job_id, FakeClock(), lease_left_seconds=30)
    clock = DatabaseClock(lambda: host_now() + timedelta(seconds=2 * LEASE_SECONDS))
    runs: list[tuple[int, int]] = []
    worker = make_worker(pg_sessions, _counting_registry(runs), clock)  # type: ignore[arg-type]

    async with connected_as(pg_sessions, "crashed-worker"):
        assert await clock.align(pg_sessions.kw["bind"])
        assert await worker.run_once() == 0
        clock.offset = timedelta(0)  # as if on the host's own clock
        assert await worker.run_once() == 1
    assert runs == [(job_id, 2)]
