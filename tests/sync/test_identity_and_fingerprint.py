"""Matching keys and fingerprints."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from upsales_fortnox.domain.fingerprint import fingerprint
from upsales_fortnox.domain.identity import (
    article_number_key,
    matched_org_number,
    normalise_article_number,
    normalise_name,
    normalise_org_number,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("556036-0793", "5560360793"),
        ("5560360793", "5560360793"),
        ("16556036-0793", "5560360793"),
        ("19550101-1234", "5501011234"),
        (" 556036 0793 ", "5560360793"),
        ("55603-60793", "5560360793"),
        ("556036-079", None),
        ("", None),
        (None, None),
        ("SE556036079301", None),
        ("SE202100548901", None),
        ("SE5560360793", "5560360793"),  # a prefix typed before the number, no VAT number
        ("SE 556036-0793", "5560360793"),
    ],
)
def test_org_numbers_normalise_to_ten_digits(raw: str | None, expected: str | None) -> None:
    assert normalise_org_number(raw) == expected


def test_names_fold_case_and_white_space_only() -> None:
    assert normalise_name("  Acme   AB ") == normalise_name("ACME ab")
    assert normalise_name("Åkeri AB") == normalise_name("åkeri ab")
    assert normalise_name("Acme AB") != normalise_name("Acme Aktiebolag")
    assert normalise_name("   ") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("SE556036079301", "5560360793"),
        ("se 556036-0793 01", "5560360793"),
        ("SE202100548901", "2021005489"),
        ("556036-0793", "5560360793"),
        ("SE556036079302", None),
        ("DK12345678", None),
        (None, None),
    ],
)
def test_a_swedish_vat_number_names_its_organisation_when_matching(
    raw: str | None, expected: str | None
) -> None:
    """A VAT number typed where the organisation number goes (``SE`` + the number + ``01``)
    identifies the organisation to match on; it is still no organisation number to send."""
    assert matched_org_number(raw) == expected
    if raw is not None and raw.upper().startswith("SE"):
        assert normalise_org_number(raw) is None


def test_article_numbers_are_trimmed() -> None:
    assert normalise_article_number(" A-100 ") == "A-100"
    assert normalise_article_number("  ") is None


def test_article_numbers_differing_in_case_share_a_key() -> None:
    assert article_number_key(" hyr-1") == article_number_key("HYR-1") == "hyr-1"
    assert article_number_key("HYR-1") != article_number_key("HYR-10")
    assert article_number_key(" ") is None


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2))
def test_fingerprint_ignores_decimal_scale(amount: Decimal) -> None:
    assert fingerprint({"price": amount}) == fingerprint(
        {"price": amount.quantize(Decimal("0.0001"))}
    )


def test_fingerprint_ignores_key_order_and_padding_but_not_values() -> None:
    base = fingerprint({"name": "Acme AB", "phone": "08-123"})
    assert fingerprint({"phone": "08-123 ", "name": " Acme AB"}) == base
    assert fingerprint({"name": "Acme AB", "phone": "08-124"}) != base
    assert fingerprint({"name": "Acme AB", "phone": None}) != base
