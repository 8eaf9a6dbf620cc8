"""The reconciliation report of a deal won again after its invoice was cancelled: the
cancelled invoice, whose link the new one took, is no difference (its repair, a sync of the
cancelled invoice, changes nothing, so the report would never be clean again)."""

from __future__ import annotations

import datetime as dt

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of
from tests.e2e.outbound_support import sync_order, win
from tests.e2e.test_reconciliation_report import report
from upsales_fortnox.vocabulary import JobStatus


async def test_a_rewon_deals_cancelled_invoice_is_no_difference(linked: SyncHarness) -> None:
    harness = linked
    order_id = harness.demo.opportunity_id
    today = dt.date.today()
    win(harness, order_id, date=today.isoformat())
    first = await sync_order(harness, order_id)
    assert first.status == JobStatus.DONE, first.last_error
    cancelled = int((first.result or {})["fortnox_invoice"])
    await (await context_of(harness)).fortnox.cancel_invoice(cancelled)
    await EventFeed(harness).sync()
    win(harness, order_id)  # the customer signs after all
    again = await sync_order(harness, order_id)
    assert again.status == JobStatus.DONE, again.last_error

    found = await report(harness, today, today)

    assert found["clean"] is True, found["differences"]
    assert found["upsales"] == found["fortnox"]
