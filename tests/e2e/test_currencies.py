"""A deal in a foreign currency becomes a Fortnox document in that currency with the deal's rate,
and back; net values agree to the öre in the document's currency."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.harness import FAST_FORTNOX_LIMIT, SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of, dead_jobs
from tests.e2e.outbound_support import (
    edit,
    job,
    link_demo_products,
    queue,
    run_now,
    sync_order,
    win,
)
from ufs_sandboxes.fortnox import FortnoxSandboxConfig, create_fortnox_sandbox
from ufs_sandboxes.upsales import create_upsales_sandbox, seed_demo_upsales
from upsales_fortnox.domain.currency import fortnox_rate, upsales_rate
from upsales_fortnox.domain.inbound.document_changes import OrderReferences, order_content
from upsales_fortnox.domain.outbound.mapping import map_order
from upsales_fortnox.domain.outbound.money import round_ore
from upsales_fortnox.integrations.fortnox.models import Invoice, InvoiceRow
from upsales_fortnox.integrations.jsonwire import FORTNOX_JSON
from upsales_fortnox.integrations.upsales.models import Order
from upsales_fortnox.jobs import retry_dead_job
from upsales_fortnox.vocabulary import FortnoxType, JobStatus, ProductBundleMode

D = Decimal
FOREIGN = ["EUR", "USD", "NOK", "DKK", "GBP"]
ARTICLES = ["KONS-1", "LIC-BAS", "UTB-DAG"]


# --- the property, over currencies, rates and rows, against both sandboxes' totals -----------

rates = st.decimals(min_value=D("0.0005"), max_value=D("5000"), places=6).filter(lambda r: r > 0)
rows = st.lists(
    st.tuples(
        st.sampled_from(ARTICLES),
        st.one_of(  # quantity: whole (most deals), or with decimals
            st.integers(min_value=1, max_value=500).map(D),
            st.decimals(min_value=D("0.01"), max_value=D("500"), places=2),
        ),
        st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2),  # price
    ),
    min_size=1,
    max_size=5,
)


class _World:
    """Both sandboxes, a Fortnox customer and the Upsales demo account, made once."""

    def __init__(self) -> None:
        self.fortnox = create_fortnox_sandbox(
            FortnoxSandboxConfig(client_id="c", client_secret="s", rate_limit=FAST_FORTNOX_LIMIT)
        )
        self.upsales = create_upsales_sandbox()
        self.demo = seed_demo_upsales(self.upsales)
        self.upsales.seed_many(
            self.demo.customer_id,
            {"currencies": [{"iso": code, "rate": "1"} for code in FOREIGN if code != "EUR"]},
        )
        tenant = self.fortnox.default_tenant_id
        assert tenant is not None
        self.fortnox.seed(
            tenant,
            customers=[{"CustomerNumber": "1001", "Name": "Nordisk Verkstad AB"}],
            articles=[{"ArticleNumber": a, "Description": a} for a in ARTICLES],
        )
        self.token = self.fortnox.issue_tokens(tenant).access_token
        self.articles = {pid: a for a, pid in self.demo.product_ids_by_article_no.items()}


_WORLD: _World | None = None


def _world() -> _World:
    global _WORLD
    if _WORLD is None:
        _WORLD = _World()
    return _WORLD


async def _post_invoice(world: _World, body: dict[str, Any]) -> Invoice:
    transport = httpx.ASGITransport(app=world.fortnox.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fortnox.sandbox") as http:
        response = await http.post(
            "/3/invoices",
            content=FORTNOX_JSON.dumps({"Invoice": body}),
            headers={
                "Authorization": f"Bearer {world.token}",
                "Accept": "application/json",
                "Content-Type": "application/json",
            },
        )
    assert response.status_code == 201, response.text
    return Invoice.model_validate(response.json()["Invoice"])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(currency=st.sampled_from(FOREIGN), rate=rates, lines=rows)
def test_net_stays_equal_to_the_ore_both_ways(
    currency: str, rate: Decimal, lines: list[tuple[str, Decimal, Decimal]]
) -> None:
    world = _world()
    products = world.demo.product_ids_by_article_no
    body = {
        "description": "Affär i utländsk valuta",
        "date": "2026-11-30",
        "user": {"id": world.demo.sales_rep_user_ids[0]},
        "client": {"id": world.demo.account_ids[0]},
        "stage": {"id": world.demo.stage_won_id},
        "probability": 100,
        "currency": currency,
        "currencyRate": str(rate),
        "orderRow": [
            {
                "quantity": str(q),
                "price": str(p),
                "listPrice": str(p),
                "product": {"id": products[a]},
            }
            for a, q, p in lines
        ],
    }
    deal = Order.model_validate(
        world.upsales.create_entity(world.demo.customer_id, "orders", body, fire_hooks=False)
    )
    draft = map_order(
        deal,
        fortnox_type=FortnoxType.INVOICE,
        customer_number="1001",
        article_numbers=world.articles,
        bundle_mode=ProductBundleMode.ONLY_BUNDLE,
    )
    invoice = asyncio.run(_post_invoice(world, draft.to_fortnox().to_wire()))

    # Upsales → Fortnox: same currency, the deal's rate, the net to the öre
    assert invoice.Currency == currency
    expected_rate = fortnox_rate(rate)
    assert expected_rate is not None
    assert invoice.CurrencyRate == expected_rate.rate
    assert invoice.CurrencyUnit == expected_rate.unit
    assert deal.value is not None
    assert invoice.Net == round_ore(deal.value) == draft.net
    assert invoice.Net is not None

    # Fortnox → Upsales: the order in that currency, the document's rate, the same net
    refs = OrderReferences(company_id=world.demo.account_ids[0], user_id=1, product_ids=products)
    back = order_content(invoice, refs, today=dt.date(2026, 11, 30))
    assert back.currency == currency
    assert back.currencyRate == upsales_rate(invoice.CurrencyRate, invoice.CurrencyUnit)
    assert back.currencyRate is not None
    # the rate comes back as the deal's: sent and read back with 12 significant digits
    assert abs(back.currencyRate - rate) <= rate * D("0.00000000001")
    rows_back = back.orderRow or []
    value_back = sum((D(r.quantity or 0) * D(r.price or 0) for r in rows_back), D(0))
    if all(q == q.to_integral_value() for _, q, _ in lines):
        assert round_ore(value_back) == invoice.Net
    else:  # a fractional quantity: unit prices are kept to 4 decimals (inbound documents.py)
        slack = sum((q for _, q, _ in lines), D(0)) * D("0.00005")
        assert abs(value_back - invoice.Net) <= slack


# --- end to end, through the service, on SQLite and PostgreSQL --------------------------------


async def test_a_won_deal_in_euro_becomes_a_euro_invoice_at_its_rate(harness: SyncHarness) -> None:
    await link_demo_products(harness)
    order_id = harness.demo.opportunity_id
    won = win(harness, order_id, currency="EUR", currencyRate="0.087")

    job = await sync_order(harness, order_id)

    assert job.status == JobStatus.DONE, job.last_error
    invoice = harness.fortnox_entity("invoices", (job.result or {})["fortnox_invoice"])
    assert invoice is not None
    assert invoice["Currency"] == "EUR"
    assert invoice["CurrencyRate"] == D("11.4942528736") and invoice["CurrencyUnit"] == 1
    assert invoice["Net"] == won["value"]
    assert invoice["RoundOff"] == 0  # öresutjämning is for SEK only
    # the echo of our own write: nothing to change
    again = await sync_order(harness, order_id)
    assert (again.result or {})["outcome"] == "no_change"


async def test_a_euro_deal_moved_back_to_kronor_is_valued_at_rate_one(
    harness: SyncHarness,
) -> None:
    """A sent euro deal edited to SEK: the invoice's rate goes back to 1 with its currency, not
    left at the euro's rate (which would book the krona amounts at 11.49 SEK each)."""
    await link_demo_products(harness)
    order_id = harness.demo.opportunity_id
    win(harness, order_id, currency="EUR", currencyRate="0.087")
    number = ((await sync_order(harness, order_id)).result or {})["fortnox_invoice"]
    edited = edit(harness, "orders", order_id, {"currency": "SEK", "currencyRate": 1})

    job = await sync_order(harness, order_id)

    assert (job.result or {})["outcome"] == "updated", job.last_error
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None
    assert (invoice["Currency"], invoice["CurrencyRate"], invoice["CurrencyUnit"]) == ("SEK", 1, 1)
    assert invoice["Net"] == edited["value"]
    again = await sync_order(harness, order_id)
    assert (again.result or {})["outcome"] == "no_change"


