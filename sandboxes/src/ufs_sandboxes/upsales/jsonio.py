"""Exact JSON in and out: money is read as ``Decimal`` and written back as a plain JSON number."""

from __future__ import annotations

import json
import re
import uuid
from decimal import Decimal
from typing import Any

from starlette.responses import Response

from ufs_sandboxes.upsales.errors import bad_request

JsonObject = dict[str, Any]
"""An entity or request body: Upsales field names to JSON values (money as ``Decimal``)."""

_DECIMAL_MARK = f"@@upsales-sandbox-decimal-{uuid.uuid4().hex}@@"
_MARKED_DECIMAL = re.compile('"' + re.escape(_DECIMAL_MARK) + r'(-?[0-9.]+)"')


def _encode_fallback(value: object) -> object:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("Non-finite decimals cannot be written as JSON")
        return _DECIMAL_MARK + format(value, "f")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode_json(value: object) -> bytes:
    """Serialise ``value``; every ``Decimal`` becomes a JSON number with exactly its digits.

    The C encoder does the work; decimals pass through as marked strings that one regular
    expression turns back into bare numbers afterwards.
    """
    text = json.dumps(value, default=_encode_fallback, ensure_ascii=False, separators=(",", ":"))
    if _DECIMAL_MARK in text:
        text = _MARKED_DECIMAL.sub(r"\1", text)
    return text.encode("utf-8")


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def decode_json(raw: bytes) -> Any:
    """Parse a request body; fractional numbers become ``Decimal``. Malformed JSON → 400."""
    try:
        return json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request("The request body is not valid JSON") from exc


class UpsalesJSONResponse(Response):
    """JSON response rendered with :func:`encode_json`."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return encode_json(content)
