"""The service's clock: its host's, set to the database server's.

Leases, due times and the waits of won deals' intents are written by one process and compared
by others, which may run on other hosts. A host whose clock ran a lease ahead of the others
would take over a connected worker's installations, and one running behind would keep a dead
worker's; a won deal's wait for an earlier create would end early. So on PostgreSQL each
process reads the server's clock (``clock_timestamp()``) before its background work starts and
every :data:`ALIGN_EVERY_SECONDS` after, and keeps the difference to its host's clock:
:func:`~upsales_fortnox.core.db.types.utcnow` adds it, so every process writes and compares the
database's time, to within half a round trip. On SQLite (one process, one host) it stays zero.
A reading that fails, or took longer than :data:`MAX_ROUND_TRIP_SECONDS`, leaves the last one;
the first one is tried again (:meth:`DatabaseClock.align_first`) until it succeeds, so that no
background work starts on the host's clock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger(__name__)

ALIGN_EVERY_SECONDS: Final = 60.0
MAX_ROUND_TRIP_SECONDS: Final = 1.0
"""A reading whose round trip took longer says too little of when the server read its clock."""
READING_TIMEOUT_SECONDS: Final = 5.0
"""A reading not answered by then (a connection hanging) fails: it must not hold up a stop."""
FIRST_RETRY_SECONDS: Final = (1.0, 5.0)
"""The first reading, failed, is tried again after the first, doubling up to the second."""

_SERVER_CLOCK = select(func.clock_timestamp())


def host_now() -> datetime:
    return datetime.now(UTC)


class DatabaseClock:
    """The host's clock (``host``) plus its last measured offset to the database server's."""

    def __init__(self, host: Callable[[], datetime] = host_now) -> None:
        self._host = host
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return self._host() + self.offset

    async def align(self, engine: AsyncEngine) -> bool:
        """Read the server's clock and keep the offset; False, the offset kept as it was, when
        the database is not PostgreSQL or the reading failed, timed out or took too long."""
        if engine.dialect.name != "postgresql":
            return False
        try:
            async with asyncio.timeout(READING_TIMEOUT_SECONDS), engine.connect() as connection:
                started, sent_at = time.monotonic(), self._host()
                server_now = (await connection.execute(_SERVER_CLOCK)).scalar_one()
                round_trip = time.monotonic() - started
        except (SQLAlchemyError, OSError):  # TimeoutError is an OSError
            logger.warning(
                "the database's clock could not be read; the last offset stays",
                extra={"code": "database_clock_unread"},
                exc_info=True,
            )
            return False
        if round_trip > MAX_ROUND_TRIP_SECONDS:
            return False
        self.offset = server_now - (sent_at + timedelta(seconds=round_trip / 2))
        return True

    async def align_first(self, engine: AsyncEngine, stop: asyncio.Event) -> None:
        """Align, on PostgreSQL trying again until a reading succeeds or ``stop`` is set: a
        worker started on its host's clock would claim on it until the next reading."""
        delay, longest = FIRST_RETRY_SECONDS
        while engine.dialect.name == "postgresql" and not await self.align(engine):
            try:
                await asyncio.wait_for(stop.wait(), timeout=delay)
            except TimeoutError:
                delay = min(2 * delay, longest)
            else:
                return

    async def align_for_command(self, engine: AsyncEngine) -> None:
        """:meth:`align_first` for a one-shot command: the database is reached first, so one
        that does not answer, or refuses the login, stops the command with its own error
        instead of keeping it waiting (and logging) until the database is back."""
        if engine.dialect.name != "postgresql":
            return
        async with engine.connect() as connection:
            await connection.execute(select(1))
        await self.align_first(engine, asyncio.Event())

    async def keep_aligned(
        self, engine: AsyncEngine, stop: asyncio.Event, every: float = ALIGN_EVERY_SECONDS
    ) -> None:
        """Align again every ``every`` seconds until ``stop`` is set."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=every)
            except TimeoutError:
                await self.align(engine)


SERVICE_CLOCK: Final = DatabaseClock()
"""The process's clock: :func:`~upsales_fortnox.core.db.types.utcnow` reads it."""
