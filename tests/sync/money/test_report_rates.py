"""The report compares a foreign currency's rates too: the same euros valued at another rate in
SEK are a difference; a rate as either direction of the sync carries it (rounded as Fortnox
keeps it, or to fewer digits as Upsales may keep it) is none."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from upsales_fortnox.domain.currency import fortnox_rate, rates_agree, significant, upsales_rate
from upsales_fortnox.domain.report_compare import Deal, DifferenceKind, Document, Repair, compare
from upsales_fortnox.integrations.fortnox.money_facts import CURRENCY_RATE_PLACES
from upsales_fortnox.integrations.upsales.facts import CURRENCY_RATE_KEPT_AT_LEAST as UPSALES_KEPT
from upsales_fortnox.vocabulary import FortnoxType

D = Decimal
INVOICE = FortnoxType.INVOICE

upsales_rates = st.decimals(min_value=D("0.0001"), max_value=D("5000"), places=8).filter(
    lambda rate: rate > 0
)
fortnox_rates = st.decimals(min_value=D("0.001"), max_value=D("1000"), places=6).filter(
    lambda rate: rate > 0
)


@given(upsales_rates, st.booleans())
def test_the_rate_sent_for_a_deal_agrees_with_it(rate: Decimal, kept_at_places: bool) -> None:
    sent = fortnox_rate(rate)
    assert sent is not None
    kept = sent.rate.quantize(CURRENCY_RATE_PLACES, ROUND_HALF_UP) if kept_at_places else sent.rate
    assert rates_agree(rate, kept, D(1))


@given(
    fortnox_rates,
    st.sampled_from([D(1), D(100)]),
    st.integers(min_value=UPSALES_KEPT, max_value=15),
    st.booleans(),
)
def test_the_rate_an_import_writes_agrees_however_much_of_it_upsales_keeps(
    rate: Decimal, unit: Decimal, kept: int, as_decimals: bool
) -> None:
    """Upsales keeps ``kept`` significant digits of it, or ``kept`` decimals."""
    written = upsales_rate(rate, unit)
    assert written is not None
    stored = (
        written.quantize(D(1).scaleb(-kept), rounding=ROUND_HALF_UP)
        if as_decimals
        else significant(written, kept)
    )
    assert rates_agree(stored, rate, unit)


@given(fortnox_rates, st.sampled_from([D("1.01"), D("0.99")]))
def test_a_rate_one_percent_apart_disagrees(rate: Decimal, moved: Decimal) -> None:
    written = upsales_rate(rate, D(1))
    assert written is not None
    assert not rates_agree(written, rate * moved, D(1))


def euro_deal(rate: str | None) -> Deal:
    return Deal(1, D(500), "EUR", 100, D(rate) if rate else None)


def euro_invoice(rate: str | None, own: int | None = None, currency: str = "EUR") -> Document:
    return Document(
        INVOICE, "10", D(500), currency, False, own, rate=D(rate) if rate else None, rate_unit=D(1)
    )


def test_the_same_euros_at_another_rate_differ_repaired_from_the_source() -> None:
    imported = compare([euro_deal("0.087")], [euro_invoice("11.20")], {(INVOICE, "10"): 1})
    ours = compare([euro_deal("0.089")], [euro_invoice("11.4942528736", own=1)], {})

    ((kind, repair, detail),) = [(d.kind, d.repair, d.detail) for d in imported.differences]
    assert (kind, repair) == (DifferenceKind.AMOUNT_DIFFERS, Repair("fortnox.invoice", "10"))
    assert "0.087 EUR per SEK" in detail and "11.20 SEK per 1 EUR" in detail
    assert [(d.kind, d.repair) for d in ours.differences] == [
        (DifferenceKind.AMOUNT_DIFFERS, Repair("upsales.order", "1"))
    ]
    assert imported.upsales == imported.fortnox  # the same euros: the totals agree


def test_rates_are_not_compared_in_kronor_or_where_a_side_has_none() -> None:
    links = {(INVOICE, "10"): 1}
    sek = Deal(1, D(500), "SEK", 100, D("0.5"))
    assert compare([sek], [euro_invoice("3", currency="SEK")], links).clean
    assert compare([euro_deal(None)], [euro_invoice("11.20")], links).clean
    assert compare([euro_deal("0.087")], [euro_invoice(None)], links).clean
    assert compare([euro_deal("0.087")], [euro_invoice("11.494253")], links).clean
    # a rate typed in Upsales is its own, however near the document's: 0.087 is 11.494 SEK
    assert not compare([euro_deal("0.087")], [euro_invoice("11.50")], links).clean
