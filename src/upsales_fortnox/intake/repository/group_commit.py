"""Group commit for the webhook intake: the events of concurrent requests in one transaction.

A request hands its checked and parsed events to the process's :class:`IntakeWriter` and waits.
The writer records every delivery that arrived while its previous transaction ran (no timer:
a request that finds the writer idle goes at once), commits once, and only then gives each
request its own results, so a 2xx still means "committed". Dedupe and coalescing work across
the whole batch as they would one delivery after another. Measured with ``bench/intake.py``: one
commit (one fsync) and one statement per batch instead of a transaction of four per request.

On PostgreSQL a batch runs on asyncpg directly (:mod:`.postgres`), elsewhere, and for a batch
holding an event stored without a job (a Fortnox event type we do not use; rare), through
:func:`~.record.record_events`. A batch that fails is retried one delivery per transaction
through SQLAlchemy, so a bad delivery fails alone and a pooled connection that died since its
last use costs a retry, not an error. On PostgreSQL a transaction waits for a row another holds
(an event or a queued job of the same key, written by a transaction that does not end) at most
a share of ``wait_seconds`` (``lock_timeout``): the delivery that needs the row fails (503), the
others of its batch are written alone, and the batches behind it go on, instead of every hook
waiting behind the one transaction that cannot go on. A transaction whose connection has not
answered within ``wait_seconds`` is given up and its connection closed
(:func:`~.postgres.closed_if_silent`): its callers have stopped waiting, and the next batch
takes a new connection instead of waiting for one that went silent. A delivery written alone is
written only while its caller still waits: one refused meanwhile is not stored once the rows it
waited for are free. A batch's lock waits, together and alone, take one share in all (past it a
delivery alone waits :data:`MIN_LOCK_WAIT_SECONDS`): hooks of a held row each fail at once,
instead of each waiting a share and the hooks behind them being refused.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Final

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from upsales_fortnox.core.db.engine import retry_on_lost_connection
from upsales_fortnox.core.db.lock_wait import SET_LOCK_TIMEOUT, milliseconds
from upsales_fortnox.intake.batching import Batcher
from upsales_fortnox.intake.deliveries import IGNORED, EventsOf, IntakeResult, needs_no_job
from upsales_fortnox.intake.repository.postgres import (
    closed_if_silent,
    driver_connection,
    record_events_on,
    terminator,
)
from upsales_fortnox.intake.repository.record import record_events

logger = logging.getLogger(__name__)

MAX_BATCH_EVENTS: Final = 500
"""Events per transaction at most (a delivery with more goes alone): bounds the statement size
and how long the rows of a batch stay locked."""

MAX_BATCHES_IN_FLIGHT: Final = 1
"""Transactions the writer runs at once. One keeps the intake to one pooled connection; the
next batch collects while the current one commits. Measured: two or three at once made smaller
batches, more database CPU per event, and no more throughput."""

LOCK_WAIT_SHARE: Final = 0.25
"""The share of ``wait_seconds`` a transaction of the writer waits for a row lock (PostgreSQL's
``lock_timeout``): a batch and then its deliveries alone wait that long in all (each alone at
least :data:`MIN_LOCK_WAIT_SECONDS`) before the next batch runs, so the next batch's callers
still get their answer within ``wait_seconds``."""

MIN_LOCK_WAIT_SECONDS: Final = 0.05
"""How long a delivery written alone waits for a row lock once its batch has used its share:
a row held by a transaction that commits at once is still waited for."""

_SET_LOCK_TIMEOUT: Final = "SELECT set_config('lock_timeout', $1, true)"


@dataclass(frozen=True, slots=True)
class _Waiting:
    """A delivery and the event loop time its caller stops waiting at (None: never)."""

    delivery: EventsOf
    deadline: float | None


class IntakeWriter:
    """Records deliveries of many concurrent requests in shared transactions."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        max_batch_events: int = MAX_BATCH_EVENTS,
        max_in_flight: int = MAX_BATCHES_IN_FLIGHT,
        wait_seconds: float | None = None,
    ) -> None:
        self._engine = engine
        self._wait_seconds = wait_seconds
        self._on_postgres = engine.dialect.name == "postgresql"
        self._lock_wait_seconds = (wait_seconds or 0.0) * LOCK_WAIT_SHARE
        self._lock_timeout = (
            None
            if wait_seconds is None or not self._on_postgres
            else milliseconds(self._lock_wait_seconds)
        )
        self._batcher: Batcher[_Waiting, list[IntakeResult]] = Batcher(
            self._write,
            max_batch_weight=max_batch_events,
            max_in_flight=max_in_flight,
            weight=lambda waiting: len(waiting.delivery.events),
        )

    async def record(self, delivery: EventsOf) -> list[IntakeResult]:
        """Record the delivery's events; returns after the commit that holds them (results in
        input order). A delivery of ignored events only writes nothing and waits for nothing.

        Waits at most ``wait_seconds`` (``TimeoutError`` after: the caller cannot tell whether
        the batch will still commit, so it must not acknowledge; a retry is deduplicated)."""
        if not any(delivery.events):
            return [IGNORED] * len(delivery.events)
        clock = asyncio.get_running_loop()
        deadline = None if self._wait_seconds is None else clock.time() + self._wait_seconds
        async with asyncio.timeout_at(deadline):
            return await self._batcher.submit(_Waiting(delivery, deadline))

    async def _write(self, batch: list[_Waiting]) -> Sequence[list[IntakeResult] | Exception]:
        clock = asyncio.get_running_loop()
        started = clock.time()
        deliveries = [waiting.delivery for waiting in batch]
        try:
            return await self._together(deliveries)
        except Exception as exc:
            if self._wait_seconds is not None and clock.time() - started >= self._wait_seconds:
                logger.warning(  # its callers have stopped waiting: none is written now
                    "recording %d deliveries took too long (%s)",
                    len(deliveries),
                    type(exc).__name__,
                )
                return [exc] * len(deliveries)
            logger.warning(
                "recording %d deliveries together failed (%s); recording them one by one",
                len(deliveries),
                type(exc).__name__,
            )
        outcomes: list[list[IntakeResult] | Exception] = []
        locks_until = started + self._lock_wait_seconds
        for waiting in batch:
            try:
                alone = partial(self._alone, waiting, locks_until)
                outcomes.append(await retry_on_lost_connection(alone))
            except Exception as exc:
                logger.error("recording a delivery failed (%s)", type(exc).__name__)
                outcomes.append(exc)
        return outcomes

    async def _together(self, deliveries: list[EventsOf]) -> list[list[IntakeResult]]:
        if self._on_postgres and not needs_no_job(deliveries):
            async with driver_connection(self._engine) as driver:
                with closed_if_silent(driver.terminate, self._wait_seconds):
                    async with driver.transaction():
                        if self._lock_timeout is not None:
                            await driver.fetch(_SET_LOCK_TIMEOUT, self._lock_timeout)
                        return await record_events_on(driver, deliveries)
        async with self._engine.begin() as connection:
            with closed_if_silent(await terminator(connection), self._wait_seconds):
                await self._bound_lock_waits(connection)
                return await record_events(connection, deliveries)

    async def _alone(self, waiting: _Waiting, locks_until: float) -> list[IntakeResult]:
        """``waiting``'s delivery in its own transaction, committed only if its caller still
        waits (else ``TimeoutError``, rolled back: committed, it would be stored though
        refused); it waits for locks until ``locks_until`` (at least the minimum)."""
        left = _left(waiting)
        lock_wait = max(MIN_LOCK_WAIT_SECONDS, locks_until - asyncio.get_running_loop().time())
        if left is not None:
            lock_wait = min(lock_wait, left)
        async with self._engine.begin() as connection:
            with closed_if_silent(await terminator(connection), self._wait_seconds):
                await self._bound_lock_waits(connection, lock_wait)
                (results,) = await record_events(connection, [waiting.delivery])
                _left(waiting)
                return results

    async def _bound_lock_waits(
        self, connection: AsyncConnection, seconds: float | None = None
    ) -> None:
        """Bounds the transaction's lock waits: to ``seconds`` if given, else to the share."""
        lock_timeout = self._lock_timeout
        if lock_timeout is not None and seconds is not None:
            lock_timeout = milliseconds(seconds)
        if lock_timeout is not None:
            await connection.execute(SET_LOCK_TIMEOUT, {"timeout": lock_timeout})


def _left(waiting: _Waiting) -> float | None:
    """The seconds ``waiting``'s caller still waits; ``TimeoutError`` if it has stopped."""
    if waiting.deadline is None:
        return None
    left = waiting.deadline - asyncio.get_running_loop().time()
    if left <= 0:
        raise TimeoutError
    return left
