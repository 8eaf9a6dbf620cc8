"""JSON as Fortnox and Upsales speak it: numbers parsed and written as exact decimals.

Both APIs send and expect amounts as plain JSON numbers. :func:`loads` parses every fractional
number straight into :class:`~decimal.Decimal` (never through float; integers stay ``int``),
and a :class:`JsonDialect` writes decimals back as JSON numbers with the same digits, dates as
ISO strings. The two APIs' dialects differ only where noted on :class:`JsonDialect`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final


def loads(data: bytes | str) -> Any:
    """Parse JSON, with every non-integer number as an exact Decimal."""
    return json.loads(data, parse_float=Decimal)


@dataclass(frozen=True)
class JsonDialect:
    """How one API's request bodies are written: compact UTF-8 JSON; a ``Decimal`` as a JSON
    number, a date as an ISO string; a non-finite amount and a non-string key are refused."""

    floats: bool
    """Whether a float is sent (as JSON writes it); else amounts must be ``Decimal``."""
    datetimes: bool
    """Whether a datetime is sent as an ISO string; else only dates and strings are."""
    ascii_only: bool
    """Whether characters beyond ASCII are written as ``\\u`` escapes."""

    def dumps(self, value: Any) -> bytes:
        """Serialise JSON-like data (plus Decimal and dates) to the request body's bytes."""
        return "".join(self._encode(value)).encode()

    def _encode(self, value: Any) -> list[str]:
        if isinstance(value, Mapping):
            parts = ["{"]
            for index, (key, item) in enumerate(value.items()):
                if not isinstance(key, str):
                    raise TypeError(f"JSON object keys must be strings, not {type(key).__name__}")
                if index:
                    parts.append(",")
                parts.append(self._scalar(key))
                parts.append(":")
                parts.extend(self._encode(item))
            parts.append("}")
            return parts
        if isinstance(value, list | tuple):
            parts = ["["]
            for index, item in enumerate(value):
                if index:
                    parts.append(",")
                parts.extend(self._encode(item))
            parts.append("]")
            return parts
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise ValueError(f"cannot send a non-finite amount: {value}")
            return [format(value, "f")]
        if isinstance(value, float) and not self.floats:
            raise TypeError("floats are not sent; use Decimal for amounts")
        if isinstance(value, datetime):
            if not self.datetimes:
                raise TypeError("datetimes have no wire format here; send a date or a string")
            return [self._scalar(value.isoformat())]
        if isinstance(value, date):
            return [self._scalar(value.isoformat())]
        if value is None or isinstance(value, str | int | bool | float):
            return [self._scalar(value)]
        raise TypeError(f"cannot send a {type(value).__name__} as JSON")

    def _scalar(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=self.ascii_only, allow_nan=False)


FORTNOX_JSON: Final = JsonDialect(floats=False, datetimes=False, ascii_only=True)
UPSALES_JSON: Final = JsonDialect(floats=True, datetimes=True, ascii_only=False)
