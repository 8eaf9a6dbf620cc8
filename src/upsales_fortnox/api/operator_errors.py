"""Turning what the operator actions raise into API errors with stable codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.domain.settings_rules import InvalidSettings
from upsales_fortnox.domain.status_rules import StatusChangeRefused
from upsales_fortnox.installations.errors import (
    DuplicateCustomerId,
    InstallationNotFound,
    UpsalesKeyOfAnotherAccount,
    VersionMismatch,
)
from upsales_fortnox.installations.versioning import etag_for
from upsales_fortnox.jobs import JobNotDead, JobNotFound


def _precondition_failed(exc: VersionMismatch) -> ApiError:
    headers = None
    details = None
    if exc.current_version is not None:
        headers = {"ETag": etag_for(exc.current_version)}
        details = {"current_version": exc.current_version}
    return ApiError(412, "precondition_failed", str(exc), details=details, headers=headers)


def _invalid_settings(exc: InvalidSettings) -> ApiError:
    problems = [
        {"field": problem.field, "code": problem.code, "message": problem.message}
        for problem in exc.problems
    ]
    return ApiError(422, "invalid_settings", "the settings break these rules", details=problems)


@contextmanager
def operator_errors() -> Iterator[None]:
    """Re-raise the operator actions' exceptions as :class:`ApiError`."""
    try:
        yield
    except InstallationNotFound as exc:
        raise ApiError(404, "installation_not_found", str(exc)) from exc
    except JobNotFound as exc:
        raise ApiError(404, "job_not_found", str(exc)) from exc
    except VersionMismatch as exc:
        raise _precondition_failed(exc) from exc
    except InvalidSettings as exc:
        raise _invalid_settings(exc) from exc
    except DuplicateCustomerId as exc:
        raise ApiError(409, "conflict", str(exc)) from exc
    except UpsalesKeyOfAnotherAccount as exc:
        raise ApiError(409, "upsales_key_other_account", str(exc)) from exc
    except StatusChangeRefused as exc:
        raise ApiError(409 if exc.conflict else 422, exc.code, exc.message) from exc
    except JobNotDead as exc:
        raise ApiError(409, "job_not_dead", str(exc), details={"status": exc.status}) from exc
