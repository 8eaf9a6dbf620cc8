"""Fortnox error codes and the ``ErrorInformation`` error body.

Codes marked (ref) are in ``reference/fortnox.md`` §2. The others come from public client
libraries' copies of Fortnox's error list (docs: errors) and are not in our reference yet.
"""

from __future__ import annotations

from typing import Any

# (ref) codes
SYSTEM_EXCEPTION = 1000003
INVALID_RESPONSE_TYPE = 1000030
INVALID_CONTENT_TYPE = 1000031
NOT_ALPHANUMERIC = 2000106
NOT_NUMERIC = 2000108
NOT_BOOLEAN = 2000134
INVALID_LOGIN = 2000310
INVALID_TOKEN_OR_SECRET = 2000311
INVALID_CHARACTERS = 2000359
INVALID_PARAMETER = 2000588
CUSTOMER_NUMBER_USED = 2000637
NO_VALID_IDENTIFIER = 2000729
NO_LICENSE_FOR_SCOPE = 2001101
NO_API_LICENSE = 2001103
ACCOUNT_NOT_FOUND = 2001304
INVALID_BODY = 2001392
INVALID_FIELD_NAME = 2001399
JSON_SYNTAX_ERROR = 2002115

# codes from public client libraries (docs: errors), not in our reference
CUSTOMER_IN_REQUEST_NOT_FOUND = 2000204
"""A document names a customer that does not exist."""
ARTICLE_NOT_FOUND = 2000428
CUSTOMER_NOT_FOUND = 2000433
NO_ACCESS_TO_SCOPE = 2000663
"""The token's scopes do not include the resource's scope."""
ARTICLE_IN_REQUEST_NOT_FOUND = 2001302
"""A document row names an article that does not exist."""
COMPLETED_DOCUMENT_LOCKED = 2003125
""""Ett klarmarkerat dokument kan inte ändras"."""


class FortnoxError(Exception):
    """An error answer of the imitated API: HTTP status, Fortnox code and (Swedish) message."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message)


def error_body(code: int, message: str) -> dict[str, Any]:
    """Lower-case keys, as in Fortnox's documented example (reference §2). The spec models them
    capitalised (``Error``, ``Message``, ``Code``) with no required field, so this body is valid
    under it too; clients accept both."""
    return {"ErrorInformation": {"error": 1, "message": message, "code": code}}


def bad_request(code: int, message: str) -> FortnoxError:
    return FortnoxError(400, code, message)


def not_found(code: int, message: str) -> FortnoxError:
    return FortnoxError(404, code, message)
