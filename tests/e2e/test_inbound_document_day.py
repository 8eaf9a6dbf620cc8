"""A Fortnox document that states no date of its own makes an Upsales order dated by Fortnox's
day (Sweden's), whatever the zone of the host the service runs on."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, consultancy_invoice
from tests.e2e.outbound_support import fortnox_today
from tests.e2e.test_inbound_documents import invoice_module, orders_described

__all__ = ["invoice_module"]

STOCKHOLM = ZoneInfo("Europe/Stockholm")
FAR_ZONES = ("Etc/GMT-14", "Etc/GMT+12")
"""UTC+14 and UTC-12: at any instant the host's date in one of them is not Sweden's."""


@pytest.fixture
def host_far_from_sweden(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The host's zone (``TZ``) one whose date now is not Sweden's."""
    sweden = dt.datetime.now(STOCKHOLM).date()
    zone = next(z for z in FAR_ZONES if dt.datetime.now(ZoneInfo(z)).date() != sweden)
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    assert dt.date.today() != sweden
    yield zone
    monkeypatch.undo()
    time.tzset()


async def test_an_invoice_without_a_date_makes_an_order_of_fortnoxs_day(
    invoice_module: SyncHarness, host_far_from_sweden: str
) -> None:
    harness = invoice_module
    feed = EventFeed(harness)
    invoice = await consultancy_invoice(harness, "1001")
    stored = (
        harness.fortnox.tenant(harness.tenant_id)
        .collection("invoices")
        .get(str(invoice.DocumentNumber))
    )
    assert stored is not None
    stored["InvoiceDate"] = None

    await feed.sync()

    (order,) = orders_described(harness, f"Fortnox-faktura {invoice.DocumentNumber}")
    assert order["date"] == fortnox_today(harness).isoformat()
