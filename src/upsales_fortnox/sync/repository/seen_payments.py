"""The ``seen_payments`` table: the booked payments each listing of a linked invoice's payments
showed, and the invoice each pays, so that a payment's deletion finds its invoice whichever
sync showed it (:mod:`upsales_fortnox.sync.money.deleted_payment`)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from upsales_fortnox.core.db.session import DbSessionFactory
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.core.db.upsert import upsert_insert
from upsales_fortnox.models.link import SeenPayment

_SEEN = cast(Table, SeenPayment.__table__)


async def remember_payments(
    session_factory: DbSessionFactory,
    installation_id: uuid.UUID,
    invoice_number: str,
    payment_numbers: Collection[str],
) -> None:
    """Record that these payments pay ``invoice_number``, seen now (one statement; a payment
    never moves to another invoice)."""
    if not payment_numbers:
        return
    now = utcnow()
    async with session_factory() as session:
        connection = await session.connection()
        statement = upsert_insert(connection.dialect.name, _SEEN).values(
            [
                {
                    "installation_id": installation_id,
                    "payment_number": number,
                    "invoice_number": invoice_number,
                    "seen_at": now,
                }
                for number in sorted(set(payment_numbers))
            ]
        )
        statement = statement.on_conflict_do_update(
            index_elements=["installation_id", "payment_number"],
            set_={"seen_at": statement.excluded.seen_at},
        )
        await connection.execute(statement)
        await session.commit()


async def seen_invoice(
    session: AsyncSession, installation_id: uuid.UUID, payment_number: str
) -> str | None:
    """The invoice a listing showed the payment paying, if one did."""
    return await session.scalar(
        select(SeenPayment.invoice_number).where(
            SeenPayment.installation_id == installation_id,
            SeenPayment.payment_number == payment_number,
        )
    )


async def forget_payment(
    session_factory: DbSessionFactory,
    installation_id: uuid.UUID,
    payment_number: str,
    seen_before: datetime,
) -> None:
    """Drop the record of a payment whose deletion was synced, unless a listing since
    ``seen_before`` showed it still there (a late or repeated deletion event)."""
    async with session_factory() as session:
        await session.execute(
            delete(SeenPayment).where(
                SeenPayment.installation_id == installation_id,
                SeenPayment.payment_number == payment_number,
                SeenPayment.seen_at < seen_before,
            )
        )
        await session.commit()
