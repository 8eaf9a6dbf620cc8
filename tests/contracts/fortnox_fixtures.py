"""Hand-written Fortnox answers for the contract scenarios, after ``reference/fortnox.md``.

Entities carry the fields the sandbox shows, read-only ones included, in the JSON types of
Fortnox's OpenAPI spec: text where it types strings (``DocumentNumber``, references, row
quantities, ``Credit``), integers where it types integers, exact decimals as JSON numbers
otherwise, ``""`` for an empty text and no nulls (see ``ufs_sandboxes/fortnox/wire.py``); errors are
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
BY_NUMBER = {"sortby": "customernumber", "sortorder": "ascending"}
"""Registers read page after page ask for their number order (facts.UNSORTED_LIST_ORDER)."""
INVALID_LOGIN = 2000310
NUMBER_IN_USE = 2000637
CUSTOMER_NOT_FOUND = 2000433
NO_VALID_IDENTIFIER = 2000729
RATE_LIMITED = 429
"""No code is documented for a 429 (reference §2); the body carries the status."""


def _with(
    base: dict[str, Any], fields: dict[str, Any], optional: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """``base`` with ``fields`` set; ``optional`` names fields that are absent when empty."""
    unknown = fields.keys() - base.keys() - optional
    assert not unknown, f"not a field of this entity: {sorted(unknown)}"
    return {**base, **fields}


_CUSTOMER_OPTIONAL = frozenset(
    {"Address1", "CountryCode", "DeliveryCountryCode", "VisitingCountryCode"}
)
"""Texts with a minimum length in the spec: left out when empty."""


def customer(number: str, name: str, **fields: Any) -> dict[str, Any]:
    """A customer as GET /3/customers/{CustomerNumber} shows it: every text the spec types,
    ``""`` when empty, except the ones with a minimum length, which are left out."""
    base: dict[str, Any] = {
        "@url": f"{API_BASE}/customers/{number}",
        "CustomerNumber": number,
        "Name": name,
        "OrganisationNumber": "",
        "Address2": "",
        "City": "",
        "ZipCode": "",
        "Country": "",
        "Email": "",
        "EmailInvoice": "",
        "Phone1": "",
        "Phone2": "",
        "Fax": "",
        "WWW": "",
        "VATNumber": "",
        "VATType": "SEVAT",
        "Currency": "SEK",
        "Active": True,
        "Type": "COMPANY",
        "YourReference": "",
        "OurReference": "",
        "PriceList": "A",
        "TermsOfPayment": "",
        "Comments": "",
        "DeliveryName": "",
        "DeliveryAddress1": "",
        "DeliveryAddress2": "",
        "DeliveryCity": "",
        "DeliveryZipCode": "",
        "VisitingAddress": "",
        "VisitingZipCode": "",
        "VisitingCity": "",
        "VisitingCountry": "",
    }
    return _with(base, fields, _CUSTOMER_OPTIONAL)


def customer_list_item(number: str, name: str, **fields: Any) -> dict[str, Any]:
    """The reduced customer of a list, linking to the full one."""
    base: dict[str, Any] = {
        "@url": f"{API_BASE}/customers/{number}",
        "Address1": "",
        "Address2": "",
        "City": "",
        "CustomerNumber": number,
        "Email": "",
        "Name": name,
        "OrganisationNumber": "",
        "Phone": "",
        "ZipCode": "",
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
        "DocumentNumber": str(number),
        "CustomerNumber": customer_number,
        "CustomerName": customer_name,
        "Address1": "",
        "Address2": "",
        "City": "",
        "ZipCode": "",
        "Country": "",
        "OrganisationNumber": "",
        "Phone1": "",
        "Phone2": "",
        "DeliveryName": "",
        "DeliveryAddress1": "",
        "DeliveryAddress2": "",
        "DeliveryCity": "",
        "DeliveryZipCode": "",
        "DeliveryCountry": "",
        "Currency": "SEK",
        "CurrencyRate": D(1),
        "CurrencyUnit": 1,
        "OurReference": "",
        "YourReference": "",
        "Remarks": "",
        "Comments": "",
        "VATIncluded": False,
        "Freight": D(0),
        "AdministrationFee": D(0),
        "PriceList": "A",
        "Project": "",
        "CostCenter": "",
        "TermsOfPayment": "",
        "TermsOfDelivery": "",
        "WayOfDelivery": "",
        "Language": "SV",
        "Cancelled": False,
        "Sent": False,
    }


_DOCUMENT_OPTIONAL = frozenset({"DeliveryDate"})
_ORDER_REFERENCES = {
    "YourOrderNumber": "",
    "ExternalInvoiceReference1": "",
    "ExternalInvoiceReference2": "",
}


def _row(row_id: int, description: str, price: str, vat: int, total: str, discount: int) -> Any:
    """A row without an article; VAT is an integer on invoice and offer rows (spec)."""
    return {
        "RowId": row_id,
        "ArticleNumber": "",
        "Description": description,
        "Price": D(price),
        "Discount": D(discount),
        "DiscountType": "PERCENT",
        "VAT": vat,
        "Unit": "",
        "CostCenter": "",
        "Project": "",
        "HouseWork": False,
        "Total": D(total),
    }


def quantity(value: str) -> str:
    """A quantity as the spec types it: text, with at least two decimals."""
    return f"{D(value):.2f}" if D(value) == D(value).quantize(D("0.01")) else value


def invoice_row(
    row_id: int,
    description: str,
    amount: str,
    price: str,
    vat: int,
    total: str,
    discount: int = 0,
) -> dict[str, Any]:
    row = _row(row_id, description, price, vat, total, discount)
    return {**row, "DeliveredQuantity": quantity(amount), "TotalExcludingVAT": D(total)}


def order_row(
    row_id: int, description: str, amount: str, price: str, vat: int, total: str
) -> dict[str, Any]:
    row = _row(row_id, description, price, vat, total, 0)
    return {
        **row,
        "VAT": D(vat),
        "OrderedQuantity": quantity(amount),
        "DeliveredQuantity": quantity(amount),
        "ReservedQuantity": "0.00",
    }


def offer_row(
    row_id: int, description: str, amount: str, price: str, vat: int, total: str
) -> dict[str, Any]:
    return {**_row(row_id, description, price, vat, total, 0), "Quantity": quantity(amount)}


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
        "Credit": "false",
        "CreditInvoiceReference": "0",
        "OrderReference": "0",
        "OfferReference": "0",
        "Balance": amounts["Total"],
        "OCR": f"{number}8",  # the number and its Luhn check digit (8 for 1)
        "VoucherSeries": "",
        "NoxFinans": False,
        "InvoiceRows": rows,
    }
    optional = _DOCUMENT_OPTIONAL | {"VoucherNumber", "VoucherYear", "FinalPayDate"}
    return {"Invoice": _with(base, fields, optional)}


def order(
    number: int, rows: list[dict[str, Any]], amounts: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    """An order of customer 1 (Acme AB) dated 2024-06-01."""
    base = {
        **_header("orders", number, "1", "Acme AB"),
        **amounts,
        **_ORDER_REFERENCES,
        "CurrencyUnit": D(1),
        "OrderDate": "2024-06-01",
        "DeliveryState": "registration",
        "InvoiceReference": "0",
        "OfferReference": "0",
        "OrderType": "Order",
        "OrderRows": rows,
    }
    return {"Order": _with(base, fields, _DOCUMENT_OPTIONAL)}


def offer(
    number: int, rows: list[dict[str, Any]], amounts: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    """An offer of customer 1 (Acme AB) dated 2024-06-01, valid for 30 days."""
    base = {
        **_header("offers", number, "1", "Acme AB"),
        **amounts,
        "OfferDate": "2024-06-01",
        "ExpireDate": "2024-07-01",
        "OrderReference": "0",
        "InvoiceReference": "0",
        "OfferRows": rows,
    }
    return {"Offer": _with(base, fields, _DOCUMENT_OPTIONAL)}


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
                params={**BY_NUMBER, "limit": PAGE, "page": str(n)},
            )
            for n in (1, 2, 3)
        ),
        Reply(
            "GET",
            "/3/customers",
            200,
            page("Customers", [item(7), item(1001)], 1, 2, 1),
            # 15:00 UTC is 17:00 in Stockholm (summer time): lastmodified is Swedish local time
            params={**BY_NUMBER, "lastmodified": "2024-06-01 17:00", "limit": PAGE, "page": "1"},
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
                    "DeliveredQuantity": "3",
                },
                {
                    "Description": "Skruv",
                    "Price": D("0.10"),
                    "Discount": 10,
                    "DiscountType": "PERCENT",
                    "VAT": 12,
                    "DeliveredQuantity": "1.5",
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
        1, [invoice_row(2, "Licens", "2", "1250.50", 25, "2501.00")], amounts, OrderReference="1"
    )
    return [
        _acme_created(),
        Reply("POST", "/3/orders", 201, order(1, rows, amounts)),
        Reply("PUT", "/3/orders/1/createinvoice", 200, invoiced),
        Reply("GET", "/3/orders/1", 200, order(1, rows, amounts, InvoiceReference="1")),
    ]


def offer_becomes_order(fx: FixtureFortnox) -> Sequence[Reply]:
    amounts = totals(net="3800", vat="950")
    rows = [offer_row(1, "Projekt", "4", "950", 25, "3800")]
    ordered = order(
        1, [order_row(2, "Projekt", "4", "950", 25, "3800")], amounts, OfferReference="1"
    )
    return [
        _acme_created(),
        Reply("POST", "/3/offers", 201, offer(1, rows, amounts)),
        Reply("PUT", "/3/offers/1/createorder", 200, ordered),
        Reply("GET", "/3/offers/1", 200, offer(1, rows, amounts, OrderReference="1")),
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


def prices(items: list[dict[str, Any]]) -> dict[str, Any]:
    """An article's price sublist: the spec declares only ``Prices``; Fortnox's lists carry
    ``MetaInformation`` too (reference §1), which the client reads when present."""
    return page("Prices", items, 1, len(items), 1)


def price_list_item(article: str, from_quantity: int, price: str) -> dict[str, Any]:
    """An item of ``GET /3/prices/sublist/{PriceList}/{ArticleNumber}`` (the spec's slim
    ``PriceListItem``)."""
    return {
        "@url": f"{API_BASE}/prices/B/{article}/{from_quantity}",
        "ArticleNumber": article,
        "FromQuantity": D(from_quantity),
        "Price": D(price),
        "PriceList": "B",
    }


def price_import_with_a_chosen_price_list(fx: FixtureFortnox) -> Sequence[Reply]:
    sublist = "/3/prices/sublist/B/"
    return [
        Reply(
            "GET",
            sublist + "W1",
            200,
            prices([price_list_item("W1", 0, "100"), price_list_item("W1", 10, "90")]),
        ),
        Reply("GET", sublist + "W2", 200, prices([price_list_item("W2", 0, "49.50")])),
        # W3 has prices in list A only. Fortnox may answer 404 instead (unverified; the
        # client's unit tests cover both)
        Reply("GET", sublist + "W3", 200, prices([])),
        Reply(
            "GET",
            "/3/prices/sublist/GONE/W1",
            404,
            error(NO_VALID_IDENTIFIER, "Kan inte hitta prislistan."),
        ),
        Reply(
            "GET",
            "/3/pricelists/GONE",
            404,
            error(NO_VALID_IDENTIFIER, "Kan inte hitta prislistan."),
        ),
    ]


def offer_list_item(number: int) -> dict[str, Any]:
    """An offer as ``GET /3/offers`` lists it (the spec's ``OfferListItem``): the list fields
    of the full offer."""
    (full,) = offer(number, [], totals(net="100", vat="25")).values()
    listed = ("@url", "Cancelled", "Currency", "CustomerName", "CustomerNumber")
    return {
        **{name: full[name] for name in listed},
        "DocumentNumber": full["DocumentNumber"],
        "OfferDate": full["OfferDate"],
        "Project": full["Project"],
        "Sent": full["Sent"],
        "Total": full["Total"],
    }


def offers_paged_while_offers_are_added(fx: FixtureFortnox) -> Sequence[Reply]:
    listing = {"sortby": "id", "sortorder": "ascending", "limit": PAGE}
    rows = [offer_row(1, "Projekt", "1", "100", 25, "100")]
    amounts = totals(net="100", vat="25")
    created = [
        Reply(
            "POST",
            "/3/offers",
            201,
            offer(number, rows, amounts),
            sent={
                "Offer": {
                    "CustomerNumber": "1",
                    "OfferRows": [{"Description": "Projekt", "Price": 100, "Quantity": "1"}],
                }
            },
        )
        for number in (502, 503)
    ]
    return [
        Reply(
            "GET",
            "/3/offers",
            200,
            page("Offers", [offer_list_item(n) for n in range(1, 501)], 1, 501, 2),
            params={**listing, "page": "1"},
        ),
        *created,
        Reply(
            "GET",
            "/3/offers",
            200,
            page("Offers", [offer_list_item(n) for n in (501, 502, 503)], 2, 503, 2),
            params={**listing, "page": "2"},
        ),
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
        price_import_with_a_chosen_price_list,
        offers_paged_while_offers_are_added,
    )
}
