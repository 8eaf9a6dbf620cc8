"""Which of a deal's document links is its document: the pure rule
(``domain/outbound/deal_documents.py``)."""

from __future__ import annotations

import datetime as dt

from upsales_fortnox.domain.link_view import LinkView, cancelled_fingerprint
from upsales_fortnox.domain.outbound.deal_documents import (
    deal_documents,
    has_rest,
    rest_to_take,
    split_off,
)
from upsales_fortnox.integrations.fortnox.models import Order
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _link(
    fortnox_type: FortnoxType, number: str, minutes: int | None, *, cancelled: bool = False
) -> LinkView:
    return LinkView(
        entity=LinkEntity.ORDER,
        upsales_id=7,
        fortnox_type=fortnox_type,
        fortnox_id=number,
        fingerprint=cancelled_fingerprint("f") if cancelled else "f",
        saved_at=None if minutes is None else T0 + dt.timedelta(minutes=minutes),
    )


def test_an_order_invoiced_before_its_invoices_cancellation_is_not_live() -> None:
    invoiced = _link(FortnoxType.ORDER, "1", 0)
    cancelled = _link(FortnoxType.INVOICE, "5", 10, cancelled=True)

    assert deal_documents([invoiced, cancelled]).live == []
    assert deal_documents([invoiced, cancelled]).current == cancelled


def test_the_order_linked_after_the_cancellation_is_live() -> None:
    """Won again: the new order took the order's link (saved later than the cancellation)."""
    new = _link(FortnoxType.ORDER, "2", 20)
    cancelled = _link(FortnoxType.INVOICE, "5", 10, cancelled=True)

    assert deal_documents([new, cancelled]).live == [new]
    assert deal_documents([new, cancelled]).current == new


def test_an_order_whose_saving_time_is_unknown_stays_live() -> None:
    """Without both times the order is kept: an update refused as locked is seen, a second
    document is not."""
    order = _link(FortnoxType.ORDER, "1", None)
    cancelled = _link(FortnoxType.INVOICE, "5", 10, cancelled=True)

    assert deal_documents([order, cancelled]).live == [order]


def test_an_invoice_is_not_dropped_for_a_cancelled_order_or_offer() -> None:
    """Only documents earlier in the chain than the cancelled one were turned into it."""
    invoice = _link(FortnoxType.INVOICE, "5", 0)
    order = _link(FortnoxType.ORDER, "1", 10, cancelled=True)

    assert deal_documents([order, invoice]).live == [invoice]


def test_an_offer_goes_with_any_later_cancellation_whenever_saved() -> None:
    offer = _link(FortnoxType.OFFER, "3", 30)
    cancelled = _link(FortnoxType.ORDER, "1", 10, cancelled=True)

    assert deal_documents([offer, cancelled]).live == []


def test_the_document_a_deal_is_sent_as_comes_before_its_offer() -> None:
    offer = _link(FortnoxType.OFFER, "3", 0)
    order = _link(FortnoxType.ORDER, "1", 5)

    assert deal_documents([offer, order]).live == [order, offer]
    assert deal_documents([offer, order]).current == order
    assert deal_documents([]).current is None


def test_every_document_cancelled_the_status_names_the_one_saved_last() -> None:
    """Won again, the new order took the order's link in place (its row made before the
    invoice's), and was cancelled in its turn: the status names it, not the older invoice."""
    new_order = _link(FortnoxType.ORDER, "2", 30, cancelled=True)
    invoice = _link(FortnoxType.INVOICE, "5", 10, cancelled=True)

    assert deal_documents([new_order, invoice]).live == []
    assert deal_documents([new_order, invoice]).current == new_order


def test_the_order_set_aside_is_the_one_turned_into_the_cancelled_invoice() -> None:
    """Only an order set aside by the rule is read again (Fortnox may have opened it again);
    a live order, a cancelled one, or an offer is not."""
    invoiced = _link(FortnoxType.ORDER, "1", 0)
    offer = _link(FortnoxType.OFFER, "3", 0)
    cancelled = _link(FortnoxType.INVOICE, "5", 10, cancelled=True)

    assert deal_documents([offer, invoiced, cancelled]).set_aside_order == invoiced
    assert deal_documents([_link(FortnoxType.ORDER, "2", 20), cancelled]).set_aside_order is None
    assert (
        deal_documents(
            [_link(FortnoxType.ORDER, "1", 0, cancelled=True), cancelled]
        ).set_aside_order
        is None
    )


