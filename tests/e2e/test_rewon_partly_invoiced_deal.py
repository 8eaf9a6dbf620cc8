"""A deal sent as a Fortnox order that the bookkeeper invoiced in part: the delivered part
became an invoice, and Fortnox split the rest off into a backorder ("restorder"). The invoice
then ended (cancelled, or booked and credited in full); the deal stays won, as its rest lives
in the backorder. Sent again (changed, or won again), the deal takes the open backorder for its
document, with the deal's rows: a new order beside it would repeat the rest, which the
backorder still holds, and Fortnox would hold the deal's rest twice. A backorder is never a
create of the deal's: the search for what an earlier attempt made passes it over."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of
from tests.e2e.outbound_support import edit, fortnox_list, fortnox_today, sync_order, win
from tests.e2e.partly_invoiced_support import deal_probability, end_invoice, partly_invoiced
from tests.e2e.test_reconciliation_report import report
from tests.e2e.won_deal_support import dies_before_the_link
from upsales_fortnox.vocabulary import JobStatus


async def _partly_invoiced_then_ended(
    harness: SyncHarness, ended: str, *, rest_invoiced: bool = False
) -> tuple[int, int]:
    """The deal won today and sent as an order; one of each row delivered and invoiced, the
    rest split off into a backorder (invoiced too, when ``rest_invoiced``, and that invoice
    ``ended`` first); the first invoice ``ended``, its events synced (the deal is lost once
    nothing of it lives: while the backorder is open, it stays won). The order's number and
    the backorder's."""
    parts = await partly_invoiced(harness, rest_invoiced=rest_invoiced)
    ending = [parts.rest, parts.invoice] if rest_invoiced else [parts.invoice]
    for each in ending:
        await end_invoice(harness, each, ended)
    assert deal_probability(harness) == (0 if rest_invoiced else 100)
    return parts.order, parts.backorder


def _open_orders(harness: SyncHarness) -> dict[int, dict[str, Any]]:
    """Fortnox's orders that are neither cancelled nor invoiced."""
    return {
        int(o["DocumentNumber"]): o
        for o in fortnox_list(harness, "orders")
        if not o["Cancelled"] and not int(o["InvoiceReference"] or 0)
    }


def _quantities(harness: SyncHarness, order: dict[str, Any]) -> list[tuple[str, Decimal]]:
    return sorted((r["ArticleNumber"], Decimal(r["OrderedQuantity"])) for r in order["OrderRows"])


def _deal_quantities(harness: SyncHarness, deal: dict[str, Any]) -> list[tuple[str, Decimal]]:
    articles = {p["id"]: p["articleNo"] for p in harness.upsales_entities("products")}
    return sorted(
        (articles[row["product"]["id"]], Decimal(str(row["quantity"]))) for row in deal["orderRow"]
    )


@pytest.mark.parametrize("ended", ["cancelled", "credited"])
async def test_a_deal_won_again_after_its_partial_invoice_ended_takes_its_backorder(
    linked: SyncHarness, ended: str
) -> None:
    harness = linked
    invoiced, backorder = await _partly_invoiced_then_ended(harness, ended)
    order_id = harness.demo.opportunity_id
    today = fortnox_today(harness)

    win(harness, order_id)  # the customer signs after all
    again = await sync_order(harness, order_id)

    assert again.status == JobStatus.DONE, again.last_error
    assert (again.result or {})["fortnox_order"] == str(backorder), again.result
    assert (again.result or {})["outcome"] == "found_and_updated"
    assert list(_open_orders(harness)) == [backorder]  # no new order beside it
    deal = harness.upsales_entity("orders", order_id)
    assert deal is not None
    taken = _open_orders(harness)[backorder]
    assert _quantities(harness, taken) == _deal_quantities(harness, deal)
    assert Decimal(str(taken["Net"])) == Decimal(str(deal["value"]))
    assert harness.fortnox_entity("orders", invoiced) is not None

    found = await report(harness, today, today)
    assert found["clean"] is True, found["differences"]
    assert found["fortnox"] == {"SEK": {"count": 1, "net": f"{Decimal(str(deal['value'])):.2f}"}}
    assert found["upsales"] == found["fortnox"]


async def test_the_backorder_a_deal_took_is_its_document(linked: SyncHarness) -> None:
    """Taken by the deal won again, the backorder gets the deal's next change, and its
    cancellation by the bookkeeper moves the deal to lost."""
    harness = linked
    _, backorder = await _partly_invoiced_then_ended(harness, "cancelled")
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    again = await sync_order(harness, order_id)
    assert again.status == JobStatus.DONE, again.last_error

    deal = harness.upsales_entity("orders", order_id)
    assert deal is not None
    more = [{**row, "quantity": row["quantity"] + 1} for row in deal["orderRow"]]
    edited_deal = edit(harness, "orders", order_id, {"orderRow": more})
    edited = await sync_order(harness, order_id)
    assert edited.status == JobStatus.DONE, edited.last_error
    assert (edited.result or {})["outcome"] == "updated"
    assert (edited.result or {})["fortnox_order"] == str(backorder)
    assert list(_open_orders(harness)) == [backorder]
    taken = _open_orders(harness)[backorder]
    assert _quantities(harness, taken) == _deal_quantities(harness, edited_deal)

    context = await context_of(harness)
    await context.fortnox.cancel_order(backorder)
    await EventFeed(harness).sync()
    lost = harness.upsales_entity("orders", order_id)
    assert lost is not None and lost["probability"] == 0


async def test_a_rewon_deal_whose_new_order_was_made_before_a_crash_passes_its_backorder_over(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backorder was invoiced too, and both invoices ended (the deal is lost), so there is
    no open one to take: the deal won again gets a new order, and the process dies before its
    link is saved. The retry's search by reference finds the new order, not the backorder,
    which carries the reference too but is never a create of the deal's (it would take it,
    invoiced and closed to changes)."""
    harness = linked
    invoiced, backorder = await _partly_invoiced_then_ended(
        harness, "cancelled", rest_invoiced=True
    )
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    await dies_before_the_link(harness, monkeypatch, order_id)
    (new,) = [
        o["DocumentNumber"]
        for o in fortnox_list(harness, "orders")
        if o["DocumentNumber"] not in (invoiced, backorder)
    ]

    again = await sync_order(harness, order_id)

    assert again.status == JobStatus.DONE, again.last_error
    assert (again.result or {}).get("fortnox_order") == str(new), again.result
