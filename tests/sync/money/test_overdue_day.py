"""Reconciliation reads Fortnox's overdue invoices at the first run of each Swedish day: an
invoice due yesterday shows overdue from the first run after midnight in Stockholm (winter,
summer and the days daylight saving changes), read again at the first run an hour into the day
when the first came earlier, and no more that day."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest

from upsales_fortnox.integrations.fortnox.models import Invoice
from upsales_fortnox.integrations.ports import FortnoxPort
from upsales_fortnox.sync.money.reconcile_money import (
    OVERDUE_CHECKPOINT,
    PAYMENTS_CHECKPOINT,
    money_batches,
)

UTC = dt.UTC


class OverdueList:
    """Fortnox's lists as reconciliation reads them: no payments, invoice 7 overdue."""

    def __init__(self) -> None:
        self.filters: list[str | None] = []

    async def iter_gapless(
        self, model: type[Any], *, last_modified: Any = None, filter: str | None = None
    ) -> AsyncIterator[Any]:
        self.filters.append(filter)
        if model is Invoice and filter == "unpaidoverdue":
            yield Invoice.model_validate({"DocumentNumber": 7})


async def overdue_markers(checked: dt.datetime, now: dt.datetime) -> list[str]:
    """The markers of the overdue batches a run at ``now`` feeds, the last read at ``checked``."""
    fortnox = OverdueList()
    checkpoints = {PAYMENTS_CHECKPOINT: now, OVERDUE_CHECKPOINT: checked}
    batches = await money_batches(
        cast(FortnoxPort, fortnox),
        {"7"},
        checkpoints,
        now=now,
        first_since=now,
        overlap=dt.timedelta(minutes=2),
    )
    overdue = [batch for batch in batches if batch.checkpoint == OVERDUE_CHECKPOINT]
    assert all(batch.numbers == ["7"] for batch in overdue)
    return [batch.marker for batch in overdue]


@pytest.mark.parametrize(
    ("checked", "now", "day"),
    [
        # winter: 23:30 on the 6th, then 00:05 on the 7th in Stockholm
        (
            dt.datetime(2026, 12, 6, 22, 30, tzinfo=UTC),
            dt.datetime(2026, 12, 6, 23, 5, tzinfo=UTC),
            "2026-12-07",
        ),
        # summer: 23:50 on 30 June, then 00:10 on 1 July in Stockholm (22:10 UTC on 30 June)
        (
            dt.datetime(2026, 6, 30, 21, 50, tzinfo=UTC),
            dt.datetime(2026, 6, 30, 22, 10, tzinfo=UTC),
            "2026-07-01",
        ),
        # the spring change (29 March 2026): read at 00:30 on the 29th, then midnight on the 30th
        (
            dt.datetime(2026, 3, 28, 23, 30, tzinfo=UTC),
            dt.datetime(2026, 3, 29, 22, 0, tzinfo=UTC),
            "2026-03-30",
        ),
        # the autumn change (25 October 2026): read at 00:30 on the 25th, then 00:01 on the 26th
        (
            dt.datetime(2026, 10, 24, 22, 30, tzinfo=UTC),
            dt.datetime(2026, 10, 25, 23, 1, tzinfo=UTC),
            "2026-10-26",
        ),
        # a year's end: 23:59 on 31 December, then 00:01 on New Year's Day
        (
            dt.datetime(2026, 12, 31, 22, 59, tzinfo=UTC),
            dt.datetime(2026, 12, 31, 23, 1, tzinfo=UTC),
            "2027-01-01",
        ),
    ],
)
async def test_the_first_run_after_midnight_in_stockholm_reads_the_overdue_invoices(
    checked: dt.datetime, now: dt.datetime, day: str
) -> None:
    assert await overdue_markers(checked, now) == [f"overdue:{day}"]


