"""A deal's currency rate as its Fortnox document carries it: the document's value in SEK is the
deal's to the öre, weak currencies (a small fraction of a krona per unit) included."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.sync.outbound.outbound_builders import order, order_row
from upsales_fortnox.domain.currency import FortnoxRate, fortnox_rate, upsales_rate
from upsales_fortnox.domain.outbound.document_body import fingerprint_of_fortnox_document
from upsales_fortnox.domain.outbound.mapping import map_order
from upsales_fortnox.integrations.fortnox.models import Invoice
from upsales_fortnox.integrations.fortnox.money_facts import CURRENCY_RATE_PLACES
from upsales_fortnox.vocabulary import FortnoxType, ProductBundleMode

D = Decimal
ORE = D("0.01")

# Upsales rates: units of the deal's currency per krona, and an amount in that currency
DEALS = [
    ("IDR", D("1514.0275"), D("150000000")),  # about 99 000 SEK
    ("VND", D("2398.61"), D("2400000000")),  # about 1 000 000 SEK
    ("KRW", D("129.87"), D("45000000")),
    ("JPY", D("14.1312"), D("12500000")),
    ("HUF", D("34.657"), D("38000000")),
    ("EUR", D("0.087"), D("250000")),
    ("KWD", D("0.02854"), D("30000")),
]


def _sek(amount: Decimal, rate: Decimal, unit: Decimal | int) -> Decimal:
    return (amount * rate / unit).quantize(ORE, rounding=ROUND_HALF_UP)


@pytest.mark.parametrize(("currency", "rate", "amount"), DEALS)
def test_the_fortnox_value_in_kronor_is_the_deals_to_the_ore(
    currency: str, rate: Decimal, amount: Decimal
) -> None:
    sent = fortnox_rate(rate)
    assert sent is not None
    deal_in_sek = (amount / rate).quantize(ORE, rounding=ROUND_HALF_UP)
    assert _sek(amount, sent.rate, sent.unit) == deal_in_sek, currency


def test_every_currency_goes_per_one_unit_with_twelve_significant_digits() -> None:
    """The unit stays 1 (how Fortnox takes a document's own unit is *unverified*); the digits
    are significant ones, so a weak currency's rate is not cut to three of them."""
    sent = {currency: fortnox_rate(rate) for currency, rate, _ in DEALS}
    assert {currency: getattr(rate, "unit", None) for currency, rate in sent.items()} == {
        currency: 1 for currency, _, _ in DEALS
    }
    assert sent["IDR"] == FortnoxRate(D("0.000660489984495"))
    assert sent["EUR"] == FortnoxRate(D("11.4942528736"))
    euro = sent["EUR"]
    assert euro is not None and euro.rate.quantize(CURRENCY_RATE_PLACES) == D("11.494253")


@pytest.mark.parametrize(("currency", "rate", "amount"), DEALS)
def test_the_rate_comes_back_to_upsales_as_the_deals(
    currency: str, rate: Decimal, amount: Decimal
) -> None:
    """A Fortnox document at the sent rate and unit reads back as the deal's rate, so the
    order's value in kronor is the same to the öre."""
    sent = fortnox_rate(rate)
    assert sent is not None
    back = upsales_rate(sent.rate, D(sent.unit))
    assert back is not None
    expected = (amount / rate).quantize(ORE, rounding=ROUND_HALF_UP)
    assert (amount / back).quantize(ORE, rounding=ROUND_HALF_UP) == expected, currency


def test_a_document_per_hundred_units_reads_back_as_its_rate_per_krona() -> None:
    assert upsales_rate(D("6.6049"), D(100)) == D("15.1402746445821")
    assert upsales_rate(D("0.660490"), D(1000)) == D("1514.02746445821")


def _draft(currency: str, rate: str):  # type: ignore[no-untyped-def]
    return map_order(
        order([order_row(1, 2, "4410")], currency=currency).model_copy(
            update={"currencyRate": D(rate)}
        ),
        fortnox_type=FortnoxType.INVOICE,
        customer_number="1001",
        article_numbers={1: "A1"},
        bundle_mode=ProductBundleMode.ONLY_BUNDLE,
    )


def test_the_document_is_sent_per_one_unit_and_its_echo_is_recognised() -> None:
    draft = _draft("IDR", "1514.0275")
    sent = draft.to_fortnox()
    wire = sent.to_wire()
    assert wire["CurrencyUnit"] == 1
    assert wire["CurrencyRate"] == D("0.000660489984495")
    assert fingerprint_of_fortnox_document(sent) == draft.fingerprint()
    # Fortnox answering the rate to six decimals (or as a float) is the same document
    for kept in (D("0.000660"), D("0.00066048998449500002")):
        echoed = Invoice.model_validate(sent.model_dump() | {"CurrencyRate": kept})
        assert fingerprint_of_fortnox_document(echoed) == draft.fingerprint()
    # the same figure per a hundred units is another rate
    per_hundred = Invoice.model_validate(sent.model_dump() | {"CurrencyUnit": D(100)})
    assert fingerprint_of_fortnox_document(per_hundred) != draft.fingerprint()


def test_a_euro_documents_fingerprint_is_as_before() -> None:
    """Currencies sent per one unit keep their fingerprint: their documents are not sent
    again for a rate that has not changed."""
    draft = _draft("EUR", "0.087")
    old = Invoice.model_validate(
        draft.to_fortnox().model_dump() | {"CurrencyRate": D("11.494253"), "CurrencyUnit": D(1)}
    )
    assert fingerprint_of_fortnox_document(old) == draft.fingerprint()


@pytest.mark.parametrize("upsales_rate", ["128", "5.12", "25.6", "640", "0.085253", "0.090979"])
def test_a_document_sent_before_rates_kept_their_digits_is_the_same_document(
    upsales_rate: str,
) -> None:
    """Rates were sent rounded half to even to six decimals (1/128 as 0.007812): such a
    document's fingerprint is still the deal's, so an unchanged deal is not sent again (nor
    refused as changed once booked)."""
    draft = _draft("KRW", upsales_rate)
    sent_before = (D(1) / D(upsales_rate)).quantize(CURRENCY_RATE_PLACES)
    old = Invoice.model_validate(
        draft.to_fortnox().model_dump() | {"CurrencyRate": sent_before, "CurrencyUnit": D(1)}
    )
    assert fingerprint_of_fortnox_document(old) == draft.fingerprint()
