"""How long a transaction waits for a lock another holds, on PostgreSQL (``lock_timeout``, for
the rest of the transaction); SQLite's writers wait its ``busy_timeout`` anyway.

Past it PostgreSQL fails the statement (SQLSTATE 55P03,
:func:`~upsales_fortnox.core.db.errors.is_lock_timeout`) and the transaction is rolled back by
its owner, instead of waiting as long as the other transaction lasts (a worker's, or one that
never ends)."""

from __future__ import annotations

from typing import Final

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

SET_LOCK_TIMEOUT: Final = text("SELECT set_config('lock_timeout', :timeout, true)")
"""Sets ``lock_timeout`` (a :func:`milliseconds` duration) for the rest of the transaction."""


def milliseconds(seconds: float) -> str:
    """A PostgreSQL duration of ``seconds`` in whole milliseconds, at least one (0: no bound)."""
    return f"{max(1, round(seconds * 1000))}ms"


def _timeout(seconds: float) -> dict[str, str]:
    return {"timeout": milliseconds(seconds)}


def bound_lock_waits_sync(connection: Connection, seconds: float) -> None:
    """Wait at most ``seconds`` for each lock for the rest of ``connection``'s transaction."""
    if connection.dialect.name == "postgresql":
        connection.execute(SET_LOCK_TIMEOUT, _timeout(seconds))


async def bound_lock_waits(session: AsyncSession, seconds: float) -> None:
    """Wait at most ``seconds`` for each lock for the rest of ``session``'s transaction."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(SET_LOCK_TIMEOUT, _timeout(seconds))
