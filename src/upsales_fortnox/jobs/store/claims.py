"""The installations one worker serves: claiming their leases, extending them while jobs
start, and giving them back (the lease statements themselves are in :mod:`.leases` and
:mod:`.statements`)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from upsales_fortnox.jobs.claim_share import fair_share
from upsales_fortnox.jobs.runs import Clock, LeaseLost
from upsales_fortnox.jobs.store.leases import (
    find_installations_to_serve,
    take_installation_leases,
    take_over_running_jobs,
    workload,
)
from upsales_fortnox.jobs.store.presence import WorkerPresence
from upsales_fortnox.jobs.store.statements import DROP_INSTALLATION_LEASE, RENEW_INSTALLATION_LEASE

logger = logging.getLogger(__name__)


class InstallationClaims:
    """The installation leases of worker ``owner``.

    A lease is extended as a job starts once a third of it has passed (:meth:`needs_renewal`);
    before that starting a job only checks that the lease is still ours. On PostgreSQL, where
    other workers may be connected, a claim takes this worker's fair share of the waiting
    installations (see :mod:`~upsales_fortnox.jobs.claim_share`; ``share_grace``: how long an
    installation waits for another worker before any takes it).
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        engine: AsyncEngine,
        *,
        owner: str,
        lease: timedelta,
        clock: Clock,
        share_grace: timedelta,
        on_presence_lost: Callable[[], None] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._engine = engine
        self.owner = owner
        self._lease = lease
        self._clock = clock
        self._renew_after = lease / 3
        self._share_grace = share_grace
        #: Until when each installation we serve is leased to us, as last written by us.
        self._leased_until: dict[uuid.UUID, datetime] = {}
        self._presence = (
            WorkerPresence(engine, owner, lease=lease, on_lost=on_presence_lost)
            if engine.dialect.name == "postgresql"
            else None
        )

    async def close(self) -> None:
        """Give up the presence lock (PostgreSQL); the next claim takes it again."""
        if self._presence is not None:
            await self._presence.close()

    async def claim(self, limit: int, *, exclude: Collection[uuid.UUID] = ()) -> list[uuid.UUID]:
        """Lease up to ``limit`` active installations that have due jobs.

        On PostgreSQL the claim runs on the worker's presence connection (see
        :mod:`.presence`), the candidates locked until their leases are taken, in one
        transaction. On SQLite the candidates are read first and the leases taken in a separate
        write transaction; the conditional upsert keeps that correct.
        """
        now = self._clock()
        expires_at = now + self._lease
        if self._presence is not None:
            won = await self._claim_on_presence(limit, exclude, now, expires_at)
        else:
            async with self._session_factory() as session:
                waiting = await find_installations_to_serve(
                    session, now, limit=limit, exclude=exclude
                )
                await session.rollback()
                if not waiting:
                    return []
                candidates = [candidate.installation_id for candidate in waiting]
                async with session.begin():
                    won = await take_installation_leases(
                        session, candidates, owner=self.owner, now=now, expires_at=expires_at
                    )
        for installation_id in won:
            self._leased_until[installation_id] = expires_at
        return won

    async def _claim_on_presence(
        self, limit: int, exclude: Collection[uuid.UUID], now: datetime, expires_at: datetime
    ) -> list[uuid.UUID]:
        presence = self._presence
        assert presence is not None
        async with presence.lock:
            connection = await presence.connection()
            try:
                async with AsyncSession(bind=connection) as session, session.begin():
                    load = await workload(session, self.owner, now)
                    waiting = await find_installations_to_serve(
                        session, now, limit=limit * max(1, load.workers), exclude=exclude
                    )
                    candidates = fair_share(
                        waiting, load, limit=limit, overdue_before=now - self._share_grace
                    )
                    won = await take_installation_leases(
                        session, candidates, owner=self.owner, now=now, expires_at=expires_at
                    )
                    await take_over_running_jobs(session, won, owner=self.owner, now=now)
            except Exception:
                if connection.invalidated or connection.closed:
                    await presence.discard()
                raise
        return won

    async def release(self, installation_id: uuid.UUID) -> None:
        """Give the installation's lease back. A cancel arriving meanwhile (the worker's hard
        stop) is held until this one short delete has ended, so other workers need not wait
        out the lease (a delete that fails then is logged, even when a second cancel ended the
        wait for it; the lease expires)."""
        self._leased_until.pop(installation_id, None)
        dropping = asyncio.ensure_future(self._drop(installation_id))
        try:
            await asyncio.shield(dropping)
        except asyncio.CancelledError:
            dropping.add_done_callback(partial(_log_failed_release, installation_id))
            await asyncio.wait({dropping})
            raise

    async def _drop(self, installation_id: uuid.UUID) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                DROP_INSTALLATION_LEASE,
                {"p_installation_id": installation_id, "p_owner": self.owner},
            )

    @contextmanager
    def renewals_kept_on_commit(self, installation_id: uuid.UUID) -> Iterator[None]:
        """Around a transaction that may renew the installation's lease (:meth:`renew_on`):
        if it fails, the lease's end as we know it goes back to what it was (the renewal was
        not committed). A lease found lost (here or by a renewal meanwhile) stays forgotten."""
        before = self._leased_until.get(installation_id)
        try:
            yield
        except LeaseLost:
            raise
        except BaseException:
            if installation_id in self._leased_until:
                if before is None:
                    del self._leased_until[installation_id]
                else:
                    self._leased_until[installation_id] = before
            raise

    def leased_until(self, installation_id: uuid.UUID) -> datetime | None:
        """Until when the installation is ours, as last written by us (None: not ours)."""
        return self._leased_until.get(installation_id)

    def needs_renewal(self, installation_id: uuid.UUID, now: datetime) -> bool:
        """Whether a third of the lease has passed since we last extended it (or we never did);
        until then starting a job only checks that the lease is still ours."""
        leased_until = self._leased_until.get(installation_id)
        return leased_until is None or leased_until - now < self._lease - self._renew_after

    async def renew_on(
        self, connection: AsyncConnection, installation_id: uuid.UUID, expires_at: datetime
    ) -> None:
        """Extend the lease to ``expires_at`` in the caller's transaction; :class:`LeaseLost`
        when it is no longer ours."""
        renewed = await connection.execute(
            RENEW_INSTALLATION_LEASE,
            {
                "p_installation_id": installation_id,
                "p_owner": self.owner,
                "p_expires_at": expires_at,
            },
        )
        if renewed.first() is None:
            self._leased_until.pop(installation_id, None)
            raise LeaseLost(f"installation {installation_id} lease lost")
        self._leased_until[installation_id] = expires_at


def _log_failed_release(installation_id: uuid.UUID, dropping: asyncio.Future[None]) -> None:
    if not dropping.cancelled() and (failure := dropping.exception()) is not None:
        logger.error(
            "releasing the installation lease failed",
            exc_info=failure,
            extra={"installation_id": str(installation_id)},
        )
