"""The reconciliation report as a bookkeeper closing a month meets it, against both sandboxes:
öresavrundning (``RoundOff``), prices including VAT, foreign currency, credits in part and in
full, an invoice cancelled before it was ever synced, an invoice on the month's last day, and a
repair asked for twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of, fortnox_call, link_of
from tests.e2e.outbound_support import edit, sync_order, win
from tests.e2e.test_reconciliation_report import repair, report
from upsales_fortnox.integrations.fortnox import listing as fortnox_listing
from upsales_fortnox.integrations.fortnox.models import Invoice, InvoiceRow
from upsales_fortnox.vocabulary import FortnoxType, JobStatus

D = Decimal
DAY = dt.date(2026, 10, 14)
MONTH = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


async def fortnox_invoice(
    harness: SyncHarness,
    price: Decimal,
    *,
    day: dt.date = DAY,
    quantity: int | Decimal = 1,
    vat_included: bool = False,
    currency: str | None = None,
) -> str:
    """An invoice made in Fortnox (one row of KONS-1); its number."""
    if harness.fortnox_entity("customers", "2001") is None:
        harness.fortnox.seed(
            harness.tenant_id,
            customers=[{"CustomerNumber": "2001", "Name": "Göta Kanal AB"}],
        )
    context = await context_of(harness)
    foreign = {"Currency": currency, "CurrencyRate": D("11.50"), "CurrencyUnit": D(1)}
    made = await context.fortnox.create_invoice(
        Invoice(
            CustomerNumber="2001",
            InvoiceDate=day,
            VATIncluded=vat_included,
            InvoiceRows=[
                InvoiceRow(ArticleNumber="KONS-1", DeliveredQuantity=D(quantity), Price=price)
            ],
            **(foreign if currency else {}),
        )
    )
    return str(made.DocumentNumber)


def differences(found: dict[str, object]) -> list[tuple[str, object, object]]:
    listed = found["differences"]
    assert isinstance(listed, list)
    return [(d["kind"], d["upsalesOrder"], d["fortnoxDocument"]) for d in listed]


async def test_an_invoice_rounded_to_whole_kronor_is_no_difference(linked: SyncHarness) -> None:
    """With öresavrundning on, 999.90 kr + 25 % VAT is 1 249.88 kr, rounded to 1 250 kr: the
    12 öre are no sale, and the report compares the order with the invoice's Net."""
    harness = linked
    harness.fortnox.set_round_off(harness.tenant_id, True)
    number = await fortnox_invoice(harness, D("999.90"))
    await EventFeed(harness).sync()
    stored = harness.fortnox_entity("invoices", number)
    assert stored is not None and D(stored["RoundOff"]) == D("0.12")

    found = await report(harness, *MONTH)

    assert found["clean"] is True, found["differences"]
    assert found["fortnox"] == found["upsales"] == {"SEK": {"count": 1, "net": "999.90"}}


async def test_a_won_deal_whose_invoice_is_rounded_is_no_difference(linked: SyncHarness) -> None:
    harness = linked
    harness.fortnox.set_round_off(harness.tenant_id, True)
    order_id = harness.demo.opportunity_id
    today = harness.fortnox.tenant(harness.tenant_id).today()
    win(harness, order_id, date=today.isoformat())
    sent = await sync_order(harness, order_id)
    assert sent.status == JobStatus.DONE, sent.last_error
    invoice = harness.fortnox_entity("invoices", (sent.result or {})["fortnox_invoice"])
    assert invoice is not None

    found = await report(harness, today, today)

    assert found["clean"] is True, found["differences"]
    assert found["fortnox"] == found["upsales"]
    assert found["fortnox"]["SEK"]["net"] == f"{D(invoice['Net']):.2f}"


async def test_an_invoice_priced_with_vat_included_is_compared_without_vat(
    linked: SyncHarness,
) -> None:
    harness = linked
    harness.fortnox.set_round_off(harness.tenant_id, True)
    await fortnox_invoice(harness, D("1249.99"), quantity=D(3), vat_included=True)
    await EventFeed(harness).sync()

    found = await report(harness, *MONTH)

    assert found["clean"] is True, found["differences"]
    # 3 x 1 249.99 = 3 749.97 including VAT; 749.99 of it is VAT
    assert found["fortnox"] == found["upsales"] == {"SEK": {"count": 1, "net": "2999.98"}}


async def test_a_euro_invoice_is_compared_and_totalled_in_euro(linked: SyncHarness) -> None:
    harness = linked
    await fortnox_invoice(harness, D("120.10"), quantity=D(3), currency="EUR")
    await fortnox_invoice(harness, D(500))
    await EventFeed(harness).sync()

    found = await report(harness, *MONTH)

    assert found["clean"] is True, found["differences"]
    assert found["fortnox"] == found["upsales"]
    assert found["fortnox"] == {
        "EUR": {"count": 1, "net": "360.30"},
        "SEK": {"count": 1, "net": "500.00"},
    }


