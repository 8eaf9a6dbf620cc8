"""In order mode the bookkeeper may deliver part of a row now and the rest later (Fortnox makes
a backorder of the rest once the order is invoiced). A sales rep's later change of the deal
must not send that row fully delivered again: "Skapa faktura" would bill goods never shipped.
The row keeps its delivered quantity, at most its new quantity; rows delivered in full stay
fully delivered at their new quantity, as every row the sync writes starts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, fortnox_call
from tests.e2e.outbound_support import edit, sync_order, win
from tests.e2e.won_deal_support import fortnox_calls
from upsales_fortnox.vocabulary import JobStatus, SyncType


def _quantities(harness: SyncHarness, number: str) -> list[tuple[str, Decimal, Decimal]]:
    order = harness.fortnox_entity("orders", number)
    assert order is not None
    return [
        (row["ArticleNumber"], Decimal(row["OrderedQuantity"]), Decimal(row["DeliveredQuantity"]))
        for row in order["OrderRows"]
    ]


async def _first_row_delivered_in_part(harness: SyncHarness, order_id: int) -> str:
    """The deal sent as an order, whose first row the bookkeeper then delivers one of."""
    await harness.update_settings(sync_type=SyncType.ORDER)
    win(harness, order_id)
    sent = await sync_order(harness, order_id)
    assert sent.status == JobStatus.DONE, sent.last_error
    number = str((sent.result or {})["fortnox_order"])
    order = harness.fortnox_entity("orders", number)
    assert order is not None
    first, *rest = order["OrderRows"]
    rows = [{"RowId": first["RowId"], "DeliveredQuantity": "1"}]
    rows += [{"RowId": row["RowId"]} for row in rest]
    await fortnox_call(harness, "PUT", f"/orders/{number}", {"Order": {"OrderRows": rows}})
    await EventFeed(harness).sync()
    return number


def _change_rows(harness: SyncHarness, order_id: int, **by_index: dict[str, Any]) -> None:
    deal = harness.upsales_entity("orders", order_id)
    assert deal is not None
    rows = [{**row, **by_index.get(f"row{i}", {})} for i, row in enumerate(deal["orderRow"])]
    edit(harness, "orders", order_id, {"orderRow": rows})


@pytest.mark.parametrize(
    ("first_row_quantity", "delivered"),
    [(None, Decimal(1)), (5, Decimal(1)), (Decimal("0.5"), Decimal("0.5"))],
    ids=["other_row_changed", "more_ordered", "less_ordered_than_delivered"],
)
async def test_a_part_delivery_stays_when_the_sales_rep_changes_the_deal(
    linked: SyncHarness, first_row_quantity: Decimal | int | None, delivered: Decimal
) -> None:
    harness = linked
    order_id = harness.demo.opportunity_id
    number = await _first_row_delivered_in_part(harness, order_id)
    before = _quantities(harness, number)
    assert before[0][2] == 1 < before[0][1]
    first = {} if first_row_quantity is None else {"quantity": float(first_row_quantity)}
    _change_rows(harness, order_id, row0=first, row1={"quantity": 12})

    changed = await sync_order(harness, order_id)

    assert changed.status == JobStatus.DONE, changed.last_error
    after = _quantities(harness, number)
    ordered = before[0][1] if first_row_quantity is None else Decimal(str(first_row_quantity))
    assert after[0] == (before[0][0], ordered, delivered)
    assert after[1] == (before[1][0], Decimal(12), Decimal(12))  # delivered in full, as written


async def test_a_part_delivery_stays_at_the_deals_second_change(linked: SyncHarness) -> None:
    """The first change read the order (its rows renumbered by the bookkeeper's edit); the
    second, from the rows the link keeps, reads it too, since a row is delivered in part."""
    harness = linked
    order_id = harness.demo.opportunity_id
    number = await _first_row_delivered_in_part(harness, order_id)
    _change_rows(harness, order_id, row1={"quantity": 12})
    first = await sync_order(harness, order_id)
    assert first.status == JobStatus.DONE and _quantities(harness, number)[0][2] == 1
    _change_rows(harness, order_id, row1={"quantity": 13})
    harness.services.fortnox_calls.clear()

    second = await sync_order(harness, order_id)

    assert second.status == JobStatus.DONE, second.last_error
    assert _quantities(harness, number)[0][2] == 1
    assert _quantities(harness, number)[1][1:] == (Decimal(13), Decimal(13))
    assert fortnox_calls(harness) == {
        "GET /orders/{DocumentNumber}": 1,
        "PUT /orders/{DocumentNumber}": 1,
    }