async def test_a_dollar_invoice_in_fortnox_becomes_a_dollar_order(harness: SyncHarness) -> None:
    await link_demo_products(harness)
    harness.upsales.seed_many(
        harness.demo.customer_id, {"currencies": [{"iso": "USD", "rate": "0.1"}]}
    )
    invoice = await _foreign_invoice(
        harness,
        ("7001", "Atlantic Ltd", "USD", D("10.25")),
        [
            InvoiceRow(ArticleNumber="KONS-1", DeliveredQuantity=D("3.5"), Price=D("120.10")),
            InvoiceRow(ArticleNumber="LIC-BAS", DeliveredQuantity=D(1), Price=D("99.99")),
        ],
    )
    await EventFeed(harness).sync()

    (order,) = [
        o
        for o in harness.upsales_entities("orders")
        if o["description"] == f"Fortnox-faktura {invoice.DocumentNumber}"
    ]
    stored = harness.fortnox_entity("invoices", str(invoice.DocumentNumber))
    assert stored is not None and stored["CurrencyRate"] == D("10.25")
    assert order["currency"] == "USD"
    assert order["currencyRate"] == upsales_rate(D("10.25"), D(1)) == D("0.0975609756097561")
    assert order["value"] == stored["Net"] == D("3.5") * D("120.10") + D("99.99")


