"""The OpenAPI document, with the rules the service enforces that FastAPI cannot infer.

- ``If-Match`` is declared *required* on every operation that answers 428 without it (the
  header is optional to FastAPI so that a missing one gets our 428, not a 422).
- Operations that name their parameters' rule in :data:`EXACTLY_ONE_OF` carry it as
  ``x-exactly-one-of`` and in the parameters' descriptions (OpenAPI has no keyword for it).
- Every error answer's schema is the error envelope; a documented status lists its stable codes
  in the description.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

IF_MATCH: Final = "If-Match"
EXACTLY_ONE_OF: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("get", "/api/installations/{installation_id}/history"): ("upsales_id", "fortnox_id"),
}
"""(method, path) → query parameters of which exactly one must be given (else 422
``validation_error``)."""


def declare_enforced_rules(document: dict[str, Any]) -> dict[str, Any]:
    """Amend a generated document in place (and return it)."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            _require_if_match(operation)
            names = EXACTLY_ONE_OF.get((method, path))
            if names:
                _exactly_one_of(operation, names)
    return document


def _require_if_match(operation: dict[str, Any]) -> None:
    if "428" not in operation.get("responses", {}):
        return
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header" and parameter.get("name") == IF_MATCH:
            parameter["required"] = True
            schema = parameter.get("schema", {})
            # Required, so never null: the header is text.
            if "anyOf" in schema:
                parameter["schema"] = {"type": "string", "minLength": 1}


def _exactly_one_of(operation: dict[str, Any], names: tuple[str, ...]) -> None:
    operation["x-exactly-one-of"] = list(names)
    rule = f"Give exactly one of {', '.join(f'`{name}`' for name in names)} (else 422 " + (
        "`validation_error`)."
    )
    for parameter in operation.get("parameters", []):
        if parameter.get("name") in names:
            parameter["description"] = (parameter.get("description", "") + " " + rule).strip()
    responses = operation.setdefault("responses", {})
    if "422" in responses:
        responses["422"]["description"] = (
            responses["422"].get("description", "") + " " + rule
        ).strip()


def install_openapi(app: FastAPI) -> None:
    """Serve the amended document at ``/openapi.json`` (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = declare_enforced_rules(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    openapi_version=app.openapi_version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
