"""The database going away under a running job: the job is retried, and its error says so with
the stable code ``database_unavailable`` (as the intake's 503 does), not ``unexpected_error``;
a database error that says nothing of the way to the database (a constraint, a missing table)
stays ``unexpected_error``."""

from __future__ import annotations

import asyncio
import struct
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from tests.jobs.support import (
    LEASE_SECONDS,
    FakeClock,
    add_installation,
    add_job,
    dropped_connection,
    load_job,
    make_worker,
)
from upsales_fortnox.core.db.engine import create_engine, is_sqlite
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.jobs.failures import FailureKind, classify_failure
from upsales_fortnox.jobs.store.job_store import JobStore
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.vocabulary import JobStatus

Factory = async_sessionmaker[AsyncSession]


def _error_of(statement: str, url: str) -> SQLAlchemyError:
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    except SQLAlchemyError as error:
        return error
    finally:
        engine.dispose()
    raise AssertionError("the statement did not fail")


def test_a_database_file_that_cannot_be_opened_is_database_unavailable(tmp_path: Path) -> None:
    unreachable = tmp_path / "gone"  # a file where the database's folder should be
    unreachable.write_text("")
    error = _error_of("SELECT 1", f"sqlite:///{unreachable}/sync.db")

    failure = classify_failure(error)

    assert failure.kind is FailureKind.RETRY
    assert failure.code == "database_unavailable"
    assert failure.outage  # ridden out past the job's attempts, as an API's outage is


def test_a_statement_sqlite_cannot_run_stays_an_unexpected_error(tmp_path: Path) -> None:
    error = _error_of("SELECT * FROM no_such_table", f"sqlite:///{tmp_path}/x.db")

    assert classify_failure(error).code == "unexpected_error"
    assert not classify_failure(error).outage


async def _connect_error(url: str) -> BaseException:
    """What connecting to the PostgreSQL at ``url`` raises."""
    engine = create_engine(url)
    try:
        async with engine.connect():
            pass
    except Exception as error:
        return error
    finally:
        await engine.dispose()
    raise AssertionError("the connection did not fail")


async def test_a_refused_postgres_connection_is_database_unavailable_and_an_outage() -> None:
    """asyncpg connects outside SQLAlchemy's error wrapping: the refusal reaches the job as
    the driver's bare ``OSError``, told from any other by where it was raised."""
    error = await _connect_error("postgresql://postgres@127.0.0.1:1/none")  # no one on port 1

    assert isinstance(error, OSError)
    failure = classify_failure(error)
    assert (failure.code, failure.outage) == ("database_unavailable", True)


async def _drop_own_connection(ctx_session: AsyncSession, factory: Factory) -> None:
    """End the session's PostgreSQL connection from another one, as a restart would."""
    pid = (await ctx_session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    async with factory() as other:
        await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


async def test_a_job_whose_database_went_away_is_retried_with_a_stable_code(
    session_factory: Factory, tmp_path: Path
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)
    engine = session_factory.kw["bind"]

    async def handler(ctx: JobContext) -> None:
        if is_sqlite(engine):  # the database file gone from under the job
            (tmp_path / "gone").write_text("")
            gone = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/gone/sync.db")
            try:
                async with gone.connect() as connection:
                    await connection.execute(text("SELECT 1"))
            finally:
                await gone.dispose()
            return
        async with session_factory() as session:  # its connection dropped mid-transaction
            await session.get(Installation, installation_id)
            await _drop_own_connection(session, session_factory)
            await session.get(Installation, uuid.uuid4())

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    assert await worker.run_once() == 1

    job = await load_job(session_factory, job_id)
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 1)
    assert job.last_error is not None
    assert job.last_error.startswith("database_unavailable: "), job.last_error


async def _answer_every_login_with(sqlstate: str, message: str) -> asyncio.Server:
    """A server speaking just enough of PostgreSQL's protocol to refuse each login as a server
    starting up or shutting down does (an ``ErrorResponse`` with ``sqlstate``)."""

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                length = struct.unpack("!I", await reader.readexactly(4))[0]
                code = struct.unpack("!I", (await reader.readexactly(length - 4))[:4])[0]
                if code == 80877103:  # SSLRequest: not here
                    writer.write(b"N")
                    await writer.drain()
                    continue
                fields = b"SFATAL\0" + f"C{sqlstate}\0M{message}\0".encode() + b"\0"
                writer.write(b"E" + struct.pack("!I", len(fields) + 4) + fields)
                await writer.drain()
                return
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()

    return await asyncio.start_server(refuse, "127.0.0.1", 0)


