"""The ``ended_console_sessions`` table: the console sessions logged out of, until they would
have expired anyway. Nothing here commits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from upsales_fortnox.core.db.upsert import upsert_insert
from upsales_fortnox.models.operations import EndedConsoleSession

_CLOCK_MARGIN: Final = timedelta(hours=1)


async def end_session(
    session: AsyncSession, nonce: str, expires_at: datetime, now: datetime
) -> None:
    """Record the session as logged out of, and forget those expired for an hour (a margin
    for hosts whose clocks differ from the database's)."""
    await session.execute(
        upsert_insert(session.get_bind().dialect.name, EndedConsoleSession)
        .values(nonce=nonce, expires_at=expires_at)
        .on_conflict_do_nothing(index_elements=["nonce"])
    )
    forgotten = EndedConsoleSession.expires_at < now - _CLOCK_MARGIN
    await session.execute(delete(EndedConsoleSession).where(forgotten))


async def session_ended(session: AsyncSession, nonce: str) -> bool:
    found = await session.scalar(
        select(EndedConsoleSession.nonce).where(EndedConsoleSession.nonce == nonce)
    )
    return found is not None
