"""Each Fortnox tenant's request budget kept in PostgreSQL, shared by every process: the
budget's repository (the only writer of ``fortnox_budget_grants``).

Fortnox counts a tenant's requests over a sliding window (25 per 5 s) whichever of our
processes sends them. Each process paces its own requests in memory
(:class:`~upsales_fortnox.integrations.pacing.SlidingWindowLimiter`); on PostgreSQL every request
also takes a place here (:class:`PostgresBudget`, a
:class:`~upsales_fortnox.integrations.shared_pacing.SharedBudget`), with the same rule: a place is a
row of ``fortnox_budget_grants``, held from its grant until the request's answer and counted for
``window`` seconds after that, and a grant is made only while fewer than ``limit`` places are
counted. Grants are decided one at a time per tenant (a transaction-level advisory lock), on the
database's clock, so processes on other hosts agree on time.

Each grant names its process (``holder``), which holds a presence lock while it runs
(:mod:`upsales_fortnox.core.db.session_presence`). A process that dies before its answers came
(even by ``kill -9``) loses the lock at once (within a minute when its host went without
closing the connection: longer than any of its requests may take), and the next take for the
tenant counts its places as finished then: its requests reached Fortnox before it died, so
they count a window from that take (never earlier than the death), not for ever. A process
whose lock was lost (the database ended its session) takes no place until it holds the lock
again. A place whose holder is unknown stays counted until ``stale_seconds`` after its grant
(longer than any request may take). On SQLite (one process) the in-process limiter alone paces.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncEngine

from upsales_fortnox.core.db.session_presence import Presence, process_name
from upsales_fortnox.models import budget_take

T = TypeVar("T")
logger = logging.getLogger(__name__)

#: First key of the per-tenant advisory locks ("ufsb"; two-key form, apart from other locks).
BUDGET_LOCK_CLASS: Final = 0x75667362
#: First key of the presence locks of the processes holding places ("ufsh").
HOLDER_LOCK_CLASS: Final = 0x75667368
#: A place in flight longer than this is taken for a request that will never answer.
DEFAULT_STALE_SECONDS = 120.0
#: How long to wait before asking again when every place is held by a request under way.
DEFAULT_POLL_SECONDS = 0.02
#: A statement of the budget waiting longer than this (another process stuck holding the
#: tenant's lock, a connection hanging) fails, and its connection is replaced: every take and
#: finish of the process goes through that one connection.
STATEMENT_TIMEOUT_SECONDS = 30.0

_TAKE = f"SELECT grant_id, wait_seconds FROM {budget_take.NAME}($1, $2, $3, $4, $5, $6, $7)"  # noqa: S608
"""One round trip, outside a transaction (:mod:`upsales_fortnox.models.budget_take`: lock,
count, clear, finish the departed holders' places, grant). Parameters: tenant key, window and
stale seconds, holder, limit, and the two lock classes."""
_FINISH = (
    "WITH quick AS (SELECT set_config('synchronous_commit', 'off', true)) "
    "UPDATE fortnox_budget_grants g "
    "SET finished_at = clock_timestamp() - make_interval(secs => answered.seconds_ago) "
    "FROM unnest($1::bigint[], $2::double precision[]) AS answered(id, seconds_ago) "
    "WHERE g.id = answered.id AND EXISTS (SELECT FROM quick)"
)
"""The answers of the grants ``$1``, each ``$2`` seconds ago (on this process's clock, counted as
the statement is sent: the time it takes to reach the database makes a place count a little
longer, never shorter)."""


class PostgresBudget:
    """Tenants' places in ``fortnox_budget_grants``: ``limit`` per ``window_seconds``.

    Takes and finishes run on the connection that holds this process's presence lock, through
    the driver directly and one at a time: a place is then granted only while the lock is held
    (a lost connection is replaced, and the lock taken again, before the take is), and a place
    costs a few statements' worth of CPU instead of a pooled connection's checkout, transaction
    and checkin for each take and each finish. A take that waits for another process's grant
    of the same tenant holds up this process's other takes for that moment (a grant is one
    short statement; at most a minute when that process's host went silent in the middle of it,
    as the server then ends its session).
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        limit: int,
        window_seconds: float,
        stale_seconds: float = DEFAULT_STALE_SECONDS,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        holder: str | None = None,
    ) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("limit must be >= 1 and window_seconds > 0")
        self.limit = limit
        self.window_seconds = window_seconds
        self._stale_seconds = max(stale_seconds, window_seconds)
        self._poll_seconds = poll_seconds
        self.holder = holder or process_name()
        self._presence = Presence(engine, HOLDER_LOCK_CLASS, self.holder)
        self._closed = False
        self._under_way: set[asyncio.Task[Any]] = set()
        """Statements run to their end though their callers were cancelled."""
        self._answered: dict[int, float] = {}
        """Grants whose answers came and are not yet on their way to the database: when each
        came (the event loop's clock)."""
        self._recorded: asyncio.Future[None] | None = None
        """Done once the answers in :attr:`_answered` have been recorded (or failed to be)."""
        self._recording: asyncio.Task[None] | None = None

    def _run_to_its_end(self, work: Callable[[Any], Awaitable[T]]) -> asyncio.Task[T]:
        """``work`` on the presence connection in a task of its own, which a cancelled caller
        does not stop: a statement cut off in the middle would leave the connection inside a
        transaction, and dropping it would end this process's presence, so that other
        processes would count its places as finished while its last requests may still be on
        their way to Fortnox."""
        task = asyncio.ensure_future(self._on_presence(work))
        self._under_way.add(task)
        task.add_done_callback(self._under_way.discard)
        return task

    async def _on_presence(
        self, work: Callable[[Any], Awaitable[T]], *, repeatable: bool = False
    ) -> T:
        """Run ``work`` on the driver connection that holds the presence lock.

        A database error leaves the connection as it was (``work``'s transaction rolled back).
        Anything else (the connection lost, a timeout; a cancel, which only the event loop's
        end makes, see :meth:`_run_to_its_end`) may leave it inside a transaction, so it is
        dropped: the database rolls back and ends the session, and the next use connects and
        locks again. When the connection turns out
        to have been lost already, ``work`` is tried once more on a new one (a take whose
        commit's answer was lost leaves a place counted until it is stale; never an extra one).
        ``repeatable`` work (it may run twice to the same effect: recording answers) is tried
        once more too when the server ended the session in the middle of it.
        """
        for last_try in (False, True):
            if self._closed:  # (a take still waiting as the process ends)
                raise RuntimeError("the shared Fortnox budget is closed")
            async with self._presence.lock:
                connection = await self._presence.connection()
                driver = (await connection.get_raw_connection()).driver_connection
                try:
                    return await work(driver)
                except asyncpg.PostgresError:
                    if driver is None or not driver.is_closed():
                        raise
                    await self._presence.discard()  # the server ended it
                    if last_try or not repeatable:
                        raise
                except BaseException as exc:
                    lost = driver is None or driver.is_closed()
                    await self._presence.discard()
                    if last_try or not lost or not isinstance(exc, Exception):
                        raise
        raise AssertionError("unreachable")

    async def take(self, tenant_key: str) -> int:
        async def attempt(driver: Any) -> Any:
            return await driver.fetchrow(
                _TAKE,
                tenant_key,
                self.window_seconds,
                self._stale_seconds,
                self.holder,
                self.limit,
                BUDGET_LOCK_CLASS,
                HOLDER_LOCK_CLASS,
                timeout=STATEMENT_TIMEOUT_SECONDS,
            )

        while True:
            asking = self._run_to_its_end(attempt)
            try:
                row = await asyncio.shield(asking)
            except asyncio.CancelledError:
                asking.add_done_callback(self._finish_unused)
                raise
            if row["grant_id"] is not None:
                return int(row["grant_id"])
            wait = row["wait_seconds"]
            await asyncio.sleep(max(self._poll_seconds if wait is None else float(wait), 0.001))

    def _finish_unused(self, asking: asyncio.Task[Any]) -> None:
        """A take whose caller was cancelled: the place it was granted, if any, is finished
        at once (no request was sent in it; it counts a window from now)."""
        if asking.cancelled() or asking.exception() is not None:
            return
        grant = asking.result()["grant_id"]
        if grant is not None:
            self._answer_came(int(grant))

    def _answer_came(self, grant: int) -> asyncio.Future[None]:
        """Note ``grant``'s answer for the next batch; the future is done once it is recorded.

        Answers are recorded in batches, one statement each, as a database commits in groups:
        the answers that come while a batch is on its way (or waits for the presence
        connection, which every take uses too) go together in the next one. A busy worker's
        answers then cost a statement per batch instead of one each, and none waits longer
        than the statement before it."""
        loop = asyncio.get_running_loop()
        self._answered.setdefault(grant, loop.time())
        if self._recorded is None:
            self._recorded = loop.create_future()
        recorded = self._recorded
        if self._recording is None:
            self._recording = asyncio.ensure_future(self._record_answers())
            self._under_way.add(self._recording)
            self._recording.add_done_callback(self._recording_ended)
        return recorded

    def _recording_ended(self, recording: asyncio.Task[None]) -> None:
        """A recording cancelled before its first step (only the event loop's end does that)
        never ran its own ``finally``: the next answer must start another, and the callers
        waiting for its batch are let go (the places count until stale, or until a later batch
        records them)."""
        self._under_way.discard(recording)
        if self._recording is recording:
            self._recording = None
            if self._recorded is not None:
                self._recorded.set_result(None)
                self._recorded = None

    async def _record_answers(self) -> None:
        """Record the noted answers in batches until none is left; a batch that fails is logged
        (its places count until stale), never raised."""
        loop = asyncio.get_running_loop()
        try:
            while self._answered:
                answered, self._answered = self._answered, {}
                recorded, self._recorded = self._recorded, None

                async def record(driver: Any, answered: dict[int, float] = answered) -> None:
                    now = loop.time()
                    await driver.execute(
                        _FINISH,
                        list(answered),
                        [max(now - came, 0.0) for came in answered.values()],
                        timeout=STATEMENT_TIMEOUT_SECONDS,
                    )

                try:
                    await self._on_presence(record, repeatable=True)
                except Exception as exc:
                    _warn_not_finished(exc)
                finally:
                    if recorded is not None and not recorded.done():
                        recorded.set_result(None)
        finally:
            self._recording = None

    async def finish(self, grant: int) -> None:
        """Record the answer (in a batch, see :meth:`_answer_came`). Carried to its end though
        the caller is cancelled meanwhile; never raises (the request's answer is in, whatever
        becomes of its place): a place that could not be finished is logged and counts until
        stale."""
        await asyncio.wait([self._answer_came(grant)])

    async def aclose(self) -> None:
        """Give the presence lock up (this process holds no places any more), once the
        statements under way have ended."""
        while self._under_way:
            await asyncio.gather(*self._under_way, return_exceptions=True)
        self._closed = True
        await self._presence.close()


def _warn_not_finished(error: BaseException) -> None:
    logger.warning(
        "a place in the shared budget could not be finished; it counts until stale",
        extra={"code": "fortnox_budget_finish_failed"},
        exc_info=error,
    )


def database_budget(
    engine: AsyncEngine, *, limit: int, window_seconds: float
) -> PostgresBudget | None:
    """The budget in the database when it is PostgreSQL, where processes share it; ``None``
    elsewhere (SQLite: one process, which its in-process limiters pace alone)."""
    if engine.dialect.name != "postgresql":
        return None
    return PostgresBudget(engine, limit=limit, window_seconds=window_seconds)
