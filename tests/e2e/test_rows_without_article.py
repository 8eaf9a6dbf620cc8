"""Fortnox rows without an article: imported onto the catch-all product, and that product on a
deal is a row without an article in Fortnox (never a product missing its article)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of, dead_jobs
from tests.e2e.outbound_support import jobs_of, run_now, sync_order, win
from tests.e2e.test_inbound_documents import (  # noqa: F401 (fixture)
    INVOICE_ROWS,
    invoice_module,
    orders_described,
)
from upsales_fortnox.domain.inbound.products import NO_ARTICLE_NAME, NO_ARTICLE_NUMBER
from upsales_fortnox.integrations.fortnox.models import Invoice
from upsales_fortnox.vocabulary import JobStatus


async def test_an_imported_invoice_with_a_text_row_is_left_as_fortnox_has_it(
    invoice_module: SyncHarness,  # noqa: F811
) -> None:
    harness = invoice_module
    harness.connect_upsales_hooks()
    context = await context_of(harness)
    invoice = await context.fortnox.create_invoice(
        Invoice(CustomerNumber="1001", InvoiceDate=dt.date(2024, 5, 20), InvoiceRows=INVOICE_ROWS)
    )
    number = str(invoice.DocumentNumber)
    await EventFeed(harness).sync()
    (order,) = orders_described(harness, f"Fortnox-faktura {number}")
    before = harness.fortnox_entity("invoices", number)

    # the hook of the order's creation, then a sales rep's note on it
    harness.upsales.update_entity(
        harness.demo.customer_id,
        "orders",
        order["id"],
        {"notes": "Frakt ingår"},
        user_id=harness.demo.sales_rep_user_ids[0],
    )
    await harness.upsales.flush_hooks()
    await run_now(harness)

    assert await dead_jobs(harness) == []
    jobs = await jobs_of(harness, "upsales.order")
    assert jobs and all(job.status == JobStatus.DONE for job in jobs)
    assert {(job.result or {}).get("outcome") for job in jobs} == {"no_change"}
    assert harness.fortnox_entity("invoices", number) == before


def _catch_all_product(harness: SyncHarness, name: str) -> dict[str, Any]:
    """The Upsales product of Fortnox rows without an article (its article number), so named."""
    return dict(
        harness.upsales.create_entity(
            harness.demo.customer_id,
            "products",
            {"name": name, "articleNo": NO_ARTICLE_NUMBER, "listPrice": 0},
            fire_hooks=False,
        )
    )


async def test_the_catch_all_product_on_a_won_deal_is_a_row_without_article(
    linked: SyncHarness,
) -> None:
    harness = linked
    catch_all = _catch_all_product(harness, NO_ARTICLE_NAME)
    order_id = harness.demo.opportunity_id
    rows = [
        {
            "quantity": 2,
            "price": 4410,
            "listPrice": 4900,
            "product": {"id": harness.demo.product_ids_by_article_no["LIC-BAS"]},
        },
        {"quantity": 1, "price": "95.50", "listPrice": "95.50", "product": {"id": catch_all["id"]}},
    ]
    upsales_order = win(harness, order_id, orderRow=rows)

    job = await sync_order(harness, order_id)

    assert job.status == JobStatus.DONE, job.last_error
    invoice = harness.fortnox_entity("invoices", (job.result or {})["fortnox_invoice"])
    assert invoice is not None
    assert [
        (r["ArticleNumber"], r["Description"], r["DeliveredQuantity"], r["Price"])
        for r in invoice["InvoiceRows"]
    ] == [
        ("LIC-BAS", "Licens Bas", "2.00", Decimal(4410)),
        ("", NO_ARTICLE_NAME, "1.00", Decimal("95.50")),
    ]
    assert invoice["Net"] == upsales_order["value"] == Decimal("8915.50")
    # sent again unchanged: nothing to do
    again = await sync_order(harness, order_id)
    assert (again.result or {}).get("outcome") == "no_change", again.result


async def test_a_row_without_article_named_past_fortnox_row_text_limit_is_cut_to_it(
    linked: SyncHarness,
) -> None:
    """A row's ``Description`` holds 255 characters (the spec's ``fortnox_Invoice_InvoiceRow``;
    the sandbox refuses more): a catch-all product a sales rep gave a long name sends its first
    255, the deal is not refused, and sent again unchanged it is left alone."""
    harness = linked
    name = "Installation och driftsättning enligt avtal 2026-114, " * 6  # 330 characters
    catch_all = _catch_all_product(harness, name)
    order_id = harness.demo.opportunity_id
    rows = [{"quantity": "2.5", "price": "1200", "listPrice": "1200", "product": catch_all}]
    upsales_order = win(harness, order_id, orderRow=rows)

    job = await sync_order(harness, order_id)

    assert job.status == JobStatus.DONE, job.last_error
    invoice = harness.fortnox_entity("invoices", (job.result or {})["fortnox_invoice"])
    assert invoice is not None
    (row,) = invoice["InvoiceRows"]
    assert (row["ArticleNumber"], row["Description"]) == ("", name[:255])
    assert invoice["Net"] == upsales_order["value"] == Decimal(3000)
    again = await sync_order(harness, order_id)
    assert (again.result or {}).get("outcome") == "no_change", again.result
