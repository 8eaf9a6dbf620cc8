"""Upsales orders imported from Fortnox documents that have a row without an article (freight):
the row is on the order with the product for such rows, which has no article. Fortnox stays the
source of a document made there, so the sales rep's later edit of the order is saved in Upsales
and left out of Fortnox: the save is not refused, the order's job does not die asking for an
article, and the document keeps its free-text row."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.e2e.harness import SyncHarness
from tests.e2e.imported_support import (
    imported_deal,
    opportunity_of_an_offer_with_freight,
    order_made_in_fortnox,
)
from tests.e2e.inbound_support import EventFeed, context_of
from tests.e2e.outbound_support import edit, sync_order, win
from tests.e2e.test_inbound_documents import invoice_module, order_module
from tests.e2e.test_won_offer import offer_module
from upsales_fortnox.core.texts import say
from upsales_fortnox.domain.inbound.products import NO_ARTICLE_NAME
from upsales_fortnox.integrations.fortnox.models import (
    Order,
)
from upsales_fortnox.sync.order_answers import answer_before_order_save, order_status
from upsales_fortnox.vocabulary import JobStatus

__all__ = ["invoice_module", "offer_module", "order_module"]


async def _status(harness: SyncHarness, order_id: int) -> dict[str, Any]:
    async with harness.services.session_factory() as session:
        return await order_status(session, harness.installation_id, order_id)


def _rows(harness: SyncHarness, collection: str, number: int | str) -> list[tuple[Any, ...]]:
    stored = harness.fortnox_entity(collection, str(number))
    assert stored is not None
    rows = stored["InvoiceRows" if collection == "invoices" else "OrderRows"]
    return [(row.get("ArticleNumber") or None, row.get("Description")) for row in rows]


async def _edited_by_the_rep(harness: SyncHarness, deal: dict[str, Any]) -> None:
    """The rep adds two hours to the deal's first row and saves it at 100 %: Upsales asks
    first (``before_order_save``), then saves, then the deal's job runs."""
    rows = [dict(row) for row in deal["orderRow"]]
    rows[0] = {**rows[0], "quantity": rows[0]["quantity"] + 2}
    hook = {"type": "before_order_save", "data": {"obj": {**deal, "orderRow": rows}}}
    answer = await answer_before_order_save(harness.services, harness.installation_id, hook)
    assert (answer.status_code, answer.body) == (200, {"status": "ok"})
    edit(harness, "orders", int(deal["id"]), {"orderRow": rows})


async def test_an_imported_invoice_with_a_free_text_row_takes_the_reps_edit(
    invoice_module: SyncHarness,
) -> None:
    harness = invoice_module
    deal, invoice = await imported_deal(harness, "invoice", freight=True)
    assert deal["probability"] == 100
    before = _rows(harness, "invoices", invoice)

    await _edited_by_the_rep(harness, deal)
    job = await sync_order(harness, int(deal["id"]))

    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "no_change"
    assert "made in Fortnox" in (job.result or {})["reason"]
    assert (
        _rows(harness, "invoices", invoice)
        == before
        == [
            ("KONS-1", "Konsulttimme"),
            (None, "Frakt"),
        ]
    )
    status = await _status(harness, int(deal["id"]))
    assert status["status"] == "sent"
    # the rep reads that the edit stays in Upsales, not that it was sent
    assert status["message"] == say(
        "status.sent_made_in_fortnox", document=say("document.invoice"), number=str(invoice)
    )
    assert status["reason"] == "document_made_in_fortnox"


async def test_an_imported_order_keeps_its_free_text_row_through_edits_on_both_sides(
    order_module: SyncHarness,
) -> None:
    """The rep's edit is left out of Fortnox; the bookkeeper's later edit of the order comes
    to Upsales with the freight row still the row without an article."""
    harness = order_module
    context = await context_of(harness)
    deal, order = await imported_deal(harness, "order", freight=True)

    await _edited_by_the_rep(harness, deal)
    job = await sync_order(harness, int(deal["id"]))

    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "no_change"
    assert _rows(harness, "orders", order) == [
        ("KONS-1", "Konsulttimme"),
        (None, "Frakt"),
    ]
    rows = order_made_in_fortnox(freight=True).OrderRows or []
    more = [rows[0].model_copy(update={"Price": Decimal(1300)}), rows[1]]
    await context.fortnox.update_order(order, Order(OrderRows=more))
    await EventFeed(harness).sync()
    updated = harness.upsales_entity("orders", int(deal["id"]))
    assert updated is not None
    assert [(row["product"]["name"], row["price"]) for row in updated["orderRow"]] == [
        ("Konsulttimme", Decimal(1300)),
        (NO_ARTICLE_NAME, Decimal(95)),
    ]
    again = await sync_order(harness, int(deal["id"]))
    assert again.status == JobStatus.DONE, again.last_error
    assert (await _status(harness, int(deal["id"])))["status"] == "sent"


async def test_a_deal_won_from_an_offer_with_a_free_text_row_takes_the_reps_later_edit(
    offer_module: SyncHarness,
) -> None:
    """Won, the deal's document is the order Fortnox made of the offer: made in Fortnox too."""
    harness = offer_module
    opportunity = await opportunity_of_an_offer_with_freight(harness)
    win(harness, int(opportunity["id"]))
    won = await sync_order(harness, int(opportunity["id"]))
    assert won.status == JobStatus.DONE, won.last_error
    number = (won.result or {})["fortnox_order"]
    deal = harness.upsales_entity("orders", int(opportunity["id"]))
    assert deal is not None

    await _edited_by_the_rep(harness, deal)
    job = await sync_order(harness, int(deal["id"]))

    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "no_change"
    assert _rows(harness, "orders", number)[-1] == (None, "Frakt")
    assert (await _status(harness, int(deal["id"])))["status"] == "sent"
