"""JSON as Fortnox speaks it: numbers parsed and written as exact decimals.

Fortnox sends amounts as JSON numbers. :func:`loads` parses them straight into
:class:`~decimal.Decimal` (never through float) and :func:`dumps` writes decimals back as JSON
numbers, not strings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def loads(data: bytes | str) -> Any:
    """Parse JSON, with every non-integer number as an exact Decimal."""
    return json.loads(data, parse_float=Decimal)


def dumps(value: Any) -> str:
    """Serialise JSON-like data (plus Decimal, date) with decimals as plain JSON numbers."""
    return "".join(_encode(value))


def _encode(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        parts = ["{"]
        for index, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be strings, not {type(key).__name__}")
            if index:
                parts.append(",")
            parts.append(json.dumps(key))
            parts.append(":")
            parts.extend(_encode(item))
        parts.append("}")
        return parts
    if isinstance(value, list | tuple):
        parts = ["["]
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            parts.extend(_encode(item))
        parts.append("]")
        return parts
    if isinstance(value, Decimal):
        return [_decimal_number(value)]
    if isinstance(value, float):
        raise TypeError("floats are not sent to Fortnox; use Decimal for amounts")
    if isinstance(value, datetime):
        raise TypeError("datetimes have no Fortnox wire format here; send a date or a string")
    if isinstance(value, date):
        return [json.dumps(value.isoformat())]
    if value is None or isinstance(value, str | int | bool):
        return [json.dumps(value)]
    raise TypeError(f"cannot send a {type(value).__name__} as JSON")


def _decimal_number(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"{value} is not a JSON number")
    return format(value, "f")
