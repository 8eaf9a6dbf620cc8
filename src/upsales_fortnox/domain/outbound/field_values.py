"""Company field values in their one normalised form, whichever side they are read from (pure)."""

from __future__ import annotations

from typing import Final

_COUNTRY_NAMES: Final = {
    "sverige": "SE",
    "sweden": "SE",
    "norge": "NO",
    "norway": "NO",
    "danmark": "DK",
    "denmark": "DK",
    "finland": "FI",
    "suomi": "FI",
}


def clean(value: object) -> str | None:
    """Text without surrounding or repeated white space; None when blank."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def canonical_country_code(value: str | None) -> str | None:
    text = clean(value)
    if text is None:
        return None
    if len(text) == 2 and text.isalpha():
        return text.upper()
    return _COUNTRY_NAMES.get(text.casefold(), text)
