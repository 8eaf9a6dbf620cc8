"""A run that died between writing to Upsales and recording the link leaves a record without a
link; the next run finds that record and links it instead of creating a second one, and the
order's own won-deal job meanwhile does not send it back to Fortnox."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import (
    EventFeed,
    companies_named,
    consultancy_invoice,
    context_of,
    jobs_of,
    link_of,
    queued_jobs_due_now,
    settle,
)
from upsales_fortnox.domain.sync_commands import SaveLink
from upsales_fortnox.integrations.errors import RetryableError
from upsales_fortnox.integrations.fortnox.models import Invoice, InvoiceRow
from upsales_fortnox.sync.effects.live_writer import Writer
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity


async def test_a_company_written_before_a_crash_is_linked_not_duplicated(
    harness: SyncHarness,
) -> None:
    field_id = harness.demo.account_fortnox_customer_number_field_id
    (leftover,) = harness.upsales.seed(
        harness.demo.customer_id,
        "accounts",
        [{"name": "Göta Kanal AB", "custom": [{"fieldId": field_id, "value": "2001"}]}],
    )
    feed = EventFeed(harness)
    harness.fortnox.seed(
        harness.tenant_id, customers=[{"CustomerNumber": "2001", "Name": "Göta Kanal AB"}]
    )

    await feed.sync()

    assert [c["id"] for c in companies_named(harness, "Göta Kanal AB")] == [leftover]
    link = await link_of(harness, FortnoxType.CUSTOMER, "2001")
    assert link is not None and link.upsales_id == leftover
    (job,) = await jobs_of(harness, "fortnox.customer", "2001")
    assert job.result is not None and job.result["outcome"] == "linked"


async def test_a_company_of_another_customer_number_is_not_linked_when_custom_filters_match_parts(
    harness: SyncHarness,
) -> None:
    """Should Upsales match ``custom=eq:`` on a part of the value
    (``facts.CUSTOM_FILTER_MATCHES_WHOLE_VALUE``), customer 2001's search also finds the
    company of customer 20010: that one is not taken, 2001 gets a company of its own."""
    harness.upsales.customer(harness.demo.customer_id).custom_filters_match_substrings = True
    field_id = harness.demo.account_fortnox_customer_number_field_id
    (other,) = harness.upsales.seed(
        harness.demo.customer_id,
        "accounts",
        [{"name": "Annat Bolag AB", "custom": [{"fieldId": field_id, "value": "20010"}]}],
    )
    feed = EventFeed(harness)
    harness.fortnox.seed(
        harness.tenant_id, customers=[{"CustomerNumber": "2001", "Name": "Göta Kanal AB"}]
    )

    await feed.sync()

    link = await link_of(harness, FortnoxType.CUSTOMER, "2001")
    assert link is not None and link.upsales_id != other
    assert [c["id"] for c in companies_named(harness, "Göta Kanal AB")] == [link.upsales_id]
    left = harness.upsales.get_entity(harness.demo.customer_id, "accounts", other)
    assert left is not None and left["name"] == "Annat Bolag AB"


async def invoice_with_a_leftover_order(
    harness: SyncHarness, feed: EventFeed, description: str, *, with_field: bool
) -> tuple[str, int]:
    """A Fortnox invoice (its customer and article synced) and the Upsales order a run that died
    before linking it left (``description``, ``{n}`` for the invoice's number; ``with_field``:
    carrying the order field ``FORTNOX_DOCUMENT``): the invoice's number and the order's id."""
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[{"CustomerNumber": "1001", "Name": "Nordisk Verkstad AB"}],
        articles=[{"ArticleNumber": "KONS-1", "Description": "Konsulttimme"}],
    )
    await feed.sync()
    context = await context_of(harness)
    invoice = await context.fortnox.create_invoice(
        Invoice(CustomerNumber="1001", InvoiceRows=[InvoiceRow(ArticleNumber="KONS-1")])
    )
    number = str(invoice.DocumentNumber)
    order: dict[str, Any] = {
        "description": description.format(n=number),
        "date": "2024-05-20",
        "user": {"id": harness.demo.admin_user_id},
        "client": {"id": harness.demo.account_ids[0]},
        "stage": {"id": harness.demo.stage_won_id},
        "probability": 100,
        "orderRow": [
            {
                "product": {"id": harness.demo.product_ids_by_article_no["KONS-1"]},
                "quantity": 1,
                "price": 1250,
                "listPrice": 1250,
            }
        ],
    }
    if with_field:
        field_id = harness.demo.order_fortnox_document_field_id
        order["custom"] = [{"fieldId": field_id, "value": f"invoice {number}"}]
    (leftover,) = harness.upsales.seed(harness.demo.customer_id, "orders", [order])
    return number, leftover


async def synced_relinks(harness: SyncHarness, feed: EventFeed, number: str, order: int) -> None:
    """The next sync links the invoice to the leftover ``order``, making none."""
    orders_before = len(harness.upsales_entities("orders"))

    await feed.sync()

    assert len(harness.upsales_entities("orders")) == orders_before
    link = await link_of(harness, FortnoxType.INVOICE, number)
    assert link is not None and link.upsales_id == order
    (job,) = await jobs_of(harness, "fortnox.invoice", number)
    assert job.result is not None and job.result["reason"] == "relinked"


async def test_an_order_written_before_a_crash_is_linked_not_duplicated(
    harness: SyncHarness,
) -> None:
    feed = EventFeed(harness)
    number, leftover = await invoice_with_a_leftover_order(
        harness, feed, "Fortnox-faktura {n}", with_field=True
    )
    await synced_relinks(harness, feed, number, leftover)


async def test_an_order_described_in_english_before_a_crash_is_linked_without_the_document_field(
    harness: SyncHarness,
) -> None:
    """Without the order field ``FORTNOX_DOCUMENT`` an order made before a crash is found by its
    description; one made while descriptions were English is found too, not made twice."""
    deleted = await harness.services.http.delete(
        f"{harness.services.settings.upsales_api_base_url}/customfields/order/"
        f"{harness.demo.order_fortnox_document_field_id}",
        params={"token": harness.demo.api_key},
    )
    assert deleted.status_code == 200, deleted.text
    feed = EventFeed(harness)
    number, leftover = await invoice_with_a_leftover_order(
        harness, feed, "Fortnox invoice {n}", with_field=False
    )
    await synced_relinks(harness, feed, number, leftover)


async def test_an_order_of_another_document_is_not_taken_when_custom_filters_match_parts(
    harness: SyncHarness,
) -> None:
    """Should Upsales match ``custom=eq:`` on a part of the value
    (``facts.CUSTOM_FILTER_MATCHES_WHOLE_VALUE``), the search for an order made before a crash
    also finds the order of the invoice whose number starts with this one's: that order is left
    as it is, and the invoice gets an order of its own."""
    harness.upsales.customer(harness.demo.customer_id).custom_filters_match_substrings = True
    feed = EventFeed(harness)
    number, other = await invoice_with_a_leftover_order(
        harness, feed, "Fortnox-faktura {n}0", with_field=True
    )
    field_id = harness.demo.order_fortnox_document_field_id
    harness.upsales.update_entity(
        harness.demo.customer_id,
        "orders",
        other,
        {"custom": [{"fieldId": field_id, "value": f"invoice {number}0"}]},
    )
    orders_before = len(harness.upsales_entities("orders"))

    await feed.sync()

    assert len(harness.upsales_entities("orders")) == orders_before + 1
    link = await link_of(harness, FortnoxType.INVOICE, number)
    assert link is not None and link.upsales_id != other
    left = harness.upsales.get_entity(harness.demo.customer_id, "orders", other)
    assert left is not None and left["description"] == f"Fortnox-faktura {number}0"
    values = [c["value"] for c in left["custom"] if c["fieldId"] == field_id]
    assert values == [f"invoice {number}0"]


async def test_an_order_written_before_its_link_failed_is_not_sent_back_as_a_second_invoice(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Fortnox sync writes the bookkeeper's invoice into Upsales, and saving its link fails
    (the database out of reach a moment). The order's own hook queues its won-deal job, which
    runs before the invoice's retry: it is not sent to Fortnox as a second invoice of the same
    sale, and the retry links the order to the bookkeeper's invoice."""
    harness.connect_upsales_hooks()
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[{"CustomerNumber": "1001", "Name": "Nordisk Verkstad AB"}],
        articles=[{"ArticleNumber": "KONS-1", "Description": "Konsulttimme"}],
    )
    await settle(harness)
    invoice = await consultancy_invoice(harness, "1001")
    number = str(invoice.DocumentNumber)
    failing = Writer.save_link

    async def fails_once(self: Writer, link: SaveLink) -> None:
        if link.entity is LinkEntity.ORDER and not failed:
            failed.append(link)
            # a retry later than the deal's job however slow the host, made due below
            raise RetryableError("the database is out of reach", retry_after=600)
        await failing(self, link)

    failed: list[SaveLink] = []
    monkeypatch.setattr(Writer, "save_link", fails_once)

    await settle(harness)  # the deal's hook is worked on while the invoice waits to retry
    await queued_jobs_due_now(harness)  # the invoice's retry is due
    await settle(harness)

    assert failed, "the order's link did not fail to save"
    invoices = harness.fortnox.tenant(harness.tenant_id).collection("invoices")
    assert sorted(invoices.items) == [number]  # no second invoice of the sale
    (order,) = [o for o in harness.upsales_entities("orders") if o["probability"] == 100]
    link = await link_of(harness, FortnoxType.INVOICE, number)
    assert link is not None and link.upsales_id == order["id"]
    (deal,) = await jobs_of(harness, "upsales.order", str(order["id"]))
    assert deal.result is not None and deal.result["outcome"] == "skipped"
    assert deal.result["fortnox_invoice"] == number
