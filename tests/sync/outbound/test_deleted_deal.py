"""A won deal deleted in Upsales whose Fortnox document exists: the pure rule
(``domain/outbound/deleted_deal.py``)."""

from __future__ import annotations

from upsales_fortnox.domain.link_view import LinkView, cancelled_fingerprint
from upsales_fortnox.domain.outbound.deleted_deal import deleted_deal
from upsales_fortnox.domain.outbound.order_gate import reason_code
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity


def _link(fortnox_type: FortnoxType, number: str, *, cancelled: bool = False) -> LinkView:
    fingerprint = cancelled_fingerprint("f") if cancelled else "f"
    return LinkView(LinkEntity.ORDER, 7, fortnox_type, number, fingerprint)


def test_a_deleted_deal_whose_invoice_lives_keeps_it_and_says_so() -> None:
    invoice = _link(FortnoxType.INVOICE, "12")

    deleted = deleted_deal([invoice])

    assert deleted.kept == (FortnoxType.INVOICE, "12")
    assert reason_code(deleted.reason) == "order_deleted_document_kept"
    assert "invoice 12" in deleted.reason  # operators read which document to look at


def test_a_deleted_deal_whose_order_lives_keeps_it() -> None:
    order = _link(FortnoxType.ORDER, "3")

    assert deleted_deal([order]).kept == (FortnoxType.ORDER, "3")


def test_a_deleted_deal_with_no_live_document_is_merely_deleted() -> None:
    for links in ([], [_link(FortnoxType.INVOICE, "12", cancelled=True)]):
        deleted = deleted_deal(links)
        assert deleted.kept is None
        assert reason_code(deleted.reason) == "order_deleted"


def test_the_offer_a_deleted_deal_came_from_is_no_document_it_was_sent_as() -> None:
    """An offer made in Fortnox was never the deal's won document: nothing to cancel."""
    deleted = deleted_deal([_link(FortnoxType.OFFER, "5")])

    assert deleted.kept is None
    assert reason_code(deleted.reason) == "order_deleted"


def test_a_deleted_deals_invoice_no_link_names_is_told_of_unlinked() -> None:
    """An earlier attempt made the invoice and died before linking it: the job names it, and
    does not say it stays linked."""
    deleted = deleted_deal([], earlier=(FortnoxType.INVOICE, "14"))

    assert deleted.kept == (FortnoxType.INVOICE, "14")
    assert reason_code(deleted.reason) == "order_deleted_document_kept"
    assert "invoice 14 is left as it is:" in deleted.reason


def test_a_deleted_deal_whose_order_was_invoiced_names_the_invoice() -> None:
    """An invoiced order can no longer be cancelled: the invoice made of it is the one to
    credit."""
    links = [_link(FortnoxType.ORDER, "3"), _link(FortnoxType.INVOICE, "9")]

    assert deleted_deal(links).kept == (FortnoxType.INVOICE, "9")
