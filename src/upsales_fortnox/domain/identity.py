"""Normalising the keys companies and products are matched on.

Swedish organisation numbers are written ``556036-0793``, ``5560360793`` or, with the century,
``16556036-0793`` / ``195501011234``. They all name the same organisation, so matching compares the
last ten digits. Names match exactly after folding case and white space.
"""

from __future__ import annotations

import re
import unicodedata

_NON_DIGITS = re.compile(r"\D")
_WHITE_SPACE = re.compile(r"\s+")
_CENTURIES = ("16", "18", "19", "20")  # "16" prefixes organisations, the rest are birth years


def normalise_org_number(value: str | None) -> str | None:
    """Ten digits, or None when the value is not a Swedish organisation/personal number (a VAT
    number, ``SE`` + ten digits + ``01``, is none, even one whose digits would pass for a number
    with its century; ``SE`` before ten digits is only a prefix)."""
    if not value or _is_vat_number(value):
        return None
    digits = _NON_DIGITS.sub("", value)
    if len(digits) == 12 and digits[:2] in _CENTURIES:
        digits = digits[2:]
    if len(digits) != 10:
        return None
    return digits


def matched_org_number(value: str | None) -> str | None:
    """:func:`normalise_org_number`, or the organisation a Swedish VAT number names (``SE``, the
    ten digits, ``01``): what a company is matched on, typed in either field. A VAT number is no
    organisation number to send, so only matching reads it."""
    if value is not None and _is_vat_number(value):
        return _NON_DIGITS.sub("", value)[:10]  # SE202100548901 is 202100-5489's, no century
    return normalise_org_number(value)


def _is_vat_number(value: str) -> bool:
    """A Swedish VAT number: ``SE``, the ten digits of the organisation number, ``01``."""
    digits = _NON_DIGITS.sub("", value)
    return value.strip()[:2].upper() == "SE" and len(digits) == 12 and digits.endswith("01")


def has_swedish_check_digit(digits: str) -> bool:
    """Whether ten digits (:func:`normalise_org_number`'s) end in the check digit Swedish
    organisation and personal numbers carry (the Luhn algorithm)."""
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()):
        return False
    weighted = (int(digit) * (2 - position % 2) for position, digit in enumerate(digits))
    return sum(value - 9 if value > 9 else value for value in weighted) % 10 == 0


def normalise_name(value: str | None) -> str | None:
    """Case-folded, NFC-normalised name with runs of white space collapsed; None when blank."""
    if value is None:
        return None
    folded = _WHITE_SPACE.sub(" ", unicodedata.normalize("NFC", value)).strip().casefold()
    return folded or None


def normalise_article_number(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def article_number_key(value: str | None) -> str | None:
    """An article number as matched when no product carries it exactly: trimmed, case folded
    (``hyr-1`` typed in Upsales is Fortnox's ``HYR-1``)."""
    number = normalise_article_number(value)
    return number.casefold() if number is not None else None


_NUMBER_SEPARATORS = ("-", "", " ", "\u2013")  # 556036-0793, 5560360793, 556036 0793, en dash


def org_number_variants(value: str | None) -> list[str]:
    """The ways an organisation number may be written in Upsales, for exact-match lookups:
    ``NNNNNN-NNNN`` with a hyphen, none, a space or an en dash; the 12-digit forms with the
    century (``16`` for organisations; ``19``/``20`` for personal numbers, whose third digit is a
    month's 0 or 1); and the VAT number (``SE``, the ten digits, ``01``), as typed in either field
    (:func:`matched_org_number`)."""
    digits = matched_org_number(value)
    if digits is None:
        return [value.strip()] if value and value.strip() else []
    centuries = ("16",) if digits[2] >= "2" else ("19", "20")
    head, tail = digits[:6], digits[6:]
    numbers = [f"{head}{separator}{tail}" for separator in _NUMBER_SEPARATORS]
    variants = list(numbers)
    for century in centuries:
        variants += [f"{century}{number}" for number in numbers[:2]]
    variants += [f"SE{digits}01", f"SE {digits} 01", f"SE{head}-{tail}01", f"SE {head}-{tail} 01"]
    return variants


_SPACED_WORDS = 8


def name_spellings(name: str | None) -> list[str]:
    """The ways a name may be held in Upsales, for exact-match lookups: in its NFC form with
    white space collapsed, in its decomposed (NFD) form, as written (trimmed), and with one of
    its gaps doubled (a double space typed by hand), for names of up to :data:`_SPACED_WORDS`
    words."""
    if name is None or not name.strip():
        return []
    words = unicodedata.normalize("NFC", name).split()
    canonical = " ".join(words)
    spellings = [canonical, unicodedata.normalize("NFD", canonical), name.strip()]
    if len(words) <= _SPACED_WORDS:
        spellings += [
            " ".join(words[:gap]) + "  " + " ".join(words[gap:]) for gap in range(1, len(words))
        ]
    return list(dict.fromkeys(spellings))
