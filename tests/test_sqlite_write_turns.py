"""SQLite writers of one process take turns on the event loop (``core/db/sqlite_write_turns``):
a writer waits for the turn without reaching SQLite, starts as soon as the last writer's
transaction ends, gives up after the busy timeout as SQLite would, and readers never wait."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.sqlite_support import watch_driver_calls
from upsales_fortnox.core.db import engine as engine_module
from upsales_fortnox.core.db.engine import create_engine
from upsales_fortnox.core.db.sqlite_write_turns import file_of, may_write


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'turns.sqlite3'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)"))
    yield engine
    await engine.dispose()


@pytest.fixture
def statements_sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL of every statement that reached SQLite from now on."""
    sent: list[str] = []

    def note(name: str, arguments: tuple[Any, ...]) -> None:
        if name == "_execute":
            sent.append(arguments[1])

    watch_driver_calls(monkeypatch, note)
    return sent


async def _insert(engine: AsyncEngine, name: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO item (name) VALUES (:name)"), {"name": name})


async def _names(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        return list((await connection.execute(text("SELECT name FROM item ORDER BY id"))).scalars())


async def test_a_second_writer_waits_for_the_turn_before_reaching_sqlite(
    engine: AsyncEngine, statements_sent: list[str]
) -> None:
    async with engine.connect() as first:
        await first.execute(text("INSERT INTO item (name) VALUES ('first')"))
        statements_sent.clear()
        turn = (await first.get_raw_connection()).driver_connection.turn
        second = asyncio.create_task(_insert(engine, "second"))
        while not second.done() and turn.writers_waiting == 0:  # noqa: ASYNC110
            await asyncio.sleep(0)  # lets the second writer open its connection and wait
        assert not second.done()
        # It opened its connection, then waits on the loop, not in SQLite's busy handler.
        assert [sql for sql in statements_sent if not sql.startswith("PRAGMA")] == []
        # A reader meanwhile neither waits nor sees the open transaction's row.
        assert await _names(engine) == []
        await first.commit()
    await asyncio.wait_for(second, timeout=30)
    assert await _names(engine) == ["first", "second"]


async def test_the_turn_comes_back_after_a_rollback_and_a_failed_statement(
    engine: AsyncEngine,
) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("INSERT INTO item (id, name) VALUES (1, 'kept')"))
        await connection.commit()
        with pytest.raises(IntegrityError):
            await connection.execute(text("INSERT INTO item (id, name) VALUES (1, 'twice')"))
        await connection.rollback()
        await connection.execute(text("INSERT INTO item (name) VALUES ('rolled back')"))
        await connection.rollback()
    # Had a turn stayed taken, these would wait the whole busy timeout and fail.
    await asyncio.wait_for(_insert(engine, "after"), timeout=30)
    assert await _names(engine) == ["kept", "after"]


async def test_a_turn_not_had_within_the_busy_timeout_fails_as_sqlite_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 50)
    engine = create_engine(f"sqlite:///{tmp_path / 'short.sqlite3'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY)"))
        async with engine.connect() as holder:
            await holder.execute(text("INSERT INTO item DEFAULT VALUES"))
            with pytest.raises(OperationalError, match="database is locked"):
                async with engine.begin() as other:
                    await other.execute(text("INSERT INTO item DEFAULT VALUES"))
            await holder.commit()
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT count(*) FROM item")) == 1
    finally:
        await engine.dispose()


async def test_another_processs_lock_is_waited_for_without_stopping_the_event_loop(
    engine: AsyncEngine, tmp_path: Path, statements_sent: list[str]
) -> None:
    other = sqlite3.connect(tmp_path / "turns.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO item (name) VALUES ('other process')")
    statements_sent.clear()
    writer = asyncio.create_task(_insert(engine, "ours"))
    while not any(sql.startswith("INSERT") for sql in statements_sent):  # noqa: ASYNC110
        await asyncio.sleep(0)  # our INSERT went to SQLite: the turn is ours, the file is not
    assert not writer.done()  # it waits for the file, and this test runs on meanwhile
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(writer, timeout=30)
    assert await _names(engine) == ["other process", "ours"]


def test_queries_and_connection_settings_take_no_turn() -> None:
    assert not may_write("SELECT 1")
    assert not may_write("  with recent AS (SELECT 1) SELECT * FROM recent")
    assert not may_write("PRAGMA foreign_keys=ON")
    assert may_write("INSERT INTO item DEFAULT VALUES")
    assert may_write("update item set name = 'x'")
    assert may_write("BEGIN IMMEDIATE")
    assert may_write("SAVEPOINT sa_1")


def test_in_memory_databases_take_no_turns(tmp_path: Path) -> None:
    assert file_of(":memory:") is None
    assert file_of("file:shared?mode=memory&cache=shared") is None
    assert file_of(str(tmp_path / "a.sqlite3")) == str(tmp_path / "a.sqlite3")
    assert file_of("file:/data/a.sqlite3?mode=rwc") == "file:/data/a.sqlite3"


async def test_a_writer_cancelled_in_its_transaction_gives_the_turn_to_the_next_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request's task cancelled (a timeout, a client gone, shutdown) while its transaction
    holds the turn: the rollback of its way out gives the turn back, so the writer queued behind
    it goes on; a turn kept would fail it "database is locked" after the (here short) timeout."""
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 1000)
    engine = create_engine(f"sqlite:///{tmp_path / 'cancelled.sqlite3'}")
    holding = asyncio.Event()

    async def write_and_wait() -> None:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO item (name) VALUES ('cancelled')"))
            holding.set()
            await asyncio.Event().wait()  # an upstream call that never answers

    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)"))
        holder = asyncio.create_task(write_and_wait())
        await holding.wait()
        queued = asyncio.create_task(_insert(engine, "next"))
        await asyncio.sleep(0)  # it waits for the turn
        assert not queued.done()
        holder.cancel()
        with pytest.raises(asyncio.CancelledError):
            await holder
        await queued
        assert await _names(engine) == ["next"]
    finally:
        await engine.dispose()
