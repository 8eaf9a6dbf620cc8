"""Which of a won deal's document links is its document now: a deal won again after its
document was cancelled (or credited in full) has a new one, and its earlier links stay."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from upsales_fortnox.domain.inbound.document_changes import invoice_made_of
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.reference import parse_order_reference
from upsales_fortnox.integrations.fortnox.models import Order
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

SENT_AS: Final = frozenset({FortnoxType.INVOICE, FortnoxType.ORDER})
"""The types a won deal's document is created as (an order linked to an offer is not one)."""

_CHAIN: Final = {FortnoxType.OFFER: 0, FortnoxType.ORDER: 1, FortnoxType.INVOICE: 2}
"""Where each document stands in Fortnox's chain: an offer becomes an order, an order an
invoice."""
_NEVER: Final = dt.datetime.min.replace(tzinfo=dt.UTC)
"""Before any link was saved: a link whose saving time is not known."""


@dataclass(frozen=True)
class DealDocuments:
    """A won deal's document links, sorted out once (:func:`deal_documents`)."""

    live: list[LinkView]
    """The links the deal may take for its document, its invoice or order before an offer its
    opportunity came from. Not one whose document's cancellation (or full credit) was synced,
    nor one saved before the cancellation of a document later in Fortnox's chain was synced:
    Fortnox turned it into that document (an offer into the cancelled order, an order into the
    cancelled invoice), so it would give that one back, or take no more changes. A link saved
    since (the deal won again, its new document linked) is live."""
    set_aside_order: LinkView | None
    """The order set aside for an invoice made of it whose cancellation was synced, if any.
    Whether Fortnox keeps such an order invoiced is ``facts.INVOICED_ORDER_AFTER_ITS_INVOICE_ENDS``:
    a deal won again reads it, and takes it back when Fortnox has opened it again; else it
    takes the open backorder Fortnox split off its rest, if any (:func:`rest_to_take`)."""
    ended: frozenset[tuple[FortnoxType, str]]
    """The documents the links name that are not the deal's any more: cancelled (or credited
    in full), or set aside. They keep the order's reference in Fortnox, so the search for what
    an earlier attempt of the deal (won again) created passes them over."""
    current: LinkView | None
    """The document the deal's status names: its live one, else (every one cancelled) the one
    linked last. A new document of a type takes that type's link in place, so the one linked
    last is the one saved last (of those saved at one time, or not known when, the one made
    last)."""


def deal_documents(found: Sequence[LinkView]) -> DealDocuments:
    """The order's document links among ``found`` (in the order they were made), sorted out."""
    links = [link for link in found if link.entity is LinkEntity.ORDER]
    cancelled = [link for link in links if link.document_ended]
    live: list[LinkView] = []
    set_aside: list[LinkView] = []
    for link in links:
        if link.document_ended:
            continue
        made_into_cancelled = any(_made_into(link, later) for later in cancelled)
        (set_aside if made_into_cancelled else live).append(link)
    live.sort(key=lambda link: link.fortnox_type not in SENT_AS)
    orders = [link for link in set_aside if link.fortnox_type is FortnoxType.ORDER]
    return DealDocuments(
        live=live,
        set_aside_order=orders[0] if orders else None,
        ended=frozenset((link.fortnox_type, link.fortnox_id) for link in links if link not in live),
        current=live[0] if live else _saved_last(links),
    )


def _made_into(link: LinkView, cancelled: LinkView) -> bool:
    """Whether ``link``'s document was turned into the ``cancelled`` one: an offer into an
    order, or an order into an invoice, before that one's cancellation was synced. An offer
    always was (its link is made before its order's, and its own later events may save it
    again); an order only when both links say when they were saved, and its was earlier."""
    if _CHAIN[cancelled.fortnox_type] <= _CHAIN[link.fortnox_type]:
        return False
    if link.fortnox_type is FortnoxType.OFFER:
        return True
    if link.saved_at is None or cancelled.saved_at is None:
        return False
    return link.saved_at < cancelled.saved_at


def _saved_last(links: list[LinkView]) -> LinkView | None:
    if not links:
        return None
    _, latest = max(enumerate(links), key=lambda made: (made[1].saved_at or _NEVER, made[0]))
    return latest


def rest_to_take(orders: Iterable[Order], upsales_order_id: int | None) -> Order | None:
    """The order a deal won again takes for its document, updated with its rows, rather than
    make a new one, when the invoice made of its order ended and Fortnox keeps that order
    invoiced: the backorder Fortnox split off that order's rest when it was invoiced in part,
    found by the deal's reference (``facts.BACKORDER_KEEPS_ORDER_REFERENCE``), while it is open
    (neither cancelled nor invoiced); the one made last, should there be more. A new order
    beside it would repeat the rest, which it still holds. None: the deal gets a new order.
    ``upsales_order_id`` None: ``orders`` were found as split off an order made in Fortnox
    (:func:`split_off`), which carries no reference of the deal; then only one that is alone
    open is taken: alike backorders (the customer's orders short of the same stock) cannot tell
    which order each was split off, and another order's rest is never linked to the deal."""
    open_rests = [
        order
        for order in orders
        if order.is_backorder
        and not order.Cancelled
        and not invoice_made_of(order)
        and order.DocumentNumber is not None
        and (
            upsales_order_id is None
            or parse_order_reference(order.ExternalInvoiceReference1) == upsales_order_id
        )
    ]
    if upsales_order_id is None and len(open_rests) > 1:
        return None
    return max(open_rests, key=lambda order: order.DocumentNumber or 0, default=None)


def _quantity(value: Decimal | None) -> Decimal:
    return value if value is not None else Decimal(0)


def _rest(original: Order) -> Counter[tuple[str, Decimal]]:
    """Each short row's article and what was not delivered of it."""
    return Counter(
        ((row.ArticleNumber or "").strip(), _quantity(row.OrderedQuantity) - delivered)
        for row in original.OrderRows or []
        if (delivered := _quantity(row.DeliveredQuantity)) < _quantity(row.OrderedQuantity)
    )


def has_rest(original: Order) -> bool:
    """Whether an order delivered (invoiced) something short of what was ordered: only then
    may Fortnox have split a backorder off it (:func:`split_off`)."""
    return bool(_rest(original))


def split_off(original: Order, candidate: Order) -> bool:
    """Whether ``candidate`` is the backorder Fortnox split off ``original`` (an order made in
    Fortnox, which carries no reference of its deal) when it was invoiced in part: a backorder
    of the same customer, made after it, whose rows are the original's rest (each row's article
    and what was not delivered of it). Whether Fortnox keeps the original's ordered quantities
    is ``facts.BACKORDER_KEEPS_ORDER_REFERENCE``'s question: without them no rest shows, nothing
    matches, and the deal won again gets a new order, as before."""
    if not candidate.is_backorder or candidate.CustomerNumber != original.CustomerNumber:
        return False
    if original.DocumentNumber is None or candidate.DocumentNumber is None:
        return False
    if candidate.DocumentNumber <= original.DocumentNumber:
        return False
    rest = _rest(original)
    rows = Counter(
        ((row.ArticleNumber or "").strip(), _quantity(row.OrderedQuantity))
        for row in candidate.OrderRows or []
    )
    return bool(rest) and rest == rows
