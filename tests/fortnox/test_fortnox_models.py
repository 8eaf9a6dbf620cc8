from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from upsales_fortnox.integrations import jsonwire
from upsales_fortnox.integrations.fortnox.limits import (
    DOCUMENT_MAX_LENGTHS,
    DOCUMENT_ROW_MAX_LENGTHS,
    length_violations,
)
from upsales_fortnox.integrations.fortnox.models import (
    Article,
    Customer,
    Invoice,
    InvoiceRow,
    MetaInformation,
    Offer,
    OfferRow,
    Order,
    OrderRow,
)
from upsales_fortnox.integrations.jsonwire import FORTNOX_JSON

ORDER_BODY = b"""{"Order": {
  "DocumentNumber": "17", "CustomerNumber": 1001, "OrderDate": "2024-05-01", "DeliveryDate": "",
  "Net": 1234.5, "Total": 1543.13, "TotalVAT": 308.63, "RoundOff": -0.01, "Cancelled": false,
  "OrderType": "Backorder", "InvoiceReference": 0, "OurReference": "Anna",
  "EmailInformation": {"EmailAddressTo": "a@b.se"}, "@url": "https://api/3/orders/17",
  "OrderRows": [
    {"RowId": 1, "ArticleNumber": "A1", "OrderedQuantity": 2.5, "DeliveredQuantity": 2.5,
     "Price": 0.1, "Discount": 12.345, "DiscountType": "PERCENT", "Total": 0.22, "HouseWork": false}
  ]
}}"""


def test_amounts_parse_exactly_and_survive_a_round_trip() -> None:
    order = Order.model_validate(jsonwire.loads(ORDER_BODY)["Order"])

    row = order.OrderRows[0] if order.OrderRows else pytest.fail("no rows")
    assert row.Price == Decimal("0.1")
    assert row.Discount == Decimal("12.345")
    assert row.OrderedQuantity == Decimal("2.5")
    assert order.RoundOff == Decimal("-0.01")
    sent = FORTNOX_JSON.dumps(order.to_wire()).decode()
    assert '"Price":0.1' in sent
    assert '"Discount":12.345' in sent
    assert '"OrderedQuantity":"2.5"' in sent  # a string, as the spec types it
    assert jsonwire.loads(sent)["OrderRows"][0]["Price"] == Decimal("0.1")


def test_types_follow_the_reference() -> None:
    order = Order.model_validate(jsonwire.loads(ORDER_BODY)["Order"])

    assert order.DocumentNumber == 17
    assert order.CustomerNumber == "1001"
    assert order.OrderDate == date(2024, 5, 1)
    assert order.DeliveryDate is None
    assert order.is_backorder


def test_read_only_fields_links_and_nones_are_not_sent() -> None:
    order = Order.model_validate(jsonwire.loads(ORDER_BODY)["Order"])

    body = order.to_wire()

    for read_only in ("Net", "Total", "TotalVAT", "RoundOff", "Cancelled", "OrderType"):
        assert read_only not in body
    assert "InvoiceReference" not in body
    assert "@url" not in body
    assert "DeliveryDate" not in body  # None
    assert "Total" not in body["OrderRows"][0]
    assert body["OrderRows"][0]["RowId"] == 1
    assert body["OrderDate"] == date(2024, 5, 1)
    assert json.loads(FORTNOX_JSON.dumps(body))["OrderDate"] == "2024-05-01"


def test_unknown_fields_are_read_but_never_sent() -> None:
    order = Order.model_validate(jsonwire.loads(ORDER_BODY)["Order"])

    body = order.to_wire()

    assert order.model_extra == {"EmailInformation": {"EmailAddressTo": "a@b.se"}}
    assert "EmailInformation" not in body
    assert "HouseWork" not in body["OrderRows"][0]
    assert set(body) <= Order.WRITE_FIELDS
    assert set(body["OrderRows"][0]) <= OrderRow.WRITE_FIELDS