def _order(number: int, **fields: object) -> Order:
    base: dict[str, object] = {
        "DocumentNumber": number,
        "OrderType": "Backorder",
        "ExternalInvoiceReference1": "upsales-order:7",
    }
    return Order.model_validate({**base, **fields})


def test_the_rest_to_take_is_the_open_backorder_of_the_deal() -> None:
    """Of the orders found by the deal's reference (a field search matches substrings), the
    deal takes its own backorder that is neither cancelled nor invoiced, the latest."""
    found = [
        _order(2, InvoiceReference="9"),  # its rest invoiced
        _order(3),
        _order(4, Cancelled=True),
        _order(5, OrderType="Order"),  # the deal's set-aside order, or one it made
        _order(6, ExternalInvoiceReference1="upsales-order:77"),  # another deal's
        _order(8),
    ]

    taken = rest_to_take(found, 7)

    assert taken is not None and taken.DocumentNumber == 8
    assert rest_to_take(found[:2], 7) is not None
    assert rest_to_take([found[0], *found[2:5]], 7) is None


def _rows(*rows: tuple[str, int, int]) -> list[dict[str, object]]:
    return [
        {"ArticleNumber": article, "OrderedQuantity": str(ordered), "DeliveredQuantity": str(sent)}
        for article, ordered, sent in rows
    ]


def test_the_backorder_split_off_an_order_made_in_fortnox_is_found_by_its_rows() -> None:
    """An order made in Fortnox carries no reference of its deal, nor does its backorder: the
    backorder is the customer's one made after it whose rows are the order's rest."""
    original = _order(
        3,
        OrderType="Order",
        ExternalInvoiceReference1="",
        CustomerNumber="2001",
        OrderRows=_rows(("KONS-1", 10, 4), ("FRAKT", 1, 1)),
    )

    def backorder(number: int, customer: str = "2001", rest: int = 6) -> Order:
        fields = {"CustomerNumber": customer, "ExternalInvoiceReference1": ""}
        return _order(number, OrderRows=_rows(("KONS-1", rest, rest)), **fields)

    assert split_off(original, backorder(4))
    assert rest_to_take([backorder(4)], None) is not None
    assert not split_off(original, backorder(2))  # made before it
    assert not split_off(original, backorder(4, customer="2002"))
    assert not split_off(original, backorder(4, rest=5))
    assert not split_off(original, _order(4, OrderType="Order", CustomerNumber="2001"))
    whole = original.model_copy(update={"OrderRows": original.OrderRows[1:]})  # nothing left
    assert has_rest(original) and not has_rest(whole)
    assert not split_off(whole, _order(4, CustomerNumber="2001", OrderRows=[]))


def test_two_backorders_that_fit_an_order_made_in_fortnox_are_neither_taken() -> None:
    """Backorders found by their rows (no reference of the deal) that are alike (the same
    customer's orders of the same article, short of the same stock) cannot tell which order
    each was split off: none is taken, rather than another order's rest linked to this deal."""
    fields = {"CustomerNumber": "2001", "ExternalInvoiceReference1": ""}
    rest = _rows(("KONS-1", 6, 6))
    alike = [_order(4, OrderRows=rest, **fields), _order(6, OrderRows=rest, **fields)]

    assert rest_to_take(alike, None) is None
    assert rest_to_take([alike[0], _order(6, Cancelled=True, **fields)], None) == alike[0]


def test_a_document_whose_move_to_lost_a_run_left_undone_is_still_the_deals() -> None:
    """Its link marked before the move to lost, the run died (the deal still won): the deal's
    next send stops at the cancelled document as locked, rather than make a new one as for a
    deal won again after its lost."""
    moving = LinkView(
        entity=LinkEntity.ORDER,
        upsales_id=7,
        fortnox_type=FortnoxType.INVOICE,
        fortnox_id="5",
        fingerprint=cancelled_fingerprint("f", moving_to_lost=True),
        saved_at=T0,
    )

    documents = deal_documents([moving])

    assert documents.live == [moving]
    assert documents.ended == frozenset()
