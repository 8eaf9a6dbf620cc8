"""Which won deals of one installation run beside each other, and the lock that keeps the
others apart.

A worker runs an installation's won deals side by side (the ``upsales.order`` kind is
registered so: :mod:`upsales_fortnox.jobs.turn`), never two of one order. A deal whose company
and products are linked, with no earlier attempt's document to look for and no set-aside order
to take back, writes nothing other deals read: its own document and its own link. Any other deal
may make or take what deals share (its company's Fortnox customer, its products' articles, a
backorder, a document an earlier attempt may have made), so it runs alone among such deals: it
takes the turn's lock, reads its links again under it, and saves its order link before it lets
the lock go (not with the job's completion), so the next deal under the lock finds what it made.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from typing import Any

from upsales_fortnox.links.repository.deal_link_read import DealLinks
from upsales_fortnox.links.repository.won_deal_links import WonDealLinks
from upsales_fortnox.vocabulary import FortnoxType

TURN_LOCK_KEY = "won_deals.one_at_a_time"
"""The ``turn_cache`` key of the lock that deals which may share what they write take."""


def keeps_to_itself(links: DealLinks, product_ids: Collection[int]) -> bool:
    """The deal, as its links read, writes only its own document and link."""
    return (
        links.company is not None
        and all(product_id in links.articles for product_id in product_ids)
        and links.sent_before is None
        and links.set_aside is None
        and (links.order is None or links.order.fortnox_type is not FortnoxType.OFFER)
    )


@asynccontextmanager
async def deal_links_apart(
    turn_cache: dict[str, Any] | None,
    links_of: Callable[[bool], WonDealLinks],
    read: Callable[[WonDealLinks], Awaitable[DealLinks]],
    product_ids: Collection[int],
) -> AsyncIterator[tuple[WonDealLinks, DealLinks]]:
    """The deal's links, read (``read``) through ``links_of(True)`` (its order link saved with
    the job's completion); for a deal that does not keep to itself, read again under the turn's
    lock (held until the block ends) through ``links_of(False)`` (its order link saved at once).
    ``turn_cache``: the job's (None: not run by a worker, nothing beside it)."""
    deal_links = links_of(True)
    links = await read(deal_links)
    if turn_cache is None or keeps_to_itself(links, product_ids):
        yield deal_links, links
        return
    async with turn_cache.setdefault(TURN_LOCK_KEY, asyncio.Lock()):
        deal_links = links_of(False)
        yield deal_links, await read(deal_links)
