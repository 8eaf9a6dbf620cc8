"""Why an incoming event was refused. The API layer turns each into its JSON error."""

from __future__ import annotations

from typing import Any


class IntakeError(Exception):
    """An event that cannot be taken in; ``code`` is the stable machine-readable reason."""

    code = "intake_error"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class MalformedJsonError(IntakeError):
    """The body is not one JSON document (or uses NaN/Infinity, which JSON does not have)."""

    code = "malformed_json"


class EventValidationError(IntakeError):
    """The JSON has the wrong shape: a missing field or a value of the wrong type."""

    code = "validation_error"


class UnsupportedEventError(IntakeError):
    """An event type this service neither syncs nor knows how to answer."""

    code = "unsupported_event"


class HookTypeMissingError(IntakeError):
    """An app hook whose type is named neither by its body (``type``) nor by its URL."""

    code = "hook_type_missing"


class HookTypeConflictError(IntakeError):
    """An app hook whose body names another type than its URL."""

    code = "hook_type_conflict"


class TenantMismatchError(IntakeError):
    """A Fortnox event names another Fortnox tenant than the installation's."""

    code = "tenant_mismatch"
