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

from upsales_fortnox.core.db.session import DbSession, DbSessionFactory
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.domain.outbound.company import ACCOUNT_ALIASES, AccountFieldIds
from upsales_fortnox.integrations.ports import UpsalesPort
from upsales_fortnox.links.repository.custom_field_ids import cached_field_ids, forget_field_ids
from upsales_fortnox.sync.field_ids import custom_field_ids

ACCOUNT_ENTITY: Final = "account"


async def cached_account_field_ids(
    session: DbSession, installation_id: uuid.UUID
) -> AccountFieldIds:
    """What the cache holds, however old (no API call)."""
    rows = await cached_field_ids(session, installation_id, ACCOUNT_ENTITY)
    return AccountFieldIds.of({row.alias: row.field_id for row in rows})


async def account_field_ids(
    session_factory: DbSessionFactory,
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
    session_factory: DbSessionFactory, installation_id: uuid.UUID
) -> None:
    """Drop the cache (e.g. after Upsales refused a write to a cached field id)."""
    async with session_factory() as session:
        await forget_field_ids(session, installation_id, ACCOUNT_ENTITY)
        await session.commit()
