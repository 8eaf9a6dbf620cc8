"""JSON as Upsales speaks it, with amounts kept exact.

Upsales sends and expects amounts as plain JSON numbers. Reading them as ``float`` would lose
exactness, so :func:`loads` parses every fractional number as :class:`~decimal.Decimal`, and
:func:`dumps` writes a ``Decimal`` back as a JSON number with the same digits.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any


def loads(content: bytes | str) -> Any:
    """Parse JSON, fractional numbers as ``Decimal`` (integers stay ``int``)."""
    return json.loads(content, parse_float=Decimal)


def dumps(value: Any) -> bytes:
    """Serialize to compact UTF-8 JSON; ``Decimal`` becomes a JSON number, dates ISO strings."""
    return _encode(value).encode()


def _encode(value: Any) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot send a non-finite amount: {value}")
        return format(value, "f")
    if isinstance(value, dict):
        items = (json.dumps(str(key)) + ":" + _encode(item) for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(item) for item in value) + "]"
    if isinstance(value, dt.date | dt.datetime):
        return json.dumps(value.isoformat())
    return json.dumps(value, ensure_ascii=False, allow_nan=False)
