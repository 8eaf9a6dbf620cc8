"""A bookkeeper reads the reconciliation report in Swedish (English when asked); the kinds of
difference and the repair jobs stay stable codes in both."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from upsales_fortnox.domain.report_compare import Deal, Document, compare
from upsales_fortnox.sync.report.presentation import report_json, report_table
from upsales_fortnox.vocabulary import FortnoxType

INVOICE = FortnoxType.INVOICE
DAY = dt.date(2026, 11, 30)


def _report_with_every_detail() -> object:
    deals = [
        Deal(1, Decimal("100"), "SEK", 100),  # no document
        Deal(2, Decimal("200"), "SEK", 100),  # amounts differ
        Deal(3, Decimal("300"), "SEK", 100),  # its invoice cancelled, the order not lost
        Deal(4, Decimal("400"), "SEK", 0),  # lost, its invoice open
        Deal(5, Decimal("500"), "SEK", 50),  # taken back to an opportunity, its invoice open
        Deal(6, Decimal("100"), "EUR", 100, Decimal("0.087")),  # rates differ
        Deal(7, Decimal("70"), "SEK", 100),  # in Fortnox twice
    ]
    documents = [
        Document(INVOICE, "12", Decimal("200.50"), "SEK", False),
        Document(INVOICE, "13", Decimal("300"), "SEK", True),
        Document(INVOICE, "14", Decimal("400"), "SEK", False),
        Document(INVOICE, "15", Decimal("500"), "SEK", False),
        Document(INVOICE, "16", Decimal("100"), "EUR", False, rate=Decimal("12.5")),
        Document(INVOICE, "17", Decimal("70"), "SEK", False, own_order=7),
        Document(INVOICE, "18", Decimal("70"), "SEK", False, own_order=7),
        Document(INVOICE, "19", Decimal("90"), "SEK", False),  # nobody's
    ]
    links = {(INVOICE, str(number)): number - 10 for number in (12, 13, 14, 15, 16)}
    return compare(deals, documents, links)


def test_every_detail_reads_in_swedish_and_in_english_when_asked() -> None:
    report = _report_with_every_detail()
    swedish = report_json(report, DAY, DAY)["differences"]  # type: ignore[arg-type]
    english = report_json(report, DAY, DAY, "en")["differences"]  # type: ignore[arg-type]
    assert len(swedish) == len(english) == 8
    for sv, en in zip(swedish, english, strict=True):
        assert (sv["kind"], sv["repair"]) == (en["kind"], en["repair"])
        if not sv["detail"].startswith("Upsales "):  # the amounts read alike but for the words
            assert sv["detail"] != en["detail"]
        assert " the " not in f" {sv['detail']} ", sv["detail"]
    details = " / ".join(item["detail"] for item in swedish)
    for words in ("faktura", "makulerat", "förlorad", "står på 50 %", "till kursen", "utan"):
        assert words in details
    assert "Upsales 200 SEK, Fortnox 200.50 SEK" in details


def test_the_table_reads_in_the_language_asked_with_codes_kept() -> None:
    report = _report_with_every_detail()
    swedish, english = report_table(report), report_table(report, "en")  # type: ignore[arg-type]
    assert "valuta" in swedish and "förklaring" in swedish and "stage_differs" in swedish
    assert "currency" in english and "detail" in english and "stage_differs" in english
    assert "ordern är förlorad" in swedish and "the order is lost" in english