@pytest.mark.parametrize(
    ("checked", "now"),
    [
        # 01:05 and 23:55 of 7 December in Stockholm
        (dt.datetime(2026, 12, 7, 0, 5, tzinfo=UTC), dt.datetime(2026, 12, 7, 22, 55, tzinfo=UTC)),
        # the spring change's day, 24 hours less one: 01:30 and 23:59 of 29 March
        (
            dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
            dt.datetime(2026, 3, 29, 21, 59, tzinfo=UTC),
        ),
        # the autumn change's day, 25 hours long: 01:00 and 23:59 of 25 October
        (
            dt.datetime(2026, 10, 24, 23, 0, tzinfo=UTC),
            dt.datetime(2026, 10, 25, 22, 59, tzinfo=UTC),
        ),
        # a day's first read an hour in or later (an installation resumed at 14:00): no other
        (
            dt.datetime(2026, 12, 7, 13, 0, tzinfo=UTC),
            dt.datetime(2026, 12, 7, 13, 15, tzinfo=UTC),
        ),
    ],
)
async def test_a_second_run_the_same_swedish_day_does_not_read_them_again(
    checked: dt.datetime, now: dt.datetime
) -> None:
    assert await overdue_markers(checked, now) == []


@pytest.mark.parametrize(
    ("checked", "now", "day"),
    [
        # winter: 00:00:30 on 7 December in Stockholm, then 01:05
        (
            dt.datetime(2026, 12, 6, 23, 0, 30, tzinfo=UTC),
            dt.datetime(2026, 12, 7, 0, 5, tzinfo=UTC),
            "2026-12-07",
        ),
        # summer: 00:10 on 1 July, then 01:00 (the hour's end)
        (
            dt.datetime(2026, 6, 30, 22, 10, tzinfo=UTC),
            dt.datetime(2026, 6, 30, 23, 0, tzinfo=UTC),
            "2026-07-01",
        ),
        # the autumn change's day: 00:30 on 25 October, then 01:20 (before the repeated hour)
        (
            dt.datetime(2026, 10, 24, 22, 30, tzinfo=UTC),
            dt.datetime(2026, 10, 24, 23, 20, tzinfo=UTC),
            "2026-10-25",
        ),
    ],
)
async def test_a_day_first_read_just_after_midnight_is_read_again_an_hour_in(
    checked: dt.datetime, now: dt.datetime, day: str
) -> None:
    """Fortnox's clock some seconds behind ours (or its filter turning late) leaves an invoice
    due yesterday out of a read at 00:00:30: the run an hour into the day reads the list again,
    under the day's marker (the invoice's event recorded once)."""
    assert await overdue_markers(checked, now) == [f"overdue:{day}"]


@pytest.mark.parametrize(
    ("checked", "now"),
    [
        # 00:05 and 00:55 of 7 December in Stockholm: not an hour in yet
        (dt.datetime(2026, 12, 6, 23, 5, tzinfo=UTC), dt.datetime(2026, 12, 6, 23, 55, tzinfo=UTC)),
        # 01:00 and 01:15: the second read was at 01:00
        (dt.datetime(2026, 12, 7, 0, 0, tzinfo=UTC), dt.datetime(2026, 12, 7, 0, 15, tzinfo=UTC)),
    ],
)
async def test_the_first_hour_of_a_day_reads_the_list_once(
    checked: dt.datetime, now: dt.datetime
) -> None:
    assert await overdue_markers(checked, now) == []


async def test_an_installation_never_checked_reads_them_at_once() -> None:
    now = dt.datetime(2026, 12, 6, 23, 5, tzinfo=UTC)
    fortnox = OverdueList()
    batches = await money_batches(
        cast(FortnoxPort, fortnox),
        {"7"},
        {},
        now=now,
        first_since=now,
        overlap=dt.timedelta(minutes=2),
    )
    assert [batch.marker for batch in batches if batch.checkpoint == OVERDUE_CHECKPOINT] == [
        "overdue:2026-12-07"
    ]