@pytest.mark.parametrize(
    ("sqlstate", "message"),
    [
        ("57P03", "the database system is starting up"),
        ("57P03", "the database system is shutting down"),
    ],
)
async def test_a_postgres_server_restarting_is_database_unavailable(
    sqlstate: str, message: str
) -> None:
    server = await _answer_every_login_with(sqlstate, message)
    port = server.sockets[0].getsockname()[1]
    try:
        error = await _connect_error(f"postgresql://postgres@127.0.0.1:{port}/postgres")
    finally:
        server.close()
        await server.wait_closed()

    assert message in str(error)
    assert classify_failure(error).code == "database_unavailable"


def test_a_connection_error_of_anything_but_the_database_is_unexpected_and_dies_in_time() -> None:
    """A socket error raised outside the database driver (a bug, another service) is the job's
    own unexpected error: it is not reported as the database's, and it is not ridden out for
    ``JOB_OUTAGE_PATIENCE_HOURS`` past the job's attempts."""
    try:
        raise ConnectionResetError("connection reset by peer")
    except ConnectionResetError as error:
        failure = classify_failure(error)

    assert failure.code == "unexpected_error"
    assert not failure.outage


async def test_a_last_attempt_the_database_went_away_under_is_not_buried_when_it_is_back(
    session_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database gone under a job on its last attempt, and still gone for the first try to
    save that outcome: the save is tried again once it is back, so the job rides the outage out
    (queued, ``database_unavailable``) instead of staying running until its lease runs out and
    then being buried as a job whose worker stopped."""
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock, max_attempts=1)
    saves: list[str] = []
    real_requeue = JobStore.requeue

    async def requeue_once_refused(self: JobStore, job: Any, **kwargs: Any) -> bool:
        saves.append(kwargs["attempt_error"])
        if len(saves) == 1:
            raise dropped_connection()
        return await real_requeue(self, job, **kwargs)

    monkeypatch.setattr(JobStore, "requeue", requeue_once_refused)

    async def handler(ctx: JobContext) -> None:
        raise dropped_connection()

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    await worker.run_once()

    job = await load_job(session_factory, job_id)
    assert (job.status, len(saves)) == (JobStatus.QUEUED, 2), job.last_error
    assert job.last_error is not None and job.last_error.startswith("database_unavailable: ")
    clock.advance(LEASE_SECONDS + 1)
    await worker.run_once()  # it runs again, riding the outage out past its attempts
    job = await load_job(session_factory, job_id)
    assert (job.status, job.attempts, len(saves)) == (JobStatus.QUEUED, 2, 3)


async def test_saving_the_outcome_again_stops_within_the_lease_however_long_each_try_takes(
    session_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each try to save that fails may itself take its time (a connection that does not
    answer, a pool with none free): the tries stop once the job's lease is spent on them,
    however few pauses that was, so the runner is not held for many leases."""
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    await add_job(session_factory, installation_id, clock, max_attempts=1)
    saves: list[str] = []

    async def requeue_refused_slowly(self: JobStore, job: Any, **kwargs: Any) -> bool:
        saves.append(kwargs["attempt_error"])
        clock.advance(LEASE_SECONDS / 3)  # the try waited that long for the database
        raise dropped_connection()

    monkeypatch.setattr(JobStore, "requeue", requeue_refused_slowly)

    async def handler(ctx: JobContext) -> None:
        raise dropped_connection()

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    await worker.run_once()  # the database still away once the lease is spent

    assert len(saves) <= 3, f"{len(saves)} tries of {LEASE_SECONDS / 3:.0f} s each"


async def test_a_worker_told_to_stop_stops_saving_an_outcome_again(
    session_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker asked to stop while it tries again to save an outcome (the database away)
    tries no more: its stop is not held for the rest of the job's lease, past the shutdown's
    grace (the job runs again once its lease expires, as after any stop)."""
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    await add_job(session_factory, installation_id, clock, max_attempts=1)
    saves: list[str] = []
    stop = asyncio.Event()

    async def requeue_refused(self: JobStore, job: Any, **kwargs: Any) -> bool:
        saves.append(kwargs["attempt_error"])
        stop.set()  # the worker is told to stop while the database is away
        raise dropped_connection()

    monkeypatch.setattr(JobStore, "requeue", requeue_refused)

    async def handler(ctx: JobContext) -> None:
        raise dropped_connection()

    worker = make_worker(session_factory, HandlerRegistry({"test.job": handler}), clock)
    await worker.run(stop)

    assert len(saves) == 1
