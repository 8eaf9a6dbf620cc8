"""Upsales' error body and the exceptions that produce it."""

from __future__ import annotations

from typing import Any, Final

ERROR_KEYS: Final[dict[int, str]] = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    429: "TooManyRequests",
    500: "InternalServerError",
    503: "ServiceUnavailable",
}
"""``error.key`` per HTTP status.

Only the body's shape is documented (Postman collection, product-category delete:
``{"key": "ProductOrChildCategoryExist", "code": 403, "errorCode": 100, "msg": ...}``).
These generic keys are *unverified* guesses, as is ``errorCode`` being ``null`` for them.
"""


class UpsalesApiError(Exception):
    """An error answered with Upsales' error body and ``status``."""

    def __init__(
        self, status: int, msg: str, *, key: str | None = None, error_code: int | None = None
    ) -> None:
        super().__init__(msg)
        self.status = status
        self.msg = msg
        self.key = key or ERROR_KEYS.get(status, "Error")
        self.error_code = error_code

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.msg, key=self.key, error_code=self.error_code)


def error_body(
    status: int, msg: str, *, key: str | None = None, error_code: int | None = None
) -> dict[str, Any]:
    """Upsales' error answer: ``{"error": {"key", "code", "errorCode", "msg"}, "data": null}``."""
    return {
        "error": {
            "key": key or ERROR_KEYS.get(status, "Error"),
            "code": status,
            "errorCode": error_code,
            "msg": msg,
        },
        "data": None,
    }


def bad_request(msg: str) -> UpsalesApiError:
    return UpsalesApiError(400, msg)


def not_found(what: str) -> UpsalesApiError:
    return UpsalesApiError(404, f"{what} not found")