async def test_a_euro_invoice_moved_back_to_kronor_makes_its_order_a_krona_order(
    harness: SyncHarness,
) -> None:
    """The bookkeeper changes an imported euro invoice to SEK: its order follows, valued at
    rate 1 (not left in euro at the euro's rate, worth 11 times its krona amount)."""
    await link_demo_products(harness)
    harness.fortnox.seed(
        harness.tenant_id, customers=[{"CustomerNumber": "7003", "Name": "Euro Kund AB"}]
    )
    context = await context_of(harness)
    rows = [InvoiceRow(ArticleNumber="KONS-1", DeliveredQuantity=D(2), Price=D(500))]
    invoice = await context.fortnox.create_invoice(
        Invoice(
            CustomerNumber="7003",
            Currency="EUR",
            CurrencyRate=D("11.50"),
            CurrencyUnit=D(1),
            InvoiceRows=rows,
        )
    )
    await EventFeed(harness).sync()
    await context.fortnox.update_invoice(
        invoice.DocumentNumber or 0,
        Invoice(Currency="SEK", CurrencyRate=D(1), CurrencyUnit=D(1), InvoiceRows=rows),
    )
    await EventFeed(harness).sync()

    (order,) = [
        o
        for o in harness.upsales_entities("orders")
        if o["description"] == f"Fortnox-faktura {invoice.DocumentNumber}"
    ]
    assert (order["currency"], order["currencyRate"]) == ("SEK", 1)
    assert order["value"] == order["valueInMasterCurrency"] == D(1000)


async def test_a_foreign_invoice_without_a_rate_gets_the_register_rate(
    harness: SyncHarness,
) -> None:
    """The sandbox follows Fortnox: a document in a foreign currency is valued at the day's
    rate when the request names none (and SEK documents at 1)."""
    harness.fortnox.seed(
        harness.tenant_id, customers=[{"CustomerNumber": "7002", "Name": "Euro GmbH"}]
    )
    context = await context_of(harness)
    euro = await context.fortnox.create_invoice(
        Invoice(CustomerNumber="7002", Currency="EUR", InvoiceRows=[])
    )
    krona = await context.fortnox.create_invoice(
        Invoice(CustomerNumber="7002", CurrencyRate=D(5), InvoiceRows=[])
    )
    rate, unit = harness.fortnox.tenant(harness.tenant_id).currency_rates["EUR"]
    assert (euro.CurrencyRate, euro.CurrencyUnit) == (rate, unit)
    assert (krona.Currency, krona.CurrencyRate) == ("SEK", 1)