async def test_a_euro_invoice_whose_order_says_kronor_differs(linked: SyncHarness) -> None:
    """The same figure in another currency is no agreement."""
    harness = linked
    number = await fortnox_invoice(harness, D(500), currency="EUR")
    await EventFeed(harness).sync()
    link = await link_of(harness, FortnoxType.INVOICE, number)
    assert link is not None
    stored = harness.upsales.get_entity(harness.demo.customer_id, "orders", link.upsales_id)
    assert stored is not None
    stored["currency"] = "SEK"

    found = await report(harness, *MONTH)

    assert differences(found) == [("amount_differs", link.upsales_id, f"invoice {number}")]


async def test_a_partly_credited_invoice_counts_what_its_order_says(linked: SyncHarness) -> None:
    """With ``creditInvoices`` a credit of one of two hours leaves the invoice live and its
    deal won: no difference, and the credit invoice is no document of its own."""
    harness = linked
    await harness.update_settings(credit_invoices=True)
    feed = EventFeed(harness)
    number = await fortnox_invoice(harness, D(1000), quantity=D(2))
    await fortnox_call(harness, "PUT", f"/invoices/{number}/bookkeep")
    await feed.sync()
    credited = await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    credit_number = credited["Invoice"]["CreditInvoiceReference"]
    row = {"ArticleNumber": "KONS-1", "DeliveredQuantity": "-1", "Price": 1000}
    await fortnox_call(
        harness, "PUT", f"/invoices/{credit_number}", {"Invoice": {"InvoiceRows": [row]}}
    )
    await feed.sync()
    credit = harness.fortnox_entity("invoices", credit_number)
    assert credit is not None

    found = await report(harness, *MONTH)
    found_today = await report(harness, *([dt.date.fromisoformat(str(credit["InvoiceDate"]))] * 2))

    assert found["clean"] is True, found["differences"]
    assert found["fortnox"] == found["upsales"] == {"SEK": {"count": 1, "net": "2000.00"}}
    assert found_today["clean"] is True, found_today["differences"]
    # the books: the invoice whole in its month; its credit, dated today, in today's period, at
    # the one hour it credits (not booked yet)
    assert credit["InvoiceDate"] > MONTH[1].isoformat()
    books = found["ledger"]["SEK"]
    assert books["invoiced"] == {"count": 1, "net": "2000.00"}
    assert books["credited"] == {"count": 0, "net": "0.00"}
    assert books["net"] == books["netSek"] == "2000.00"
    credits = found_today["ledger"]["SEK"]
    assert credits["credited"] == credits["unbooked"] == {"count": 1, "net": "-1000.00"}
    assert credits["invoiced"] == {"count": 0, "net": "0.00"}


async def test_a_fully_credited_invoice_and_its_lost_order_count_for_nothing(
    linked: SyncHarness,
) -> None:
    harness = linked
    feed = EventFeed(harness)
    number = await fortnox_invoice(harness, D(1000), quantity=D(2))
    kept = await fortnox_invoice(harness, D(300))
    await fortnox_call(harness, "PUT", f"/invoices/{number}/bookkeep")
    await feed.sync()
    await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
    await feed.sync()
    link = await link_of(harness, FortnoxType.INVOICE, number)
    assert link is not None
    lost = harness.upsales_entity("orders", link.upsales_id)
    assert lost is not None and lost["probability"] == 0

    found = await report(harness, *MONTH)

    assert found["clean"] is True, found["differences"]
    assert found["fortnox"] == found["upsales"] == {"SEK": {"count": 1, "net": "300.00"}}
    assert kept
    # the books keep the credited invoice in its month; its credit, dated today, counts in
    # today's period, at its own Net
    books = found["ledger"]["SEK"]
    assert books["invoiced"] == {"count": 2, "net": "2300.00"}
    assert books["credited"] == {"count": 0, "net": "0.00"}
    credited = harness.fortnox_entity("invoices", number)
    assert credited is not None
    credit = harness.fortnox_entity("invoices", credited["CreditInvoiceReference"])
    assert credit is not None
    credit_day = dt.date.fromisoformat(str(credit["InvoiceDate"]))
    later = await report(harness, credit_day, credit_day)
    assert later["ledger"]["SEK"]["credited"] == {"count": 1, "net": "-2000.00"}


async def test_an_invoice_cancelled_before_it_was_synced_is_no_difference(
    linked: SyncHarness,
) -> None:
    harness = linked
    feed = EventFeed(harness)
    number = await fortnox_invoice(harness, D(700))
    await fortnox_call(harness, "PUT", f"/invoices/{number}/cancel")
    await feed.sync()

    found = await report(harness, *MONTH)

    assert found["clean"] is True, found["differences"]
    assert found["fortnox"] == found["upsales"] == {}
    assert found["ledger"]["SEK"]["cancelled"] == {"count": 1, "net": "700.00"}
    assert found["ledger"]["SEK"]["net"] == "0.00"


