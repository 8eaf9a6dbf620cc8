"""The report's figures as a bookkeeper closes a month with them (pure): every amount in the
period of its own document's date, a credit invoice at its own amounts (not the invoice it
credits), cancelled documents apart, foreign currencies also in SEK at each document's rate,
and totals that add up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from upsales_fortnox.domain.report_compare import Deal, Document, compare
from upsales_fortnox.domain.report_ledger import LedgerEntry, Totals, ledger, total_sek
from upsales_fortnox.sync.report.presentation import report_json, report_table
from upsales_fortnox.vocabulary import FortnoxType

D = Decimal
INVOICE = FortnoxType.INVOICE
DECEMBER = (dt.date(2026, 12, 1), dt.date(2026, 12, 31))


def test_a_partial_credit_counts_what_its_credit_invoice_credits() -> None:
    """Invoice of 1000.00 SEK, credited in part by a credit invoice of -250.00 SEK (one row of
    four): credited is 250.00, not the invoice's 1000.00, and the period nets 750.00."""
    found = ledger(
        [LedgerEntry("SEK", D("1000.00")), LedgerEntry("SEK", D("-250.00"), credit=True)]
    )
    sek = found["SEK"]
    assert sek.invoiced == Totals(1, D("1000.00"))
    assert sek.credited == Totals(1, D("-250.00"))
    assert sek.net == D("750.00")
    assert sek.net_sek == D("750.00")


def test_a_credit_invoice_counts_negative_whatever_sign_it_is_held_with() -> None:
    found = ledger([LedgerEntry("SEK", D("250.00"), credit=True)])
    assert found["SEK"].credited == Totals(1, D("-250.00"))


def test_cancelled_documents_count_apart_and_not_in_the_net() -> None:
    found = ledger(
        [
            LedgerEntry("SEK", D("100.00")),
            LedgerEntry("SEK", D("40.00"), cancelled=True),
            LedgerEntry("SEK", D("-10.00"), credit=True, cancelled=True),
        ]
    )
    sek = found["SEK"]
    assert sek.invoiced == Totals(1, D("100.00"))
    assert sek.credited == Totals()
    assert sek.cancelled == Totals(2, D("30.00"))
    assert sek.net == D("100.00")


def test_a_cancelled_credit_invoice_counts_the_same_whatever_sign_it_is_held_with() -> None:
    """Fortnox may hold a credit invoice's amounts negative or positive: a cancelled one takes
    its invoice's cancelled figure down by the same amount either way."""
    for held in (D("-10.00"), D("10.00")):
        found = ledger(
            [
                LedgerEntry("SEK", D("40.00"), cancelled=True),
                LedgerEntry("SEK", held, credit=True, cancelled=True),
            ]
        )
        assert found["SEK"].cancelled == Totals(2, D("30.00")), held


def test_what_is_not_booked_yet_is_named_within_the_net() -> None:
    """Before the month is closed: an invoice and a credit not booked yet count in the net, and
    again under ``unbooked``, so the bookkeeper sees what is left to book; a cancelled one is
    never to book."""
    found = ledger(
        [
            LedgerEntry("SEK", D("1000.00")),
            LedgerEntry("SEK", D("400.00"), booked=False),
            LedgerEntry("SEK", D("-100.00"), credit=True, booked=False),
            LedgerEntry("SEK", D("40.00"), cancelled=True, booked=False),
        ]
    )
    sek = found["SEK"]
    assert sek.net == D("1300.00")
    assert sek.unbooked == Totals(2, D("300.00"))
    report = compare([], [], {})
    report.ledger = found
    assert report_json(report, *DECEMBER)["ledger"]["SEK"]["unbooked"] == {
        "count": 2,
        "net": "300.00",
    }
    assert "ej bokfört" in report_table(report)


def test_a_foreign_currency_is_valued_in_sek_at_each_documents_rate() -> None:
    """Two EUR invoices at two rates and a credit at a third: each valued to the öre at its own
    rate (per its unit), then summed."""
    found = ledger(
        [
            LedgerEntry("EUR", D("100.00"), rate=D("11.4942"), rate_unit=D(1)),
            LedgerEntry("EUR", D("33.33"), rate=D("1150.5"), rate_unit=D(100)),
            LedgerEntry("EUR", D("-10.00"), credit=True, rate=D("11.6"), rate_unit=D(1)),
        ]
    )
    eur = found["EUR"]
    assert eur.net == D("123.33")
    # 1149.42 + 383.46 (33.33 * 11.505 = 383.4616..) - 116.00
    assert eur.net_sek == D("1416.88")
    assert isinstance(eur.net_sek, Decimal)


