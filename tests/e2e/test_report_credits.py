"""The reconciliation report's Fortnox figures as a bookkeeper closes a month with them, against
both sandboxes: a partial credit counts what its credit invoice credits (not the invoice's whole
net), in the month of the credit invoice's own date; a foreign invoice is valued in SEK at its
own rate."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of, fortnox_call
from tests.e2e.test_inbound_payments import two_booked_invoices
from tests.e2e.test_reconciliation_report import report
from upsales_fortnox.integrations.fortnox.models import Invoice, InvoiceRow
from upsales_fortnox.sync.report import gather


def month_of(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def net_of(harness: SyncHarness, number: str) -> Decimal:
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None
    return Decimal(str(invoice["Net"]))


async def credit_one_hour(harness: SyncHarness, number: str, dated: dt.date | None = None) -> str:
    """Credit one of the invoice's two hours (dated ``dated``, else today) and book the credit;
    the credit invoice's number."""
    credited = await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    credit = str(credited["Invoice"]["CreditInvoiceReference"])
    changes: dict[str, Any] = {
        "InvoiceRows": [{"ArticleNumber": "KONS-1", "DeliveredQuantity": "-1", "Price": 1000}]
    }
    if dated is not None:
        changes["InvoiceDate"] = dated.isoformat()
    await fortnox_call(harness, "PUT", f"/invoices/{credit}", {"Invoice": changes})
    await fortnox_call(harness, "PUT", f"/invoices/{credit}/bookkeep")
    return credit


def figures(count: int, net: Decimal) -> dict[str, Any]:
    return {"count": count, "net": f"{net:.2f}"}


async def test_a_partial_credit_counts_its_own_amount(harness: SyncHarness) -> None:
    await harness.update_settings(credit_invoices=True)
    feed = EventFeed(harness)
    first, second = await two_booked_invoices(harness)
    credit = await credit_one_hour(harness, first)
    await feed.sync()
    today = harness.fortnox.tenant(harness.tenant_id).today()

    found = await report(harness, *month_of(today))

    invoiced = net_of(harness, first) + net_of(harness, second)
    credited = net_of(harness, credit)
    assert credited == Decimal("-1000")  # one hour of the invoice's two
    assert found["clean"] is True, found["differences"]
    assert found["upsales"] == found["fortnox"] == {"SEK": figures(2, invoiced)}
    assert found["ledger"] == {
        "SEK": {
            "invoiced": figures(2, invoiced),
            "credited": figures(1, credited),
            "cancelled": figures(0, Decimal(0)),
            "unbooked": figures(0, Decimal(0)),  # every one booked
            "net": f"{invoiced + credited:.2f}",
            "netSek": f"{invoiced + credited:.2f}",
        }
    }


async def test_a_credit_dated_in_the_next_month_counts_there(harness: SyncHarness) -> None:
    """An invoice of this month credited in part next month: this month's books keep the
    invoice whole, next month's hold the credit alone, and together they net the rest once."""
    await harness.update_settings(credit_invoices=True)
    feed = EventFeed(harness)
    first, second = await two_booked_invoices(harness)
    today = harness.fortnox.tenant(harness.tenant_id).today()
    this_month = month_of(today)
    next_month = month_of(this_month[1] + dt.timedelta(days=1))
    credit = await credit_one_hour(harness, first, dated=next_month[0])
    await feed.sync()

    now = await report(harness, *this_month)
    then = await report(harness, *next_month)

    invoiced = net_of(harness, first) + net_of(harness, second)
    credited = net_of(harness, credit)
    assert now["clean"] is True and then["clean"] is True, (now, then)
    assert now["ledger"]["SEK"]["invoiced"] == figures(2, invoiced)
    assert now["ledger"]["SEK"]["credited"] == figures(0, Decimal(0))
    assert then["ledger"]["SEK"]["invoiced"] == figures(0, Decimal(0))
    assert then["ledger"]["SEK"]["credited"] == figures(1, credited)
    both = Decimal(now["ledger"]["SEK"]["net"]) + Decimal(then["ledger"]["SEK"]["net"])
    assert both == invoiced + credited


