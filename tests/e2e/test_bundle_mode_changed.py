"""A deal sent while ``productBundles`` was one mode, after an administrator changes the mode:
an edit of the deal that changes none of its rows sends nothing, so the bookkeeper's invoice is
neither rewritten in the new mode nor, booked, reported to the sales rep as a change that could
not be sent. The new mode applies to deals sent since, and to a deal whose rows change."""

from __future__ import annotations

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import edit, link_demo_products, sync_order, win
from tests.e2e.test_outbound_bundles import _bundle_product
from ufs_sandboxes.fortnox.resources.document_actions import bookkeep_invoice
from upsales_fortnox.vocabulary import JobStatus, ProductBundleMode


async def _sent_with_a_bundle(harness: SyncHarness, mode: ProductBundleMode) -> str:
    await link_demo_products(harness)
    await harness.update_settings(product_bundles=mode)
    bundle_id = await _bundle_product(harness)
    row = {"product": {"id": bundle_id}, "quantity": 2, "listPrice": "15000", "price": "13500"}
    win(harness, harness.demo.opportunity_id, orderRow=[row])
    sent = await sync_order(harness, harness.demo.opportunity_id)
    assert sent.status == JobStatus.DONE, sent.last_error
    return str((sent.result or {})["fortnox_invoice"])


@pytest.mark.parametrize(
    ("sent_in", "changed_to"),
    [
        (ProductBundleMode.ONLY_BUNDLE, ProductBundleMode.ONLY_SUB_PRODUCTS),
        (ProductBundleMode.BUNDLE_AND_SUB_PRODUCTS, ProductBundleMode.ONLY_BUNDLE),
    ],
)
async def test_an_edit_of_no_row_after_the_mode_changed_leaves_the_booked_invoice(
    harness: SyncHarness, sent_in: ProductBundleMode, changed_to: ProductBundleMode
) -> None:
    number = await _sent_with_a_bundle(harness, sent_in)
    bookkeep_invoice(harness.fortnox.tenant(harness.tenant_id), number)
    rows_before = harness.fortnox_entity("invoices", number)["InvoiceRows"]  # type: ignore[index]
    await harness.update_settings(product_bundles=changed_to)

    edit(harness, "orders", harness.demo.opportunity_id, {"description": "Avtal signerat"})
    job = await sync_order(harness, harness.demo.opportunity_id)

    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "no_change"
    assert harness.fortnox_entity("invoices", number)["InvoiceRows"] == rows_before  # type: ignore[index]


async def test_a_changed_row_is_sent_in_the_new_mode(harness: SyncHarness) -> None:
    number = await _sent_with_a_bundle(harness, ProductBundleMode.ONLY_BUNDLE)
    await harness.update_settings(product_bundles=ProductBundleMode.ONLY_SUB_PRODUCTS)
    deal = harness.upsales_entity("orders", harness.demo.opportunity_id)
    assert deal is not None
    more = [{**row, "quantity": 3} for row in deal["orderRow"]]

    edit(harness, "orders", harness.demo.opportunity_id, {"orderRow": more})
    job = await sync_order(harness, harness.demo.opportunity_id)

    assert (job.result or {})["outcome"] == "updated", job.last_error
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None
    assert [row["ArticleNumber"] for row in invoice["InvoiceRows"]] == ["LIC-BAS", "KONS-1"]
