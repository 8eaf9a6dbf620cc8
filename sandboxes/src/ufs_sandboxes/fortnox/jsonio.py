"""JSON in and out: amounts are ``Decimal`` inside, JSON numbers on the wire."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from ufs_sandboxes.fortnox.errors import JSON_SYNTAX_ERROR, bad_request


def _encode_default(value: object) -> object:
    if isinstance(value, Decimal):
        # Amounts have at most 15 significant digits, which a float renders exactly.
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dump_json(value: Any) -> bytes:
    return json.dumps(
        value, default=_encode_default, ensure_ascii=False, separators=(",", ":")
    ).encode()


def parse_json(raw: bytes) -> Any:
    """Parse a request body; numbers with a fraction become ``Decimal``."""
    try:
        return json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(JSON_SYNTAX_ERROR, "Error deserializing JSON: JSON_ERROR_SYNTAX") from exc
