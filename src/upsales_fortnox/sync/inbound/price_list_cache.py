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

import time
import uuid
from collections.abc import Callable
from typing import Final

from upsales_fortnox.core.expiring_reads import ExpiringReads
from upsales_fortnox.integrations.ports import UpsalesPort
from upsales_fortnox.integrations.upsales.models import PriceList
from upsales_fortnox.sync.inbound.currency_prices import price_list_written, read_price_lists

PRICE_LISTS_CACHE_SECONDS: Final = 30.0
"""How long an installation's Upsales price lists, once read, are reused."""


class PriceListCache:
    """The account's price lists by installation, read at most once per
    :data:`PRICE_LISTS_CACHE_SECONDS` (``clock``: seconds, monotonic)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lists: ExpiringReads[uuid.UUID, list[PriceList]] = ExpiringReads(
            PRICE_LISTS_CACHE_SECONDS, clock
        )

    async def written(self, installation_id: uuid.UUID, upsales: UpsalesPort) -> int | None:
        """:func:`~.currency_prices.price_list_written` of the installation's lists; jobs that
        need them at once wait for one read. A read Upsales refuses is kept as no price lists
        (as :func:`~.currency_prices.read_price_lists` reads it); one that fails (the network,
        a 5xx) is not kept, and the next job reads again."""
        lists = await self._lists.get(installation_id, lambda: read_price_lists(upsales))
        return price_list_written(lists)
