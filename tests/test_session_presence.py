"""A process's presence lock on PostgreSQL: held while its connection lives, gone when the
process lets it go or its engine is disposed, without leaving a connection checked out."""

from __future__ import annotations

import asyncio
import gc
import warnings
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.database import advisory_lock_holders
from upsales_fortnox.core.db.engine import create_engine
from upsales_fortnox.core.db.session_presence import Presence
from upsales_fortnox.jobs.store.presence import WorkerPresence

pytestmark = pytest.mark.postgres

LOCK_CLASS = 0x7566_7374  # a class of this test's own
NAME = "process-under-test"


async def _held(engine: AsyncEngine) -> int:
    return len(await advisory_lock_holders(engine, LOCK_CLASS, NAME))


async def test_the_lock_is_held_until_closed(postgres_schema_url: str) -> None:
    engine, observer = create_engine(postgres_schema_url), create_engine(postgres_schema_url)
    presence = Presence(engine, LOCK_CLASS, NAME)
    try:
        async with presence.lock:
            await presence.connection()
            await presence.connection()  # the same connection: one lock
        assert await _held(observer) == 1
        await presence.close()
        assert await _held(observer) == 0
    finally:
        await engine.dispose()
        await observer.dispose()


async def test_disposing_the_engine_ends_the_presence_without_a_leaked_connection(
    postgres_schema_url: str,
) -> None:
    engine, observer = create_engine(postgres_schema_url), create_engine(postgres_schema_url)
    presence = Presence(engine, LOCK_CLASS, NAME)
    try:
        async with presence.lock:
            await presence.connection()
        assert await _held(observer) == 1
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            await engine.dispose()  # nobody closed the presence
            gc.collect()  # a connection left checked out would be reported as it is collected
        assert await _held(observer) == 0
        assert [str(warning.message) for warning in caught] == []
    finally:
        await observer.dispose()


async def test_a_name_still_held_elsewhere_fails_after_the_lock_timeout(
    postgres_schema_url: str,
) -> None:
    """A session the server has not yet ended (its host went silent) holds the name: taking
    it again gives up after the lock timeout instead of holding every caller up for hours."""
    engine = create_engine(postgres_schema_url)
    presence = Presence(engine, LOCK_CLASS, NAME, lock_timeout_seconds=0.2)
    lock = text("SELECT pg_advisory_lock(:lock_class, hashtext(:name))")
    silent_host = create_engine(postgres_schema_url)
    try:
        async with silent_host.connect() as silent_session:
            await silent_session.execute(lock, {"lock_class": LOCK_CLASS, "name": NAME})
            async with presence.lock:
                with pytest.raises(DBAPIError, match="lock timeout"):
                    await asyncio.wait_for(presence.connection(), timeout=30)
        await silent_host.dispose()  # the server ends that session at last
        async with presence.lock:  # the next use takes the lock
            connection = await presence.connection()
            settings = await connection.execute(
                text(
                    "SELECT current_setting('idle_in_transaction_session_timeout'),"
                    " current_setting('lock_timeout')"
                )
            )
            await connection.commit()
        # The server ends the session if it idles inside a transaction as long as a silent
        # host's (gone_after_seconds, 60 by default); the lock timeout was for taking the lock.
        assert tuple(settings.one()) == ("1min", "0")
        assert await _held(engine) == 1
    finally:
        await presence.close()
        await silent_host.dispose()
        await engine.dispose()


async def test_a_closed_presence_leaves_no_connection_with_its_settings_in_the_pool(
    postgres_schema_url: str,
) -> None:
    engine = create_engine(postgres_schema_url)
    presence = Presence(engine, LOCK_CLASS, NAME)
    try:
        async with presence.lock:
            await presence.connection()
        await presence.close()

        async with engine.connect() as connection:  # from the pool, as the app's next use
            setting = await connection.scalar(
                text("SELECT current_setting('idle_in_transaction_session_timeout')")
            )
        assert setting == "0"
    finally:
        await presence.close()
        await engine.dispose()


async def test_a_workers_presence_outlasts_a_silent_cut_by_at_least_its_lease(
    postgres_schema_url: str,
) -> None:
    """The server may end a silent worker's session only after its heartbeat has stopped
    its runs (a lease), so no other worker takes them over while they still run."""
    engine = create_engine(postgres_schema_url)
    presence = WorkerPresence(engine, "worker-under-test", lease=timedelta(seconds=60))
    try:
        async with presence.lock:
            connection = await presence.connection()
            row = (
                await connection.execute(
                    text(
                        "SELECT current_setting('idle_in_transaction_session_timeout'),"
                        " current_setting('tcp_keepalives_idle')::int,"
                        " current_setting('tcp_keepalives_interval')::int"
                    )
                )
            ).one()
            await connection.commit()
        idle_in_transaction, idle, interval = row
        assert idle_in_transaction == "75s"
        # Three unanswered probes end the session; the last answered one may have come an
        # idle time before the cut, so the earliest end is three intervals after it.
        # (0 over a Unix socket, where keepalives do not apply; tests connect over TCP.)
        assert 3 * interval >= 60 and idle <= interval
    finally:
        await presence.close()
        await engine.dispose()


async def test_a_presence_the_database_ended_is_reported_and_taken_again(
    postgres_schema_url: str,
) -> None:
    engine = create_engine(postgres_schema_url)
    lost = asyncio.Event()
    presence = Presence(engine, LOCK_CLASS, NAME, on_lost=lost.set)
    try:
        async with presence.lock:
            first = await presence.connection()
            first_pid = await first.scalar(text("SELECT pg_backend_pid()"))
            await first.commit()
        async with engine.connect() as other:  # the database ends the presence session
            await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first_pid})

        await asyncio.wait_for(lost.wait(), timeout=30)  # told at once, not at the next use
        async with presence.lock:
            again = await presence.connection()
            again_pid = await again.scalar(text("SELECT pg_backend_pid()"))
            await again.commit()
        assert again_pid != first_pid and await _held(engine) == 1
        lost.clear()
        await presence.close()
        assert not lost.is_set() and await _held(engine) == 0  # closing it is not a loss
    finally:
        await presence.close()
        await engine.dispose()


async def test_a_presence_dropped_after_a_failure_is_reported(postgres_schema_url: str) -> None:
    """A presence connection dropped because a statement on it failed takes the lock with it:
    that is a loss too (others may count the process gone), unlike :meth:`close`."""
    engine = create_engine(postgres_schema_url)
    losses: list[str] = []
    presence = Presence(engine, LOCK_CLASS, NAME, on_lost=lambda: losses.append("lost"))
    try:
        async with presence.lock:
            await presence.connection()
            await presence.discard()
        assert losses == ["lost"] and await _held(engine) == 0
        async with presence.lock:
            await presence.connection()  # locked again
        assert await _held(engine) == 1
    finally:
        await presence.close()
        await engine.dispose()
    assert losses == ["lost"]
