"""One installation's Fortnox token refresh at a time across the processes of a SQLite file.

On PostgreSQL the refresh holds the installation's credentials row locked while it asks
Fortnox. SQLite has no row locks: a lock there is the whole database's write lock, and held
over a refresh that Fortnox is slow to answer it would stop every other installation's writes
(their hooks, their jobs' outcomes, their own refreshes). So on SQLite the refresh asks Fortnox
under this guard instead: an exclusive ``flock`` on a file of the installation's own beside the
database file (``<database>.refresh-locks/<installation>.lock``), which every process using the
file sees, and takes the write lock only for the short transaction that stores the new tokens.
A database without a file (in memory: one process's) keeps the write lock over the refresh.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

RETRY_SECONDS: Final = 0.05
"""How often a refresh waiting for another process' refresh of the same installation looks."""


class RefreshGuard:
    """Held around a refresh (:meth:`held`); a guard without a directory holds nothing."""

    def __init__(self, database_file: Path | None) -> None:
        self._directory = (
            None
            if database_file is None
            else database_file.with_name(database_file.name + ".refresh-locks")
        )

    @property
    def guards(self) -> bool:
        """Whether the refresh runs outside the database's write lock (under this guard)."""
        return self._directory is not None

    @asynccontextmanager
    async def held(self, installation_id: uuid.UUID) -> AsyncIterator[None]:
        if self._directory is None:
            yield
            return
        self._directory.mkdir(exist_ok=True)
        descriptor = os.open(self._directory / f"{installation_id}.lock", os.O_RDWR | os.O_CREAT)
        try:
            while True:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    await asyncio.sleep(RETRY_SECONDS)
            yield
        finally:
            os.close(descriptor)  # lets the lock go
