"""A sales rep's won deal whose description merely reads like one the Fortnox sync writes
(``Fortnox-faktura 12``) is sent to Fortnox: only an order the sync made of a document it
imports, of the deal's own customer, waits for that document's sync to link it."""

from __future__ import annotations

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import consultancy_invoice, settle
from tests.e2e.outbound_support import fortnox_list, sync_order, win
from tests.e2e.test_inbound_recovery import (
    test_an_order_written_before_its_link_failed_is_not_sent_back_as_a_second_invoice as _race,
)
from upsales_fortnox.domain.sync_commands import SaveLink
from upsales_fortnox.integrations.errors import RetryableError
from upsales_fortnox.sync.effects.live_writer import Writer
from upsales_fortnox.vocabulary import JobStatus, LinkEntity


async def _without_document_field(harness: SyncHarness) -> None:
    """The account without the order field ``FORTNOX_DOCUMENT``: the description alone then
    tells an order the Fortnox sync made."""
    deleted = await harness.services.http.delete(
        f"{harness.services.settings.upsales_api_base_url}/customfields/order/"
        f"{harness.demo.order_fortnox_document_field_id}",
        params={"token": harness.demo.api_key},
    )
    assert deleted.status_code == 200, deleted.text


async def _won_with_description(harness: SyncHarness, description: str) -> dict[str, object]:
    """The demo deal won with ``description`` on an account without the document field; its
    job's result."""
    await _without_document_field(harness)
    order_id = harness.demo.opportunity_id
    win(harness, order_id, description=description)
    job = await sync_order(harness, order_id)
    assert job.status == JobStatus.DONE, job.last_error
    return dict(job.result or {})


async def test_a_deal_naming_an_invoice_fortnox_does_not_have_is_sent(
    linked: SyncHarness,
) -> None:
    result = await _won_with_description(linked, "Fortnox-faktura 4711")

    assert result["outcome"] == "created", result
    (invoice,) = fortnox_list(linked, "invoices")
    assert invoice["ExternalInvoiceReference1"] == f"upsales-order:{linked.demo.opportunity_id}"


async def test_a_deal_naming_another_customers_invoice_is_sent(linked: SyncHarness) -> None:
    linked.fortnox.seed(
        linked.tenant_id,
        customers=[{"CustomerNumber": "9001", "Name": "Annan Kund AB"}],
    )
    other = linked.fortnox.tenant(linked.tenant_id).collection("invoices")
    assert not other.items
    context_invoice = {
        "CustomerNumber": "9001",
        "InvoiceRows": [{"ArticleNumber": "KONS-1", "DeliveredQuantity": "1", "Price": "100"}],
    }
    linked.fortnox.seed(linked.tenant_id, invoices=[context_invoice])
    (number,) = list(other.items)

    result = await _won_with_description(linked, f"Fortnox-faktura {number}")

    assert result["outcome"] == "created", result
    assert len(fortnox_list(linked, "invoices")) == 2


async def test_a_deal_naming_a_document_the_module_does_not_import_is_sent(
    linked: SyncHarness,
) -> None:
    """With ``syncType`` ``invoice`` no Fortnox order becomes an Upsales order: one described
    ``Fortnox-order 5`` is the sales rep's, sent without asking Fortnox for order 5."""
    result = await _won_with_description(linked, "Fortnox-order 5")

    assert result["outcome"] == "created", result
    assert len(fortnox_list(linked, "invoices")) == 1


async def test_an_imported_order_not_linked_yet_still_waits_without_the_document_field(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The order the Fortnox sync wrote of the bookkeeper's invoice (of the customer its company
    is linked to) is still not sent as a second invoice when only its description names it."""
    await _without_document_field(harness)
    await _race(harness, monkeypatch)


async def test_an_imported_order_carrying_the_document_field_waits_whatever_fortnox_says_now(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``FORTNOX_DOCUMENT`` is written by the import alone: an order carrying it, whose link
    failed to save, waits for its document's sync however the document reads by the time its
    won-deal job runs (here the bookkeeper moved the invoice to another customer meanwhile),
    instead of being sent as a second invoice of the same sale."""
    harness.connect_upsales_hooks()
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[
            {"CustomerNumber": "1001", "Name": "Nordisk Verkstad AB"},
            {"CustomerNumber": "1002", "Name": "Nordisk Verkstad Väst AB"},
        ],
        articles=[{"ArticleNumber": "KONS-1", "Description": "Konsulttimme"}],
    )
    await settle(harness)
    invoice = await consultancy_invoice(harness, "1001")
    number = str(invoice.DocumentNumber)
    saving = Writer.save_link
    failed: list[SaveLink] = []

    async def fails_once(self: Writer, link: SaveLink) -> None:
        if link.entity is LinkEntity.ORDER and not failed:
            failed.append(link)
            invoices = harness.fortnox.tenant(harness.tenant_id).collection("invoices")
            invoices.items[number]["CustomerNumber"] = "1002"  # the bookkeeper's correction
            raise RetryableError("the database is out of reach", retry_after=0.3)
        await saving(self, link)

    monkeypatch.setattr(Writer, "save_link", fails_once)
    await settle(harness)  # the deal's hook is worked on while the invoice waits to retry

    assert failed, "the order's link did not fail to save"
    invoices = harness.fortnox.tenant(harness.tenant_id).collection("invoices")
    assert sorted(invoices.items) == [number]  # no second invoice of the sale
