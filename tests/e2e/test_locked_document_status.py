"""What the sales rep reads in Upsales (``app_status_order``) when a change of a won deal
cannot reach its Fortnox document: which document, and why it can no longer change (booked,
credited or cancelled), so the rep knows whom to ask and what to ask for. An invoice that was
merely sent to the customer is no lock (Fortnox takes the change), but the customer holds the
earlier one: the status says so, so that the bookkeeper sends it again."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import edit, link_demo_products, sync_order, win
from ufs_sandboxes.fortnox.resources.document_actions import (
    bookkeep_invoice,
    cancel_document,
    create_invoice_from_order,
    mark_sent,
)
from ufs_sandboxes.fortnox.resources.document_kinds import INVOICES, ORDERS
from upsales_fortnox.sync.order_answers import answer_app_status_order
from upsales_fortnox.vocabulary import JobStatus, SyncType


async def _status(harness: SyncHarness, order_id: int, language: str = "sv") -> dict[str, Any]:
    body = {"data": {"obj": {"id": order_id}}, "user": {"language": language}}
    answer = await answer_app_status_order(harness.services, harness.installation_id, body)
    assert answer.status_code == 200
    return answer.body


async def _won(harness: SyncHarness, kind: str) -> str:
    order_id = harness.demo.opportunity_id
    await link_demo_products(harness)
    win(harness, order_id)
    sent = await sync_order(harness, order_id)
    assert sent.status == JobStatus.DONE, sent.last_error
    return str((sent.result or {})[kind])


async def _two_more_of_each(harness: SyncHarness) -> None:
    order_id = harness.demo.opportunity_id
    deal = harness.upsales_entity("orders", order_id)
    assert deal is not None
    more = [{**row, "quantity": row["quantity"] + 2} for row in deal["orderRow"]]
    edit(harness, "orders", order_id, {"orderRow": more})


async def test_a_change_that_reaches_an_invoice_sent_before_says_the_customer_has_the_old_one(
    harness: SyncHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="upsales_fortnox")
    order_id = harness.demo.opportunity_id
    number = await _won(harness, "fortnox_invoice")
    await _two_more_of_each(harness)
    unsent = await sync_order(harness, order_id)  # a draft: changed, nothing more to say
    assert unsent.status == JobStatus.DONE and "reason" not in (unsent.result or {})
    assert (await _status(harness, order_id))[
        "message"
    ] == f"Skickad till Fortnox som faktura {number}."

    mark_sent(harness.fortnox.tenant(harness.tenant_id), INVOICES, number)
    await _two_more_of_each(harness)
    changed = await sync_order(harness, order_id)

    assert changed.status == JobStatus.DONE
    assert (changed.result or {})["outcome"] == "updated"
    assert (changed.result or {})["reason"].startswith("invoice_changed_after_sent: ")
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None and invoice["Sent"] is True  # the change reached it
    status, english = await _status(harness, order_id), await _status(harness, order_id, "en")
    assert (status["status"], status["reason"]) == ("sent", "invoice_changed_after_sent")
    assert status["message"].startswith(f"Skickad till Fortnox som faktura {number}. Ändringen")
    assert "den ändrade fakturan behöver skickas till kunden igen" in status["message"]
    assert english["message"].startswith(f"Sent to Fortnox as invoice {number}. The change")
    [line] = [r for r in caplog.records if getattr(r, "code", None) == "invoice_changed_after_sent"]
    assert line.levelno == logging.WARNING

    again = await sync_order(harness, order_id)  # a save that changes nothing: the word stays
    assert (again.result or {})["outcome"] == "no_change"
    assert (await _status(harness, order_id))["reason"] == "invoice_changed_after_sent"
    mark_unsent = harness.fortnox.tenant(harness.tenant_id).collection("invoices").items[number]
    mark_unsent["Sent"] = False  # as if credited and made anew: a change to an unsent invoice
    await _two_more_of_each(harness)
    assert "reason" not in ((await sync_order(harness, order_id)).result or {})
    assert "reason" not in await _status(harness, order_id)


async def test_a_change_of_a_deal_whose_invoice_is_booked_names_the_booked_invoice(
    harness: SyncHarness,
) -> None:
    order_id = harness.demo.opportunity_id
    number = await _won(harness, "fortnox_invoice")
    tenant = harness.fortnox.tenant(harness.tenant_id)
    mark_sent(tenant, INVOICES, number)
    await _two_more_of_each(harness)
    assert (await sync_order(harness, order_id)).status == JobStatus.DONE  # sent is no lock
    bookkeep_invoice(tenant, number)
    await _two_more_of_each(harness)
    assert (await sync_order(harness, order_id)).status == JobStatus.DEAD

    status = await _status(harness, order_id)
    english = await _status(harness, order_id, "en")

    assert status["status"] == "failed"
    assert status["message"] == (
        f"Ändringen skickades inte: faktura {number} är bokförd i Fortnox och kan inte längre "
        "ändras. Kreditera fakturan i Fortnox för att ändra eller annullera affären."
    )
    assert english["message"] == (
        f"The change was not sent: invoice {number} is booked in Fortnox and can no longer "
        "change. Credit the invoice in Fortnox to change or cancel the deal."
    )


async def test_a_change_of_a_deal_whose_fortnox_order_was_cancelled_says_it_is_cancelled(
    harness: SyncHarness,
) -> None:
    """The bookkeeper cancelled the deal's Fortnox order, and the rep changes the deal before
    the cancellation reaches Upsales: the rep reads that the order is cancelled, not that an
    invoice is to be credited (the deal has none)."""
    order_id = harness.demo.opportunity_id
    await harness.update_settings(sync_type=SyncType.ORDER)
    number = await _won(harness, "fortnox_order")
    cancel_document(harness.fortnox.tenant(harness.tenant_id), ORDERS, number)
    await _two_more_of_each(harness)
    assert (await sync_order(harness, order_id)).status == JobStatus.DEAD

    status = await _status(harness, order_id)

    assert status["status"] == "failed"
    assert status["message"] == (
        f"Ändringen skickades inte: order {number} är makulerad i Fortnox och kan inte längre "
        "ändras. Affären flyttas till förlorad om inget annat av den finns kvar i Fortnox; "
        "vinns den igen skickas en ny."
    )


async def test_a_change_of_a_deal_whose_fortnox_order_was_just_invoiced_names_the_invoice(
    harness: SyncHarness,
) -> None:
    """The bookkeeper invoiced the deal's Fortnox order, and the rep changes the deal before
    the invoice reaches Upsales: the rep reads that the order is invoiced, and which invoice,
    not that it was booked, credited or cancelled."""
    order_id = harness.demo.opportunity_id
    await harness.update_settings(sync_type=SyncType.ORDER)
    number = await _won(harness, "fortnox_order")
    tenant = harness.fortnox.tenant(harness.tenant_id)
    invoice = create_invoice_from_order(tenant, number)
    await _two_more_of_each(harness)
    assert (await sync_order(harness, order_id)).status == JobStatus.DEAD

    status = await _status(harness, order_id)

    assert status["status"] == "failed"
    assert status["message"] == (
        f"Ändringen skickades inte: ordern i Fortnox är redan fakturerad (faktura "
        f"{invoice['DocumentNumber']}) och kan inte längre ändras. Ändra fakturan i Fortnox, "
        "eller kreditera den för att annullera affären."
    )
