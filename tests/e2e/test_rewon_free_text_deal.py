"""A deal imported from a Fortnox invoice or order with a row without an article (freight),
whose document the bookkeeper cancels, won again by the sales rep: Fortnox no longer has a live
document of it, so its save is checked and its job sends a new document. The catch-all product
of the free-text row is no product missing its article there: the save is accepted, and the new
document has a row without an article for it beside the deal's article rows."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.e2e.harness import SyncHarness
from tests.e2e.imported_support import imported_deal
from tests.e2e.inbound_support import EventFeed, context_of
from tests.e2e.outbound_support import sync_order, win
from tests.e2e.test_imported_free_text_row import _status
from tests.e2e.test_inbound_documents import invoice_module, order_module
from upsales_fortnox.core.texts import say
from upsales_fortnox.domain.inbound.products import NO_ARTICLE_NAME
from upsales_fortnox.integrations.fortnox.limits import DOCUMENT_ROW_MAX_LENGTHS
from upsales_fortnox.sync.order_answers import answer_before_order_save
from upsales_fortnox.vocabulary import JobStatus

__all__ = ["invoice_module", "order_module"]

FREE_TEXT_ROW = (None, NO_ARTICLE_NAME[: DOCUMENT_ROW_MAX_LENGTHS["Description"]])


async def test_a_rewon_deal_of_a_cancelled_invoice_with_a_free_text_row_gets_a_new_invoice(
    invoice_module: SyncHarness,
) -> None:
    await _cancelled_then_won_again(invoice_module, "invoice")


async def test_a_rewon_deal_of_a_cancelled_order_with_a_free_text_row_gets_a_new_order(
    order_module: SyncHarness,
) -> None:
    await _cancelled_then_won_again(order_module, "order")


async def _cancelled_then_won_again(harness: SyncHarness, kind: str) -> None:
    """A deal imported from a Fortnox ``kind`` with a freight row, that document cancelled and
    synced, then the deal won again."""
    context = await context_of(harness)
    deal, imported = await imported_deal(harness, kind, freight=True)
    if kind == "invoice":
        await context.fortnox.cancel_invoice(imported)
    else:
        await context.fortnox.cancel_order(imported)
    await EventFeed(harness).sync()

    await _won_again(harness, int(deal["id"]), kind, str(imported))


async def _won_again(harness: SyncHarness, deal_id: int, kind: str, cancelled: str) -> None:
    """The deal moved to lost with its ``kind`` of document ``cancelled``; the rep wins it
    again: the save is accepted, and its job sends a new document with the free-text row."""
    lost = harness.upsales_entity("orders", deal_id)
    assert lost is not None and lost["probability"] == 0
    assert [row["product"]["name"] for row in lost["orderRow"]] == ["Konsulttimme", NO_ARTICLE_NAME]

    won = {**lost, "stage": {"id": harness.demo.stage_won_id}, "probability": 100}
    hook = {"type": "before_order_save", "data": {"obj": won}}
    answer = await answer_before_order_save(harness.services, harness.installation_id, hook)
    assert (answer.status_code, answer.body) == (200, {"status": "ok"})
    deal = win(harness, deal_id)

    job = await sync_order(harness, deal_id)

    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "created", job.result
    made = (job.result or {})[f"fortnox_{kind}"]
    assert made != cancelled
    document = harness.fortnox_entity(f"{kind}s", made)
    assert document is not None
    rows = document["InvoiceRows" if kind == "invoice" else "OrderRows"]
    assert [(row.get("ArticleNumber") or None, row.get("Description")) for row in rows] == [
        ("KONS-1", "Konsulttimme"),
        FREE_TEXT_ROW,
    ]
    assert _totals(rows) == _totals_of_deal(deal)
    assert document["Net"] == deal["value"] == Decimal(10 * 1250 + 95)
    status = await _status(harness, deal_id)
    assert status["status"] == "sent"
    assert status["message"] == say("status.sent", document=say(f"document.{kind}"), number=made)

    again = await sync_order(harness, deal_id)
    assert again.status == JobStatus.DONE, again.last_error
    assert (again.result or {})["outcome"] == "no_change", again.result


def _totals(rows: list[dict[str, Any]]) -> list[Decimal]:
    return [Decimal(str(row["Total"])) for row in rows]


def _totals_of_deal(deal: dict[str, Any]) -> list[Decimal]:
    return [Decimal(str(row["quantity"])) * Decimal(str(row["price"])) for row in deal["orderRow"]]
