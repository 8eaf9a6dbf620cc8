"""One JSON shape for every error: ``{"error": {"code": "...", "message": "..."}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from upsales_fortnox.api.no_store import NO_STORE
from upsales_fortnox.core.db.unavailable import (
    DATABASE_ERROR_TYPES,
    DATABASE_NOT_MIGRATED,
    DATABASE_UNAVAILABLE,
    NOT_MIGRATED_MESSAGE,
    RETRY_AFTER_SECONDS,
    is_database_socket_error,
    is_missing_schema,
)
from upsales_fortnox.core.logging_setup import redact

logger = logging.getLogger(__name__)

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    428: "precondition_required",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An error answered to the caller with a stable ``code``."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": redact(message)}
    if details is not None:
        error["details"] = details
    return {"error": error}


def error_response(
    status_code: int,
    code: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        status_code=status_code, content=error_body(code, message, details), headers=headers
    )


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", ""))}
        for error in exc.errors()
    ]


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> str:
    """Every method the request's path is served with. A path may have one route per method,
    and the router's own 405 names only the first route's methods: ask every route whether it
    would take the path with each method."""
    allowed = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    ]
    return ", ".join(allowed)


def http_refusal(request: Request, exc: StarletteHTTPException) -> ApiError:
    """The framework's refusal (no route for the path, a method it does not take, a body it
    cannot read) as the error answered for it, with a stable code."""
    code = _STATUS_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    headers = {**(getattr(exc, "headers", None) or {}), **NO_STORE}  # as every operator answer
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
    return ApiError(exc.status_code, code, message, headers=headers)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return await _api_error(request, http_refusal(request, exc))


def validation_refusal(exc: RequestValidationError) -> ApiError:
    """A request FastAPI's validation refused, as the 422 ``validation_error`` it answers."""
    return ApiError(
        422, "validation_error", "the request is not valid", details=_validation_details(exc)
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return await _api_error(request, validation_refusal(exc))


def database_unavailable(what: str) -> ApiError:
    """503 ``database_unavailable`` with ``Retry-After``: the database cannot take ``what`` now
    (its transaction did not commit)."""
    return ApiError(
        503,
        DATABASE_UNAVAILABLE,
        f"the database cannot take {what} now; retry later",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """A route whose database cannot take the request now (or has no tables at all)."""
    if is_missing_schema(exc):
        logger.error(
            "request refused: the database has no tables", extra={"code": DATABASE_NOT_MIGRATED}
        )
        return await _api_error(
            request,
            ApiError(
                503,
                DATABASE_NOT_MIGRATED,
                NOT_MIGRATED_MESSAGE,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            ),
        )
    logger.warning("request refused: database unavailable (%s)", type(exc).__name__)
    return await _api_error(request, database_unavailable("the request"))


async def _os_error(request: Request, exc: Exception) -> JSONResponse:
    """A socket error: the database's (its connection refused) is 503, any other a 500."""
    if is_database_socket_error(exc):
        return await _database_unavailable(request, exc)
    logger.error("unexpected error", exc_info=exc)
    return await _unexpected_error(request, exc)


async def _unexpected_error(_: Request, exc: Exception) -> JSONResponse:
    return error_response(500, "internal_error", "an unexpected error occurred")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    for database_error in DATABASE_ERROR_TYPES:
        app.add_exception_handler(database_error, _database_unavailable)
    app.add_exception_handler(OSError, _os_error)
    app.add_exception_handler(Exception, _unexpected_error)
