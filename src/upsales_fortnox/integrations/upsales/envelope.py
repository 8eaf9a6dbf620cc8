"""Upsales' answer envelope (``{"error", "metadata", "data"}``; ``/self`` spells ``errors``),
unwrapped into its data and metadata or raised as the typed error it carries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from upsales_fortnox.integrations import jsonwire
from upsales_fortnox.integrations.upsales.errors import (
    UpsalesMalformedResponse,
    error_from_response,
)


@dataclass(frozen=True)
class Envelope:
    data: Any
    metadata: dict[str, Any] | None


def json_or_none(content: bytes) -> Any:
    try:
        return jsonwire.loads(content)
    except ValueError:
        return None


def unwrap(response: httpx.Response, where: str, *, secrets: Sequence[str]) -> Envelope:
    """A successful answer's envelope; an error inside it is raised (with its ``code`` as the
    status when that is one), ``secrets`` kept out of the message."""
    body = json_or_none(response.content)
    if not isinstance(body, dict) or not body.keys() & {"data", "error", "errors"}:
        raise UpsalesMalformedResponse(
            f"Upsales {where} answered {response.status_code} without a JSON envelope"
        )
    error = body.get("error") or body.get("errors")
    if error:
        code = error.get("code") if isinstance(error, dict) else None
        status = code if isinstance(code, int) and 400 <= code <= 599 else 400
        raise error_from_response(status, body, response.headers, where, secrets=secrets)
    metadata = body.get("metadata")
    return Envelope(body.get("data"), metadata if isinstance(metadata, dict) else None)
