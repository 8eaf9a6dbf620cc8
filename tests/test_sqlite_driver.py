"""SQLite through the service's engine: one call per statement on the event loop's thread, results
of any size read whole and in order, streamed ones in batches, and nothing left open."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.sqlite_support import watch_driver_calls
from upsales_fortnox.core.db import sqlite_driver
from upsales_fortnox.core.db.engine import create_engine
from upsales_fortnox.core.db.one_statement import one_statement
from upsales_fortnox.core.db.sqlite_driver import PREFETCH_ROWS, OneTripConnection

MANY = PREFETCH_ROWS * 2 + 7


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'driver.sqlite3'}")
    async with engine.begin() as connection:
        await connection.execute(
            text("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
        )
    yield engine
    await engine.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every function a connection calls into SQLite from now on."""
    called: list[str] = []
    watch_driver_calls(monkeypatch, lambda name, _arguments: called.append(name))
    return called


async def fill(engine: AsyncEngine, count: int) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO item (id, name) VALUES (:id, :name)"),
            [{"id": number, "name": f"item {number}"} for number in range(1, count + 1)],
        )


async def test_the_service_engine_opens_one_trip_connections(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert isinstance(raw.driver_connection, OneTripConnection)


async def test_a_query_and_a_write_are_one_trip_each(engine: AsyncEngine, trips: list[str]) -> None:
    await fill(engine, 3)
    async with engine.connect() as connection:
        trips.clear()
        names = (await connection.execute(text("SELECT name FROM item ORDER BY id"))).scalars()
        assert list(names) == ["item 1", "item 2", "item 3"]
        assert trips == ["_execute"]
        trips.clear()
        updated = await connection.execute(text("UPDATE item SET name = name || '!' WHERE id > 1"))
        assert updated.rowcount == 2
        assert trips == ["_execute"]
        trips.clear()
        inserted = await connection.execute(text("INSERT INTO item (name) VALUES ('fourth')"))
        assert inserted.lastrowid == 4
        await connection.commit()
        assert trips == ["_execute", "commit"]


async def test_a_result_larger_than_one_batch_is_read_whole_and_in_order(
    engine: AsyncEngine, trips: list[str]
) -> None:
    await fill(engine, MANY)
    async with engine.connect() as connection:
        trips.clear()
        ids = (await connection.execute(text("SELECT id FROM item ORDER BY id"))).scalars().all()
        assert trips == ["_execute", "_fetch"]  # the first batch, then the rest at once
    assert ids == list(range(1, MANY + 1))


async def test_a_write_returning_more_than_a_batch_counts_all_its_rows(
    engine: AsyncEngine,
) -> None:
    await fill(engine, MANY)
    async with engine.begin() as connection:
        result = await connection.execute(text("UPDATE item SET name = name || '!' RETURNING id"))
        ids = sorted(result.scalars().all())
    assert ids == list(range(1, MANY + 1))
    assert result.rowcount == MANY


async def test_a_streamed_result_is_fetched_in_batches(
    engine: AsyncEngine, trips: list[str]
) -> None:
    await fill(engine, MANY)
    seen: list[int] = []
    async with engine.connect() as connection:
        trips.clear()
        result = await connection.stream(text("SELECT id FROM item ORDER BY id"))
        async for partition in result.partitions(100):
            seen.extend(row.id for row in partition)
        fetched = list(trips)
    assert seen == list(range(1, MANY + 1))
    assert fetched[0] == "_execute" and set(fetched[1:]) == {"_fetch"}
    assert len(fetched) == 1 + MANY // PREFETCH_ROWS  # batches of PREFETCH_ROWS, the last short


async def test_a_result_left_half_read_lets_go_of_its_table(engine: AsyncEngine) -> None:
    await fill(engine, MANY)
    async with engine.connect() as connection:
        result = await connection.stream(text("SELECT id FROM item ORDER BY id"))
        first = await result.fetchmany(10)
        await result.close()
        # SQLite refuses to drop a table that an unfinished statement still reads.
        await connection.execute(text("DROP TABLE item"))
        await connection.commit()
    assert [row.id for row in first] == list(range(1, 11))


async def test_a_failed_statement_raises_and_leaves_the_connection_usable(
    engine: AsyncEngine,
) -> None:
    await fill(engine, 2)
    async with engine.connect() as connection:
        with pytest.raises(IntegrityError):
            await connection.execute(text("INSERT INTO item (name) VALUES ('item 1')"))
        await connection.rollback()
        count = await connection.scalar(text("SELECT count(*) FROM item"))
    assert count == 2


async def test_one_statement_commits_its_write_in_the_statements_own_trip(
    engine: AsyncEngine, trips: list[str]
) -> None:
    async with one_statement(engine) as connection:
        trips.clear()
        await connection.execute(text("INSERT INTO item (name) VALUES ('alone')"))
        assert trips == ["_execute"]
        # Committed already: another connection sees the row while this one is still open.
        async with engine.connect() as other:
            assert await other.scalar(text("SELECT name FROM item")) == "alone"
        trips.clear()
    assert trips == []  # leaving it made no trip: nothing was left to commit
    async with engine.begin() as connection:
        trips.clear()
        await connection.execute(text("INSERT INTO item (name) VALUES ('later')"))
        assert trips == ["_execute"]  # a usual transaction is not committed with its statement
    assert trips == ["_execute", "commit"]


async def test_one_statement_that_fails_leaves_nothing_written(engine: AsyncEngine) -> None:
    await fill(engine, 1)
    with pytest.raises(IntegrityError):
        async with one_statement(engine) as connection:
            await connection.execute(text("INSERT INTO item (name) VALUES ('item 1')"))
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO item (name) VALUES ('next')"))
        count = await connection.scalar(text("SELECT count(*) FROM item"))
    assert count == 2


async def test_a_transaction_that_only_read_commits_without_a_trip(
    engine: AsyncEngine, trips: list[str]
) -> None:
    await fill(engine, 1)
    async with engine.begin() as connection:
        trips.clear()
        assert await connection.scalar(text("SELECT count(*) FROM item")) == 1
    assert trips == ["_execute"]


async def test_statements_run_on_the_event_loops_own_thread(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No hand-over to a thread per call (see the driver's module): SQLite is called where the
    statement is awaited."""
    threads: set[int] = set()
    original = sqlite_driver._execute

    def noted(*arguments: Any) -> Any:
        threads.add(threading.get_ident())
        return original(*arguments)

    monkeypatch.setattr(sqlite_driver, "_execute", noted)
    await fill(engine, 3)
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM item")) == 3
    assert threads == {threading.get_ident()}


async def test_a_new_connection_waits_for_another_processs_lock_on_the_event_loop(
    engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection opened while another process holds the file (here: in SQLite's exclusive
    locking mode) finds it busy in its first statements, its settings, without waiting inside
    SQLite (``sqlite3.connect``'s own default would wait 5 s there, the event loop stopped)."""
    await engine.dispose()  # no connection of ours is open: the next checkout opens one
    other = sqlite3.connect(tmp_path / "driver.sqlite3", isolation_level=None)
    other.execute("PRAGMA locking_mode=EXCLUSIVE")
    other.execute("INSERT INTO item (name) VALUES ('other process')")  # the file is its own now
    waits_inside_sqlite: list[int] = []
    found_busy = asyncio.Event()
    original = OneTripConnection._when_free

    async def noted(self: OneTripConnection, call: Any) -> Any:
        waits_inside_sqlite.append(self.sqlite.execute("PRAGMA busy_timeout").fetchone()[0])
        found_busy.set()
        return await original(self, call)

    monkeypatch.setattr(OneTripConnection, "_when_free", noted)

    async def count() -> Any:
        async with engine.connect() as connection:
            return await connection.scalar(text("SELECT count(*) FROM item"))

    counting = asyncio.create_task(count())
    await asyncio.wait_for(found_busy.wait(), timeout=30)
    assert not counting.done()
    other.close()
    assert await asyncio.wait_for(counting, timeout=30) == 1
    assert waits_inside_sqlite and set(waits_inside_sqlite) == {0}


async def test_a_write_behind_a_newer_commit_than_its_read_fails_at_once(
    engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection still reading a streamed result reads an older snapshot of the file once
    another connection has committed; its write then can never succeed (SQLite's
    SQLITE_BUSY_SNAPSHOT, which its own busy handler never waits for either). It fails at once,
    not after the busy timeout spent trying again with the file's turn held, every other writer
    of the process waiting behind it."""
    await fill(engine, MANY)
    tried_again: list[object] = []
    original = OneTripConnection._when_free

    async def noted(self: OneTripConnection, call: Any) -> Any:
        tried_again.append(call)
        return await original(self, call)

    monkeypatch.setattr(OneTripConnection, "_when_free", noted)
    async with engine.connect() as connection:
        result = await connection.stream(text("SELECT id FROM item ORDER BY id"))
        await result.fetchmany(10)  # the rest waits in SQLite: its snapshot stays
        other = sqlite3.connect(tmp_path / "driver.sqlite3", isolation_level=None)
        other.execute("INSERT INTO item (name) VALUES ('other process')")
        other.close()
        with pytest.raises(OperationalError, match="database is locked"):
            await connection.execute(text("INSERT INTO item (name) VALUES ('behind')"))
        await connection.rollback()
        await result.close()
    assert tried_again == []
    async with engine.begin() as connection:  # the turn is free for the next writer
        await connection.execute(text("INSERT INTO item (name) VALUES ('next')"))
