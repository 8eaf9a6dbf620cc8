"""Fortnox's answers read into wire models: the JSON body, the wrapped entity, a list's items.

A body that is not JSON at all is a :class:`~.errors.FortnoxAnswerNotJson` (retryable: a page
put in front of Fortnox, not its answer); every other failure to read is a
:class:`~.errors.FortnoxMalformedResponse` naming the request (``label``, e.g.
``"GET /orders/{DocumentNumber}"``) and the fields that did not fit.
"""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from upsales_fortnox.integrations import jsonwire
from upsales_fortnox.integrations.fortnox.errors import (
    FortnoxAnswerNotJson,
    FortnoxMalformedResponse,
)

M = TypeVar("M", bound=BaseModel)


def parse_json(response: httpx.Response, label: str) -> Any:
    """The body's JSON (amounts as ``Decimal``), or None for an empty answer."""
    if response.status_code == 204 or not response.content.strip():
        return None
    try:
        return jsonwire.loads(response.content)
    except ValueError:
        raise FortnoxAnswerNotJson(
            f"{label}: HTTP {response.status_code} with a body that is not JSON",
            status=response.status_code,
        ) from None


def unwrap(model: type[M], wrapper: str, data: Any, label: str) -> M:
    """The entity wrapped in ``{wrapper: {...}}`` (``{"Invoice": {...}}``)."""
    if not isinstance(data, dict) or not isinstance(data.get(wrapper), dict):
        raise FortnoxMalformedResponse(f"{label}: the response has no {wrapper} object")
    return validate(model, data[wrapper], label)


def items(model: type[M], data: Any, label: str) -> list[M]:
    """The items of a list answer (``{"Prices": [...]}``)."""
    collection = getattr(model, "WIRE_COLLECTION", "")
    if not isinstance(data, dict) or not isinstance(data.get(collection), list):
        raise FortnoxMalformedResponse(f"{label}: no {collection} list")
    return [validate(model, item, label) for item in data[collection]]


def validate(model: type[M], item: Any, label: str) -> M:
    try:
        return model.model_validate(item)
    except ValidationError as exc:
        fields = ", ".join(sorted({".".join(map(str, e["loc"])) for e in exc.errors()}))
        raise FortnoxMalformedResponse(f"{label}: unexpected {model.__name__} ({fields})") from None
