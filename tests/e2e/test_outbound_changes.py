"""After a deal is sent: edits update the document, locked documents are conflicts, and a
crash between creating the document and storing its link makes no second document."""

from __future__ import annotations

from decimal import Decimal

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import select

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import (
    edit,
    fortnox_list,
    link_demo_products,
    link_of,
    queue,
    run_now,
    sync_order,
    win,
)
from tests.e2e.outbound_support import job as job_of
from ufs_sandboxes.fortnox.resources.document_actions import (
    bookkeep_invoice,
    create_invoice_from_order,
)
from upsales_fortnox.links.repository import won_deal_links
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.models.job import JobAttempt
from upsales_fortnox.vocabulary import JobStatus, LinkEntity, SyncType

D = Decimal


@pytest.fixture
async def sent(harness: SyncHarness) -> tuple[SyncHarness, str]:
    """The demo deal won and sent as an invoice."""
    await link_demo_products(harness)
    win(harness, harness.demo.opportunity_id)
    job = await sync_order(harness, harness.demo.opportunity_id)
    assert job.status == JobStatus.DONE, job.last_error
    return harness, (job.result or {})["fortnox_invoice"]


def _rows(harness: SyncHarness, quantity: int = 3, price: int = 4000) -> list[dict[str, object]]:
    products = harness.demo.product_ids_by_article_no
    return [
        {
            "product": {"id": products["LIC-BAS"]},
            "quantity": quantity,
            "listPrice": 4900,
            "price": price,
        },
        {"product": {"id": products["UTB-DAG"]}, "quantity": 1, "listPrice": 9500, "price": 9500},
    ]


async def test_an_edit_after_sending_updates_the_invoice_rows(
    sent: tuple[SyncHarness, str],
) -> None:
    harness, number = sent
    before = harness.fortnox_entity("invoices", number)
    assert before is not None
    lic_row_id = before["InvoiceRows"][0]["RowId"]
    edited = edit(harness, "orders", harness.demo.opportunity_id, {"orderRow": _rows(harness)})

    job = await sync_order(harness, harness.demo.opportunity_id)

    assert (job.result or {})["outcome"] == "updated"
    after = harness.fortnox_entity("invoices", number)
    assert after is not None
    rows = [
        (r["RowId"], r["ArticleNumber"], r["DeliveredQuantity"], r["Price"])
        for r in after["InvoiceRows"]
    ]
    assert rows[0][1:] == ("LIC-BAS", "3.00", D(4000))  # the LIC-BAS row, updated
    assert rows[1][1:] == ("UTB-DAG", "1.00", D(9500))  # a new row; the KONS-1 row is gone
    assert lic_row_id not in {row[0] for row in rows}  # Fortnox renumbers rows on every update
    assert len(rows) == 2
    assert after["Net"] == edited["value"] == D(21500)
    assert len(fortnox_list(harness, "invoices")) == 1


async def test_an_unchanged_order_is_not_sent_again(sent: tuple[SyncHarness, str]) -> None:
    harness, number = sent
    edit(harness, "orders", harness.demo.opportunity_id, {"notes": "called the customer"})
    calls = dict(harness.services.fortnox_calls)

    job = await sync_order(harness, harness.demo.opportunity_id)

    assert (job.result or {})["outcome"] == "no_change"
    assert (job.result or {})["fortnox_invoice"] == number
    assert dict(harness.services.fortnox_calls) == calls


async def test_an_edit_after_booking_is_a_conflict(sent: tuple[SyncHarness, str]) -> None:
    harness, number = sent
    bookkeep_invoice(harness.fortnox.tenant(harness.tenant_id), number)
    edit(harness, "orders", harness.demo.opportunity_id, {"orderRow": _rows(harness)})

    job = await sync_order(harness, harness.demo.opportunity_id)

    assert job.status == JobStatus.DEAD
    assert (job.last_error or "").startswith("fortnox_document_locked: ")
    assert "booked" in (job.last_error or "")
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None and invoice["Net"] == D(18820)  # untouched


async def test_an_edit_after_the_fortnox_order_was_invoiced_is_a_conflict(
    harness: SyncHarness,
) -> None:
    await link_demo_products(harness)
    await harness.update_settings(sync_type=SyncType.ORDER_OFFER)
    win(harness, harness.demo.opportunity_id)
    number = ((await sync_order(harness, harness.demo.opportunity_id)).result or {})[
        "fortnox_order"
    ]
    create_invoice_from_order(harness.fortnox.tenant(harness.tenant_id), number)
    edit(harness, "orders", harness.demo.opportunity_id, {"orderRow": _rows(harness)})

    job = await sync_order(harness, harness.demo.opportunity_id)

    assert job.status == JobStatus.DEAD and "invoiced" in (job.last_error or "")


async def test_a_crash_before_the_link_is_stored_makes_no_second_invoice(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await link_demo_products(harness)
    win(harness, harness.demo.opportunity_id)
    real_save = won_deal_links.save_link
    failures = []

    async def save_failing_once(connection, installation_id, entity, *args, **kwargs):  # type: ignore[no-untyped-def]
        if entity is LinkEntity.ORDER and not failures:
            failures.append(entity)
            # as the driver says a connection dropped mid-statement (a bare socket error of
            # anything else is no database outage)
            raise asyncpg.ConnectionDoesNotExistError("connection was closed in the middle")
        return await real_save(connection, installation_id, entity, *args, **kwargs)

    monkeypatch.setattr(won_deal_links, "save_link", save_failing_once)

    job_id = await queue(harness, "upsales.order", harness.demo.opportunity_id)
    # The link is saved with the job's completion, which failed: that run fails with the
    # error, and the next one finds the invoice by its reference.
    await run_now(harness)
    job = await job_of(harness, job_id)

    assert failures and job.status == JobStatus.DONE and job.attempts == 2
    async with harness.services.session_factory() as session:
        errors = list(
            await session.scalars(
                select(JobAttempt.error)
                .where(JobAttempt.job_id == job_id)
                .order_by(JobAttempt.number)
            )
        )
    assert errors[0] is not None and errors[0].startswith("database_unavailable: ")
    assert errors[1] is None
    assert (job.result or {})["outcome"] == "found_and_linked"
    invoices = fortnox_list(harness, "invoices")
    assert len(invoices) == 1
    link = await link_of(harness, LinkEntity.ORDER, harness.demo.opportunity_id)
    assert link is not None and link.fortnox_id == str(invoices[0]["DocumentNumber"])


async def test_a_lost_link_finds_the_invoice_instead_of_making_another(
    sent: tuple[SyncHarness, str],
) -> None:
    harness, number = sent
    async with harness.services.session_factory() as session:
        await LinkStore(session, harness.installation_id).remove(
            (await link_of(harness, LinkEntity.ORDER, harness.demo.opportunity_id)).fortnox_type,  # type: ignore[union-attr]
            number,
        )
        await session.commit()

    job = await sync_order(harness, harness.demo.opportunity_id)

    assert (job.result or {})["outcome"] == "found_and_linked"
    assert (job.result or {})["fortnox_invoice"] == number
    assert len(fortnox_list(harness, "invoices")) == 1
