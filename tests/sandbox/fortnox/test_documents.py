"""Orders, invoices and offers: create/update rules and the document actions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from ufs_sandboxes.fortnox import FortnoxSandbox

D = Decimal


@pytest.fixture(autouse=True)
def register(sandbox: FortnoxSandbox, tenant_id: int) -> None:
    sandbox.seed(
        tenant_id,
        articles=[
            {"ArticleNumber": "W1", "Description": "Widget"},
            {"ArticleNumber": "S1", "Description": "Service", "Type": "SERVICE"},
        ],
        prices=[
            {"PriceList": "A", "ArticleNumber": "W1", "Price": 100},
            {"PriceList": "A", "ArticleNumber": "S1", "Price": 1000},
        ],
        customers=[
            {"Name": "Acme AB", "OurReference": "Anna", "YourReference": "Bo", "City": "Lund"}
        ],
    )


def body(response: httpx.Response, wrapper: str) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    entity: dict[str, Any] = response.json(parse_float=Decimal)[wrapper]
    return entity


def error_code(response: httpx.Response) -> int:
    return int(response.json()["ErrorInformation"]["code"])


async def create_order(api: httpx.AsyncClient, **header: Any) -> dict[str, Any]:
    order = {
        "CustomerNumber": "1",
        "YourOrderNumber": "PO-77",
        "ExternalInvoiceReference1": "upsales-17",
        "Remarks": "Deliver on Monday",
        "OrderRows": [
            {"ArticleNumber": "W1", "OrderedQuantity": "10", "DeliveredQuantity": "6"},
            {"ArticleNumber": "S1", "OrderedQuantity": "1", "Discount": 10},
        ],
    }
    order.update(header)
    return body(await api.post("/3/orders", json={"Order": order}), "Order")


async def test_order_copies_customer_data_and_numbers_rows(api: httpx.AsyncClient) -> None:
    order = await create_order(api)

    assert order["DocumentNumber"] == "1"
    assert (order["CustomerName"], order["City"]) == ("Acme AB", "Lund")
    assert (order["OurReference"], order["YourReference"]) == ("Anna", "Bo")
    assert (order["OrderType"], order["Cancelled"], order["InvoiceReference"]) == (
        "Order",
        False,
        "0",
    )
    assert order["Currency"] == "SEK"
    row_ids = [row["RowId"] for row in order["OrderRows"]]
    assert len(set(row_ids)) == 2
    assert [row["DeliveredQuantity"] for row in order["OrderRows"]] == ["6.00", "1.00"]
    # totals use the delivered quantity: 6 x 100 + 1 x 1000 x 0.9
    assert order["Net"] == D("1500.00")


@pytest.mark.spec_guard_off("sends invalid orders on purpose")
@pytest.mark.parametrize(
    ("header", "code"),
    [
        ({"OurReference": "x" * 51}, 2000588),
        ({"YourOrderNumber": "x" * 76}, 2000588),
        ({"Completed": True}, 2001399),
        ({"OrderRows": [{"OrderedQuantity": "1", "Bundle": {}}]}, 2001399),
        ({"ExternalInvoiceReference1": "x" * 81}, 2000588),
        ({"Remarks": "x" * 1025}, 2000588),
        ({"CustomerNumber": "999"}, 2000204),
        ({"OrderRows": [{"ArticleNumber": "NOPE", "OrderedQuantity": "1"}]}, 2001302),
        ({"OrderRows": [{"ArticleNumber": "W1"}]}, 2000588),
        ({"OrderRows": [{"OrderedQuantity": "many"}]}, 2000108),
        ({"OrderRows": [{"OrderedQuantity": "1", "VAT": 19}]}, 2000588),
        ({"OrderDate": "2023-02-30"}, 2000588),
        ({"Currency": "XYZ"}, 2000588),
    ],
)
async def test_invalid_orders_are_refused(
    api: httpx.AsyncClient, header: dict[str, Any], code: int
) -> None:
    order = {"CustomerNumber": "1", "OrderRows": [{"OrderedQuantity": "1", "Price": 1}], **header}

    response = await api.post("/3/orders", json={"Order": order})

    assert response.status_code == 400
    assert error_code(response) == code
    assert (await api.get("/3/orders")).json()["MetaInformation"]["@TotalResources"] == 0


async def test_an_inactive_customer_gets_documents_unless_its_tenant_refuses_them(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    """Both answers to ``facts.INACTIVE_CUSTOMER_DOCUMENTS_REFUSED``: made by default, refused
    with 400 and nothing made when the tenant refuses them; an active customer's are made."""
    retired = {"Customer": {"Active": False}}
    assert (await api.put("/3/customers/1", json=retired)).status_code == 200
    invoice = {"Invoice": {"CustomerNumber": "1", "InvoiceRows": [{"ArticleNumber": "W1"}]}}

    made = await api.post("/3/invoices", json=invoice)
    sandbox.tenant(tenant_id).refuses_documents_of_inactive_customers = True
    refused = await api.post("/3/invoices", json=invoice)
    refused_order = await api.post(
        "/3/orders",
        json={"Order": {"CustomerNumber": "1", "OrderRows": [{"OrderedQuantity": "1"}]}},
    )
    await api.put("/3/customers/1", json={"Customer": {"Active": True}})
    made_again = await api.post("/3/invoices", json=invoice)

    assert body(made, "Invoice")["CustomerNumber"] == "1"
    assert (refused.status_code, refused_order.status_code) == (400, 400), refused_order.text
    assert error_code(refused) == 2000588
    assert body(made_again, "Invoice")["DocumentNumber"] == "2"
    assert (await api.get("/3/orders")).json()["MetaInformation"]["@TotalResources"] == 0


