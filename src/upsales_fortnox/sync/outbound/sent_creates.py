"""A won deal's creates in Fortnox (its customer's, its document's), as its intent sees them.

A create may land from the moment it is sent: once it holds its place in the rate budget
(``on_first_send``, :mod:`upsales_fortnox.integrations.send_check`), not while it waits for one.
From then on the deal's intent is kept after a failure (the next run searches, and waits for it
to land, before creating anything: :mod:`.earlier_create`). An answer in
:data:`CREATED_NOTHING` says nothing was made, as does a failure of every try to reach Fortnox
(``FortnoxNotSent``), and a customer answered as created is linked at once: none of them can
land later.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Final

from upsales_fortnox.integrations.fortnox.errors import FortnoxError, FortnoxNotSent
from upsales_fortnox.integrations.send_check import on_first_send
from upsales_fortnox.links.repository.won_deal_links import WonDealLinks

CREATED_NOTHING: Final = frozenset({400, 401, 403, 404, 422, 429})
"""Answers to a create that leave nothing created: refused (validation, rights, a missing
customer) or never run (429). The client sends a create again only when an earlier try never
reached Fortnox, or got one of these, so its final answer speaks for every try. Any other
failure (5xx, 408, 409, no answer) may have created the document."""


def _created_nothing(error: Exception) -> bool:
    """Whether a create that failed with ``error`` is known to have made nothing: answered
    with a status in :data:`CREATED_NOTHING`, or never reached Fortnox on any try."""
    if isinstance(error, FortnoxNotSent):
        return True
    return isinstance(error, FortnoxError) and error.status in CREATED_NOTHING


@asynccontextmanager
async def create_on_its_way(
    deal_links: WonDealLinks,
    *,
    landed_when_answered: bool = False,
    refused: Callable[[], Awaitable[None]] | None = None,
    as_it_is_sent: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[None]:
    """Around one create: it may land once it is sent (``as_it_is_sent`` is awaited first,
    its exception leaving it unsent), unless refused with an answer in :data:`CREATED_NOTHING`
    (then ``refused`` is awaited, to forget what was noted of it) or, with
    ``landed_when_answered``, answered at all (a customer, linked before anything else is
    sent)."""

    async def sending() -> None:
        if as_it_is_sent is not None:
            await as_it_is_sent()
        deal_links.create_sent()

    try:
        with on_first_send(sending):
            yield
    except Exception as error:
        if _created_nothing(error):
            deal_links.create_ended()
            if refused is not None:
                await refused()
        raise
    if landed_when_answered:
        deal_links.create_ended()
