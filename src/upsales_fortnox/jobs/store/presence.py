"""A worker's presence on PostgreSQL: a session-level advisory lock held on a connection of
its own, for as long as the worker runs.

The lock is keyed by the worker's id (``hashtext(owner)`` in the class
:data:`PRESENCE_LOCK_CLASS`), so anyone can tell from ``pg_locks`` whether the worker that owns
a lease is still connected. When a worker process dies, even by ``kill -9``, its connection
closes and the server drops the lock at once: another worker then takes over its leases
without waiting for them to expire (see :func:`.leases.owner_is_connected`).
A lease whose owner is still connected is honoured until it expires, as on SQLite, where the
lease is the only mechanism.

The presence connection is also the one the worker claims installations on: a claim made on it
proves the lock is still held, and a claim that fails on a broken connection makes the next
claim reconnect and take the lock again first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

logger = logging.getLogger(__name__)

#: First key of the two-key advisory locks that mark a worker as connected ("ufsw"; the
#: migration lock uses the one-key form, a separate key space).
PRESENCE_LOCK_CLASS: Final = 0x75667377

_LOCK = text("SELECT pg_advisory_lock(:lock_class, hashtext(:owner))")
_UNLOCK = text("SELECT pg_advisory_unlock(:lock_class, hashtext(:owner))")


class WorkerPresence:
    """The connection holding the worker's presence lock, opened on first use."""

    def __init__(self, engine: AsyncEngine, owner: str) -> None:
        self._engine = engine
        self._owner = owner
        self._connection: AsyncConnection | None = None
        self.lock = asyncio.Lock()
        """Held by whoever uses :meth:`connection` (one statement stream at a time)."""

    @property
    def _params(self) -> dict[str, object]:
        return {"lock_class": PRESENCE_LOCK_CLASS, "owner": self._owner}

    async def connection(self) -> AsyncConnection:
        """The presence connection, the lock taken (call with :attr:`lock` held)."""
        if self._connection is None or self._connection.closed:
            connection = await self._engine.connect()
            try:
                await connection.execute(_LOCK, self._params)
                await connection.commit()  # the lock outlives the transaction
            except BaseException:
                await connection.invalidate()
                await connection.close()
                raise
            self._connection = connection
        return self._connection

    async def discard(self) -> None:
        """Drop a connection that failed: the server releases its lock; the next use
        reconnects (call with :attr:`lock` held)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.invalidate()
            with contextlib.suppress(Exception):
                await connection.close()

    async def close(self) -> None:
        """Release the lock and give the connection back."""
        async with self.lock:
            connection, self._connection = self._connection, None
            if connection is None:
                return
            try:
                await connection.execute(_UNLOCK, self._params)
                await connection.commit()
            except Exception:
                logger.warning("releasing the worker presence lock failed", exc_info=True)
                with contextlib.suppress(Exception):
                    await connection.invalidate()
            with contextlib.suppress(Exception):
                await connection.close()
