"""A won deal's note of the customer create it sent, kept on its intent row
(``document_intents``): the company's other deals wait for it while it may land, instead of
creating a second customer; linking the company to its customer forgets it."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from upsales_fortnox.links.repository.intent_rows import (
    INTENTS,
    NO_CUSTOMER_NOTE,
    insert_intent_row,
    no_customer_create_may_land,
    of_order,
)
from upsales_fortnox.vocabulary import FortnoxType


async def note_customer_create(
    connection: AsyncConnection,
    installation_id: uuid.UUID,
    upsales_order_id: int,
    company_id: int,
    sent_at: datetime,
    fortnox_type: FortnoxType,
    sent_fields: Mapping[str, str | None],
) -> datetime | None:
    """The deal's attempt is sending the create of the company's new Fortnox customer, made of
    the company's ``sent_fields`` (what it is looked for by, should the company change). A deal
    without an intent yet (its document not sent, or linked by the initial sync) gets one now, as
    ``fortnox_type`` and recorded at ``sent_at``, to hold the note. The intent's ``created_at``
    once noted: ``sent_at`` when the note gave the deal its intent. None, and nothing noted
    (nothing may be sent), while the deal holds a customer create that may still land: another
    run's (a stalled one's note must not hide it)."""
    note = {
        "customer_company_id": company_id,
        "customer_sent_at": sent_at,
        "customer_sent_fields": dict(sent_fields),
    }
    upsert = insert_intent_row(connection.dialect.name).values(
        installation_id=installation_id,
        upsales_order_id=upsales_order_id,
        fortnox_type=fortnox_type.value,
        created_at=sent_at,
        **note,
    )
    noted = await connection.execute(
        upsert.on_conflict_do_update(
            index_elements=[INTENTS.c.installation_id, INTENTS.c.upsales_order_id],
            set_={**note, "customer_settles_at": None},
            where=no_customer_create_may_land(sent_at),
        ).returning(INTENTS.c.created_at)
    )
    recorded_at: datetime | None = noted.scalar_one_or_none()
    return recorded_at


async def forget_customer_create(
    connection: AsyncConnection,
    installation_id: uuid.UUID,
    upsales_order_id: int,
    sent_at: datetime,
) -> None:
    """The deal's customer create noted at ``sent_at`` made nothing (Fortnox refused it):
    nobody waits for it. A later create of the deal's is kept."""
    await connection.execute(
        update(INTENTS)
        .where(
            of_order(installation_id, upsales_order_id),
            INTENTS.c.customer_sent_at == sent_at,
        )
        .values(NO_CUSTOMER_NOTE)
    )


async def forget_company_customer_creates(
    connection: AsyncConnection, installation_id: uuid.UUID, company_ids: Collection[int]
) -> None:
    """The companies are linked to their customers: no deal of theirs searches for one any
    more, so no create of it noted by any deal is waited for."""
    if not company_ids:
        return
    await connection.execute(
        update(INTENTS)
        .where(
            INTENTS.c.installation_id == installation_id,
            INTENTS.c.customer_company_id.in_(company_ids),
        )
        .values(NO_CUSTOMER_NOTE)
    )


@dataclass(frozen=True)
class CustomerCreate:
    """A deal's create of the company's new customer, which may have landed unseen."""

    upsales_order_id: int
    sent_at: datetime
    settles_at: datetime | None
    """Set by a search that found no customer: search again after it before creating."""
    company_id: int
    sent_fields: Mapping[str, str | None] | None
    """The company's fields the create was made of (None: noted before they were kept)."""


async def customer_creates_to_wait_for(
    connection: AsyncConnection, installation_id: uuid.UUID, upsales_order_id: int, company_id: int
) -> list[CustomerCreate]:
    """The creates a deal about to create the company's customer waits for while they may
    land: its own noted one, of any company (its note is about to be replaced), and the latest
    one of this company's customer that another deal noted."""
    columns = (
        INTENTS.c.upsales_order_id,
        INTENTS.c.customer_sent_at,
        INTENTS.c.customer_settles_at,
        INTENTS.c.customer_company_id,
        INTENTS.c.customer_sent_fields,
    )
    own = select(*columns).where(
        of_order(installation_id, upsales_order_id), INTENTS.c.customer_company_id.is_not(None)
    )
    of_another_deal = (
        select(*columns)
        .where(
            INTENTS.c.installation_id == installation_id,
            INTENTS.c.customer_company_id == company_id,
            INTENTS.c.upsales_order_id != upsales_order_id,
        )
        .order_by(INTENTS.c.customer_sent_at.desc())
        .limit(1)
    )
    found = []
    for query in (own, of_another_deal):
        row = (await connection.execute(query)).first()
        if row is not None:
            found.append(
                CustomerCreate(
                    row.upsales_order_id,
                    row.customer_sent_at,
                    row.customer_settles_at,
                    row.customer_company_id,
                    row.customer_sent_fields,
                )
            )
    return found


async def sent_customer_creates(
    connection: AsyncConnection, installation_id: uuid.UUID
) -> list[tuple[int, Mapping[str, str | None]]]:
    """The companies whose new customer a deal's noted create may have made, each with the
    fields that create sent (the company may have changed since)."""
    rows = await connection.execute(
        select(INTENTS.c.customer_company_id, INTENTS.c.customer_sent_fields).where(
            INTENTS.c.installation_id == installation_id,
            INTENTS.c.customer_company_id.is_not(None),
        )
    )
    return [
        (row.customer_company_id, row.customer_sent_fields)
        for row in rows
        if isinstance(row.customer_sent_fields, dict)  # noted before the fields were kept
    ]


async def settle_customer_create(
    connection: AsyncConnection,
    installation_id: uuid.UUID,
    create: CustomerCreate,
    settles_at: datetime,
) -> bool:
    """Store when to search for the customer again after a search that missed ``create``;
    False when that deal has since sent another create, or another search stored a time."""
    stored = await connection.execute(
        update(INTENTS)
        .where(
            of_order(installation_id, create.upsales_order_id),
            INTENTS.c.customer_sent_at == create.sent_at,
            INTENTS.c.customer_settles_at.is_(None),
        )
        .values(customer_settles_at=settles_at)
    )
    return bool(stored.rowcount == 1)
