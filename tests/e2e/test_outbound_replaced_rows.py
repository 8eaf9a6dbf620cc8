"""A deal edited after it was sent so that none of its products is still on the document: the
document's rows become the new articles' rows (their description, unit and VAT), not the old
rows written over with another article number."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import edit, fortnox_list, link_demo_products, sync_order, win
from upsales_fortnox.vocabulary import JobStatus, SyncType

D = Decimal


@pytest.mark.parametrize(
    ("sync_type", "collection", "rows_key"),
    [(SyncType.INVOICE, "invoices", "InvoiceRows"), (SyncType.ORDER, "orders", "OrderRows")],
)
async def test_a_deal_whose_every_product_changed_gets_the_new_articles_rows(
    harness: SyncHarness, sync_type: SyncType, collection: str, rows_key: str
) -> None:
    await link_demo_products(harness)
    await harness.update_settings(sync_type=sync_type)
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    sent = await sync_order(harness, order_id)
    assert sent.status == JobStatus.DONE, sent.last_error
    number = (sent.result or {})[f"fortnox_{sync_type.value}"]
    products = harness.demo.product_ids_by_article_no
    training = {"product": {"id": products["UTB-DAG"]}, "quantity": 2, "listPrice": 9500}
    edited = edit(harness, "orders", order_id, {"orderRow": [{**training, "price": 9000}]})

    job = await sync_order(harness, order_id)

    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "updated"
    document = harness.fortnox_entity(collection, number)
    assert document is not None
    rows = [
        (r["ArticleNumber"], r["Description"], r["VAT"], r["Price"]) for r in document[rows_key]
    ]
    assert rows == [("UTB-DAG", "Utbildningsdag", 6, D(9000))]
    assert document["Net"] == edited["value"] == D(18000)
    assert document["TotalVAT"] == D(1080)  # 6 % of the training days, not 25 %
    assert len(fortnox_list(harness, collection)) == 1
    again = await sync_order(harness, order_id)  # the link keeps the rows the update left
    assert (again.result or {})["outcome"] == "no_change"
    edit(harness, "orders", order_id, {"orderRow": [{**training, "price": 9500}]})
    changed = await sync_order(harness, order_id)
    assert (changed.result or {})["outcome"] == "updated"
    document = harness.fortnox_entity(collection, number)
    assert document is not None
    assert [(r["ArticleNumber"], r["Price"]) for r in document[rows_key]] == [("UTB-DAG", D(9500))]
