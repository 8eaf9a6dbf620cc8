"""The report as the operator API and the command line show it (JSON and a table), its texts
in the reader's language (Swedish unless asked otherwise); kinds and repairs are stable codes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from upsales_fortnox.core.texts import DEFAULT_LANGUAGE, Language, render, say
from upsales_fortnox.domain.currency import foreign_currency
from upsales_fortnox.domain.report_compare import Report
from upsales_fortnox.domain.report_ledger import CurrencyLedger, Totals, total_sek
from upsales_fortnox.sync.money.fields import amount_text


def _one(item: Totals) -> dict[str, Any]:
    return {"count": item.count, "net": amount_text(item.net)}


def _totals(totals: dict[str, Totals]) -> dict[str, dict[str, Any]]:
    return {currency: _one(item) for currency, item in sorted(totals.items())}


def _ledger(ledger: dict[str, CurrencyLedger]) -> dict[str, dict[str, Any]]:
    return {
        currency: {
            "invoiced": _one(line.invoiced),
            "credited": _one(line.credited),
            "cancelled": _one(line.cancelled),
            "unbooked": _one(line.unbooked),
            "net": amount_text(line.net),
            "netSek": None if line.net_sek is None else amount_text(line.net_sek),
        }
        for currency, line in sorted(ledger.items())
    }


def _net_sek(report: Report) -> str | None:
    """The period's books in SEK over every currency (None without books, or a rate missing)."""
    total = total_sek(report.ledger) if report.ledger else None
    return None if total is None else amount_text(total)


def _timing(report: Report) -> dict[str, dict[str, Any]]:
    currencies = sorted({*report.documented_elsewhere, *report.won_elsewhere})
    return {
        currency: {
            "documentedInOtherPeriod": _one(report.documented_elsewhere.get(currency, Totals())),
            "wonInOtherPeriod": _one(report.won_elsewhere.get(currency, Totals())),
        }
        for currency in currencies
    }


def report_json(
    report: Report, start: dt.date, end: dt.date, language: Language = DEFAULT_LANGUAGE
) -> dict[str, Any]:
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "clean": report.clean,
        "upsales": _totals(report.upsales),
        "fortnox": _totals(report.fortnox),
        "timing": _timing(report),
        "ledger": _ledger(report.ledger),
        "ledgerNetSek": _net_sek(report),
        "periodRule": say("report.period_rule", language),
        "differences": [
            {
                "kind": item.kind.value,
                "upsalesOrder": item.upsales_order,
                "fortnoxDocument": item.fortnox_document,
                "detail": render(item.detail, language),
                "repair": {"jobKind": item.repair.job_kind, "entityId": item.repair.entity_id},
            }
            for item in report.differences
        ],
    }


def report_table(report: Report, language: Language = DEFAULT_LANGUAGE) -> str:
    """Totals per currency and side, the pairs dated in two periods, the period's books, the
    period rule, then one line per difference."""

    def word(key: str) -> str:
        return say(f"report.table.{key}", language)

    lines = [_row(word("currency"), word("side"), word("count"), word("net"))]
    for side, totals in (("upsales", report.upsales), ("fortnox", report.fortnox)):
        for currency, item in sorted(totals.items()):
            lines.append(_row(currency, side, str(item.count), amount_text(item.net)))
    lines.extend(_figure_lines(report, word))
    lines.append(say("report.period_rule", language))
    if report.clean:
        lines.append(word("clean"))
        return "\n".join(lines)
    lines.append("")
    lines.append(
        f"{word('kind'):<20} {'upsales':>8} {'fortnox':<16} {word('repair'):<28} {word('detail')}"
    )
    for d in report.differences:
        order = "" if d.upsales_order is None else str(d.upsales_order)
        repair = f"{d.repair.job_kind} {d.repair.entity_id}"
        lines.append(
            f"{d.kind.value:<20} {order:>8} {d.fortnox_document or '':<16} {repair:<28} "
            f"{render(d.detail, language)}"
        )
    return "\n".join(lines)


def _row(currency: str, label: str, count: str, net: str) -> str:
    return f"{currency:<8} {label:<46} {count:>7} {net:>16}"


def _figure_lines(report: Report, word: Callable[[str], str]) -> list[str]:
    """The pairs dated in two periods, and the period's Fortnox invoices as Fortnox holds them."""
    lines: list[str] = []
    for currency, row in sorted(_timing(report).items()):
        for key, label in (
            ("documentedInOtherPeriod", "documented_elsewhere"),
            ("wonInOtherPeriod", "won_elsewhere"),
        ):
            item = row[key]
            lines.append(_row(currency, word(label), str(item["count"]), item["net"]))
    for currency, line in sorted(report.ledger.items()):
        figures = [
            (word("invoiced"), str(line.invoiced.count), amount_text(line.invoiced.net)),
            (word("credited"), str(line.credited.count), amount_text(line.credited.net)),
            (word("cancelled"), str(line.cancelled.count), amount_text(line.cancelled.net)),
            (word("unbooked"), str(line.unbooked.count), amount_text(line.unbooked.net)),
            (word("net_after_credits"), "", amount_text(line.net)),
        ]
        if foreign_currency(currency) is not None:
            sek = "?" if line.net_sek is None else amount_text(line.net_sek)
            figures.append((word("net_sek"), "", sek))
        for label, count, net in figures:
            lines.append(_row(currency, f"fortnox: {label}", count, net))
    if report.ledger:
        lines.append(_row("", f"fortnox: {word('net_sek_total')}", "", _net_sek(report) or "?"))
    return lines
