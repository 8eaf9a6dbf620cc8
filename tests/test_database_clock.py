"""The service's clock is the database server's, whatever its host's clock says."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import typer
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from upsales_fortnox.background import run_background
from upsales_fortnox.cli import reconciliation_commands
from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.db import clock as clock_module
from upsales_fortnox.core.db.clock import SERVICE_CLOCK, DatabaseClock, host_now
from upsales_fortnox.core.db.engine import create_engine
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.services import Services
from upsales_fortnox.sync.initial import console as initial_console
from upsales_fortnox.sync.initial.control import Started

AHEAD = timedelta(minutes=5)


@pytest.fixture
async def pg_engine(postgres_schema_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(postgres_schema_url)
    try:
        yield engine
    finally:
        await engine.dispose()


def _ahead() -> datetime:
    return host_now() + AHEAD


async def _server_now(engine: AsyncEngine) -> datetime:
    async with engine.connect() as connection:
        server_now: datetime = (
            await connection.execute(select(func.clock_timestamp()))
        ).scalar_one()
    return server_now


@pytest.mark.postgres
async def test_a_host_clock_running_ahead_reads_the_database_time_once_aligned(
    pg_engine: AsyncEngine,
) -> None:
    clock = DatabaseClock(_ahead)
    assert abs(clock() - await _server_now(pg_engine) - AHEAD) < timedelta(seconds=1)

    assert await clock.align(pg_engine)

    assert abs(clock() - await _server_now(pg_engine)) < timedelta(seconds=1)
    assert abs(clock.offset + AHEAD) < timedelta(seconds=1)


async def test_on_sqlite_the_host_clock_stands(engine: AsyncEngine, backend: str) -> None:
    clock = DatabaseClock(_ahead)
    aligned = await clock.align(engine)
    assert aligned is (backend == "postgresql")
    if backend == "sqlite":
        assert clock.offset == timedelta(0)


async def test_a_clock_that_cannot_be_read_keeps_the_last_offset() -> None:
    unreachable = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:9/none")
    clock = DatabaseClock(_ahead)
    clock.offset = timedelta(seconds=-42)
    try:
        assert not await clock.align(unreachable)
    finally:
        await unreachable.dispose()
    assert clock.offset == timedelta(seconds=-42)


@pytest.mark.postgres
async def test_kept_aligned_it_reads_the_server_again_until_stopped(
    pg_engine: AsyncEngine,
) -> None:
    """Each reading takes the host's time once; the host's clock jumps between readings."""
    stop = asyncio.Event()
    readings: list[datetime] = []

    def jumping_host() -> datetime:
        readings.append(host_now())
        if len(readings) == 2:
            stop.set()
        return host_now() + AHEAD * len(readings)

    clock = DatabaseClock(jumping_host)
    await asyncio.wait_for(clock.keep_aligned(pg_engine, stop, every=0), timeout=30)

    assert len(readings) == 2
    # Its offset undoes the second reading's jump (later calls see a third).
    assert abs(clock.offset + 2 * AHEAD) < timedelta(seconds=1)


@pytest.mark.postgres
async def test_the_background_starts_on_the_database_clock(
    pg_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SERVICE_CLOCK, "_host", _ahead)
    monkeypatch.setattr(SERVICE_CLOCK, "offset", timedelta(0))
    seen: list[datetime] = []

    async def first_task(_: Services, stop: asyncio.Event) -> None:
        seen.append(utcnow())

    services = SimpleNamespace(engine=pg_engine)
    await run_background(services, asyncio.Event(), [first_task])  # type: ignore[arg-type]

    assert abs(seen[0] - await _server_now(pg_engine)) < timedelta(seconds=1)


class _RefusingFirst:
    """The engine's database refuses the first connection (down as the process starts)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.dialect = engine.dialect
        self.refusals = 1

    def connect(self) -> Any:
        if self.refusals:
            self.refusals -= 1
            raise OperationalError("SELECT clock_timestamp()", {}, ConnectionRefusedError())
        return self._engine.connect()


