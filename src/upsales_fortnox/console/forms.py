"""Form input checked by the API's own models, with the API's error codes."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import ImmutableMultiDict

from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.integrations.digits import parse_digits

Model = TypeVar("Model", bound=BaseModel)


def form_values(
    form: ImmutableMultiDict[str, Any],
    *names: str,
    integers: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The named fields; empty ones left out, ``integers`` as int when they are digits (any
    other text is left for the model to refuse)."""
    values: dict[str, Any] = {}
    for name in names:
        value = form.get(name)
        if not isinstance(value, str) or value.strip() == "":
            continue
        value = value.strip()
        number = parse_digits(value) if name in integers else None
        values[name] = value if number is None else number
    return values


def parse(model: type[Model], values: dict[str, Any]) -> Model:
    """The model, or the API's 422 ``validation_error`` with the same details."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        details = [
            {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", ""))}
            for error in exc.errors()
        ]
        raise ApiError(
            422, "validation_error", "the request is not valid", details=details
        ) from exc