async def test_rows_with_row_id_update_new_rows_are_added_missing_rows_go(
    api: httpx.AsyncClient,
) -> None:
    order = await create_order(api)
    first, second = order["OrderRows"]

    updated = body(
        await api.put(
            "/3/orders/1",
            json={
                "Order": {
                    "OrderRows": [
                        {"RowId": first["RowId"], "DeliveredQuantity": "10"},
                        {"ArticleNumber": "S1", "OrderedQuantity": "2"},
                    ]
                }
            },
        ),
        "Order",
    )

    rows = updated["OrderRows"]
    assert [row["ArticleNumber"] for row in rows] == ["W1", "S1"]
    assert (rows[0]["OrderedQuantity"], rows[0]["DeliveredQuantity"]) == ("10.00", "10.00")
    assert (rows[1]["OrderedQuantity"], rows[1]["Discount"]) == ("2.00", 0)
    new_ids = {row["RowId"] for row in rows}
    assert len(new_ids) == 2
    assert not new_ids & {first["RowId"], second["RowId"]}
    assert updated["Net"] == D("3000.00")
    stale = await api.put(
        "/3/orders/1", json={"Order": {"OrderRows": [{"RowId": first["RowId"], "Price": 1}]}}
    )
    assert (stale.status_code, error_code(stale)) == (400, 2000588)


async def test_rows_without_row_ids_update_the_rows_in_order(api: httpx.AsyncClient) -> None:
    order = await create_order(api)

    updated = body(
        await api.put(
            "/3/orders/1", json={"Order": {"OrderRows": [{"OrderedQuantity": "4", "Price": 50}]}}
        ),
        "Order",
    )

    (row,) = updated["OrderRows"]
    assert (row["ArticleNumber"], row["Description"]) == ("W1", "Widget")
    assert (row["OrderedQuantity"], row["DeliveredQuantity"], row["Price"]) == ("4.00", "6.00", 50)
    assert row["RowId"] not in {r["RowId"] for r in order["OrderRows"]}


@pytest.mark.spec_guard_off("sends a text over its maximum length on purpose")
async def test_failed_update_changes_nothing(api: httpx.AsyncClient) -> None:
    await create_order(api)

    response = await api.put(
        "/3/orders/1", json={"Order": {"Remarks": "changed", "OurReference": "x" * 51}}
    )

    assert response.status_code == 400
    assert body(await api.get("/3/orders/1"), "Order")["Remarks"] == "Deliver on Monday"


