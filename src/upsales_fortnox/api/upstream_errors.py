"""Failures of the live systems (Fortnox, Upsales) during an operator request, as API errors.

* cannot be reached (a :class:`RetryableError`) → 503 ``upstream_unavailable``;
* the installation cannot ask yet (no Upsales API key, no Fortnox login, stored credentials
  that cannot be decrypted) → 409 ``installation_not_ready``;
* Fortnox refused the stored refresh token → 409 ``fortnox_login_required``;
* the system refused the request for good (a :class:`PermanentError`, such as a wrong Upsales
  API key) → 502 ``upstream_refused``, naming the system and never the credential.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.api.schemas import ErrorEnvelope
from upsales_fortnox.core.crypto import DecryptionError
from upsales_fortnox.installations.api_clients import InstallationNotReady
from upsales_fortnox.integrations.errors import (
    PermanentError,
    ReauthorizationRequired,
    RetryableError,
)
from upsales_fortnox.integrations.fortnox.errors import FortnoxAuthError, FortnoxError
from upsales_fortnox.integrations.upsales.errors import UpsalesAuthError, UpsalesError

FORTNOX_NOT_CONNECTED: Final = "fortnox_not_connected"
"""The code of the :class:`ReauthorizationRequired` raised when no Fortnox tokens are stored."""

UPSTREAM_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    409: {"model": ErrorEnvelope, "description": "The installation is not ready to ask."},
    502: {"model": ErrorEnvelope, "description": "Fortnox or Upsales refused the request."},
    503: {"model": ErrorEnvelope, "description": "Fortnox or Upsales cannot be reached."},
}


def not_ready_reason(exc: Exception) -> str | None:
    """Why the installation cannot ask the live system yet, or None for another failure."""
    if isinstance(exc, DecryptionError):
        return (
            "the installation's stored credentials cannot be decrypted; enter the Upsales API "
            "key again or log in to Fortnox again"
        )
    if isinstance(exc, ReauthorizationRequired) and exc.code == FORTNOX_NOT_CONNECTED:
        return "the installation is not connected to Fortnox yet; log in to Fortnox"
    if isinstance(exc, InstallationNotReady):
        return exc.message
    return None


def refused(exc: PermanentError) -> ApiError:
    if isinstance(exc, UpsalesAuthError):
        message = "Upsales refused the installation's API key; enter a valid one"
    elif isinstance(exc, FortnoxAuthError):
        message = "Fortnox refused the installation's login; log in to Fortnox again"
    else:
        system = (
            "Upsales"
            if isinstance(exc, UpsalesError)
            else "Fortnox"
            if isinstance(exc, FortnoxError)
            else "the live system"
        )
        message = f"{system} refused the request ({exc.code})"
    return ApiError(502, "upstream_refused", message)


@contextmanager
def upstream_errors() -> Iterator[None]:
    try:
        yield
    except (DecryptionError, PermanentError) as exc:
        reason = not_ready_reason(exc)
        if reason is not None:
            raise ApiError(409, "installation_not_ready", reason) from exc
        if isinstance(exc, ReauthorizationRequired):
            raise ApiError(409, "fortnox_login_required", exc.message) from exc
        assert isinstance(exc, PermanentError)
        raise refused(exc) from exc
    except RetryableError as exc:
        raise ApiError(503, "upstream_unavailable", f"{exc.message}; try again later") from exc
