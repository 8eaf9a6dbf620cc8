"""Hand-written Fortnox answers for the contract scenarios, after ``reference/fortnox.md``.

Entities carry every field Fortnox's own models have (the C# SDK's, reference §5), read-only
ones included; amounts are exact decimals written as JSON numbers (§1); errors are
``ErrorInformation`` with Fortnox's numeric code (§2); token answers have the OAuth shape (§3).
``SCRIPTS`` holds one script per scenario of ``fortnox_scenarios``, under the same name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from tests.contracts.fortnox_backends import API_BASE, FixtureFortnox
from tests.contracts.fortnox_scenarios import SEEDED_CUSTOMERS
from tests.contracts.script import Reply

D = Decimal
PAGE = "500"
INVALID_LOGIN = 2000310
NUMBER_IN_USE = 2000637
CUSTOMER_NOT_FOUND = 2000433
RATE_LIMITED = 429
"""No code is documented for a 429 (reference §2); the body carries the status."""


def _with(base: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    unknown = fields.keys() - base.keys()
    assert not unknown, f"not a field of this entity: {sorted(unknown)}"
    return {**base, **fields}


def customer(number: str, name: str, **fields: Any) -> dict[str, Any]:
    """A customer as GET /3/customers/{CustomerNumber} shows it."""
    base: dict[str, Any] = {
        "@url": f"{API_BASE}/customers/{number}",
        "CustomerNumber": number,
        "Name": name,
        "OrganisationNumber": None,
        "Address1": None,
        "Address2": None,
        "City": None,
        "ZipCode": None,
        "CountryCode": None,
        "Country": None,
        "Email": None,
        "EmailInvoice": None,
        "Phone1": None,
        "Phone2": None,
        "Fax": None,
        "WWW": None,
        "VATNumber": None,
        "VATType": "SEVAT",
        "Currency": "SEK",
        "Active": True,
        "Type": "COMPANY",
        "YourReference": None,
        "OurReference": None,
        "PriceList": "A",
        "TermsOfPayment": None,
        "Comments": None,
        "DeliveryName": None,
        "DeliveryAddress1": None,
        "DeliveryAddress2": None,
        "DeliveryCity": None,
        "DeliveryZipCode": None,
        "DeliveryCountryCode": None,
    }
    return _with(base, fields)


def customer_list_item(number: str, name: str, **fields: Any) -> dict[str, Any]:
    """The reduced customer of a list, linking to the full one."""
    base: dict[str, Any] = {
        "@url": f"{API_BASE}/customers/{number}",
        "Address1": None,
        "Address2": None,
        "City": None,
        "CustomerNumber": number,
        "Email": None,
        "Name": name,
        "OrganisationNumber": None,
        "Phone": None,
        "ZipCode": None,
    }
    return _with(base, fields)


def page(key: str, items: list[dict[str, Any]], current: int, total: int, pages: int) -> Any:
    return {
        key: items,
        "MetaInformation": {
            "@TotalResources": total,
            "@TotalPages": pages,
            "@CurrentPage": current,
        },
    }


def error(code: int, message: str) -> dict[str, Any]:
    return {"ErrorInformation": {"error": 1, "message": message, "code": code}}


ACCESS_TOKEN_CLAIMS = "eyJhbGciOiJSUzI1NiJ9.eyJ0ZW5hbnRJZCI6MTAwMDAxfQ"
"""A JWT's header and claims (``tenantId`` 100001), as Fortnox's access tokens carry."""


def token_reply(serial: int) -> dict[str, Any]:
    return {
        "access_token": f"{ACCESS_TOKEN_CLAIMS}.fixture-signature-{serial}",
        "refresh_token": f"fixture-refresh-token-{serial}",
        "scope": "article companyinformation customer invoice offer order price",
        "expires_in": 3600,
        "token_type": "bearer",
    }


INVALID_GRANT = {"error": "invalid_grant", "error_description": "Invalid refresh token"}


# Orders, invoices, offers


def totals(net: str, vat: str) -> dict[str, Any]:
    """Document totals without fees or öresutjämning: Gross = Net, Total = Net + VAT."""
    return {
        "Net": D(net),
        "Gross": D(net),
        "TotalVAT": D(vat),
        "RoundOff": D(0),
        "Total": D(net) + D(vat),
        "TotalToPay": D(net) + D(vat),
    }


def _header(collection: str, number: int, customer_number: str, customer_name: str) -> Any:
    return {
        "@url": f"{API_BASE}/{collection}/{number}",
        "DocumentNumber": number,
        "CustomerNumber": customer_number,
        "CustomerName": customer_name,
        "Address1": None,
        "Address2": None,
        "City": None,
        "ZipCode": None,
        "Country": None,
        "OrganisationNumber": None,
        "Phone1": None,
        "Phone2": None,
        "DeliveryName": None,
        "DeliveryAddress1": None,
        "DeliveryAddress2": None,
        "DeliveryCity": None,
        "DeliveryZipCode": None,
        "DeliveryCountry": None,
        "DeliveryDate": None,
        "Currency": "SEK",
        "CurrencyRate": D(1),
        "CurrencyUnit": D(1),
        "OurReference": None,
        "YourReference": None,
        "Remarks": None,
        "Comments": None,
        "VATIncluded": False,
        "Freight": D(0),
        "AdministrationFee": D(0),
        "PriceList": "A",
        "Project": None,
        "CostCenter": None,
        "TermsOfPayment": None,
        "TermsOfDelivery": None,
        "WayOfDelivery": None,
        "Language": "SV",
        "Cancelled": False,
        "Sent": False,
    }


_ORDER_REFERENCES = {
    "YourOrderNumber": None,
    "ExternalInvoiceReference1": None,
    "ExternalInvoiceReference2": None,
}


def _row(row_id: int, description: str, price: str, vat: int, total: str, discount: int) -> Any:
    return {
        "RowId": row_id,
        "ArticleNumber": None,
        "Description": description,
        "Price": D(price),
        "Discount": D(discount),
        "DiscountType": "PERCENT",
        "VAT": D(vat),
        "Unit": None,
        "AccountNumber": None,
        "CostCenter": None,
        "Project": None,
        "HouseWork": None,
        "Total": D(total),
    }


def invoice_row(
    row_id: int,
    description: str,
    quantity: str,
    price: str,
    vat: int,
    total: str,
    discount: int = 0,
) -> dict[str, Any]:
    row = _row(row_id, description, price, vat, total, discount)
    return {**row, "DeliveredQuantity": D(quantity), "TotalExcludingVAT": D(total)}


def order_row(
    row_id: int, description: str, quantity: str, price: str, vat: int, total: str
) -> dict[str, Any]:
    row = _row(row_id, description, price, vat, total, 0)
    return {
        **row,
        "OrderedQuantity": D(quantity),
        "DeliveredQuantity": D(quantity),
        "ReservedQuantity": D(0),
    }


def offer_row(
    row_id: int, description: str, quantity: str, price: str, vat: int, total: str
) -> dict[str, Any]:
    return {**_row(row_id, description, price, vat, total, 0), "Quantity": D(quantity)}


def invoice(
    number: int, rows: list[dict[str, Any]], amounts: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    """An invoice of customer 1 (Acme AB) dated 2024-06-01, due in 30 days."""
    base = {
        **_header("invoices", number, "1", "Acme AB"),
        **amounts,
        **_ORDER_REFERENCES,
        "InvoiceDate": "2024-06-01",
        "DueDate": "2024-07-01",
        "InvoiceType": "INVOICE",
        "Booked": False,
        "Credit": False,
        "CreditInvoiceReference": 0,
        "OrderReference": 0,
        "OfferReference": 0,
        "Balance": amounts["Total"],
        "OCR": f"{number}8",  # the number and its Luhn check digit (8 for 1)
        "VoucherNumber": None,
        "VoucherSeries": None,
        "VoucherYear": None,
        "FinalPayDate": None,
        "NoxFinans": False,
        "InvoiceRows": rows,
    }
    return {"Invoice": _with(base, fields)}


def order(
    number: int, rows: list[dict[str, Any]], amounts: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    """An order of customer 1 (Acme AB) dated 2024-06-01."""
    base = {
        **_header("orders", number, "1", "Acme AB"),
        **amounts,
        **_ORDER_REFERENCES,
        "OrderDate": "2024-06-01",
        "DeliveryState": "registration",
        "InvoiceReference": 0,
        "OfferReference": 0,
        "OrderType": "Order",
        "OrderRows": rows,
    }
    return {"Order": _with(base, fields)}


def offer(
    number: int, rows: list[dict[str, Any]], amounts: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    """An offer of customer 1 (Acme AB) dated 2024-06-01, valid for 30 days."""
    base = {
        **_header("offers", number, "1", "Acme AB"),
        **amounts,
        "OfferDate": "2024-06-01",
        "ExpireDate": "2024-07-01",
        "Completed": False,
        "OrderReference": 0,
        "InvoiceReference": 0,
        "OfferRows": rows,
    }
    return {"Offer": _with(base, fields)}


# Scripts


def _acme_created() -> Reply:
    return Reply(
        "POST",
        "/3/customers",
        201,
        {"Customer": customer("1", "Acme AB")},
        sent={"Customer": {"Name": "Acme AB"}},
    )


def _token_refreshed(serial: int) -> Reply:
    return Reply("POST", "/oauth-v1/token", 200, token_reply(serial))


def _expired(method: str, path: str) -> Reply:
    return Reply(method, path, 403, error(INVALID_LOGIN, "Ogiltig inloggning (token har gått ut)"))


def customer_create_get_update(fx: FixtureFortnox) -> Sequence[Reply]:
    acme = customer(
        "1",
        "Acme AB",
        OrganisationNumber="556677-8899",
        City="Malmö",
        CountryCode="SE",
        Country="Sverige",
        Email="info@acme.se",
    )
    moved = {**acme, "City": "Lund"}
    sent = {
        "Name": "Acme AB",
        "OrganisationNumber": "556677-8899",
        "City": "Malmö",
        "CountryCode": "SE",
        "Email": "info@acme.se",
    }
    return [
        Reply("POST", "/3/customers", 201, {"Customer": acme}, sent={"Customer": sent}),
        Reply("GET", "/3/customers/1", 200, {"Customer": acme}),
        Reply(
            "PUT", "/3/customers/1", 200, {"Customer": moved}, sent={"Customer": {"City": "Lund"}}
        ),
        Reply("GET", "/3/customers/1", 200, {"Customer": moved}),
    ]


def customers_paged_and_by_lastmodified(fx: FixtureFortnox) -> Sequence[Reply]:
    cities = {7: "Lund", 1001: "Umeå"}

    def item(n: int) -> dict[str, Any]:
        return customer_list_item(str(n), f"Kund {n:04d} AB", City=cities.get(n, "Malmö"))

    def full(n: int) -> dict[str, Any]:
        return customer(
            str(n), f"Kund {n:04d} AB", City=cities[n], CountryCode="SE", Country="Sverige"
        )

    items = [item(n) for n in range(1, SEEDED_CUSTOMERS + 1)]
    total = len(items)
    return [
        # Three hours on, the first access token has expired.
        _expired("PUT", "/3/customers/7"),
        _token_refreshed(2),
        Reply("PUT", "/3/customers/7", 200, {"Customer": full(7)}),
        Reply("PUT", "/3/customers/1001", 200, {"Customer": full(1001)}),
        *(
            Reply(
                "GET",
                "/3/customers",
                200,
                page("Customers", items[(n - 1) * 500 : n * 500], n, total, 3),
                params={"limit": PAGE, "page": str(n)},
            )
            for n in (1, 2, 3)
        ),
        Reply(
            "GET",
            "/3/customers",
            200,
            page("Customers", [item(7), item(1001)], 1, 2, 1),
            # 15:00 UTC is 17:00 in Stockholm (summer time): lastmodified is Swedish local time
            params={"lastmodified": "2024-06-01 17:00", "limit": PAGE, "page": "1"},
        ),
    ]


def customer_not_found(fx: FixtureFortnox) -> Sequence[Reply]:
    return [
        Reply("GET", "/3/customers/404", 404, error(CUSTOMER_NOT_FOUND, "Kan inte hitta kunden."))
    ]


def customer_number_never_reused(fx: FixtureFortnox) -> Sequence[Reply]:
    message = (
        "Kundnummer K-100 används redan. Kundnumret har redan använts men kan ha blivit raderat."
    )
    return [
        Reply("POST", "/3/customers", 201, {"Customer": customer("K-100", "Acme AB")}),
        Reply("DELETE", "/3/customers/K-100", 204),
        Reply(
            "POST",
            "/3/customers",
            400,
            error(NUMBER_IN_USE, message),
            sent={"Customer": {"CustomerNumber": "K-100", "Name": "Acme Två AB"}},
        ),
    ]


def rate_limited_then_paced_retry(fx: FixtureFortnox) -> Sequence[Reply]:
    return [
        _acme_created(),
        Reply(
            "GET",
            "/3/customers/1",
            429,
            error(RATE_LIMITED, "Too many requests"),
            again_while=fx.throttled,
        ),
        Reply("GET", "/3/customers/1", 200, {"Customer": customer("1", "Acme AB")}),
    ]


def expired_access_token_is_refreshed(fx: FixtureFortnox) -> Sequence[Reply]:
    return [
        _acme_created(),
        _expired("GET", "/3/customers/1"),
        _token_refreshed(2),
        Reply("GET", "/3/customers/1", 200, {"Customer": customer("1", "Acme AB")}),
    ]


def reused_refresh_token_needs_a_new_login(fx: FixtureFortnox) -> Sequence[Reply]:
    return [
        _acme_created(),
        _token_refreshed(2),  # someone else's refresh
        _expired("GET", "/3/customers/1"),
        Reply("POST", "/oauth-v1/token", 400, INVALID_GRANT),
    ]


def invoice_rows_and_exact_totals(fx: FixtureFortnox) -> Sequence[Reply]:
    created = invoice(
        1,
        [
            invoice_row(1, "Konsulttimme", "3", "99.90", 25, "299.70"),
            invoice_row(2, "Skruv", "1.5", "0.10", 12, "0.14", discount=10),
        ],
        totals(net="299.84", vat="74.94"),
    )
    sent = {
        "Invoice": {
            "CustomerNumber": "1",
            "InvoiceDate": "2024-06-01",
            "InvoiceRows": [
                {
                    "Description": "Konsulttimme",
                    "Price": D("99.90"),
                    "VAT": 25,
                    "DeliveredQuantity": 3,
                },
                {
                    "Description": "Skruv",
                    "Price": D("0.10"),
                    "Discount": 10,
                    "DiscountType": "PERCENT",
                    "VAT": 12,
                    "DeliveredQuantity": D("1.5"),
                },
            ],
        }
    }
    return [
        _acme_created(),
        Reply("POST", "/3/invoices", 201, created, sent=sent),
        Reply("GET", "/3/invoices/1", 200, created),
    ]


def order_becomes_invoice(fx: FixtureFortnox) -> Sequence[Reply]:
    amounts = totals(net="2501.00", vat="625.25")
    rows = [order_row(1, "Licens", "2", "1250.50", 25, "2501.00")]
    invoiced = invoice(
        1, [invoice_row(2, "Licens", "2", "1250.50", 25, "2501.00")], amounts, OrderReference=1
    )
    return [
        _acme_created(),
        Reply("POST", "/3/orders", 201, order(1, rows, amounts)),
        Reply("PUT", "/3/orders/1/createinvoice", 200, invoiced),
        Reply("GET", "/3/orders/1", 200, order(1, rows, amounts, InvoiceReference=1)),
    ]


def offer_becomes_order(fx: FixtureFortnox) -> Sequence[Reply]:
    amounts = totals(net="3800", vat="950")
    rows = [offer_row(1, "Projekt", "4", "950", 25, "3800")]
    ordered = order(1, [order_row(2, "Projekt", "4", "950", 25, "3800")], amounts, OfferReference=1)
    return [
        _acme_created(),
        Reply("POST", "/3/offers", 201, offer(1, rows, amounts)),
        Reply("PUT", "/3/offers/1/createorder", 200, ordered),
        Reply("GET", "/3/offers/1", 200, offer(1, rows, amounts, OrderReference=1)),
    ]


def documents_cancelled(fx: FixtureFortnox) -> Sequence[Reply]:
    amounts = totals(net="100", vat="25")
    order_rows = [order_row(1, "Licens", "1", "100", 25, "100")]
    invoice_rows = [invoice_row(2, "Licens", "1", "100", 25, "100")]
    cancelled_order = order(1, order_rows, amounts, Cancelled=True)
    cancelled_invoice = invoice(1, invoice_rows, amounts, Cancelled=True)
    return [
        _acme_created(),
        Reply("POST", "/3/orders", 201, order(1, order_rows, amounts)),
        Reply("POST", "/3/invoices", 201, invoice(1, invoice_rows, amounts)),
        Reply("PUT", "/3/orders/1/cancel", 200, cancelled_order),
        Reply("PUT", "/3/invoices/1/cancel", 200, cancelled_invoice),
        Reply("GET", "/3/orders/1", 200, cancelled_order),
        Reply("GET", "/3/invoices/1", 200, cancelled_invoice),
    ]


SCRIPTS: dict[str, Callable[[FixtureFortnox], Sequence[Reply]]] = {
    script.__name__: script
    for script in (
        customer_create_get_update,
        customers_paged_and_by_lastmodified,
        customer_not_found,
        customer_number_never_reused,
        rate_limited_then_paced_retry,
        expired_access_token_is_refreshed,
        reused_refresh_token_needs_a_new_login,
        invoice_rows_and_exact_totals,
        order_becomes_invoice,
        offer_becomes_order,
        documents_cancelled,
    )
}
