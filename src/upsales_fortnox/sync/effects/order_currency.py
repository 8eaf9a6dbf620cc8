"""An Upsales order refused in a currency the account lacks is told as such.

A Fortnox document in a foreign currency becomes an Upsales order in that currency. Upsales
refuses one in a currency the account does not have (:data:`.facts.UNLISTED_CURRENCY_REFUSED`),
in words of its own under ``upsales_bad_request``. After such a refusal, and only then, the
account's currencies are read (one call): a currency missing or inactive there makes the refusal
``upsales_currency_missing``, naming the currency and what to do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from upsales_fortnox.integrations.ports import UpsalesPort
from upsales_fortnox.integrations.upsales import facts
from upsales_fortnox.integrations.upsales.errors import (
    UpsalesBadRequest,
    UpsalesCurrencyMissing,
    UpsalesError,
)


async def _lacks(upsales: UpsalesPort, currency: str) -> bool:
    wanted = currency.strip().upper()
    return not any(
        listed.iso.strip().upper() == wanted and listed.active is not False
        for listed in await upsales.list_currencies()
    )


@asynccontextmanager
async def currency_told(upsales: UpsalesPort, currency: str | None) -> AsyncIterator[None]:
    """Around a write of an order in ``currency`` (None: the account's own)."""
    try:
        yield
    except UpsalesBadRequest as refused:
        if currency is None or not facts.UNLISTED_CURRENCY_REFUSED:
            raise
        if type(refused) is not UpsalesBadRequest:  # a refusal of its own kind already
            raise
        try:
            lacking = await _lacks(upsales, currency)
        except UpsalesError:  # the list unread: the refusal as Upsales worded it
            raise refused from None
        if not lacking:
            raise
        raise UpsalesCurrencyMissing(
            f"Upsales refused the order in {currency}: the Upsales account has no active "
            f"currency {currency}. Add it in Upsales (its currency settings), then retry the job"
        ) from refused