@pytest.mark.postgres
async def test_the_background_waits_for_a_reading_when_the_first_one_fails(
    pg_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database down as the process starts: its background work starts once the clock is
    read, not on its host's clock (a worker would claim on it until the next reading)."""
    monkeypatch.setattr(SERVICE_CLOCK, "_host", _ahead)
    monkeypatch.setattr(SERVICE_CLOCK, "offset", timedelta(0))
    seen: list[datetime] = []

    async def first_task(_: Services, stop: asyncio.Event) -> None:
        seen.append(utcnow())

    services = SimpleNamespace(engine=_RefusingFirst(pg_engine))
    await asyncio.wait_for(
        run_background(services, asyncio.Event(), [first_task]),  # type: ignore[arg-type]
        timeout=30,
    )

    assert services.engine.refusals == 0
    assert abs(seen[0] - await _server_now(pg_engine)) < timedelta(seconds=1)


async def test_a_stop_ends_the_wait_for_a_first_reading() -> None:
    unreachable = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:9/none")
    stop = asyncio.Event()
    stop.set()
    ran: list[bool] = []

    async def task(_: Services, stop: asyncio.Event) -> None:
        ran.append(stop.is_set())

    services = SimpleNamespace(engine=unreachable)
    try:
        await asyncio.wait_for(run_background(services, stop, [task]), timeout=10)  # type: ignore[arg-type]
    finally:
        await unreachable.dispose()
    assert ran == []  # nor does a task start on a schema it could not read


@pytest.mark.postgres
async def test_initial_sync_queues_and_runs_its_worker_on_the_database_clock(
    postgres_schema_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``upsales-fortnox initial-sync`` runs no background: it reads the database's clock
    itself, before it queues the job and before its own worker (``--run``) claims."""
    monkeypatch.setattr(SERVICE_CLOCK, "_host", _ahead)
    monkeypatch.setattr(SERVICE_CLOCK, "offset", timedelta(0))
    seen: dict[str, datetime] = {}

    async def start(*_: object, **__: object) -> Started:
        seen["queued"] = utcnow()
        return Started(1, created=True)

    class Claiming:
        def __init__(self, *_: object, **__: object) -> None:
            pass

        async def run(self, stop: asyncio.Event) -> None:
            seen["claimed"] = utcnow()

    async def job(*_: object) -> object:
        return SimpleNamespace()

    monkeypatch.setattr(initial_console, "start_initial_sync", start)
    monkeypatch.setattr(initial_console, "Worker", Claiming)
    monkeypatch.setattr(initial_console, "followed_job", job)
    monkeypatch.setattr(initial_console, "job_report", lambda _: {"status": "done", "phases": []})
    settings = Settings(
        database_url=postgres_schema_url,
        admin_token=SecretStr("test-admin-token-0123456789"),
        secret_key=SecretStr("test-secret-key-0123456789abcdef"),
    )

    await asyncio.wait_for(
        initial_console.follow_initial_sync(
            settings, uuid.uuid4(), run_worker=True, poll_seconds=0
        ),
        timeout=30,
    )

    engine = create_engine(postgres_schema_url)
    try:
        server_now = await _server_now(engine)
    finally:
        await engine.dispose()
    assert abs(seen["queued"] - server_now) < timedelta(seconds=5)
    assert abs(seen["claimed"] - server_now) < timedelta(seconds=5)


@pytest.mark.postgres
def test_the_reconciliation_command_queues_its_repairs_on_the_database_clock(
    postgres_schema_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``upsales-fortnox reconciliation … --repair`` runs no background either: a host ahead
    of the database would queue its repairs that far in the future."""
    monkeypatch.setattr(SERVICE_CLOCK, "_host", _ahead)
    monkeypatch.setattr(SERVICE_CLOCK, "offset", timedelta(0))
    monkeypatch.setenv("DATABASE_URL", postgres_schema_url)
    queued: list[datetime] = []

    async def nothing(*_: object, **__: object) -> None:
        return None

    async def report(*_: object) -> object:
        return SimpleNamespace(clean=False, differences=["one"])

    async def queue(*_: object) -> list[int]:
        queued.append(utcnow())
        return [1]

    monkeypatch.setattr(reconciliation_commands, "installation_context", nothing)
    monkeypatch.setattr(reconciliation_commands, "build_report", report)
    monkeypatch.setattr(reconciliation_commands, "report_differences", nothing)
    monkeypatch.setattr(reconciliation_commands, "queue_repairs", queue)
    monkeypatch.setattr(reconciliation_commands, "report_table", lambda *_: "")

    with pytest.raises(typer.Exit):
        reconciliation_commands.reconciliation_command(
            str(uuid.uuid4()), "2026-01-01", "2026-01-31", repair=True, language="sv"
        )

    async def server_now() -> datetime:
        engine = create_engine(postgres_schema_url)
        try:
            return await _server_now(engine)
        finally:
            await engine.dispose()

    assert abs(queued[0] - asyncio.run(server_now())) < timedelta(seconds=5)


async def test_a_reading_that_hangs_fails_at_its_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that accepts the connection and never answers (a hung database) does not hold
    the reading, and so a stop, up to the driver's own connect timeout."""
    accepted: list[asyncio.StreamWriter] = []

    async def silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    hung = create_async_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/none")
    monkeypatch.setattr(clock_module, "READING_TIMEOUT_SECONDS", 0.2)
    clock = DatabaseClock(_ahead)
    try:
        assert not await asyncio.wait_for(clock.align(hung), timeout=20)
    finally:
        await hung.dispose()
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()
    assert accepted and clock.offset == timedelta(0)
