"""Contract scenarios of the Fortnox client, each run against the fixtures and the sandbox.

A scenario is a plain async function of a :class:`FortnoxContract`. It may arrange what
exists beforehand through the backend's ``given_*`` methods and then only uses the client.
The fixtures for each scenario are in ``fortnox_fixtures.SCRIPTS`` under the same name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tests.contracts.fortnox_backends import BUDGET, FortnoxContract
from upsales_fortnox.integrations.errors import ReauthorizationRequired
from upsales_fortnox.integrations.fortnox.errors import (
    CODE_NUMBER_IN_USE,
    FortnoxNotFound,
    FortnoxNumberInUse,
)
from upsales_fortnox.integrations.fortnox.facts import OFFER_SORT_KEY
from upsales_fortnox.integrations.fortnox.models import (
    Customer,
    Invoice,
    InvoiceRow,
    Offer,
    OfferRow,
    Order,
    OrderRow,
)
from upsales_fortnox.sync.inbound.pricing import article_prices
from upsales_fortnox.vocabulary import InstallationStatus

CUSTOMER_NOT_FOUND_CODE = 2000433
"""Fortnox's code for an unknown customer number. Not in the reference's table; taken from the
error list public client libraries copy (the sandbox uses the same)."""
SEEDED_CUSTOMERS = 1050
"""Three pages of at most 500."""
SEEDED_OFFERS = 501
"""One full page of 500, and one more offer."""
PRICED_ARTICLES = ["W1", "W2", "W3"]


def seeded_offer() -> dict[str, Any]:
    return {
        "CustomerNumber": "1",
        "OfferDate": "2024-06-01",
        "OfferRows": [{"Description": "Projekt", "Quantity": "1", "Price": 100}],
    }


def offer_row_draft() -> OfferRow:
    return OfferRow(Description="Projekt", Quantity=Decimal(1), Price=Decimal(100))


def seeded_customer(number: int) -> dict[str, Any]:
    return {"Name": f"Kund {number:04d} AB", "City": "Malmö", "CountryCode": "SE"}


async def customer_create_get_update(api: FortnoxContract) -> None:
    created = await api.client.create_customer(
        Customer(
            Name="Acme AB",
            OrganisationNumber="556677-8899",
            CountryCode="SE",
            City="Malmö",
            Email="info@acme.se",
        )
    )
    assert created.CustomerNumber == "1"  # assigned by Fortnox
    assert created.Country == "Sverige"  # read-only, derived from CountryCode

    fetched = await api.client.get_customer("1")
    assert (fetched.Name, fetched.OrganisationNumber, fetched.City) == (
        "Acme AB",
        "556677-8899",
        "Malmö",
    )

    updated = await api.client.update_customer("1", Customer(City="Lund"))
    assert (updated.Name, updated.City) == ("Acme AB", "Lund")  # PUT changes what is sent
    assert (await api.client.get_customer("1")).City == "Lund"


async def customers_paged_and_by_lastmodified(api: FortnoxContract) -> None:
    api.backend.given_customers(seeded_customer(n) for n in range(1, SEEDED_CUSTOMERS + 1))
    # Three hours later (the access token is refreshed on the way), so the seeded customers
    # lie before the lastmodified window (Swedish local time, as Fortnox reads it).
    api.time.advance(3 * 3600)
    changed_since = api.time.wall()
    await api.client.update_customer("7", Customer(City="Lund"))
    await api.client.update_customer("1001", Customer(City="Umeå"))

    everyone = [customer async for customer in api.client.iter_customers()]
    changed = [
        customer async for customer in api.client.iter_customers(last_modified=changed_since)
    ]

    assert api.client.calls["GET /customers"] == 3 + 1
    assert [c.CustomerNumber for c in everyone] == [str(n) for n in range(1, SEEDED_CUSTOMERS + 1)]
    assert everyone[41].Name == "Kund 0042 AB"
    assert everyone[0].url is not None  # list items are subsets that link to the entity
    assert sorted((c.CustomerNumber, c.City) for c in changed) == [("1001", "Umeå"), ("7", "Lund")]


async def customer_not_found(api: FortnoxContract) -> None:
    with pytest.raises(FortnoxNotFound) as caught:
        await api.client.get_customer("404")

    assert (caught.value.status, caught.value.fortnox_code) == (404, CUSTOMER_NOT_FOUND_CODE)
    assert not caught.value.retryable


async def customer_number_never_reused(api: FortnoxContract) -> None:
    await api.client.create_customer(Customer(CustomerNumber="K-100", Name="Acme AB"))
    await api.client.delete_customer("K-100")

    with pytest.raises(FortnoxNumberInUse) as caught:
        await api.client.create_customer(Customer(CustomerNumber="K-100", Name="Acme Två AB"))

    assert (caught.value.status, caught.value.fortnox_code) == (400, CODE_NUMBER_IN_USE)
    assert not caught.value.retryable


async def rate_limited_then_paced_retry(api: FortnoxContract) -> None:
    await api.client.create_customer(Customer(Name="Acme AB"))
    api.backend.given_budget_used_up()
    started = api.time()

    customer = await api.client.get_customer("1")

    assert customer.Name == "Acme AB"
    assert api.client.calls["GET /customers/{CustomerNumber}"] > 1  # throttled at first
    waited = api.time() - started
    assert BUDGET.window_seconds <= waited < 2 * BUDGET.window_seconds


async def expired_access_token_is_refreshed(api: FortnoxContract) -> None:
    await api.client.create_customer(Customer(Name="Acme AB"))
    api.time.advance(3601)  # Fortnox's hour is up; the store's own clock has not noticed

    customer = await api.client.get_customer("1")

    assert customer.Name == "Acme AB"
    assert api.client.calls["GET /customers/{CustomerNumber}"] == 2
    assert await api.token_store.access_token(api.installation_id) != api.first_tokens.access_token


async def reused_refresh_token_needs_a_new_login(api: FortnoxContract) -> None:
    await api.client.create_customer(Customer(Name="Acme AB"))
    # Someone else spent the single-use refresh token (and lost the new pair).
    await api.oauth.refresh(api.first_tokens.refresh_token)
    api.time.advance(3601)

    with pytest.raises(ReauthorizationRequired):
        await api.client.get_customer("1")

    assert await api.installation_status() == InstallationStatus.NEEDS_RELOGIN


async def invoice_rows_and_exact_totals(api: FortnoxContract) -> None:
    await api.client.create_customer(Customer(Name="Acme AB"))
    created = await api.client.create_invoice(
        Invoice(
            CustomerNumber="1",
            InvoiceDate=date(2024, 6, 1),
            InvoiceRows=[
                InvoiceRow(
                    Description="Konsulttimme",
                    DeliveredQuantity=Decimal("3"),
                    Price=Decimal("99.90"),
                    VAT=Decimal("25"),
                ),
                InvoiceRow(
                    Description="Skruv",
                    DeliveredQuantity=Decimal("1.5"),
                    Price=Decimal("0.10"),
                    Discount=Decimal("10"),
                    DiscountType="PERCENT",
                    VAT=Decimal("12"),
                ),
            ],
        )
    )
    read = await api.client.get_invoice(created.DocumentNumber or 0)

    for invoice in (created, read):
        assert invoice.DocumentNumber == 1
        assert invoice.InvoiceRows is not None
        assert [row.Total for row in invoice.InvoiceRows] == [Decimal("299.70"), Decimal("0.14")]
        assert (invoice.Net, invoice.TotalVAT, invoice.Total) == (
            Decimal("299.84"),
            Decimal("74.94"),
            Decimal("374.78"),
        )
        assert all(type(v) is Decimal for v in (invoice.Net, invoice.TotalVAT, invoice.Total))
        assert invoice.InvoiceRows[1].Price == Decimal("0.10")


async def order_becomes_invoice(api: FortnoxContract) -> None:
    await api.client.create_customer(Customer(Name="Acme AB"))
    order = await api.client.create_order(
        Order(
            CustomerNumber="1",
            OrderDate=date(2024, 6, 1),
            OrderRows=[
                OrderRow(
                    Description="Licens",
                    OrderedQuantity=Decimal("2"),
                    DeliveredQuantity=Decimal("2"),
                    Price=Decimal("1250.50"),
                    VAT=Decimal("25"),
                )
            ],
        )
    )
    assert order.DocumentNumber is not None

    invoice = await api.client.create_invoice_from_order(order.DocumentNumber)

    assert invoice.OrderReference == str(order.DocumentNumber)
    assert invoice.Total == order.Total == Decimal("3126.25")
    assert invoice.InvoiceRows is not None
    assert [row.DeliveredQuantity for row in invoice.InvoiceRows] == [Decimal("2")]
    invoiced = await api.client.get_order(order.DocumentNumber)
    assert invoiced.InvoiceReference == str(invoice.DocumentNumber)


async def offer_becomes_order(api: FortnoxContract) -> None:
    await api.client.create_customer(Customer(Name="Acme AB"))
    offer = await api.client.create_offer(
        Offer(
            CustomerNumber="1",
            OfferDate=date(2024, 6, 1),
            OfferRows=[
                OfferRow(Description="Projekt", Quantity=Decimal("4"), Price=Decimal("950"))
            ],
        )
    )
    assert offer.DocumentNumber is not None

    order = await api.client.create_order_from_offer(offer.DocumentNumber)

    assert order.OfferReference == str(offer.DocumentNumber)
    assert order.OrderRows is not None
    assert [row.OrderedQuantity for row in order.OrderRows] == [Decimal("4")]
    assert order.Total == offer.Total == Decimal("4750")
    assert (await api.client.get_offer(offer.DocumentNumber)).OrderReference == str(
        order.DocumentNumber
    )


async def documents_cancelled(api: FortnoxContract) -> None:
    await api.client.create_customer(Customer(Name="Acme AB"))
    rows = [OrderRow(Description="Licens", OrderedQuantity=Decimal("1"), Price=Decimal("100"))]
    order = await api.client.create_order(Order(CustomerNumber="1", OrderRows=rows))
    invoice = await api.client.create_invoice(
        Invoice(
            CustomerNumber="1",
            InvoiceRows=[
                InvoiceRow(
                    Description="Licens", DeliveredQuantity=Decimal("1"), Price=Decimal("100")
                )
            ],
        )
    )
    assert order.DocumentNumber is not None and invoice.DocumentNumber is not None

    cancelled_order = await api.client.cancel_order(order.DocumentNumber)
    cancelled_invoice = await api.client.cancel_invoice(invoice.DocumentNumber)

    assert cancelled_order.Cancelled is True and cancelled_invoice.Cancelled is True
    assert (await api.client.get_order(order.DocumentNumber)).Cancelled is True
    assert (await api.client.get_invoice(invoice.DocumentNumber)).Cancelled is True


async def price_import_with_a_chosen_price_list(api: FortnoxContract) -> None:
    api.backend.given(
        pricelists=[{"Code": "B", "Description": "Återförsäljare"}],
        articles=[{"ArticleNumber": n, "Description": f"Artikel {n}"} for n in PRICED_ARTICLES],
        prices=[
            {"PriceList": "B", "ArticleNumber": "W1", "FromQuantity": 10, "Price": 90},
            {"PriceList": "B", "ArticleNumber": "W1", "FromQuantity": 0, "Price": 100},
            {"PriceList": "B", "ArticleNumber": "W2", "FromQuantity": 0, "Price": "49.50"},
            {"PriceList": "A", "ArticleNumber": "W3", "FromQuantity": 0, "Price": 7},
        ],
    )

    prices = await article_prices(api.client, "B", PRICED_ARTICLES, concurrency=1)

    assert prices == {"W1": Decimal(100), "W2": Decimal("49.50")}  # W3 has no price in B
    assert api.client.calls["GET /prices/sublist/{PriceList}/{ArticleNumber}"] == 3  # one each
    # an unpriced article may answer 404 (then the list is checked once) or an empty list
    assert set(api.client.calls) <= {
        "GET /prices/sublist/{PriceList}/{ArticleNumber}",
        "GET /pricelists/{Code}",
    }
    with pytest.raises(FortnoxNotFound):
        await api.client.article_prices("GONE", "W1")


async def offers_paged_while_offers_are_added(api: FortnoxContract) -> None:
    api.backend.given_customers([{"Name": "Acme AB"}])
    api.backend.given(offers=[seeded_offer() for _ in range(SEEDED_OFFERS)])

    first = await api.client.list_page(Offer, 1, sort_by=OFFER_SORT_KEY)
    for _ in range(2):  # a salesperson makes two offers while the import pages
        await api.client.create_offer(Offer(CustomerNumber="1", OfferRows=[offer_row_draft()]))
    second = await api.client.list_page(Offer, 2, sort_by=OFFER_SORT_KEY)

    seen = [item.DocumentNumber for page in (first, second) for item in page.items]
    assert seen == list(range(1, SEEDED_OFFERS + 3))  # none skipped, none repeated
    assert (second.total_resources, second.total_pages) == (SEEDED_OFFERS + 2, 2)


Scenario = Callable[[FortnoxContract], Awaitable[None]]
SCENARIOS: list[Scenario] = [
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
]