async def test_products_get_their_price_in_each_mapped_currency(harness: SyncHarness) -> None:
    harness.fortnox.seed(
        harness.tenant_id,
        pricelists=[
            {"Code": "EURO", "Description": "Euro"},
            {"Code": "USD", "Description": "Dollar"},
        ],
        articles=[{"ArticleNumber": "KONS-1", "Description": "Konsulttimme"}],
        prices=[
            {"PriceList": "A", "ArticleNumber": "KONS-1", "Price": 1250},
            {"PriceList": "EURO", "ArticleNumber": "KONS-1", "Price": "109.50"},
        ],
    )
    await harness.update_settings(currency_price_lists={"EUR": "EURO", "USD": "USD"})
    harness.upsales.seed_many(
        harness.demo.customer_id, {"currencies": [{"iso": "NOK", "rate": "0.98"}]}
    )
    product_id = harness.demo.product_ids_by_article_no["KONS-1"]
    edit(harness, "products", product_id, {"currencies": [{"currency": "NOK", "price": 1300}]})
    before = Counter(harness.services.fortnox_calls)

    job_id = await queue(harness, "fortnox.article", "KONS-1")
    await run_now(harness)

    done = await job(harness, job_id)
    assert done.status == JobStatus.DONE, done.last_error
    result = done.result or {}
    # USD's list has no price for the article: left out, not set to 0
    assert result["currencies"] == {"prices": {"EUR": "109.5"}, "written": "written"}
    product = harness.upsales_entity("products", product_id)
    assert product is not None and product["listPrice"] == D(1250)
    prices = {c["currency"]: D(str(c["price"])) for c in product["currencies"]}
    assert prices == {"NOK": D(1300), "EUR": D("109.50")}  # NOK kept: not ours
    calls = Counter(harness.services.fortnox_calls)
    calls.subtract(before)
    assert calls["GET /prices/sublist/{PriceList}/{ArticleNumber}"] == 3  # A, EURO, USD

    again = await queue(harness, "fortnox.article", "KONS-1")
    await run_now(harness)
    assert ((await job(harness, again)).result or {})["currencies"]["written"] == "unchanged"


async def test_an_invoice_in_a_currency_upsales_lacks_is_told_and_made_once_it_is_added(
    harness: SyncHarness,
) -> None:
    """Upsales refuses the order of a Norwegian-krone invoice while its account has no NOK: the
    job dies naming the currency (not in Upsales' own words), and once an administrator adds
    the currency the retried job makes the order, in NOK at the invoice's rate."""
    await link_demo_products(harness)
    invoice = await _foreign_invoice(
        harness,
        ("7002", "Fjord AS", "NOK", D("0.98")),
        [InvoiceRow(ArticleNumber="KONS-1", DeliveredQuantity=D(2), Price=D(900))],
    )
    await EventFeed(harness).sync()

    (dead,) = await dead_jobs(harness)
    assert (dead.last_error or "").startswith("upsales_currency_missing:"), dead.last_error
    assert "NOK" in (dead.last_error or "")
    description = f"Fortnox-faktura {invoice.DocumentNumber}"
    assert not [o for o in harness.upsales_entities("orders") if o["description"] == description]

    harness.upsales.seed_many(
        harness.demo.customer_id, {"currencies": [{"iso": "NOK", "rate": "1.02"}]}
    )
    async with harness.services.session_factory() as session:
        await retry_dead_job(session, dead.id)
        await session.commit()
    await harness.run_jobs()

    (order,) = [o for o in harness.upsales_entities("orders") if o["description"] == description]
    assert order["currency"] == "NOK"
    assert order["currencyRate"] == upsales_rate(D("0.98"), D(1))
    assert order["value"] == D(1800)
    assert await dead_jobs(harness) == []


async def _foreign_invoice(
    harness: SyncHarness, customer: tuple[str, str, str, Decimal], rows: list[InvoiceRow]
) -> Invoice:
    """A Fortnox invoice made by the bookkeeper for a new customer (number, name, currency,
    rate: SEK per unit) in that customer's currency."""
    number, name, currency, rate = customer
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[{"CustomerNumber": number, "Name": name, "Currency": currency}],
    )
    context = await context_of(harness)
    return await context.fortnox.create_invoice(
        Invoice(
            CustomerNumber=number,
            Currency=currency,
            CurrencyRate=rate,
            CurrencyUnit=D(1),
            InvoiceDate=dt.date(2026, 11, 20),
            InvoiceRows=rows,
        )
    )
