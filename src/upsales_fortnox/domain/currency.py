"""Currency rates between the two systems (pure).

Upsales keeps an order's ``currencyRate`` as units of the order currency per one unit of the
master currency (``0.087`` EUR per SEK); Fortnox keeps a document's ``CurrencyRate`` as SEK per
``CurrencyUnit`` units of its currency (``11.494253`` SEK per 1 EUR). The master currency of an
Upsales account is taken to be SEK
(:data:`upsales_fortnox.integrations.upsales.facts.MASTER_CURRENCY`).

Amounts never pass through a rate: rows and net values stay in the document's currency on both
sides, so they agree to the öre whatever the rate; the rate only carries the deal's valuation to
Fortnox (bookkeeping in SEK) and back. So that valuation is the deal's to the öre, a rate is
sent per one unit with significant digits, not a number of decimals
(:data:`upsales_fortnox.integrations.fortnox.money_facts.CURRENCY_RATE_DIGITS`: a weak currency such
as IDR, 0.000660 SEK per unit at six decimals, keeps its digits where Fortnox keeps them). The
rate back to Upsales is kept to
:data:`upsales_fortnox.integrations.upsales.facts.CURRENCY_RATE_DIGITS` significant digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Final

from upsales_fortnox.integrations.fortnox.money_facts import (
    CURRENCY_RATE_DIGITS,
    CURRENCY_RATE_PLACES,
)
from upsales_fortnox.integrations.upsales.facts import CURRENCY_RATE_DIGITS as UPSALES_DIGITS
from upsales_fortnox.integrations.upsales.facts import CURRENCY_RATE_KEPT_AT_LEAST as UPSALES_KEPT
from upsales_fortnox.integrations.upsales.facts import MASTER_CURRENCY

HOME_CURRENCY: Final = MASTER_CURRENCY
FORTNOX_RATE_PLACES: Final = CURRENCY_RATE_PLACES
ONE: Final = Decimal(1)


def significant(value: Decimal, digits: int) -> Decimal:
    """``value`` (above 0) rounded half up to ``digits`` significant digits, trailing zeros
    dropped."""
    place = Decimal(1).scaleb(value.adjusted() - digits + 1)
    return value.quantize(place, rounding=ROUND_HALF_UP).normalize()


def foreign_currency(code: str | None) -> str | None:
    """The ISO code of a currency other than SEK, upper case; None for SEK or none."""
    text = (code or "").strip().upper()
    return text if text and text != HOME_CURRENCY else None


@dataclass(frozen=True)
class FortnoxRate:
    rate: Decimal
    unit: int = 1


def fortnox_rate(upsales_rate: Decimal | None) -> FortnoxRate | None:
    """The Fortnox rate of an Upsales order rate (None when it has no usable rate): SEK per one
    unit of the currency, to :data:`CURRENCY_RATE_DIGITS` significant digits."""
    if upsales_rate is None or upsales_rate <= 0:
        return None
    per_one = ONE / upsales_rate
    sent = significant(per_one, CURRENCY_RATE_DIGITS)
    if compared_rate(sent, 1) != compared_rate(per_one, 1):
        # rounded onto a tie of the sixth decimal (10.99154749997 to 10.9915475000): a step
        # back towards the rate, so it compares as the rate itself and as it was sent before
        step = Decimal(1).scaleb(sent.adjusted() - CURRENCY_RATE_DIGITS + 1)
        sent = (sent + step if per_one > sent else sent - step).normalize()
    return FortnoxRate(sent)


def compared_rate(rate: Decimal, unit: Decimal | int | None) -> tuple[Decimal, Decimal]:
    """A document's rate as two of them are compared: to the decimals Fortnox is taken to keep
    at least (so the rate sent and the rate Fortnox answers are the same), and its unit. Rounded
    half to even, as rates were sent before they kept their significant digits, so a document
    sent then is the same document now (1/128 = 0.0078125 was sent as 0.007812)."""
    units = Decimal(unit) if unit is not None and unit > 0 else ONE
    return rate.quantize(FORTNOX_RATE_PLACES, rounding=ROUND_HALF_EVEN).normalize(), units


HOME_RATE: Final = FortnoxRate(ONE)


def document_rate(currency: str | None, upsales_order_rate: Decimal | None) -> FortnoxRate | None:
    """The rate a deal's Fortnox document is sent with: 1 for SEK, always, so a document moved
    back to SEK from a foreign currency is not left at that currency's rate; the deal's rate
    for a foreign currency (None when Upsales has none: Fortnox then takes its own); None
    without a currency (Fortnox takes the customer's)."""
    if not (currency or "").strip():
        return None
    if foreign_currency(currency) is None:
        return HOME_RATE
    return fortnox_rate(upsales_order_rate)


def upsales_rate(rate: Decimal | None, unit: Decimal | None) -> Decimal | None:
    """The Upsales order rate of a Fortnox document rate (None when it has none)."""
    if rate is None or rate <= 0:
        return None
    units = unit if unit is not None and unit > 0 else ONE
    return significant(units / rate, UPSALES_DIGITS)


def rates_agree(upsales_order_rate: Decimal, rate: Decimal, unit: Decimal | None) -> bool:
    """Whether an Upsales order's rate and its Fortnox document's rate (``rate`` SEK per
    ``unit`` units) value the deal alike, as either direction of the sync carries one to the
    other: the rate sent for the order's compares as the document's (at the decimals Fortnox
    keeps), or the order's is the rate the import writes for the document, rounded to what
    Upsales keeps of it (:data:`~.facts.CURRENCY_RATE_KEPT_AT_LEAST` of Upsales)."""
    units = unit if unit is not None and unit > 0 else ONE
    sent = fortnox_rate(upsales_order_rate)
    if sent is not None and compared_rate(sent.rate, 1) == compared_rate(rate / units, 1):
        return True
    imported = upsales_rate(rate, units)
    if imported is None:
        return False
    kept = upsales_order_rate.normalize()
    shape = kept.as_tuple()
    decimals = -shape.exponent if isinstance(shape.exponent, int) else 0
    rounded = (
        significant(imported, max(len(shape.digits), UPSALES_KEPT)),
        imported.quantize(Decimal(1).scaleb(-max(decimals, UPSALES_KEPT)), ROUND_HALF_UP),
    )
    return kept in rounded