def test_a_foreign_document_without_a_rate_leaves_the_sek_value_unknown() -> None:
    found = ledger([LedgerEntry("EUR", D("100.00")), LedgerEntry("SEK", D("5.00"))])
    assert found["EUR"].net_sek is None
    assert total_sek(found) is None


def test_every_currency_adds_up_in_sek() -> None:
    """The period's books in SEK: each currency's net at its documents' rates, summed."""
    found = ledger(
        [
            LedgerEntry("SEK", D("1000.00")),
            LedgerEntry("SEK", D("-250.00"), credit=True),
            LedgerEntry("EUR", D("100.00"), rate=D("11.4942")),
            LedgerEntry("USD", D("10.00"), rate=D("10.25"), cancelled=True),
        ]
    )
    assert total_sek(found) == D("1899.42")
    report = compare([], [], {})
    report.ledger = found
    assert report_json(report, *DECEMBER)["ledgerNetSek"] == "1899.42"
    assert "1899.42" in report_table(report)


def test_each_side_counts_in_its_own_period_and_the_bridge_names_the_rest() -> None:
    """Deal 1 won in November, its invoice dated in December; deal 2 won in December, its
    invoice dated in January. December's report counts deal 2 (not deal 1) in Upsales and
    invoice 11 (not invoice 12) in Fortnox, and says which amounts fall in another period."""
    deals = [
        Deal(1, D("100.00"), "SEK", 100, in_period=False),
        Deal(2, D("250.00"), "SEK", 100),
    ]
    documents = [
        Document(INVOICE, "11", D("100.00"), "SEK", False),
        Document(INVOICE, "12", D("250.00"), "SEK", False, in_period=False),
    ]
    report = compare(deals, documents, {(INVOICE, "11"): 1, (INVOICE, "12"): 2})
    assert report.clean
    assert report.upsales == {"SEK": Totals(1, D("250.00"))}
    assert report.fortnox == {"SEK": Totals(1, D("100.00"))}
    assert report.documented_elsewhere == {"SEK": Totals(1, D("250.00"))}
    assert report.won_elsewhere == {"SEK": Totals(1, D("100.00"))}
    shown = report_json(report, *DECEMBER)
    assert shown["timing"]["SEK"] == {
        "documentedInOtherPeriod": {"count": 1, "net": "250.00"},
        "wonInOtherPeriod": {"count": 1, "net": "100.00"},
    }
    assert "fakturadatum" in shown["periodRule"]
    assert "fakturadatum" in report_table(report)


money = st.decimals(min_value=0, max_value=10**6, places=2)


@given(st.lists(st.tuples(money, st.booleans(), st.booleans()), max_size=20))
def test_a_clean_report_bridges_upsales_to_fortnox(pairs: list[tuple[Decimal, bool, bool]]) -> None:
    """Whichever period each side of a matched pair falls in, a clean report's totals add up:
    Upsales, less what was won here and documented elsewhere, plus what was documented here
    and won elsewhere, is Fortnox; and each amount counts in one period only."""
    deals = [
        Deal(i, value, "SEK", 100, in_period=deal_here)
        for i, (value, deal_here, _) in enumerate(pairs, 1)
    ]
    documents = [
        Document(INVOICE, str(i), value, "SEK", False, in_period=document_here)
        for i, (value, _, document_here) in enumerate(pairs, 1)
    ]
    links = {(INVOICE, str(i)): i for i in range(1, len(pairs) + 1)}
    report = compare(deals, documents, links)
    assert report.clean

    def net(totals: dict[str, Totals]) -> Decimal:
        return totals.get("SEK", Totals()).net

    bridged = net(report.upsales) - net(report.documented_elsewhere) + net(report.won_elsewhere)
    assert bridged == net(report.fortnox)
    assert net(report.upsales) == sum((v for v, here, _ in pairs if here), D(0))
    assert net(report.fortnox) == sum((v for v, _, here in pairs if here), D(0))


def test_the_ledger_reads_in_the_report() -> None:
    report = compare([], [], {})
    report.ledger = ledger(
        [LedgerEntry("SEK", D("1000.00")), LedgerEntry("SEK", D("-250.00"), credit=True)]
    )
    shown = report_json(report, *DECEMBER)
    assert shown["ledger"]["SEK"] == {
        "invoiced": {"count": 1, "net": "1000.00"},
        "credited": {"count": 1, "net": "-250.00"},
        "cancelled": {"count": 0, "net": "0.00"},
        "unbooked": {"count": 0, "net": "0.00"},
        "net": "750.00",
        "netSek": "750.00",
    }
    table = report_table(report)
    assert "krediterat" in table and "-250.00" in table and "750.00" in table
    assert "credited" in report_table(report, "en")