async def test_createinvoice_invoices_delivered_and_creates_backorder(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    await create_order(api)

    invoice = body(await api.put("/3/orders/1/createinvoice"), "Invoice")

    assert invoice["OrderReference"] == "1"
    assert [(r["ArticleNumber"], r["DeliveredQuantity"]) for r in invoice["InvoiceRows"]] == [
        ("W1", "6.00"),
        ("S1", "1.00"),
    ]
    assert invoice["Net"] == D("1500.00")
    assert (invoice["YourOrderNumber"], invoice["ExternalInvoiceReference1"]) == (
        "PO-77",
        "upsales-17",
    )
    original = body(await api.get("/3/orders/1"), "Order")
    assert original["InvoiceReference"] == invoice["DocumentNumber"]
    assert original["OrderType"] == "Order"

    backorder = body(await api.get("/3/orders/2"), "Order")
    assert backorder["OrderType"] == "Backorder"
    assert [(r["ArticleNumber"], r["OrderedQuantity"]) for r in backorder["OrderRows"]] == [
        ("W1", "4.00")
    ]
    assert backorder["Net"] == D("400.00")
    assert (backorder["CustomerNumber"], backorder["ExternalInvoiceReference1"]) == (
        "1",
        "upsales-17",
    )
    assert [e["type"] for e in sandbox.events(tenant_id, "orders")] == [
        "order-created-v1",
        "order-updated-v1",
        "order-created-v1",
    ]
    assert [e["type"] for e in sandbox.events(tenant_id, "invoices")] == ["invoice-created-v1"]


async def test_fully_delivered_order_gets_no_backorder(api: httpx.AsyncClient) -> None:
    await create_order(api, OrderRows=[{"ArticleNumber": "W1", "OrderedQuantity": "2"}])

    await api.put("/3/orders/1/createinvoice")

    orders = (await api.get("/3/orders")).json()["Orders"]
    assert [o["OrderType"] for o in orders] == ["Order"]


async def test_invoiced_order_is_locked(api: httpx.AsyncClient) -> None:
    await create_order(api)
    await api.put("/3/orders/1/createinvoice")

    again = await api.put("/3/orders/1/createinvoice")
    edit = await api.put("/3/orders/1", json={"Order": {"Remarks": "late change"}})
    cancel = await api.put("/3/orders/1/cancel")

    assert [again.status_code, edit.status_code, cancel.status_code] == [400, 400, 400]
    assert (await api.get("/3/invoices")).json()["MetaInformation"]["@TotalResources"] == 1


async def test_cancel_order(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    await create_order(api)

    cancelled = body(await api.put("/3/orders/1/cancel"), "Order")

    assert cancelled["Cancelled"] is True
    assert sandbox.events(tenant_id, "orders")[-1]["type"] == "order-cancelled-v1"
    assert (await api.put("/3/orders/1/createinvoice")).status_code == 400
    assert (await api.put("/3/orders/1", json={"Order": {"Remarks": "x"}})).status_code == 400
    listed = (await api.get("/3/orders", params={"filter": "cancelled"})).json()["Orders"]
    assert [o["DocumentNumber"] for o in listed] == ["1"]


async def test_offer_to_order(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    offer = body(
        await api.post(
            "/3/offers",
            json={
                "Offer": {
                    "CustomerNumber": "1",
                    "OfferRows": [{"ArticleNumber": "W1", "Quantity": "3", "Discount": 5}],
                }
            },
        ),
        "Offer",
    )
    assert offer["OfferRows"][0]["Total"] == D("285.00")
    assert offer["ExpireDate"] == "2023-12-14"

    made = await api.put(f"/3/offers/{offer['DocumentNumber']}/createorder")
    assert made.status_code == 200  # the spec's one answer: the created order
    order = body(made, "Order")

    assert order["OfferReference"] == offer["DocumentNumber"]
    assert [(r["OrderedQuantity"], r["Discount"]) for r in order["OrderRows"]] == [("3.00", 5)]
    assert order["Total"] == offer["Total"]
    assert body(await api.get("/3/offers/1"), "Offer")["OrderReference"] == order["DocumentNumber"]
    assert (await api.put("/3/offers/1/createorder")).status_code == 400
    assert [e["type"] for e in sandbox.events(tenant_id, "offers")] == [
        "offer-created-v1",
        "offer-updated-v1",
    ]
    invoice = body(await api.put(f"/3/orders/{order['DocumentNumber']}/createinvoice"), "Invoice")
    assert invoice["OfferReference"] == offer["DocumentNumber"]


@pytest.mark.spec_guard_off("sends a field the spec lacks on purpose")
async def test_cancelled_or_completed_offer_cannot_become_an_order(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    await api.post("/3/offers", json={"Offer": {"CustomerNumber": "1"}})
    sandbox.seed(tenant_id, offers=[{"CustomerNumber": "1", "Completed": True}])
    await api.put("/3/offers/1/cancel")
    not_in_spec = await api.put("/3/offers/1", json={"Offer": {"Completed": True}})

    cancelled = await api.put("/3/offers/1/createorder")
    completed = await api.put("/3/offers/2/createorder")

    assert cancelled.status_code == 400
    assert (completed.status_code, error_code(completed)) == (400, 2003125)
    assert (await api.put("/3/offers/2/cancel")).status_code == 400
    assert (not_in_spec.status_code, error_code(not_in_spec)) == (400, 2001399)
    listed = (await api.get("/3/offers", params={"filter": "completed"})).json()["Offers"]
    assert [offer["DocumentNumber"] for offer in listed] == ["2"]
    assert "Completed" not in listed[0]


@pytest.mark.spec_guard_off("sends a read-only invoice field on purpose")
async def test_booked_invoice_refuses_changes(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    created = await api.post(
        "/3/invoices",
        json={
            "Invoice": {
                "CustomerNumber": "1",
                "InvoiceRows": [{"ArticleNumber": "W1", "DeliveredQuantity": "2"}],
            }
        },
    )
    number = body(created, "Invoice")["DocumentNumber"]

    booked = body(await api.put(f"/3/invoices/{number}/bookkeep"), "Invoice")
    edit = await api.put(f"/3/invoices/{number}", json={"Invoice": {"Remarks": "typo"}})
    cancel = await api.put(f"/3/invoices/{number}/cancel")

    assert booked["Booked"] is True
    assert (booked["VoucherSeries"], booked["VoucherYear"]) == ("B", 2023)
    assert booked["VoucherNumber"] >= 1
    assert (edit.status_code, error_code(edit)) == (400, 2003125)
    read_only = await api.put(f"/3/invoices/{number}", json={"Invoice": {"Booked": False}})
    assert (read_only.status_code, error_code(read_only)) == (400, 2001399)
    assert "ErrorInformation" in cancel.json()
    assert cancel.status_code == 400
    assert body(await api.get(f"/3/invoices/{number}"), "Invoice")["Remarks"] == ""
    assert [e["type"] for e in sandbox.events(tenant_id, "invoices")] == [
        "invoice-created-v1",
        "invoice-bookkeep-v1",
    ]


async def test_credit_invoice(api: httpx.AsyncClient) -> None:
    await api.post(
        "/3/invoices",
        json={
            "Invoice": {
                "CustomerNumber": "1",
                "Freight": 50,
                "InvoiceRows": [{"ArticleNumber": "W1", "DeliveredQuantity": "2"}],
            }
        },
    )
    await api.put("/3/invoices/1/bookkeep")

    original = body(await api.put("/3/invoices/1/credit"), "Invoice")
    credit = body(await api.get(f"/3/invoices/{original['CreditInvoiceReference']}"), "Invoice")

    assert original["DocumentNumber"] == "1"
    assert (original["Credit"], credit["Credit"]) == ("false", "true")
    assert credit["CreditInvoiceReference"] == "1"
    assert credit["InvoiceRows"][0]["DeliveredQuantity"] == "-2.00"
    assert credit["Total"] == -original["Total"] == D("-312.50")
    assert (await api.put("/3/invoices/1/credit")).status_code == 400


@pytest.mark.parametrize("clears", [False, True])
async def test_a_cancelled_credit_is_still_named_unless_the_tenant_clears_it(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int, clears: bool
) -> None:
    """Both answers to ``facts.CANCELLED_CREDIT_CLEARS_REFERENCE``."""
    sandbox.tenant(tenant_id).cancelled_credit_clears_reference = clears
    rows = [{"ArticleNumber": "W1", "DeliveredQuantity": "2"}]
    await api.post("/3/invoices", json={"Invoice": {"CustomerNumber": "1", "InvoiceRows": rows}})
    await api.put("/3/invoices/1/bookkeep")
    credit_number = body(await api.put("/3/invoices/1/credit"), "Invoice")["CreditInvoiceReference"]

    assert (await api.put(f"/3/invoices/{credit_number}/cancel")).status_code == 200

    named = body(await api.get("/3/invoices/1"), "Invoice")["CreditInvoiceReference"]
    assert named == ("0" if clears else credit_number)


@pytest.mark.parametrize("lowers", [False, True])
async def test_a_booked_credit_lowers_its_originals_balance_when_the_tenant_says(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int, lowers: bool
) -> None:
    """Both answers to ``money_facts.CREDIT_LOWERS_CREDITED_BALANCE``: kept by default; lowered by
    the credit once booked (fully paid at nothing) when the tenant says so."""
    sandbox.tenant(tenant_id).credit_lowers_credited_balance = lowers
    rows = [{"ArticleNumber": "W1", "DeliveredQuantity": "2"}]
    await api.post("/3/invoices", json={"Invoice": {"CustomerNumber": "1", "InvoiceRows": rows}})
    await api.put("/3/invoices/1/bookkeep")
    original = body(await api.put("/3/invoices/1/credit"), "Invoice")
    credit_number = original["CreditInvoiceReference"]
    assert body(await api.get("/3/invoices/1"), "Invoice")["Balance"] == original["Total"]

    await api.put(f"/3/invoices/{credit_number}/bookkeep")

    after = body(await api.get("/3/invoices/1"), "Invoice")
    assert after["Balance"] == (D(0) if lowers else original["Total"])
    assert (after.get("FinalPayDate") is not None) is lowers


async def test_cancel_invoice(
    api: httpx.AsyncClient, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    await api.post("/3/invoices", json={"Invoice": {"CustomerNumber": "1"}})

    cancelled = body(await api.put("/3/invoices/1/cancel"), "Invoice")

    assert cancelled["Cancelled"] is True
    assert sandbox.events(tenant_id, "invoices")[-1]["type"] == "invoice-cancelled-v1"
    assert (await api.put("/3/invoices/1/bookkeep")).status_code == 400


async def test_invoice_dates_default_from_terms(api: httpx.AsyncClient) -> None:
    invoice = body(
        await api.post(
            "/3/invoices",
            json={
                "Invoice": {
                    "CustomerNumber": "1",
                    "InvoiceDate": "2024-01-31",
                    "TermsOfPayment": "10",
                }
            },
        ),
        "Invoice",
    )

    assert (invoice["InvoiceDate"], invoice["DueDate"]) == ("2024-01-31", "2024-02-10")
    assert invoice["OCR"].startswith(str(invoice["DocumentNumber"]))


async def test_unknown_document_is_404(api: httpx.AsyncClient) -> None:
    for path in ("/3/orders/77", "/3/invoices/77", "/3/offers/77", "/3/orders/77/createinvoice"):
        method = "PUT" if path.endswith("createinvoice") else "GET"
        response = await api.request(method, path)
        assert response.status_code == 404, path
        assert "ErrorInformation" in response.json()


async def test_given_document_number_must_be_free(api: httpx.AsyncClient) -> None:
    first = await api.post(
        "/3/offers", json={"Offer": {"CustomerNumber": "1", "DocumentNumber": "50"}}
    )
    taken = await api.post(
        "/3/offers", json={"Offer": {"CustomerNumber": "1", "DocumentNumber": "50"}}
    )
    automatic = await api.post("/3/offers", json={"Offer": {"CustomerNumber": "1"}})

    assert body(first, "Offer")["DocumentNumber"] == "50"
    assert taken.status_code == 400
    assert body(automatic, "Offer")["DocumentNumber"] == "1"


async def test_invoice_update_regenerates_row_ids_and_drops_rows_left_out(
    api: httpx.AsyncClient,
) -> None:
    created = await api.post(
        "/3/invoices",
        json={
            "Invoice": {
                "CustomerNumber": "1",
                "InvoiceRows": [
                    {"ArticleNumber": "W1", "DeliveredQuantity": "2"},
                    {"ArticleNumber": "S1", "DeliveredQuantity": "1"},
                ],
            }
        },
    )
    old_ids = [row["RowId"] for row in body(created, "Invoice")["InvoiceRows"]]

    updated = body(
        await api.put(
            "/3/invoices/1",
            json={"Invoice": {"InvoiceRows": [{"RowId": old_ids[1], "DeliveredQuantity": "3"}]}},
        ),
        "Invoice",
    )
    read_back = body(await api.get("/3/invoices/1"), "Invoice")

    (row,) = read_back["InvoiceRows"]
    assert (row["ArticleNumber"], row["DeliveredQuantity"]) == ("S1", "3.00")
    assert row["RowId"] not in old_ids
    assert read_back == updated
    assert read_back["Net"] == D("3000.00")


@pytest.mark.spec_guard_off("probes paths and methods the spec lacks")
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/3/orders/1"),
        ("DELETE", "/3/invoices/1"),
        ("POST", "/3/orders/1"),
        ("GET", "/3/orders/1/createinvoice"),
        ("DELETE", "/3/prices/A/W1"),
        ("GET", "/3/prices/sublist/A"),
        ("GET", "/3/ordres"),
    ],
)
async def test_paths_and_methods_the_spec_lacks_are_404_error_information(
    api: httpx.AsyncClient, method: str, path: str
) -> None:
    await create_order(api)

    response = await api.request(method, path)

    assert response.status_code == 404
    assert set(response.json()["ErrorInformation"]) == {"error", "message", "code"}
    assert (await api.get("/3/orders/1")).status_code == 200


@pytest.mark.spec_guard_off("sends fields the spec lacks on purpose")
@pytest.mark.parametrize(
    ("path", "wrapper", "entity"),
    [
        ("/3/invoices", "Invoice", {"CustomerNumber": "1", "Total": 5}),
        ("/3/invoices", "Invoice", {"CustomerNumber": "1", "OrganisationNumber": "556677-8899"}),
        (
            "/3/invoices",
            "Invoice",
            {"CustomerNumber": "1", "InvoiceRows": [{"DeliveredQuantity": "1", "Total": 5}]},
        ),
        ("/3/offers", "Offer", {"CustomerNumber": "1", "YourOrderNumber": "PO-1"}),
        ("/3/offers", "Offer", {"CustomerNumber": "1", "ExternalInvoiceReference1": "x"}),
    ],
)
async def test_body_fields_outside_the_request_schema_are_refused(
    api: httpx.AsyncClient, path: str, wrapper: str, entity: dict[str, Any]
) -> None:
    response = await api.post(path, json={wrapper: entity})

    assert (response.status_code, error_code(response)) == (400, 2001399)
    assert (await api.get(path)).json()["MetaInformation"]["@TotalResources"] == 0


async def test_read_only_fields_of_the_order_schema_are_ignored(api: httpx.AsyncClient) -> None:
    order = await create_order(api, Total=1, OrderType="Backorder")

    assert (order["OrderType"], order["Total"]) == ("Order", D("1875.00"))
