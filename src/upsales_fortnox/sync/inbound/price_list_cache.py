"""The Upsales price list the currency prices are written into, per installation, shared by the
jobs of a process: a burst of Fortnox article events reads ``GET /priceLists`` once, not once
per article (Upsales allows 200 requests per 10 s per API key).

The read is reused for :data:`PRICE_LISTS_CACHE_SECONDS`: a price list added (or a default
changed, or the installation's Upsales key replaced) in Upsales is seen by the article events
that come after that, and until then the prices are written as the account's lists were when
last read. The expiry is kept short so
that window stays small; it is the one staleness this cache brings.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Final

from upsales_fortnox.integrations.ports import UpsalesPort
from upsales_fortnox.integrations.upsales.models import PriceList
from upsales_fortnox.sync.inbound.currency_prices import price_list_written, read_price_lists

PRICE_LISTS_CACHE_SECONDS: Final = 30.0
"""How long an installation's Upsales price lists, once read, are reused."""


class PriceListCache:
    """The account's price lists by installation, read at most once per
    :data:`PRICE_LISTS_CACHE_SECONDS` (``clock``: seconds, monotonic)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[uuid.UUID, tuple[float, list[PriceList]]] = {}
        self._reading: dict[uuid.UUID, asyncio.Lock] = {}

    async def written(self, installation_id: uuid.UUID, upsales: UpsalesPort) -> int | None:
        """:func:`~.currency_prices.price_list_written` of the installation's lists; jobs that
        need them at once wait for one read. A read Upsales refuses is kept as no price lists
        (as :func:`~.currency_prices.read_price_lists` reads it); one that fails (the network,
        a 5xx) is not kept, and the next job reads again."""
        return price_list_written(await self._lists(installation_id, upsales))

    async def _lists(self, installation_id: uuid.UUID, upsales: UpsalesPort) -> list[PriceList]:
        async with self._reading.setdefault(installation_id, asyncio.Lock()):
            cached = self._entries.get(installation_id)
            if cached is not None and self._clock() - cached[0] < PRICE_LISTS_CACHE_SECONDS:
                return cached[1]
            lists = await read_price_lists(upsales)
            self._entries[installation_id] = (self._clock(), lists)
            return lists
