"""Invoice payments (``/3/invoicepayments``) and the current event types of the change stream."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.sandbox.fortnox.helpers import client_for
from tests.spec_guard.guard import Guard
from ufs_sandboxes.fortnox import FortnoxSandbox, ManualClock, TokenPair
from ufs_sandboxes.fortnox.resources.invoicepayments import LIST_FIELDS

D = Decimal


@pytest.fixture(autouse=True)
def register(sandbox: FortnoxSandbox, tenant_id: int) -> None:
    sandbox.seed(
        tenant_id,
        articles=[{"ArticleNumber": "W1", "Description": "Widget"}],
        customers=[{"Name": "Acme AB"}],
    )


def body(response: httpx.Response, wrapper: str) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    entity: dict[str, Any] = response.json(parse_float=Decimal)[wrapper]
    return entity


def error_code(response: httpx.Response) -> int:
    return int(response.json()["ErrorInformation"]["code"])


async def invoice(api: httpx.AsyncClient, *, book: bool = True) -> int:
    """An invoice of 250.00 (2 x 100 + 25 % VAT); its number."""
    row = {"ArticleNumber": "W1", "DeliveredQuantity": "2", "Price": 100}
    created = body(
        await api.post(
            "/3/invoices", json={"Invoice": {"CustomerNumber": "1", "InvoiceRows": [row]}}
        ),
        "Invoice",
    )
    number = int(created["DocumentNumber"])
    if book:
        body(await api.put(f"/3/invoices/{number}/bookkeep"), "Invoice")
    return number


async def register_payment(api: httpx.AsyncClient, **fields: Any) -> httpx.Response:
    return await api.post("/3/invoicepayments", json={"InvoicePayment": fields})


def has_no_null(value: Any) -> bool:
    if isinstance(value, dict):
        return all(item is not None and has_no_null(item) for item in value.values())
    if isinstance(value, list):
        return all(has_no_null(item) for item in value)
    return True


async def test_a_payment_is_registered_on_a_booked_invoice_only(
    api: httpx.AsyncClient, spec_guard: Guard
) -> None:
    unbooked = await invoice(api, book=False)
    for fields in ({"InvoiceNumber": unbooked}, {"InvoiceNumber": 999}):
        refused = await register_payment(api, **fields)
        assert refused.status_code == 400, refused.text
        assert "ErrorInformation" in refused.json()
    cancelled = await invoice(api, book=False)
    await api.put(f"/3/invoices/{cancelled}/cancel")
    assert (await register_payment(api, InvoiceNumber=cancelled)).status_code == 400
    booked = await invoice(api)
    assert (await register_payment(api, InvoiceNumber=booked, Amount=0)).status_code == 400
    with spec_guard.capture() as off_spec:  # bodies outside the spec's schema, refused
        missing_invoice = await register_payment(api, Amount=10)
        unknown_field = await register_payment(api, InvoiceNumber=booked, Bogus=1)
    assert (missing_invoice.status_code, unknown_field.status_code) == (400, 400)
    assert sorted(v.field for v in off_spec) == [
        "InvoicePayment.Bogus",
        "InvoicePayment.InvoiceNumber",
    ]


async def test_a_registered_payment_has_the_spec_types_and_no_nulls(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    number = await invoice(api)
    created = await register_payment(api, InvoiceNumber=number, PaymentDate="2023-11-20")
    payment = body(created, "InvoicePayment")

    assert created.status_code == 201
    assert payment["Number"] == "1" and payment["InvoiceNumber"] == number
    assert payment["Amount"] == D("250")  # the invoice's balance by default
    assert payment["InvoiceTotal"] == "250.00"
    assert payment["InvoiceCustomerNumber"] == "1"
    assert payment["Booked"] is False and payment["Currency"] == "SEK"
    assert payment["ModeOfPaymentAccount"] == 1930
    assert "VoucherNumber" not in payment
    assert payment["@url"].endswith("/3/invoicepayments/1")
    assert has_no_null(payment)
    assert body(await api.get("/3/invoicepayments/1"), "InvoicePayment") == payment
    assert sandbox.events(tenant_id, "invoices")[-1]["type"] == "invoice-bookkeep-v1"


async def test_unknown_payments_are_404(api: httpx.AsyncClient) -> None:
    for response in (
        await api.get("/3/invoicepayments/77"),
        await api.put("/3/invoicepayments/77/bookkeep"),
        await api.delete("/3/invoicepayments/77"),
    ):
        assert response.status_code == 404
        assert "ErrorInformation" in response.json()


async def test_bookkeeping_payments_pays_the_invoice(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    number = await invoice(api)
    first = body(await register_payment(api, InvoiceNumber=number, Amount=100), "InvoicePayment")
    second = body(
        await register_payment(api, InvoiceNumber=number, Amount=150, PaymentDate="2023-11-30"),
        "InvoicePayment",
    )
    unpaid = body(await api.get(f"/3/invoices/{number}"), "Invoice")
    assert unpaid["Balance"] == D("250")  # registered, not yet booked

    booked = body(await api.put(f"/3/invoicepayments/{first['Number']}/bookkeep"), "InvoicePayment")
    part_paid = body(await api.get(f"/3/invoices/{number}"), "Invoice")
    unpaid_list = (await api.get("/3/invoices", params={"filter": "unpaid"})).json()["Invoices"]

    assert booked["Booked"] is True and booked["VoucherSeries"] == "C"
    assert booked["VoucherYear"] == 2023 and booked["VoucherNumber"] >= 1
    assert part_paid["Balance"] == D("150") and not part_paid.get("FinalPayDate")
    assert [str(i["DocumentNumber"]) for i in unpaid_list] == [str(number)]

    await api.put(f"/3/invoicepayments/{second['Number']}/bookkeep")
    paid = body(await api.get(f"/3/invoices/{number}"), "Invoice")
    fully_paid = (await api.get("/3/invoices", params={"filter": "fullypaid"})).json()["Invoices"]

    assert paid["Balance"] == 0 and paid["FinalPayDate"] == "2023-11-30"
    assert len(fully_paid) == 1
    payment_events = [
        (e["type"], e["entityId"])
        for e in sandbox.events(tenant_id, "invoices")
        if e["type"].startswith("invoicepayment")
    ]
    assert payment_events == [
        ("invoicepayment-bookkeep-v1", first["Number"]),
        ("invoicepayment-bookkeep-v1", second["Number"]),
    ]
    for refused in (
        await api.put(f"/3/invoicepayments/{first['Number']}/bookkeep"),
        await api.put(
            f"/3/invoicepayments/{first['Number']}", json={"InvoicePayment": {"Amount": 1}}
        ),
        await api.delete(f"/3/invoicepayments/{first['Number']}"),
    ):
        assert refused.status_code == 400, refused.text


async def test_an_unbooked_payment_is_changed_and_deleted(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    number = await invoice(api)
    other = await invoice(api)
    payment = body(await register_payment(api, InvoiceNumber=number), "InvoicePayment")
    path = f"/3/invoicepayments/{payment['Number']}"

    changed = body(
        await api.put(path, json={"InvoicePayment": {"Amount": 99.5, "ModeOfPayment": "BG"}}),
        "InvoicePayment",
    )
    moved = await api.put(path, json={"InvoicePayment": {"InvoiceNumber": other}})
    deleted = await api.delete(path)

    assert (changed["Amount"], changed["ModeOfPayment"]) == (D("99.5"), "BG")
    assert moved.status_code == 400
    assert deleted.status_code == 204
    assert (await api.get(path)).status_code == 404
    assert body(await api.get(f"/3/invoices/{number}"), "Invoice")["Balance"] == D("250")
    last = sandbox.events(tenant_id, "invoices")[-1]
    assert (last["type"], last["entityId"]) == ("invoicepayment-deleted-v1", payment["Number"])


async def test_the_list_filters_by_invoice_sorts_by_payment_date_and_pages(
    api: httpx.AsyncClient, clock: ManualClock, spec_guard: Guard
) -> None:
    first = await invoice(api)
    second = await invoice(api)
    await register_payment(api, InvoiceNumber=first, Amount=10, PaymentDate="2023-11-25")
    await register_payment(api, InvoiceNumber=second, Amount=20, PaymentDate="2023-11-21")
    clock.advance(1800)
    await register_payment(api, InvoiceNumber=first, Amount=30, PaymentDate="2023-11-22")

    async def listed(**params: Any) -> list[dict[str, Any]]:
        response = await api.get("/3/invoicepayments", params=params)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json(parse_float=Decimal)["InvoicePayments"]
        return items

    everything = await listed()
    assert [p["Number"] for p in everything] == ["1", "2", "3"]
    assert set(everything[0]) <= {"@url", *LIST_FIELDS}
    assert everything[0]["WriteOffExist"] is False and has_no_null(everything)
    assert [p["Number"] for p in await listed(invoicenumber=first)] == ["1", "3"]
    by_date = await listed(sortby="paymentdate")
    assert [p["PaymentDate"] for p in by_date] == ["2023-11-21", "2023-11-22", "2023-11-25"]
    # registered at 23:13 and 23:43 Stockholm time (UTC+1) on 2023-11-14
    assert [p["Number"] for p in await listed(lastmodified="2023-11-14 23:30")] == ["3"]
    assert len(await listed(lastmodified="2023-11-14 23:13")) == 3
    assert [p["Number"] for p in await listed(limit=1, page=2)] == ["2"]
    with spec_guard.capture() as off_spec:  # refused as Fortnox refuses values outside the spec
        bad_number = await api.get("/3/invoicepayments", params={"invoicenumber": "x"})
        bad_sort = await api.get("/3/invoicepayments", params={"sortby": "amount"})
    assert (bad_number.status_code, bad_sort.status_code) == (400, 400)
    assert len(off_spec) == 2


async def test_current_event_types(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    await api.put("/3/customers/1", json={"Customer": {"City": "Lund"}})
    offer = body(
        await api.post(
            "/3/offers",
            json={"Offer": {"CustomerNumber": "1", "OfferRows": [{"ArticleNumber": "W1"}]}},
        ),
        "Offer",
    )
    await api.put(f"/3/offers/{offer['DocumentNumber']}/cancel")

    assert sandbox.events(tenant_id, "customers")[-1]["type"] == "customer-updated-v2"
    assert [e["type"] for e in sandbox.events(tenant_id, "offers")] == [
        "offer-created-v1",
        "offer-canceled-v1",
    ]


async def test_payments_need_the_payment_scope(sandbox: FortnoxSandbox, tenant_id: int) -> None:
    tokens: TokenPair = sandbox.issue_tokens(tenant_id, scopes=["invoice"])
    async with client_for(sandbox, tokens.access_token) as client:
        refused = await client.get("/3/invoicepayments")
    assert refused.status_code == 403
    assert error_code(refused) == 2000663