async def test_an_invoice_of_the_months_last_day_counts_in_that_month_only(
    linked: SyncHarness,
) -> None:
    harness = linked
    await fortnox_invoice(harness, D(400), day=dt.date(2026, 10, 31))
    await fortnox_invoice(harness, D(100), day=dt.date(2026, 11, 1))
    await EventFeed(harness).sync()

    october = await report(harness, *MONTH)
    november = await report(harness, dt.date(2026, 11, 1), dt.date(2026, 11, 30))

    assert october["clean"] is True and november["clean"] is True
    assert october["fortnox"] == october["upsales"] == {"SEK": {"count": 1, "net": "400.00"}}
    assert november["fortnox"] == november["upsales"] == {"SEK": {"count": 1, "net": "100.00"}}


async def test_a_repair_asked_for_twice_queues_each_job_once(linked: SyncHarness) -> None:
    harness = linked
    feed = EventFeed(harness)
    await fortnox_invoice(harness, D(900))
    feed.new_events()  # lost
    win(harness, harness.demo.opportunity_id, date=DAY.isoformat())  # its hook never came

    first = await repair(harness, *MONTH)
    second = await repair(harness, *MONTH)

    assert len(first) == 2
    assert sorted(item["jobId"] for item in first) == sorted(item["jobId"] for item in second)
    await harness.run_jobs()
    await feed.sync()
    after = await report(harness, *MONTH)
    assert after["clean"] is True, after["differences"]


async def test_a_euro_invoice_whose_rate_changed_in_fortnox_differs_until_repaired(
    linked: SyncHarness,
) -> None:
    """The bookkeeper sets the day's rate on an imported euro invoice and its event is lost:
    the same euros, but Upsales values the deal at the old rate. The report names it, and its
    repair brings the rate to Upsales."""
    harness = linked
    feed = EventFeed(harness)
    number = await fortnox_invoice(harness, D(500), currency="EUR")
    await feed.sync()
    await fortnox_call(harness, "PUT", f"/invoices/{number}", {"Invoice": {"CurrencyRate": 11.2}})
    feed.new_events()  # lost
    link = await link_of(harness, FortnoxType.INVOICE, number)
    assert link is not None

    found = await report(harness, *MONTH)

    assert differences(found) == [("amount_differs", link.upsales_id, f"invoice {number}")]
    assert "11.2" in found["differences"][0]["detail"]
    await repair(harness, *MONTH)
    await harness.run_jobs()
    after = await report(harness, *MONTH)
    assert after["clean"] is True, after["differences"]


async def test_a_euro_deal_whose_rate_changed_in_upsales_differs_until_repaired(
    linked: SyncHarness,
) -> None:
    harness = linked
    order_id = harness.demo.opportunity_id
    today = harness.fortnox.tenant(harness.tenant_id).today()
    win(harness, order_id, date=today.isoformat(), currency="EUR", currencyRate="0.087")
    sent = await sync_order(harness, order_id)
    assert sent.status == JobStatus.DONE, sent.last_error
    assert (await report(harness, today, today))["clean"] is True
    edit(harness, "orders", order_id, {"currencyRate": "0.089"})  # its hook never came

    found = await report(harness, today, today)

    number = (sent.result or {})["fortnox_invoice"]
    assert differences(found) == [("amount_differs", order_id, f"invoice {number}")]
    await repair(harness, today, today)
    await harness.run_jobs()
    after = await report(harness, today, today)
    assert after["clean"] is True, after["differences"]
    invoice = harness.fortnox_entity("invoices", number)
    assert invoice is not None and D(invoice["CurrencyRate"]) == D("11.2359550562")


async def test_a_month_of_more_invoices_than_a_page_is_read_whole(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fortnox lists the month's invoices (``fromdate``/``todate``) a page at a time: every
    page is read, the month's first and last days included, the days around it not. (Their
    events lost, no link leads to them: only the list finds them.)"""
    harness = linked
    days = [dt.date(2026, 9, 30), *(dt.date(2026, 10, day) for day in (1, 9, 17, 25, 31))]
    numbers = [await fortnox_invoice(harness, D(100), day=day) for day in days]
    await fortnox_invoice(harness, D(100), day=dt.date(2026, 11, 1))
    monkeypatch.setattr(fortnox_listing, "PAGE_SIZE", 2)

    found = await report(harness, *MONTH)

    assert differences(found) == [
        ("missing_in_upsales", None, f"invoice {number}") for number in numbers[1:]
    ]
    assert found["fortnox"] == {"SEK": {"count": 5, "net": "500.00"}}
