"""A worker started on a database whose schema is short of its version's migrations (deployed
before ``migrate`` ran, or while it stopped) starts no background work until the schema is
there: every job would fail on a missing column or table and be retried to its death."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy.exc import OperationalError

from upsales_fortnox import background
from upsales_fortnox.background import run_background
from upsales_fortnox.core.db import migrate, schema_wait
from upsales_fortnox.core.db.engine import create_engine
from upsales_fortnox.services import Services


class _Waiting(logging.Handler):
    """Sets ``seen`` when the process says it waits for the migrations (logged from the event
    loop's thread)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = asyncio.Event()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "database_not_migrated" in record.getMessage():
            self.messages.append(record.getMessage())
            self.seen.set()


@pytest.fixture
def waiting() -> Iterator[_Waiting]:
    handler = _Waiting()
    logger = logging.getLogger(schema_wait.__name__)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


async def test_the_worker_waits_for_the_migrations_then_starts(
    tmp_path: Path, waiting: _Waiting, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schema_wait, "POLL_SECONDS", 0.05)
    database_url = f"sqlite:///{tmp_path / 'upgrading.sqlite3'}"
    await asyncio.to_thread(migrate.upgrade, database_url, "0019")
    engine = create_engine(database_url)
    started = asyncio.Event()

    async def task(_: Services, stop: asyncio.Event) -> None:
        started.set()
        await stop.wait()

    stop = asyncio.Event()
    services = SimpleNamespace(engine=engine)
    runner = asyncio.create_task(run_background(services, stop, [task]))  # type: ignore[arg-type]
    try:
        await asyncio.wait_for(waiting.seen.wait(), timeout=30)
        [message] = waiting.messages
        assert "0019" in message and "upsales-fortnox migrate" in message
        assert not started.is_set()

        await asyncio.to_thread(migrate.upgrade, database_url)

        await asyncio.wait_for(started.wait(), timeout=30)
    finally:
        stop.set()
        await runner
        await engine.dispose()


async def test_a_worker_stopped_while_it_waits_starts_nothing(
    tmp_path: Path, waiting: _Waiting, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(schema_wait, "POLL_SECONDS", 0.05)
    database_url = f"sqlite:///{tmp_path / 'short.sqlite3'}"
    await asyncio.to_thread(migrate.upgrade, database_url, "0019")
    engine = create_engine(database_url)
    started: list[str] = []

    async def task(_: Services, stop: asyncio.Event) -> None:
        started.append("task")

    stop = asyncio.Event()
    runner = asyncio.create_task(
        run_background(SimpleNamespace(engine=engine), stop, [task])  # type: ignore[arg-type]
    )
    try:
        await asyncio.wait_for(waiting.seen.wait(), timeout=30)
        stop.set()
        await asyncio.wait_for(runner, timeout=30)
        assert started == []
    finally:
        await engine.dispose()


async def test_a_schema_that_cannot_be_read_is_waited_on_not_taken_as_migrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database away for a moment as the worker looks (or between two looks): the work
    starts only once a reading shows this version's migrations."""
    monkeypatch.setattr(schema_wait, "POLL_SECONDS", 0.01)
    started = asyncio.Event()
    readings: list[object] = [
        OperationalError("SELECT version_num", {}, ConnectionRefusedError()),
        ["0019"],
        OperationalError("SELECT version_num", {}, ConnectionRefusedError()),
        list(migrate._scripts().get_heads()),
    ]
    started_at_reading: list[bool] = []

    async def reading(_engine: object, _table: str) -> list[str] | None:
        started_at_reading.append(started.is_set())
        answer = readings.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[return-value]

    monkeypatch.setattr(schema_wait, "schema_revisions", reading)

    async def task(_: Services, stop: asyncio.Event) -> None:
        started.set()
        await stop.wait()

    engine = create_engine(f"sqlite:///{tmp_path / 'away.sqlite3'}")
    stop = asyncio.Event()
    runner = asyncio.create_task(
        run_background(SimpleNamespace(engine=engine), stop, [task])  # type: ignore[arg-type]
    )
    try:
        await asyncio.wait_for(started.wait(), timeout=30)
        assert started_at_reading == [False, False, False, False]
    finally:
        stop.set()
        await runner
        await engine.dispose()


async def test_a_process_without_work_that_needs_the_schema_does_not_look_at_it(
    tmp_path: Path, waiting: _Waiting, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API alone (``serve --no-with-worker``) keeps only the clock: nothing waits, so
    nothing polls the schema or says background work waits for it."""
    looked: list[str] = []

    async def reading(_engine: object, table: str) -> list[str] | None:
        looked.append(table)
        return ["0019"]

    monkeypatch.setattr(schema_wait, "schema_revisions", reading)
    started = asyncio.Event()

    async def api_only(_: Services, stop: asyncio.Event) -> None:
        started.set()
        await stop.wait()

    monkeypatch.setattr(background, "_WITHOUT_THE_SCHEMA", frozenset({api_only}))
    engine = create_engine(f"sqlite:///{tmp_path / 'api.sqlite3'}")
    stop = asyncio.Event()
    runner = asyncio.create_task(
        run_background(SimpleNamespace(engine=engine), stop, [api_only])  # type: ignore[arg-type]
    )
    try:
        await asyncio.wait_for(started.wait(), timeout=30)
        assert looked == [] and waiting.messages == []
    finally:
        stop.set()
        await runner
        await engine.dispose()


async def test_the_versions_migrations_are_read_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading this version's scripts takes a while; the API's requests do not wait behind it."""
    database_url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    await asyncio.to_thread(migrate.upgrade, database_url)
    threads: list[int] = []

    def missing(current: list[str]) -> bool:
        threads.append(threading.get_ident())
        return migrate.missing_migrations(current)

    monkeypatch.setattr(schema_wait, "missing_migrations", missing)
    engine = create_engine(database_url)
    try:
        assert await schema_wait.wait_for_schema(engine, asyncio.Event(), "installations")
    finally:
        await engine.dispose()
    assert threads and threading.get_ident() not in threads
