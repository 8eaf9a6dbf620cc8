"""A sales rep deletes a won deal in Upsales whose Fortnox invoice exists: nothing is deleted or
cancelled in Fortnox (the invoice may be sent or booked), but the delete is not silent either:
its hook queues the deal's sync, whose job names the invoice under a stable code, the link is
kept, and the deal restored under its id updates that invoice instead of making a second."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of
from tests.e2e.outbound_support import (
    ORDER_HOOKS,
    edit,
    fortnox_today,
    last_order_job,
    run_now,
    sync_order,
    win,
    won_and_invoiced,
)
from tests.e2e.test_reconciliation_report import report
from ufs_sandboxes.fortnox.resources.document_actions import bookkeep_invoice
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.sync.order_answers import answer_app_status_order
from upsales_fortnox.vocabulary import JobStatus, LinkEntity, SyncType


async def _status(harness: SyncHarness, order_id: int) -> dict[str, Any]:
    body = {"data": {"obj": {"id": order_id}}}
    answer = await answer_app_status_order(harness.services, harness.installation_id, body)
    return answer.body


def _invoice_count(harness: SyncHarness) -> int:
    return len(harness.fortnox.tenant(harness.tenant_id).collection("invoices"))


async def _deleted_by_the_rep(harness: SyncHarness, order_id: int) -> dict[str, Any]:
    """The deal deleted in Upsales, its hook delivered and its job run; the deal as it was."""
    harness.connect_upsales_hooks(events=ORDER_HOOKS)
    deleted = harness.upsales.delete_entity(
        harness.demo.customer_id, "orders", order_id, user_id=harness.demo.sales_rep_user_ids[0]
    )
    await harness.upsales.flush_hooks()
    await run_now(harness)
    harness.upsales.clear_hook_sink()
    return dict(deleted)


@pytest.mark.parametrize("booked", [False, True])
async def test_a_deleted_won_deal_leaves_its_invoice_and_says_so(
    linked: SyncHarness, booked: bool, caplog: pytest.LogCaptureFixture
) -> None:
    harness = linked
    caplog.set_level(logging.INFO, logger="upsales_fortnox")
    order_id = harness.demo.opportunity_id
    number = await won_and_invoiced(harness, order_id)
    if booked:
        bookkeep_invoice(harness.fortnox.tenant(harness.tenant_id), number)

    await _deleted_by_the_rep(harness, order_id)

    job = await last_order_job(harness, order_id)
    assert job.status == JobStatus.DONE
    result = job.result or {}
    assert result["outcome"] == "skipped"
    assert result["reason"].startswith("order_deleted_document_kept: ")
    assert f"invoice {number}" in result["reason"]
    assert result["fortnox_invoice"] == number  # the history finds it by the invoice too
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None and not invoice["Cancelled"]  # nothing is undone in Fortnox
    async with harness.services.session_factory() as session:
        links = await LinkStore(session, harness.installation_id).all_of_upsales(
            LinkEntity.ORDER, order_id
        )
    assert [(link.fortnox_type.value, link.fortnox_id) for link in links] == [("invoice", number)]
    # the operator who looks the invoice up finds the delete first, under its code
    history = await harness.service.get(
        f"/api/installations/{harness.installation_id}/history",
        params={"entity": "order", "fortnox_id": number, "fortnox_type": "invoice"},
        headers=harness.admin_headers,
    )
    newest = history.json()["jobs"][0]
    assert newest["id"] == job.id and newest["result"]["reason"] == result["reason"]
    # operators' log-based alerting sees it under its code, naming installation and document
    [line] = [r for r in caplog.records if r.getMessage().startswith("order_deleted_document_kept")]
    assert line.levelno == logging.WARNING
    assert str(harness.installation_id) in line.getMessage()
    assert f"fortnox_invoice={number}" in line.getMessage()
    status = await _status(harness, order_id)
    assert (status["status"], status["reason"]) == ("sent", "order_deleted_document_kept")
    assert status["message"].startswith(
        f"Skickad till Fortnox som faktura {number}, men affären är borttagen i Upsales"
    )


async def test_a_deleted_won_deal_restored_and_changed_updates_its_invoice(
    linked: SyncHarness,
) -> None:
    harness = linked
    order_id = harness.demo.opportunity_id
    number = await won_and_invoiced(harness, order_id)
    deleted = await _deleted_by_the_rep(harness, order_id)

    # restored under its id, as it was, then changed by the rep
    harness.upsales.customer(harness.demo.customer_id).table("orders")[order_id] = deleted
    more = [{**row, "quantity": row["quantity"] + 1} for row in deleted["orderRow"]]
    edit(harness, "orders", order_id, {"orderRow": more})
    job = await sync_order(harness, order_id)

    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "updated"
    assert (job.result or {})["fortnox_invoice"] == number
    assert _invoice_count(harness) == 1  # no second invoice


async def test_the_bookkeepers_report_says_the_deals_order_was_deleted(
    linked: SyncHarness,
) -> None:
    harness = linked
    order_id = harness.demo.opportunity_id
    number = await won_and_invoiced(harness, order_id)
    await _deleted_by_the_rep(harness, order_id)

    day = fortnox_today(harness)
    found = await report(harness, day, day)

    (difference,) = [d for d in found["differences"] if d["fortnoxDocument"] == f"invoice {number}"]
    assert difference["kind"] == "missing_in_upsales"
    assert difference["detail"].startswith(
        "Upsales-ordern till det öppna dokumentet (faktura) är borttagen i Upsales; dokumentet "
        "lämnas som det är i Fortnox"
    )


async def test_a_deleted_won_deals_unbooked_fortnox_order_is_left_too(
    linked: SyncHarness,
) -> None:
    """An order not yet invoiced could be cancelled without a credit, but whether the deal is
    off is the bookkeeper's call (the rep may have deleted it by mistake): it is left, told."""
    harness = linked
    order_id = harness.demo.opportunity_id
    await harness.update_settings(sync_type=SyncType.ORDER)
    win(harness, order_id)
    number = str(((await sync_order(harness, order_id)).result or {})["fortnox_order"])

    await _deleted_by_the_rep(harness, order_id)

    result = (await last_order_job(harness, order_id)).result or {}
    assert result["reason"].startswith("order_deleted_document_kept: ")
    assert result["fortnox_order"] == number
    order = harness.fortnox_entity("orders", number)
    assert order is not None and not order["Cancelled"]
    status = await _status(harness, order_id)
    assert status["message"].startswith(
        f"Skickad till Fortnox som order {number}, men affären är borttagen i Upsales"
    )


async def test_a_deleted_won_deals_invoiced_order_names_the_invoice_to_credit(
    linked: SyncHarness,
) -> None:
    """The bookkeeper invoiced the deal's Fortnox order, which can then no longer be cancelled:
    the deleted deal's job and alert line name the invoice, the document to credit."""
    harness = linked
    order_id = harness.demo.opportunity_id
    await harness.update_settings(sync_type=SyncType.ORDER)
    win(harness, order_id)
    made = int(((await sync_order(harness, order_id)).result or {})["fortnox_order"])
    invoice = await (await context_of(harness)).fortnox.create_invoice_from_order(made)
    await EventFeed(harness).sync()  # the invoice is linked to the deal
    number = str(invoice.DocumentNumber)

    await _deleted_by_the_rep(harness, order_id)

    result = (await last_order_job(harness, order_id)).result or {}
    assert result["reason"].startswith("order_deleted_document_kept: ")
    assert f"invoice {number} is left" in result["reason"]
    assert result["fortnox_invoice"] == number
