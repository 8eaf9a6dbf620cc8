"""The document draft: wire form, fingerprints from both sides, locks, row matching."""

from __future__ import annotations

from decimal import Decimal

from tests.sync.outbound.outbound_builders import order, order_row
from upsales_fortnox.domain.outbound.document_body import (
    fingerprint_of_fortnox_document,
    invoiced_by,
    lock_of,
    locked_reason,
    matching_row_ids,
    our_reference,
)
from upsales_fortnox.domain.outbound.mapping import fortnox_type_for, map_order
from upsales_fortnox.domain.outbound.reference import order_reference, parse_order_reference
from upsales_fortnox.domain.outbound.rows import WITHOUT_ARTICLE
from upsales_fortnox.integrations.fortnox.models import Invoice, InvoiceRow, Order, OrderRow
from upsales_fortnox.vocabulary import FortnoxType, ProductBundleMode, SyncType

D = Decimal
ARTICLES = {1: "A1", 2: "A2"}


def _draft(fortnox_type: FortnoxType = FortnoxType.INVOICE, **kwargs: object):  # type: ignore[no-untyped-def]
    rows = kwargs.pop("rows", [order_row(1, 2, "4410", "4900"), order_row(2, "1.5", "3.33")])
    return map_order(
        order(rows, **kwargs),  # type: ignore[arg-type]
        fortnox_type=fortnox_type,
        customer_number="1001",
        article_numbers=ARTICLES,
        bundle_mode=ProductBundleMode.ONLY_BUNDLE,
    )


def test_invoice_wire_form() -> None:
    wire = _draft().to_fortnox().to_wire()
    assert wire["CustomerNumber"] == "1001"
    assert wire["Currency"] == "SEK"
    assert wire["OurReference"] == "Erik Säljare"
    assert wire["ExternalInvoiceReference1"] == "upsales-order:7"
    assert wire["VATIncluded"] is False
    assert (wire["CurrencyRate"], wire["CurrencyUnit"]) == (1, 1)  # SEK is always at 1
    assert "CurrencyRate" not in _draft(currency=None).to_fortnox().to_wire()
    assert wire["InvoiceRows"] == [
        {
            "ArticleNumber": "A1",
            "DeliveredQuantity": "2",
            "Price": D("4410.00"),
            "Discount": D(0),
            "DiscountType": "AMOUNT",
        },
        {
            "ArticleNumber": "A2",
            "DeliveredQuantity": "1.5",
            "Price": D("3.33"),
            "Discount": D(0),
            "DiscountType": "AMOUNT",
        },
    ]


def test_order_wire_form_orders_and_delivers_the_quantity() -> None:
    wire = _draft(FortnoxType.ORDER).to_fortnox(row_ids=[55]).to_wire()
    assert (
        wire["OrderRows"][0]["OrderedQuantity"] == wire["OrderRows"][0]["DeliveredQuantity"] == "2"
    )
    assert wire["OrderRows"][0]["RowId"] == 55 and "RowId" not in wire["OrderRows"][1]


def test_sync_type_decides_the_document() -> None:
    assert fortnox_type_for(SyncType.INVOICE) is FortnoxType.INVOICE
    assert fortnox_type_for(SyncType.ORDER) is FortnoxType.ORDER
    assert fortnox_type_for(SyncType.ORDER_OFFER) is FortnoxType.ORDER


def test_our_reference_is_cut_to_fifty_characters() -> None:
    assert our_reference("  Anna   Lind ") == "Anna Lind"
    assert our_reference("x" * 80) == "x" * 50
    assert our_reference(None) is None
    assert _draft(user_name=None).our_reference is None


def test_a_document_read_back_from_fortnox_has_the_drafts_fingerprint() -> None:
    draft = _draft()
    sent = draft.to_fortnox()
    assert isinstance(sent, Invoice)
    stored = Invoice.model_validate(
        {
            **sent.to_wire(),
            "DocumentNumber": 12,
            "Currency": "sek",
            "InvoiceRows": [
                {**row.to_wire(), "RowId": i, "Description": "from article", "Total": D(1)}
                for i, row in enumerate(sent.InvoiceRows or [])
            ],
        }
    )
    assert fingerprint_of_fortnox_document(stored) == draft.fingerprint()
    # Fortnox reports a row without discount as PERCENT 0: still the same
    stored.InvoiceRows[0].DiscountType = "PERCENT"  # type: ignore[index]
    assert fingerprint_of_fortnox_document(stored) == draft.fingerprint()
    stored.InvoiceRows[0].Price = D("4400")  # type: ignore[index]
    assert fingerprint_of_fortnox_document(stored) != draft.fingerprint()


