"""A job's outcome saved with the start of the installation's next job, the commit's answer lost
(the connection dropped after COMMIT was sent, the transaction committed): the try to save it
again finds the job no longer running, and the next job running under this worker. That job
is run now by the runner that started it, once, not left ``running`` until its lease runs out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from tests.jobs.support import (
    LEASE_SECONDS,
    FakeClock,
    add_installation,
    add_job,
    dropped_connection,
    load_attempts,
    load_job,
    make_worker,
)
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.jobs.store.job_store import JobStore
from upsales_fortnox.vocabulary import AttemptOutcome, JobStatus

Factory = async_sessionmaker[AsyncSession]


def _lose_the_answer_of_the_first_save_with_a_next_job(
    session_factory: Factory, monkeypatch: pytest.MonkeyPatch, *, away_for_next_try: bool
) -> list[int]:
    """The first save of an outcome that also starts the next job commits on the database, and
    then fails as a dropped connection does. With ``away_for_next_try`` the database is still
    away for the try that follows it (completion and requeue refused once each). Returns the
    ids of the jobs whose save lost its answer."""
    engine = session_factory.kw["bind"]
    assert isinstance(engine, AsyncEngine)
    dialect = engine.sync_engine.dialect
    real_commit = dialect.do_commit
    real_complete = JobStore.complete
    real_requeue = JobStore.requeue
    lost: list[int] = []
    armed: list[bool] = []
    refused: set[str] = set()

    def commit_answer_lost(dbapi_connection: Any) -> None:
        real_commit(dbapi_connection)
        if armed:
            armed.clear()
            raise dropped_connection()

    async def complete(self: JobStore, job: Any, result: Any, **kwargs: Any) -> Any:
        if not lost and kwargs.get("then") is not None:
            lost.append(job.job_id)
            armed.append(True)
        elif away_for_next_try and "complete" not in refused:
            refused.add("complete")
            raise dropped_connection()
        return await real_complete(self, job, result, **kwargs)

    async def requeue(self: JobStore, job: Any, **kwargs: Any) -> bool:
        if lost and away_for_next_try and "requeue" not in refused:
            refused.add("requeue")
            raise dropped_connection()
        return await real_requeue(self, job, **kwargs)

    monkeypatch.setattr(dialect, "do_commit", commit_answer_lost)
    monkeypatch.setattr(JobStore, "complete", complete)
    monkeypatch.setattr(JobStore, "requeue", requeue)
    return lost


def _recording(runs: list[int]) -> Callable[[JobContext], Any]:
    async def handler(ctx: JobContext) -> None:
        runs.append(ctx.job_id)

    return handler


@pytest.mark.parametrize("away_for_next_try", [False, True], ids=["back", "still_away"])
async def test_the_next_job_started_with_a_save_whose_answer_was_lost_runs_at_once(
    session_factory: Factory, monkeypatch: pytest.MonkeyPatch, away_for_next_try: bool
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    first = await add_job(session_factory, installation_id, clock, entity_id="1")
    second = await add_job(session_factory, installation_id, clock, entity_id="2")
    lost = _lose_the_answer_of_the_first_save_with_a_next_job(
        session_factory, monkeypatch, away_for_next_try=away_for_next_try
    )
    runs: list[int] = []
    worker = make_worker(session_factory, HandlerRegistry({"test.job": _recording(runs)}), clock)

    await worker.run_once()

    assert lost == [first]
    assert runs == [first, second]  # at once, not once the second's lease has run out
    for job_id in (first, second):
        job = await load_job(session_factory, job_id)
        assert (job.status, job.attempts, job.lease_owner) == (JobStatus.DONE, 1, None)
        attempts = await load_attempts(session_factory, job_id)
        assert [attempt.outcome for attempt in attempts] == [AttemptOutcome.DONE]

    clock.advance(LEASE_SECONDS + 1)  # nothing was left to run again once a lease ran out
    await worker.run_once()
    assert runs == [first, second]
