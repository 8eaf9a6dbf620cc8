"""The report as the operator API and the command line show it (JSON and a table), its texts
in the reader's language (Swedish unless asked otherwise); kinds and repairs are stable codes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from upsales_fortnox.core.texts import DEFAULT_LANGUAGE, Language, render, say
from upsales_fortnox.domain.report_compare import Report, Totals
from upsales_fortnox.sync.money.fields import amount_text


def _totals(totals: dict[str, Totals]) -> dict[str, dict[str, Any]]:
    return {
        currency: {"count": item.count, "net": amount_text(item.net)}
        for currency, item in sorted(totals.items())
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
    """Totals per currency and side, then one line per difference."""

    def word(key: str) -> str:
        return say(f"report.table.{key}", language)

    lines = [f"{word('currency'):<8} {word('side'):<8} {word('count'):>7} {word('net'):>16}"]
    for side, totals in (("upsales", report.upsales), ("fortnox", report.fortnox)):
        for currency, item in sorted(totals.items()):
            lines.append(f"{currency:<8} {side:<8} {item.count:>7} {item.net:>16}")
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
