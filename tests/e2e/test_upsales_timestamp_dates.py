"""Upsales writes some dates as timestamps, midnight in Stockholm in UTC (the collection's
activities: ``"closeDate": "2021-09-28T22:00:00Z"`` for the 29th); an order read so is the
order of that Swedish day, and its won deal reaches Fortnox as any other."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import sync_order, win
from upsales_fortnox.integrations.upsales.models import Order
from upsales_fortnox.vocabulary import JobStatus


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("2026-12-06", dt.date(2026, 12, 6)),
        ("2026-12-06T23:00:00.000Z", dt.date(2026, 12, 7)),  # winter: UTC+1
        ("2026-06-30T22:00:00Z", dt.date(2026, 7, 1)),  # summer: UTC+2
        ("2026-03-28T23:00:00.000Z", dt.date(2026, 3, 29)),  # the spring change's day
        ("2026-10-24T22:00:00.000Z", dt.date(2026, 10, 25)),  # the autumn change's day
        ("2026-12-31T23:00:00.000Z", dt.date(2027, 1, 1)),  # a year's end
        ("2026-12-07T00:00:00.000Z", dt.date(2026, 12, 7)),  # UTC midnight: 01:00 that day
        ("2026-12-07T09:15:42.903Z", dt.date(2026, 12, 7)),
        ("2026-12-07T23:30:00+00:00", dt.date(2026, 12, 8)),
    ],
)
def test_an_order_date_written_as_a_timestamp_is_its_swedish_day(
    written: str, day: dt.date
) -> None:
    order = Order.model_validate({"id": 1, "date": written, "closeDate": written})
    assert (order.date, order.closeDate) == (day, day)


async def test_a_won_deal_whose_dates_read_as_timestamps_is_invoiced(linked: SyncHarness) -> None:
    harness = linked
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    stored = harness.upsales.get_entity(harness.demo.customer_id, "orders", order_id)
    assert stored is not None
    stored["date"] = "2026-12-06T23:00:00.000Z"
    stored["closeDate"] = "2026-12-06T23:00:00.000Z"

    sent = await sync_order(harness, order_id)

    assert sent.status == JobStatus.DONE, sent.last_error
    assert (sent.result or {}).get("fortnox_invoice")
