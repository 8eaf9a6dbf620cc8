"""The search for a won deal's document that an earlier attempt may have created (shell).

The rule is :mod:`upsales_fortnox.domain.outbound.settling`: a search that finds nothing
is made again once an earlier create can no longer land (``FORTNOX_CREATE_SETTLE_SECONDS``
later), and only then is the document created. Meanwhile the job waits
(:class:`EarlierCreateMayLand`, not counted as an attempt); the wait is stored on the deal's
intent, so every job of the deal keeps to it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.domain.outbound.document_body import FortnoxDocument
from upsales_fortnox.domain.outbound.settling import after_a_missed_search, search_not_before
from upsales_fortnox.integrations.errors import RetryLater
from upsales_fortnox.integrations.ports import FortnoxPort
from upsales_fortnox.links.repository.document_intents import EarlierIntent
from upsales_fortnox.links.repository.won_deal_links import WonDealLinks
from upsales_fortnox.sync.outbound.fortnox_documents import find_document_by_reference
from upsales_fortnox.vocabulary import FortnoxType

T = TypeVar("T")

RACED_RUN_DELAY = timedelta(seconds=1)
"""How soon a run that found the deal's intent changed by another run of it (two runs of one
deal overlap only when a worker stalls) reads it again."""


class EarlierCreateMayLand(RetryLater):
    """The deal's document was not found, but an earlier create for it (the document's, or its
    customer's) may still land."""

    code = "fortnox_create_settling"

    def __init__(self, order_id: int, settles_at: datetime, now: datetime) -> None:
        super().__init__(
            f"the order {order_id} has no document in Fortnox yet, but an earlier create for it "
            f"(its document, or its company's customer) may still land; searched for again at "
            f"{settles_at.isoformat(timespec='seconds')}",
            retry_after=max((settles_at - now).total_seconds(), 0.0),
        )


def not_yet_searched(
    settles_at: datetime | None, started: datetime, may_land: Callable[[datetime], RetryLater]
) -> None:
    """Before a search for what an earlier create made: raises ``may_land(settles_at)`` while
    a search that missed it says it may still land."""
    not_before = search_not_before(settles_at, started)
    if not_before is not None:
        raise may_land(not_before)


async def wait_after_a_miss(
    settles_at: datetime | None,
    searched_at: datetime,
    settle_seconds: float,
    store: Callable[[datetime], Awaitable[bool]],
    may_land: Callable[[datetime], RetryLater],
) -> None:
    """After a search begun at ``searched_at`` found nothing: returns when no earlier create
    can still land (the caller creates). Otherwise stores when to search again (``store``, a
    compare-and-set) and raises ``may_land`` until then, or until ``RACED_RUN_DELAY`` from now
    when another run changed what was stored first (it is read again then)."""
    search_again_at = after_a_missed_search(settles_at, searched_at, settle_seconds)
    if search_again_at is None:
        return
    if not await store(search_again_at):
        raise may_land(searched_at + RACED_RUN_DELAY)
    raise may_land(search_again_at)


async def find_earlier_document(
    fortnox: FortnoxPort,
    deal_links: WonDealLinks,
    earlier: EarlierIntent,
    order_id: int,
    *,
    settle_seconds: float,
    passed_over: Collection[tuple[FortnoxType, str]] = (),
    credit_invoices: bool = False,
    clock: Callable[[], datetime] = utcnow,
) -> FortnoxDocument | None:
    """The document an earlier attempt created for the order; None when none was made and
    none can still land (the caller creates it). Raises :class:`EarlierCreateMayLand` while
    one may, and (to read the intent again ``RACED_RUN_DELAY`` later) when another run of the
    deal changed the intent between this run's read and its write (or, past the wait, renews
    it as this run's create is sent: :func:`intent_recorded`). ``passed_over``: the
    documents the order was linked to before (cancelled, credited or set aside: a deal won
    again), which carry its reference too. ``credit_invoices``: the setting, by which a
    partially credited invoice lives (:func:`find_document_by_reference`)."""
    ended = {number for kind, number in passed_over if kind is earlier.fortnox_type}
    search = partial(
        find_document_by_reference,
        fortnox,
        earlier.fortnox_type,
        order_id,
        ended,
        credit_invoices=credit_invoices,
    )
    return await searched_once_settled(
        deal_links, earlier, order_id, search, settle_seconds=settle_seconds, clock=clock
    )


async def searched_once_settled(
    deal_links: WonDealLinks,
    earlier: EarlierIntent,
    order_id: int,
    search: Callable[[], Awaitable[T | None]],
    *,
    settle_seconds: float,
    clock: Callable[[], datetime] = utcnow,
) -> T | None:
    """What ``search`` finds of the create ``earlier`` stands for; None when it finds nothing
    and no earlier create can still land (the caller creates, and its create renews the
    intent). Raises :class:`EarlierCreateMayLand` as :func:`find_earlier_document` does."""
    started = clock()

    def may_land(until: datetime) -> EarlierCreateMayLand:
        return EarlierCreateMayLand(order_id, until, started)

    not_yet_searched(earlier.settles_at, started, may_land)
    found = await search()
    if found is not None:
        return found
    await wait_after_a_miss(
        earlier.settles_at,
        started,
        settle_seconds,
        partial(deal_links.search_again_at, order_id, searched_for=earlier, searched_at=started),
        may_land,
    )
    # the create, once sent, renews the intent as its own (a run stopped before that leaves the
    # wait behind it: its retry searches once more, and creates without another wait)
    if earlier.settles_at is not None:
        deal_links.renew_as_sent(order_id, earlier.settles_at)
    return None


async def intent_recorded(deal_links: WonDealLinks, order_id: int) -> None:
    """As the deal's create is sent: its intent recorded
    (:meth:`~upsales_fortnox.links.repository.won_deal_links.WonDealLinks.record_intent_as_sent`).
    Raises :class:`EarlierCreateMayLand`, to read the intent again ``RACED_RUN_DELAY`` later,
    when another run of the deal recorded one since this run read none, or renewed the one whose
    wait this run's search saw pass: that run's create may land, so this one is not sent."""
    if not await deal_links.record_intent_as_sent():
        now = utcnow()
        raise EarlierCreateMayLand(order_id, now + RACED_RUN_DELAY, now)
