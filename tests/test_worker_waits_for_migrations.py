"""A worker started on a database whose schema is short of its version's migrations (deployed
before ``migrate`` ran, or while it stopped) starts no background work until the schema is
there: every job would fail on a missing column or table and be retried to its death."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

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
