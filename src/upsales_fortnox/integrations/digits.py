"""Whole numbers written as text (ids in URLs, forms, hook bodies and tokens), read one way.

``str.isdigit`` also takes digits ``int`` refuses (``"²"``, ``"①"``), and ``int`` refuses text
of more than 4,300 digits: a check with ``isdigit`` before ``int`` is not enough.
"""

from __future__ import annotations

from typing import Final

INT64_DIGITS: Final = 18
"""Digits of text that always fits a 64-bit column (the default limit)."""


def parse_digits(text: str, *, max_digits: int = INT64_DIGITS) -> int | None:
    """``text`` as a number when it is 1 to ``max_digits`` ASCII digits, else None."""
    if 0 < len(text) <= max_digits and text.isascii() and text.isdigit():
        return int(text)
    return None
