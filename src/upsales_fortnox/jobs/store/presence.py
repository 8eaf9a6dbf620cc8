"""A worker's presence on PostgreSQL: its session-level advisory lock (see
:mod:`upsales_fortnox.core.db.session_presence`), keyed by the worker's id in the class
:data:`PRESENCE_LOCK_CLASS`, held for as long as the worker runs.

A killed worker's lock is gone at once, so another worker takes over its leases without
waiting for them to expire (see :func:`.leases.owner_is_connected`). A lease whose owner is
still connected is honoured until it expires, as on SQLite, where the lease is the only
mechanism.

The presence connection is also the one the worker claims installations on: a claim made on it
proves the lock is still held, and a claim that fails on a broken connection makes the next
claim reconnect and take the lock again first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Final

from sqlalchemy.ext.asyncio import AsyncEngine

from upsales_fortnox.core.db.session_presence import Presence

#: First key of the two-key advisory locks that mark a worker as connected ("ufsw"; the
#: migration lock uses the one-key form, a separate key space).
PRESENCE_LOCK_CLASS: Final = 0x75667377


class WorkerPresence(Presence):
    """The connection holding worker ``owner``'s presence lock, opened on first use.

    Its session outlasts a silent cut of the worker's connection by at least a ``lease``: by
    then the worker's heartbeat has stopped its runs (it cannot renew their leases), so a
    worker taking the installations over never serves one alongside it.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        owner: str,
        *,
        lease: timedelta,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(
            engine,
            PRESENCE_LOCK_CLASS,
            owner,
            gone_after_seconds=lease.total_seconds() * 1.25,
            on_lost=on_lost,
        )
