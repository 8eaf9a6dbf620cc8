"""Wire models: mixed flags, exact amounts, unknown fields kept, writable fields only sent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError

from upsales_fortnox.integrations import jsonwire
from upsales_fortnox.integrations.jsonwire import UPSALES_JSON
from upsales_fortnox.integrations.upsales.models import (
    API_USER_EMAIL_SUFFIX,
    Company,
    CompanyDraft,
    Order,
    OrderDraft,
    OrderRow,
    PriceList,
    Product,
    ProductDraft,
    Ref,
    UserRef,
    is_api_user,
    last_written_by_api_key,
)

ACCOUNT_JSON = b"""{
  "id": 7, "name": "Acme AB", "orgNo": "556677-8899", "active": 1, "isExternal": false,
  "addresses": [{"type": "Visit", "address": "Gatan 1", "zipcode": "111 22", "city": "Stockholm",
                 "country": "SE", "latitude": 59.3}],
  "custom": [{"fieldId": 12, "value": "F-1001"}, {"fieldId": 13, "value": 2.50}],
  "users": [{"id": 3, "name": "Sara", "role": null, "email": "sara@acme.se"}],
  "regDate": "2018-05-22T11:08:26.000Z", "modDate": "2018-05-23T09:00:00.000Z",
  "regBy": {"id": 3, "name": "Sara", "email": "sara@acme.se"},
  "modBy": {"id": 99, "name": "API", "email": "key-1@api.upsales.com"},
  "journeyStep": "lead", "categories": []
}"""

ORDER_JSON = b"""{
  "id": 501, "description": "Licenser", "date": "2024-03-01", "closeDate": null,
  "probability": 100, "user": {"id": 3, "name": "Sara", "email": "sara@acme.se"},
  "client": {"id": 7, "name": "Acme AB"}, "stage": {"id": 2, "name": "Won - Order"},
  "currency": "SEK", "currencyRate": 1, "value": 9000.10, "weightedValue": 9000.10,
  "orderRow": [{"id": 1, "quantity": 1, "price": 9000.10, "listPrice": 10000, "discount": 0,
                "productId": 44, "product": {"id": 44, "name": "Licens", "category": null},
                "bundleRows": [{"productId": 45, "quantity": 2, "price": 0.1, "listPrice": 0.1}]}],
  "regBy": {"id": 3, "name": "Sara", "email": "sara@acme.se"}
}"""


def test_company_reads_mixed_flags_and_keeps_unknown_fields() -> None:
    company = Company.model_validate(jsonwire.loads(ACCOUNT_JSON))
    assert company.active is True and company.isExternal is False
    assert company.addresses is not None and company.addresses[0].city == "Stockholm"
    assert company.addresses[0].model_extra == {"latitude": Decimal("59.3")}
    assert company.custom is not None and company.custom[1].value == Decimal("2.50")
    assert company.model_extra == {"journeyStep": "lead", "categories": []}
    assert company.regDate == dt.datetime(2018, 5, 22, 11, 8, 26, tzinfo=dt.UTC)


def test_flags_accept_true_false_and_are_sent_as_zero_one() -> None:
    product = Product.model_validate({"id": 1, "active": True, "isRecurring": 0})
    assert product.active is True and product.isRecurring is False
    assert ProductDraft(active=False).to_wire() == {"active": 0}
    assert product.to_wire() == {"active": 1, "isRecurring": 0}


def test_order_amounts_are_exact_decimals() -> None:
    order = Order.model_validate(jsonwire.loads(ORDER_JSON))
    assert order.value == Decimal("9000.10")
    row = order.orderRow[0] if order.orderRow else None
    assert row is not None and row.price == Decimal("9000.10") and row.listPrice == 10000
    assert row.bundleRows is not None and row.bundleRows[0].price == Decimal("0.1")
    assert order.date == dt.date(2024, 3, 1)


def test_to_wire_sends_only_set_writable_fields() -> None:
    draft = OrderDraft(
        description="Licenser",
        date=dt.date(2024, 3, 1),
        client=Ref(id=7),
        orderRow=[OrderRow(quantity=Decimal(2), price=Decimal("99.90"), product=Ref(id=44))],
    )
    assert UPSALES_JSON.dumps(draft.to_wire()) == (
        b'{"description":"Licenser","date":"2024-03-01","client":{"id":7},'
        b'"orderRow":[{"quantity":2,"price":99.90,"product":{"id":44}}]}'
    )


def test_to_wire_of_a_fetched_record_drops_read_only_fields_keeps_unknown_ones() -> None:
    company = Company.model_validate(jsonwire.loads(ACCOUNT_JSON))
    body = company.to_wire()
    for read_only in ("id", "regDate", "modDate", "regBy", "modBy", "isExternal"):
        assert read_only not in body
    assert body["journeyStep"] == "lead" and body["name"] == "Acme AB"
    order = Order.model_validate(jsonwire.loads(ORDER_JSON))
    assert "value" not in order.to_wire() and "weightedValue" not in order.to_wire()
    assert CompanyDraft(phone="08-1").to_wire() == {"phone": "08-1"}


def test_api_key_writer_detection() -> None:
    company = Company.model_validate(jsonwire.loads(ACCOUNT_JSON))
    assert last_written_by_api_key(company) is True  # modBy is the key's user
    order = Order.model_validate(jsonwire.loads(ORDER_JSON))
    assert last_written_by_api_key(order) is False  # no modBy: regBy, a person
    assert is_api_user(UserRef(id=1, email="X" + API_USER_EMAIL_SUFFIX.upper()))
    assert not is_api_user(UserRef(id=1, email="someone@upsales.com"))
    assert not is_api_user(None)


def test_price_list_accepts_bare_user_ids_for_authors() -> None:
    price_list = PriceList.model_validate({"id": 1, "name": "Std", "isDefault": True, "regBy": 5})
    assert price_list.regBy == UserRef(id=5)
    assert price_list.isDefault is True


def test_an_order_day_beyond_the_calendar_is_unexpected_data_not_a_crash() -> None:
    """A timestamp whose Swedish day falls outside the calendar fails validation (the order is
    unexpected data), rather than raising past it."""
    for written in ("9999-12-31T23:30:00.000Z", "0001-01-01T00:00:00+05:00"):
        with pytest.raises(ValidationError):
            Order.model_validate({"id": 1, "date": written})
        with pytest.raises(ValidationError):
            Order.model_validate({"id": 1, "closeDate": written})
