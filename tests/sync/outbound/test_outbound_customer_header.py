"""An update that makes a document out to another customer carries that customer's header; one
that keeps the customer sends what it always did, and the fingerprint is the same either way."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sync.outbound.outbound_builders import order, order_row
from upsales_fortnox.domain.link_view import LinkView
from upsales_fortnox.domain.outbound.customer_header import (
    customer_before,
    customer_header,
    made_out_to,
    moves_customer,
)
from upsales_fortnox.domain.outbound.document_body import (
    DocumentDraft,
    fingerprint_of_fortnox_document,
)
from upsales_fortnox.domain.outbound.document_decision import (
    decide_document,
)
from upsales_fortnox.domain.outbound.kept_rows import (
    kept_customer,
    rows_to_keep,
)
from upsales_fortnox.domain.outbound.mapping import map_order
from upsales_fortnox.domain.sync_commands import UpdateFortnoxDocument
from upsales_fortnox.integrations.fortnox.models import (
    API_BLANK,
    CUSTOMER_HEADER_FIELDS,
    Customer,
    Invoice,
    Order,
)
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity, ProductBundleMode

CUSTOMER_B = Customer.model_validate(
    {
        "CustomerNumber": "2",
        "Name": "Bolaget B AB",
        "OrganisationNumber": "556012-3456",
        "Address1": "Storgatan 1",
        "Address2": "",
        "ZipCode": "111 22",
        "City": "Stockholm",
        "Country": "Sverige",
        "Phone1": "08-123 45",
        "DeliveryName": "B:s lager",
        "DeliveryAddress1": "Lagervägen 2",
        "TermsOfPayment": "30",
        "TermsOfDelivery": None,
    }
)


def _draft(customer: str, fortnox_type: FortnoxType = FortnoxType.INVOICE) -> DocumentDraft:
    return map_order(
        order([order_row(1, 2, "100")]),
        fortnox_type=fortnox_type,
        customer_number=customer,
        article_numbers={1: "A1"},
        bundle_mode=ProductBundleMode.ONLY_BUNDLE,
    )


def _link(synced: dict[str, Any] | None) -> LinkView:
    return LinkView(LinkEntity.ORDER, 7, FortnoxType.INVOICE, "12", "old", synced)


def _update(customer: str, link: LinkView) -> UpdateFortnoxDocument:
    decision = decide_document(_draft(customer), link, None)
    assert isinstance(decision, UpdateFortnoxDocument)
    return decision


def test_the_link_keeps_the_customer_of_our_last_write() -> None:
    written = Invoice(CustomerNumber="1", InvoiceRows=[])
    assert kept_customer(rows_to_keep(written)) == "1"
    assert kept_customer({"rows": [[4, "A1"]]}) is None  # saved before links kept it
    assert kept_customer(None) is None


@pytest.mark.parametrize(
    ("before", "at_hand", "moves"),
    [("1", False, True), ("1", True, True), ("2", True, False), (None, True, True)],
)
def test_an_update_moves_the_document_when_its_customer_differs(
    before: str | None, at_hand: bool, moves: bool
) -> None:
    update = _update("2", _link({"rows": [[4, "A1"]], "customer": before}))
    assert customer_before(_link({"rows": [], "customer": before}), None) == before
    assert moves_customer(update, before, record_at_hand=at_hand) is moves


def test_unknown_before_costs_no_read_on_an_ordinary_update() -> None:
    update = _update("2", _link({"rows": [[4, "A1"]]}))
    assert moves_customer(update, None, record_at_hand=False) is False


def test_the_document_read_tells_the_customer_before_the_link() -> None:
    read = Invoice(CustomerNumber="1", DocumentNumber=12)
    assert customer_before(_link({"rows": [], "customer": "2"}), read) == "1"
    assert customer_before(None, None) is None


def test_the_header_is_the_customers_and_clears_what_it_lacks() -> None:
    header = customer_header(CUSTOMER_B, order=False)
    assert header["CustomerName"] == "Bolaget B AB"
    assert header["Address1"] == "Storgatan 1" and header["City"] == "Stockholm"
    assert header["DeliveryName"] == "B:s lager" and header["TermsOfPayment"] == "30"
    assert header["Address2"] == API_BLANK and header["YourReference"] == API_BLANK
    assert header["Phone2"] == API_BLANK and header["DeliveryCountry"] == API_BLANK
    assert "TermsOfDelivery" not in header and "WayOfDelivery" not in header  # codes: Fortnox's
    assert "OrganisationNumber" not in header  # read-only on invoices
    assert set(header) <= Invoice.WRITE_FIELDS
    order_header = customer_header(CUSTOMER_B, order=True)
    assert order_header["OrganisationNumber"] == "556012-3456"
    assert set(order_header) <= Order.WRITE_FIELDS
    assert set(order_header) - {"OrganisationNumber"} <= CUSTOMER_HEADER_FIELDS


@pytest.mark.parametrize("fortnox_type", [FortnoxType.INVOICE, FortnoxType.ORDER])
def test_a_moved_update_sends_the_header_and_keeps_its_fingerprint(
    fortnox_type: FortnoxType,
) -> None:
    link = LinkView(LinkEntity.ORDER, 7, fortnox_type, "12", "old", {"rows": [[4, "A1"]]})
    update = decide_document(_draft("2", fortnox_type), link, None)
    assert isinstance(update, UpdateFortnoxDocument)

    moved = made_out_to(update, CUSTOMER_B)

    sent = moved.document.to_wire()
    assert sent["CustomerNumber"] == "2" and sent["Address1"] == "Storgatan 1"
    assert sent["Address2"] == API_BLANK and sent["CustomerName"] == "Bolaget B AB"
    assert ("OrganisationNumber" in sent) is (fortnox_type is FortnoxType.ORDER)
    assert moved.fingerprint == update.fingerprint
    header = CUSTOMER_HEADER_FIELDS | {"OrganisationNumber"}
    assert {k: v for k, v in sent.items() if k not in header} == update.document.to_wire()
    # the echo of the write, as Fortnox answers it, is still recognised as ours
    echo = type(moved.document).model_validate({**sent, "Address2": None, "DocumentNumber": 12})
    assert fingerprint_of_fortnox_document(echo) == moved.fingerprint


def test_an_ordinary_update_sends_none_of_the_header() -> None:
    update = _update("1", _link({"rows": [[4, "A1"]], "customer": "1"}))
    sent = update.document.to_wire()
    assert sent["CustomerNumber"] == "1"
    assert not set(sent) & (CUSTOMER_HEADER_FIELDS | {"OrganisationNumber"})