def test_fingerprint_follows_what_is_sent() -> None:
    base = _draft().fingerprint()
    assert _draft().fingerprint() == base
    assert _draft(user_name="Sara Lind").fingerprint() != base
    assert _draft(currency="EUR").fingerprint() != base
    assert _draft(rows=[order_row(1, 2, "4410")]).fingerprint() != base


def test_locked_reasons() -> None:
    assert locked_reason(Invoice(DocumentNumber=1)) is None
    assert locked_reason(Invoice(DocumentNumber=1, Booked=True)) == "it is booked"
    assert locked_reason(Invoice(DocumentNumber=1, Cancelled=True)) == "it is cancelled"
    assert (
        locked_reason(Invoice(DocumentNumber=1, CreditInvoiceReference="9"))
        == "it has been credited"
    )
    assert locked_reason(Invoice(DocumentNumber=1, CreditInvoiceReference="0")) is None
    assert locked_reason(Order(DocumentNumber=1, InvoiceReference="0")) is None
    assert locked_reason(Order(DocumentNumber=1, InvoiceReference="5")) == (
        "it has been invoiced (invoice 5)"
    )
    assert locked_reason(Order(DocumentNumber=1, Cancelled=True)) == "it is cancelled"


def test_a_refusal_tells_which_lock_it_met() -> None:
    """The rep's status tells a booked, credited and cancelled document apart by the reason
    its refusal ends with (the job's error, for operators, in either form it takes)."""
    for document in (
        Invoice(DocumentNumber=1, Booked=True),
        Invoice(DocumentNumber=1, CreditInvoiceReference="9"),
        Invoice(DocumentNumber=1, Cancelled=True),
        Order(DocumentNumber=1, Cancelled=True),
    ):
        reason = locked_reason(document)
        assert reason is not None
        assert lock_of(f"fortnox_document_locked: Fortnox invoice 1 can no longer change: {reason}")
        assert (
            lock_of(
                f"fortnox_document_locked: ..., but Fortnox order 1 can no longer change: {reason}"
            )
            == reason
        )
    assert lock_of("fortnox_document_locked: ... change: it has been invoiced (invoice 5)") is None
    assert lock_of(None) is None
    assert (
        invoiced_by("fortnox_document_locked: ... change: it has been invoiced (invoice 5)") == "5"
    )
    assert invoiced_by("fortnox_document_locked: ... change: it is booked") is None
    assert invoiced_by(None) is None


def test_rows_are_matched_by_article_in_order() -> None:
    existing = [
        OrderRow(RowId=1, ArticleNumber="A1"),
        OrderRow(RowId=2, ArticleNumber="A2"),
        OrderRow(RowId=3, ArticleNumber="A1"),
        OrderRow(RowId=None, ArticleNumber="A2"),
    ]
    planned = _draft(rows=[order_row(2, 1, "1"), order_row(1, 1, "1"), order_row(2, 1, "1")]).rows
    assert matching_row_ids(existing, planned) == [2, 1, None]
    assert matching_row_ids([InvoiceRow(RowId=4, ArticleNumber="A9")], planned) == [None] * 3


def test_order_reference_round_trip() -> None:
    assert parse_order_reference(order_reference(42)) == 42
    assert parse_order_reference(" upsales-order:42 ") == 42
    assert parse_order_reference("upsales-order:42x") is None
    assert parse_order_reference(None) is None


def test_a_row_without_an_article_read_back_as_null_or_empty_is_the_same_row() -> None:
    """``facts.ROW_WITHOUT_ARTICLE_READ_BACK``: Fortnox may answer a text row's
    ``ArticleNumber`` as ``""`` or as null; either is the row the draft sent."""
    draft = map_order(
        order([order_row(1, 2, "4410"), order_row(3, 1, "95")]),
        fortnox_type=FortnoxType.INVOICE,
        customer_number="1001",
        article_numbers={**ARTICLES, 3: WITHOUT_ARTICLE},
        bundle_mode=ProductBundleMode.ONLY_BUNDLE,
    )
    sent = draft.to_fortnox()
    assert isinstance(sent, Invoice)
    for read_back in ("", None):
        rows = [
            {**row.to_wire(), "RowId": number, "ArticleNumber": row.ArticleNumber or read_back}
            for number, row in enumerate(sent.InvoiceRows or [], start=7)
        ]
        stored = Invoice.model_validate({**sent.to_wire(), "InvoiceRows": rows})
        assert fingerprint_of_fortnox_document(stored) == draft.fingerprint()
        assert matching_row_ids(stored.InvoiceRows or [], draft.rows) == [7, 8]
