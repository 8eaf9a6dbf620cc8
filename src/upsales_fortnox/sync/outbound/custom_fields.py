"""Account custom field ids, resolved from their aliases once per installation and cached in
the database (table ``custom_field_ids``).

Field ids differ per Upsales customer; aliases do not (reference upsales.md §6). All account
aliases the sync uses (:data:`~.company.ACCOUNT_ALIASES`) are resolved with one
``GET /customfields/account``. A found id is trusted for :data:`FOUND_TTL`; an alias the
installation lacks is looked up again after :data:`ABSENT_TTL`, so an admin who adds the field
later is picked up. ``before_order_save`` reads the cache only (:func:`cached_account_field_ids`).

Without a ``FORTNOX_CUSTOMER_NUMBER`` field the customer number is not written back to Upsales;
the link in our database still holds it, and the job result says it was not written.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.db.models import CustomFieldId
from upsales_fortnox.db.types import utcnow
from upsales_fortnox.sync.outbound.company import ACCOUNT_ALIASES, AccountFieldIds
from upsales_fortnox.upsales.client import UpsalesClient

ACCOUNT_ENTITY: Final = "account"
FOUND_TTL: Final = timedelta(hours=24)
ABSENT_TTL: Final = timedelta(minutes=15)


async def _cached_rows(session: AsyncSession, installation_id: uuid.UUID) -> list[CustomFieldId]:
    rows = await session.scalars(
        select(CustomFieldId).where(
            CustomFieldId.installation_id == installation_id,
            CustomFieldId.entity == ACCOUNT_ENTITY,
        )
    )
    return list(rows)


async def cached_account_field_ids(
    session: AsyncSession, installation_id: uuid.UUID
) -> AccountFieldIds:
    """What the cache holds, however old (no API call)."""
    rows = await _cached_rows(session, installation_id)
    return AccountFieldIds.of({row.alias: row.field_id for row in rows})


def _fresh(row: CustomFieldId, now: datetime) -> bool:
    ttl = FOUND_TTL if row.field_id is not None else ABSENT_TTL
    return now - row.resolved_at < ttl


async def account_field_ids(
    session_factory: async_sessionmaker[AsyncSession],
    installation_id: uuid.UUID,
    upsales: UpsalesClient,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> AccountFieldIds:
    """The account field ids, from the cache while fresh, else from Upsales (then cached)."""
    now = clock()
    async with session_factory() as session:
        rows = {row.alias: row for row in await _cached_rows(session, installation_id)}
    if all(alias in rows and _fresh(rows[alias], now) for alias in ACCOUNT_ALIASES):
        return AccountFieldIds.of({alias: row.field_id for alias, row in rows.items()})
    fields = await upsales.list_custom_fields(ACCOUNT_ENTITY)
    by_alias: dict[str, int | None] = {alias: None for alias in ACCOUNT_ALIASES}
    for field in fields:
        alias = (field.alias or "").strip().casefold()
        for wanted in ACCOUNT_ALIASES:
            if alias == wanted.casefold() and by_alias[wanted] is None:
                by_alias[wanted] = field.id
    async with session_factory() as session:
        for alias, field_id in by_alias.items():
            await session.merge(
                CustomFieldId(
                    installation_id=installation_id,
                    entity=ACCOUNT_ENTITY,
                    alias=alias,
                    field_id=field_id,
                    resolved_at=now,
                )
            )
        await session.commit()
    return AccountFieldIds.of(by_alias)


async def forget_account_field_ids(
    session_factory: async_sessionmaker[AsyncSession], installation_id: uuid.UUID
) -> None:
    """Drop the cache (e.g. after Upsales refused a write to a cached field id)."""
    async with session_factory() as session:
        for row in await _cached_rows(session, installation_id):
            await session.delete(row)
        await session.commit()
