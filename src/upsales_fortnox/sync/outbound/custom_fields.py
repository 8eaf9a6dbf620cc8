"""Account custom field ids, resolved from their aliases once per installation and cached in
the database (table ``custom_field_ids``).

Field ids differ per Upsales customer; aliases do not (reference upsales.md §6). All account
aliases the sync uses (:data:`~.company.ACCOUNT_ALIASES`) are resolved with one
``GET /customfields/account`` (:func:`~upsales_fortnox.sync.field_ids.custom_field_ids`, with
its freshness rules). ``before_order_save`` reads the cache only (:func:`cached_account_field_ids`).

Without a ``FORTNOX_CUSTOMER_NUMBER`` field the customer number is not written back to Upsales;
the link in our database still holds it, and the job result says it was not written.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.domain.outbound.company import ACCOUNT_ALIASES, AccountFieldIds
from upsales_fortnox.integrations.ports import UpsalesPort
from upsales_fortnox.models.link import CustomFieldId
from upsales_fortnox.sync.field_ids import custom_field_ids

ACCOUNT_ENTITY: Final = "account"


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


async def account_field_ids(
    session_factory: async_sessionmaker[AsyncSession],
    installation_id: uuid.UUID,
    upsales: UpsalesPort,
    *,
    clock: Callable[[], datetime] = utcnow,
) -> AccountFieldIds:
    """The account field ids, from the cache while fresh, else from Upsales (then cached)."""
    found = await custom_field_ids(
        session_factory, installation_id, upsales, ACCOUNT_ENTITY, ACCOUNT_ALIASES, clock=clock
    )
    return AccountFieldIds.of(found)


async def forget_account_field_ids(
    session_factory: async_sessionmaker[AsyncSession], installation_id: uuid.UUID
) -> None:
    """Drop the cache (e.g. after Upsales refused a write to a cached field id)."""
    async with session_factory() as session:
        for row in await _cached_rows(session, installation_id):
            await session.delete(row)
        await session.commit()