def test_numbers_go_out_in_the_spec_wire_types() -> None:
    invoice_row = InvoiceRow(DeliveredQuantity=Decimal("10.00"), VAT=Decimal("25"))
    offer_row = OfferRow(Quantity=Decimal(3), VAT=Decimal("12.0"), Price=Decimal("5"))

    assert json.loads(FORTNOX_JSON.dumps(invoice_row.to_wire())) == {
        "DeliveredQuantity": "10.00",
        "VAT": 25,
    }
    assert json.loads(FORTNOX_JSON.dumps(offer_row.to_wire())) == {
        "Price": 5,
        "Quantity": "3",
        "VAT": 12,
    }


def test_an_offer_sends_no_invoice_reference_fields() -> None:
    offer = Offer.model_validate(
        {
            "CustomerNumber": "1",
            "YourOrderNumber": "PO-1",
            "ExternalInvoiceReference1": "x",
            "YourReferenceNumber": "R-9",
        }
    )

    assert offer.to_wire() == {"CustomerNumber": "1", "YourReferenceNumber": "R-9"}


@pytest.mark.parametrize(
    ("model", "read_only", "kept"),
    [
        (Customer, {"Country": "Sverige"}, {"Name": "kept"}),
        (Article, {"SalesPrice": 10, "StockValue": 5, "DisposableQuantity": 1}, None),
        (Invoice, {"Booked": True, "Balance": 1, "VoucherNumber": 3, "Sent": True}, None),
        (Invoice, {"Credit": "true", "OrganisationNumber": "5566", "FinalPayDate": ""}, None),
        (Order, {"Sent": True, "WarehouseReady": False, "ContributionValue": 1}, None),
        (Offer, {"OrderReference": "5", "Total": 1}, {"Remarks": "kept"}),
        (InvoiceRow, {"Total": 1, "TotalExcludingVAT": 1, "PriceExcludingVAT": 1}, None),
    ],
)
def test_each_model_drops_its_read_only_fields(
    model: type, read_only: dict[str, object], kept: dict[str, object] | None
) -> None:
    kept = kept or ({"Remarks": "kept"} if model in (Invoice, Order) else {"Description": "kept"})
    entity = model.model_validate({**read_only, **kept})

    assert entity.to_wire() == kept


def test_models_are_built_with_fortnox_field_names() -> None:
    customer = Customer(Name="Acme AB", OrganisationNumber="556677-8899", Active=True)

    assert customer.to_wire() == {
        "Name": "Acme AB",
        "OrganisationNumber": "556677-8899",
        "Active": True,
    }


def test_meta_information_reads_at_prefixed_keys() -> None:
    meta = MetaInformation.model_validate(
        {"@TotalResources": 1201, "@TotalPages": 3, "@CurrentPage": 1}
    )

    assert (meta.TotalResources, meta.TotalPages, meta.CurrentPage) == (1201, 3, 1)


@given(
    st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
        lambda d: abs(d.adjusted()) < 30
    )
)
def test_any_decimal_round_trips_exactly_as_a_json_number(amount: Decimal) -> None:
    text = FORTNOX_JSON.dumps({"Price": amount}).decode()

    assert '"' not in text.split(":", 1)[1]
    assert jsonwire.loads(text)["Price"] == amount


def test_floats_are_refused_on_the_way_out() -> None:
    with pytest.raises(TypeError):
        FORTNOX_JSON.dumps({"Price": 0.1})


def test_length_violations_name_the_field_and_limit() -> None:
    order = Order(OurReference="x" * 51, YourOrderNumber="y" * 75, Remarks="z" * 1025)
    row = OrderRow(Description="d" * 256)

    header = {str(v) for v in length_violations(order.to_wire(), DOCUMENT_MAX_LENGTHS)}
    rows = length_violations(row.to_wire(), DOCUMENT_ROW_MAX_LENGTHS)

    assert header == {
        "OurReference is 51 characters long; Fortnox allows 50",
        "Remarks is 1025 characters long; Fortnox allows 1024",
    }
    assert [(v.field, v.max_length) for v in rows] == [("Description", 255)]
