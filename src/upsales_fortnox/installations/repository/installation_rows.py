"""The ``installations`` table: every read and write of an installation row.

Functions flush at most; the caller owns the transaction. A flush that loses a race is turned
into the errors the operator API answers (:class:`VersionMismatch`,
:class:`DuplicateCustomerId`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from upsales_fortnox.core.db.row_lock import read_locked
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.installations.errors import (
    DuplicateCustomerId,
    TenantTaken,
    VersionMismatch,
)
from upsales_fortnox.installations.repository.tokens import still_stored
from upsales_fortnox.models.installation import SERVICE_ACCOUNT, FortnoxCredentials, Installation
from upsales_fortnox.vocabulary import InstallationStatus

InstallationWithLogin = tuple[Installation, bool]
"""An installation and whether it has Fortnox tokens."""


def _has_fortnox_login() -> ColumnElement[bool]:
    return exists().where(FortnoxCredentials.installation_id == Installation.id).label("login")


async def find_installation(
    session: AsyncSession, installation_id: uuid.UUID, *, fresh: bool = False
) -> Installation | None:
    """The installation (``fresh``: read again even if the session holds it already)."""
    if fresh:
        return await session.get(Installation, installation_id, populate_existing=True)
    return await session.get(Installation, installation_id)


async def lock_installation(
    session: AsyncSession, installation_id: uuid.UUID
) -> Installation | None:
    """Read the installation, fresh, under a lock held until the transaction ends."""
    return await read_locked(
        session, Installation, Installation.id == installation_id, Installation.updated_at
    )


async def installation_with_login(
    session: AsyncSession, installation_id: uuid.UUID
) -> InstallationWithLogin | None:
    row = (
        await session.execute(
            select(Installation, _has_fortnox_login()).where(Installation.id == installation_id)
        )
    ).one_or_none()
    return None if row is None else (row[0], bool(row[1]))


async def page_of_installations(
    session: AsyncSession,
    *,
    status: InstallationStatus | None,
    upsales_customer_id: int | None,
    limit: int,
    offset: int,
) -> tuple[list[InstallationWithLogin], int]:
    """One page of installations, oldest first, and the number that match in all."""
    conditions: list[ColumnElement[bool]] = []
    if status is not None:
        conditions.append(Installation.status == status.value)
    if upsales_customer_id is not None:
        conditions.append(Installation.upsales_customer_id == upsales_customer_id)
    total = await session.scalar(select(func.count()).select_from(Installation).where(*conditions))
    rows = await session.execute(
        select(Installation, _has_fortnox_login())
        .where(*conditions)
        .order_by(Installation.created_at, Installation.id)
        .limit(limit)
        .offset(offset)
    )
    return [(row[0], bool(row[1])) for row in rows], total or 0


async def customer_id_taken(
    session: AsyncSession, customer_id: int, *, other_than: uuid.UUID | None = None
) -> bool:
    query = select(Installation.id).where(Installation.upsales_customer_id == customer_id)
    if other_than is not None:
        query = query.where(Installation.id != other_than)
    return await session.scalar(query) is not None


async def tenant_connected_elsewhere(
    session: AsyncSession, tenant_id: str, installation_id: uuid.UUID
) -> bool:
    """Whether another installation is connected to the Fortnox tenant."""
    other = await session.scalar(
        select(Installation.id).where(
            Installation.fortnox_tenant_id == tenant_id, Installation.id != installation_id
        )
    )
    return other is not None


async def fortnox_tenant_of(session: AsyncSession, installation_id: uuid.UUID) -> str | None:
    return await session.scalar(
        select(Installation.fortnox_tenant_id).where(Installation.id == installation_id)
    )


def add_installation(session: AsyncSession, installation: Installation) -> None:
    """Stage a new installation; :func:`save_installations` writes it."""
    session.add(installation)


def change_installation(installation: Installation, updates: Mapping[str, Any]) -> None:
    """Set the changed attributes (an unchanged value is not written)."""
    for attribute, value in updates.items():
        if getattr(installation, attribute) != value:
            setattr(installation, attribute, value)


async def delete_installation_row(session: AsyncSession, installation: Installation) -> None:
    """Delete the installation with everything that belongs to it (the database cascades)."""
    await session.delete(installation)
    await save_installations(session, None)


async def save_installations(session: AsyncSession, customer_id: int | None) -> None:
    """Flush, turning a lost race into the same errors the pre-checks give."""
    try:
        await session.flush()
    except StaleDataError as exc:
        raise VersionMismatch(None) from exc
    except IntegrityError as exc:
        if customer_id is None:
            raise
        raise DuplicateCustomerId(customer_id) from exc


async def connect_tenant(session: AsyncSession, installation: Installation, tenant_id: str) -> None:
    """A login completed: the Fortnox tenant is stored and the installation becomes ``active``
    (a ``paused`` one stays paused: the operator paused it). Raises :class:`TenantTaken` when
    another installation holds the tenant (one installation per tenant, kept by the database
    too)."""
    installation.fortnox_tenant_id = tenant_id
    installation.updated_at = utcnow()  # new credentials: the version moves (jobs/outcomes.py)
    if installation.status != InstallationStatus.PAUSED:
        installation.status = InstallationStatus.ACTIVE.value
        installation.status_reason = None
    try:
        await session.flush()
    except IntegrityError as exc:
        raise TenantTaken(tenant_id) from exc


async def _move_to(
    session: AsyncSession,
    status: InstallationStatus,
    reason: str,
    now: datetime,
    *where: ColumnElement[bool],
) -> int:
    """Set the status (and its reason) of the installations ``where`` holds, bumping their
    version, so a concurrent edit fails its version check instead of silently undoing it and
    the workers' kept contexts of them are stale; how many moved."""
    result = await session.execute(
        update(Installation)
        .where(*where)
        .values(
            status=status, status_reason=reason, version=Installation.version + 1, updated_at=now
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def mark_needs_relogin(
    session: AsyncSession, installation_id: uuid.UUID, reason: str, now: datetime
) -> None:
    """Move the installation to ``needs_relogin``; a ``paused`` one stays paused (the
    operator paused it: a new login must not resume it; once resumed, its first job that
    Fortnox refuses parks it, see :func:`park_for_relogin`)."""
    await _move_to(
        session,
        InstallationStatus.NEEDS_RELOGIN,
        reason,
        now,
        Installation.id == installation_id,
        Installation.status != InstallationStatus.PAUSED,
    )


async def mark_tenant_needs_relogin(
    session: AsyncSession, tenant_id: str, reason: str, now: datetime
) -> int:
    """Move every installation of the Fortnox tenant connected by a service account and not
    there yet to ``needs_relogin``, a ``paused`` one aside (as :func:`mark_needs_relogin`);
    returns how many moved. The refusal is kept with their tokens too (a paused one's
    included), so only a new connection ends it, whatever the status. One connected by a user
    login keeps its own refresh token: a service account's consent is not its grant (its next
    refresh tells)."""
    of_tenant = select(Installation.id).where(Installation.fortnox_tenant_id == tenant_id)
    await session.execute(
        update(FortnoxCredentials)
        .where(
            FortnoxCredentials.token_kind == SERVICE_ACCOUNT,
            FortnoxCredentials.installation_id.in_(of_tenant),
        )
        .values(refused_at=now)
        .execution_options(synchronize_session=False)
    )
    service_account = select(FortnoxCredentials.installation_id).where(
        FortnoxCredentials.token_kind == SERVICE_ACCOUNT
    )
    return await _move_to(
        session,
        InstallationStatus.NEEDS_RELOGIN,
        reason,
        now,
        Installation.fortnox_tenant_id == tenant_id,
        Installation.id.in_(service_account),
        Installation.status.not_in((InstallationStatus.NEEDS_RELOGIN, InstallationStatus.PAUSED)),
    )


async def park_for_relogin(
    session: AsyncSession,
    installation_id: uuid.UUID,
    reason: str,
    now: datetime,
    *,
    refused_tokens: str | None = None,
) -> None:
    """An ``active`` installation whose job Fortnox refused for want of a login moves to
    ``needs_relogin`` (as :func:`mark_needs_relogin`); its jobs wait.

    With ``refused_tokens`` (the fingerprint of the Fortnox tokens refused) only while those
    are still the stored ones (:func:`.tokens.still_stored`): a new login since then stays.
    """
    if refused_tokens is not None and not await still_stored(
        session, installation_id, refused_tokens
    ):
        return
    await _move_active(session, installation_id, InstallationStatus.NEEDS_RELOGIN, reason, now)


async def pause_active(
    session: AsyncSession, installation_id: uuid.UUID, reason: str, now: datetime
) -> bool:
    """Pause an ``active`` installation (its jobs wait); whether it was paused now."""
    return await _move_active(session, installation_id, InstallationStatus.PAUSED, reason, now)


async def _move_active(
    session: AsyncSession,
    installation_id: uuid.UUID,
    status: InstallationStatus,
    reason: str,
    now: datetime,
) -> bool:
    """Move the installation to ``status`` if it is ``active``; whether it moved."""
    moved = await _move_to(
        session,
        status,
        reason,
        now,
        Installation.id == installation_id,
        Installation.status == InstallationStatus.ACTIVE,
    )
    return moved > 0


async def names_by_id(session: AsyncSession) -> dict[uuid.UUID, str]:
    rows = await session.execute(select(Installation.id, Installation.name))
    return {installation_id: name for installation_id, name in rows}


async def ids_with_status(session: AsyncSession, status: InstallationStatus) -> list[uuid.UUID]:
    return list(await session.scalars(select(Installation.id).where(Installation.status == status)))


async def installations_with_status(
    session: AsyncSession, status: InstallationStatus
) -> list[Installation]:
    return list(await session.scalars(select(Installation).where(Installation.status == status)))


async def count_installations_by_status(session: AsyncSession) -> dict[str, int]:
    """How many installations have each status (every status named, 0 when none)."""
    rows = await session.execute(
        select(Installation.status, func.count()).group_by(Installation.status)
    )
    counts = {status.value: 0 for status in InstallationStatus}
    counts.update({status: count for status, count in rows})
    return counts
