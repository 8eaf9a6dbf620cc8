"""Why a Fortnox login failed; each reason has a stable code and an HTTP status."""

from __future__ import annotations

import uuid


class ActivationError(Exception):
    """A login that cannot complete. Nothing about the installation was stored.

    ``installation_id``: the installation the login was for, once known (for the log)."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.installation_id: uuid.UUID | None = None


def invalid_state(
    message: str = "the login link is not valid; start the login again",
) -> ActivationError:
    return ActivationError(400, "invalid_state", message)


def installation_gone(installation_id: uuid.UUID) -> ActivationError:
    return ActivationError(
        404, "installation_not_found", f"installation {installation_id} does not exist"
    )


def state_expired() -> ActivationError:
    return ActivationError(
        400, "state_expired", "the login took too long and expired; start the login again"
    )


def state_reused() -> ActivationError:
    return ActivationError(
        400, "state_reused", "this login was already completed or abandoned; start it again"
    )


def state_not_bound() -> ActivationError:
    return ActivationError(
        400,
        "state_not_bound",
        "this login was not started in this browser; start the login again from Upsales",
    )