async def test_a_foreign_invoice_is_valued_in_sek_at_its_own_rate(harness: SyncHarness) -> None:
    feed = EventFeed(harness)
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[{"CustomerNumber": "2001", "Name": "Göta Kanal AB"}],
        articles=[{"ArticleNumber": "KONS-1", "Description": "Konsulttimme", "SalesPrice": 1000}],
    )
    context = await context_of(harness)
    made = await context.fortnox.create_invoice(
        Invoice(
            CustomerNumber="2001",
            Currency="EUR",
            CurrencyRate=Decimal("11.4937"),
            CurrencyUnit=Decimal(1),
            InvoiceRows=[
                InvoiceRow(
                    ArticleNumber="KONS-1", DeliveredQuantity=Decimal(3), Price=Decimal("33.33")
                )
            ],
        )
    )
    await feed.sync()
    today = harness.fortnox.tenant(harness.tenant_id).today()

    found = await report(harness, *month_of(today))

    net = net_of(harness, str(made.DocumentNumber))
    assert net == Decimal("99.99")
    assert found["ledger"]["EUR"]["net"] == "99.99"
    assert found["ledger"]["EUR"]["netSek"] == "1149.26"  # 99.99 * 11.4937 = 1149.255…
    assert found["fortnox"]["EUR"] == figures(1, net)
    assert found["ledgerNetSek"] == "1149.26"  # the period's books in SEK, every currency


async def test_a_full_credit_next_month_leaves_this_months_books_whole(
    harness: SyncHarness,
) -> None:
    """An invoice of this month credited in full next month: its deal is lost now, so this
    month's comparison counts neither side, but this month's books keep the invoice and next
    month's hold its credit, at the credit's own amount."""
    feed = EventFeed(harness)
    first, second = await two_booked_invoices(harness)
    today = harness.fortnox.tenant(harness.tenant_id).today()
    this_month = month_of(today)
    next_month = month_of(this_month[1] + dt.timedelta(days=1))
    credited = await fortnox_call(harness, "PUT", f"/invoices/{first}/credit")
    credit = str(credited["Invoice"]["CreditInvoiceReference"])
    changes = {"Invoice": {"InvoiceDate": next_month[0].isoformat()}}
    await fortnox_call(harness, "PUT", f"/invoices/{credit}", changes)
    await fortnox_call(harness, "PUT", f"/invoices/{credit}/bookkeep")
    await feed.sync()

    now = await report(harness, *this_month)
    then = await report(harness, *next_month)

    invoiced = net_of(harness, first) + net_of(harness, second)
    assert now["clean"] is True and then["clean"] is True, (now, then)
    assert now["upsales"] == now["fortnox"] == {"SEK": figures(1, net_of(harness, second))}
    assert now["ledger"]["SEK"]["invoiced"] == figures(2, invoiced)
    assert now["ledger"]["SEK"]["net"] == f"{invoiced:.2f}"
    assert then["ledger"]["SEK"]["credited"] == figures(1, net_of(harness, credit))
    assert net_of(harness, credit) == -net_of(harness, first)


async def test_an_invoice_listed_twice_counts_once_in_the_books(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A list read page by page repeats an invoice when one with a lower number moves into
    the period between two pages (its date changed): the books count it once, as the
    comparison does."""
    await harness.update_settings(credit_invoices=True)
    feed = EventFeed(harness)
    first, second = await two_booked_invoices(harness)
    await feed.sync()
    today = harness.fortnox.tenant(harness.tenant_id).today()
    listed = gather._listed

    async def shifted(*args: Any) -> AsyncIterator[Any]:
        items = [item async for item in listed(*args)]
        for item in [*items, *items[-1:]]:  # the last of a page again first on the next
            yield item

    monkeypatch.setattr(gather, "_listed", shifted)

    found = await report(harness, *month_of(today))

    invoiced = net_of(harness, first) + net_of(harness, second)
    assert found["fortnox"] == {"SEK": figures(2, invoiced)}
    assert found["ledger"]["SEK"]["invoiced"] == figures(2, invoiced)
    assert found["ledgerNetSek"] == f"{invoiced:.2f}"
