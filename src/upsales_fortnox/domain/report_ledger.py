"""The report's Fortnox figures as Fortnox holds them (pure): every document in the period of its
own date, a credit invoice at its own amounts, not at those of the invoice it credits.

Per currency, of the documents dated in the period: ``invoiced`` (neither cancelled nor a credit
invoice; one credited later, in part or in full, still counts here, its credit counting in its
own period), ``credited`` (the credit invoices, negative, at their own ``Net``: a partial credit
counts what it credits), ``cancelled`` (makulerade, apart: they count in no net; a credit
invoice among them negative too), ``unbooked`` (of the invoiced and credited, those not booked
yet: left to book before the month is closed), ``net`` (invoiced plus credited) and
``net_sek``, that net in SEK: each document's ``Net`` at its
own ``CurrencyRate`` per ``CurrencyUnit``, to the öre, summed (unknown when a foreign document
has no rate). Summed over consecutive periods, each amount counts once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from upsales_fortnox.domain.currency import foreign_currency

ZERO: Final = Decimal(0)
ORE: Final = Decimal("0.01")


@dataclass(frozen=True)
class Totals:
    count: int = 0
    net: Decimal = ZERO


def _plus(totals: Totals, net: Decimal) -> Totals:
    """``totals`` with one more amount, ``net``."""
    return Totals(totals.count + 1, totals.net + net)


def add(totals: dict[str, Totals], currency: str, net: Decimal) -> None:
    """Count ``net`` in ``currency``'s totals."""
    totals[currency] = _plus(totals.get(currency, Totals()), net)


@dataclass(frozen=True)
class LedgerEntry:
    """A Fortnox document dated in the period: its ``Net`` and currency as Fortnox states them."""

    currency: str
    net: Decimal
    credit: bool = False
    cancelled: bool = False
    rate: Decimal | None = None
    """Its ``CurrencyRate``: SEK per ``rate_unit`` units of its currency."""
    rate_unit: Decimal | None = None
    booked: bool = True


@dataclass(frozen=True)
class CurrencyLedger:
    invoiced: Totals = field(default_factory=Totals)
    credited: Totals = field(default_factory=Totals)
    cancelled: Totals = field(default_factory=Totals)
    unbooked: Totals = field(default_factory=Totals)
    """Of ``invoiced`` and ``credited``, those not booked yet (left to book)."""
    net_sek: Decimal | None = ZERO

    @property
    def net(self) -> Decimal:
        return self.invoiced.net + self.credited.net


def in_sek(entry: LedgerEntry, net: Decimal) -> Decimal | None:
    """``net`` of ``entry`` in SEK at its rate, to the öre (None: a foreign one with no rate)."""
    if foreign_currency(entry.currency) is None:
        return net
    if entry.rate is None or entry.rate <= 0:
        return None
    unit = entry.rate_unit if entry.rate_unit is not None and entry.rate_unit > 0 else Decimal(1)
    return (net * entry.rate / unit).quantize(ORE, rounding=ROUND_HALF_UP)


def _with(line: CurrencyLedger, entry: LedgerEntry) -> CurrencyLedger:
    net = -abs(entry.net) if entry.credit else entry.net
    if entry.cancelled:
        return replace(line, cancelled=_plus(line.cancelled, net))
    sek = in_sek(entry, net)
    line = replace(
        line, net_sek=None if sek is None or line.net_sek is None else line.net_sek + sek
    )
    if not entry.booked:
        line = replace(line, unbooked=_plus(line.unbooked, net))
    if entry.credit:
        return replace(line, credited=_plus(line.credited, net))
    return replace(line, invoiced=_plus(line.invoiced, net))


def ledger(entries: Iterable[LedgerEntry]) -> dict[str, CurrencyLedger]:
    """The period's figures per currency (see the module)."""
    lines: dict[str, CurrencyLedger] = {}
    for entry in entries:
        lines[entry.currency] = _with(lines.get(entry.currency, CurrencyLedger()), entry)
    return lines


def total_sek(lines: dict[str, CurrencyLedger]) -> Decimal | None:
    """The period's net in SEK over every currency (None when a foreign one's is unknown)."""
    total = ZERO
    for line in lines.values():
        if line.net_sek is None:
            return None
        total += line.net_sek
    return total
