"""A refusal of the app's live choices as the account admin reads it.

The admin's select shows the answer's message, so the message is the catalogue's, in the
admin's language; status, code and headers (``Retry-After``) stay the operator's.
"""

from __future__ import annotations

from typing import Final

from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.core.crypto import DecryptionError
from upsales_fortnox.core.texts import Language, say

#: The catalogue text for each code the choices answer.
_TEXTS: Final = {
    "installation_not_ready": "choices.login_first",
    "fortnox_login_required": "choices.login_again",
    "upstream_unavailable": "choices.unavailable",
    "upstream_refused": "choices.refused",
    "installation_not_found": "choices.not_this_account",
    "invalid_credentials": "choices.not_this_account",
    "database_unavailable": "hook.unavailable",
}


def admin_refusal(error: ApiError, language: Language) -> ApiError:
    """``error`` with the text the admin reads in ``language`` as its message."""
    key = _TEXTS.get(error.code, "choices.refused")
    if isinstance(error.__cause__, DecryptionError):  # a stored login that cannot be read
        key = "choices.login_again"
    return ApiError(
        error.status_code,
        error.code,
        say(key, language),
        details=error.details,
        headers=error.headers,
    )
