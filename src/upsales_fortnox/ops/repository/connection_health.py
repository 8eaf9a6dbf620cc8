"""The ``connection_checks`` table (the last signs of life of an installation's two
connections), and the other readings of an installation's health: its last Fortnox event and
its last reconciliation (reads only: those tables have their own writers)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.models.job import InboundEvent, ReconcileCheckpoint
from upsales_fortnox.models.operations import ConnectionCheck
from upsales_fortnox.vocabulary import EventSource


async def record_connection_check(
    session_factory: async_sessionmaker[AsyncSession],
    installation_id: uuid.UUID,
    now: datetime,
    *,
    fortnox_ok: bool | None,
    upsales_ok: bool | None,
    upsales_error: str | None,
) -> bool:
    """Record a check in its own committed transaction: a Fortnox success, and the Upsales key's
    verdict when there is one. False when another process recorded its check at the same moment
    (this one is dropped then)."""
    try:
        async with session_factory() as session, session.begin():
            row = await session.get(ConnectionCheck, installation_id)
            if row is None:
                row = ConnectionCheck(installation_id=installation_id)
                session.add(row)
            if fortnox_ok:
                row.fortnox_last_success_at = now
            if upsales_ok is not None:
                row.upsales_key_checked_at = now
                row.upsales_key_ok = upsales_ok
                row.upsales_key_error = upsales_error
    except IntegrityError:
        return False
    return True


async def forget_upsales_key_verdict(session: AsyncSession, installation_id: uuid.UUID) -> None:
    """The installation's Upsales API key was replaced: the last check judged the old one, so
    the new one counts as not checked yet. Does not commit."""
    await session.execute(
        update(ConnectionCheck)
        .where(ConnectionCheck.installation_id == installation_id)
        .values(upsales_key_ok=None, upsales_key_error=None, upsales_key_checked_at=None)
    )


async def connection_check_of(
    session: AsyncSession, installation_id: uuid.UUID
) -> ConnectionCheck | None:
    return await session.get(ConnectionCheck, installation_id)


async def upsales_keys_refused(session: AsyncSession) -> list[tuple[uuid.UUID, str | None]]:
    """The installations whose Upsales API key the last check found refused (or unreadable),
    with the error it recorded."""
    rows = await session.execute(
        select(ConnectionCheck.installation_id, ConnectionCheck.upsales_key_error).where(
            ConnectionCheck.upsales_key_ok.is_(False)
        )
    )
    return [(installation_id, error) for installation_id, error in rows]


async def last_fortnox_event_at(
    session: AsyncSession, installation_id: uuid.UUID
) -> datetime | None:
    """When the installation's last Fortnox event was received."""
    return await session.scalar(
        select(func.max(InboundEvent.received_at)).where(
            InboundEvent.installation_id == installation_id,
            InboundEvent.source == EventSource.FORTNOX,
        )
    )


async def last_reconciliation_at(
    session: AsyncSession, installation_id: uuid.UUID
) -> datetime | None:
    return await session.scalar(
        select(func.max(ReconcileCheckpoint.updated_at)).where(
            ReconcileCheckpoint.installation_id == installation_id
        )
    )
