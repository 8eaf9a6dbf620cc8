"""How a worker rides out a database that has gone away: it pauses and comes back by itself.

While claiming fails because the database is unavailable, the worker polls less often (the poll
interval doubled per failure, up to :data:`MAX_PAUSE_SECONDS`) and says so once, not once per
poll; the first claim that succeeds again ends the outage (logged once). Connections are
re-established by the pool on the next claim; jobs that were running when the database went
run again once their leases expire.
"""

from __future__ import annotations

import logging
import time
from typing import Final

from upsales_fortnox.core.db.unavailable import is_database_unavailable

logger = logging.getLogger("upsales_fortnox.jobs.worker")

MAX_PAUSE_SECONDS: Final = 2.0


class DatabaseOutage:
    """A worker's view of the database: up, or down since when and for how many polls."""

    def __init__(self, poll_seconds: float) -> None:
        self._poll_seconds = poll_seconds
        self.failures = 0
        self._since: float | None = None

    @property
    def down(self) -> bool:
        return self.failures > 0

    def failed(self, exc: BaseException) -> bool:
        """Record a failed claim; ``True`` if it was the database being unavailable (logged on
        the first failure only), ``False`` for any other error (the caller logs it)."""
        if not is_database_unavailable(exc):
            return False
        if not self.down:
            self._since = time.monotonic()
            logger.warning(
                "database unavailable (%s); the worker pauses until it is back",
                type(exc).__name__,
            )
        self.failures += 1
        return True

    def succeeded(self) -> None:
        if self.down:
            seconds = time.monotonic() - (self._since or time.monotonic())
            logger.warning("database back after %.1f s; the worker resumes", seconds)
        self.failures = 0
        self._since = None

    def pause_seconds(self) -> float:
        """How long to wait before the next poll."""
        if not self.down:
            return self._poll_seconds
        return max(
            self._poll_seconds,
            min(MAX_PAUSE_SECONDS, self._poll_seconds * 2.0 ** min(self.failures, 16)),
        )
