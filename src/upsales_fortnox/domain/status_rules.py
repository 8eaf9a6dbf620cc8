"""Which status changes an operator may make, as a pure function.

An operator may pause and resume an installation, or send it back to ``pending_login``.
``needs_relogin`` is set only by the system, when Fortnox refuses the refresh token; only a new
Fortnox login clears it. Setting ``active`` needs a completed Fortnox login that Fortnox has not
refused: the refusal is kept with the stored login, so pausing a ``needs_relogin`` installation
and resuming it does not make it active either.
"""

from __future__ import annotations

from upsales_fortnox.vocabulary import InstallationStatus

OPERATOR_SETTABLE_STATUSES = frozenset(
    {InstallationStatus.PENDING_LOGIN, InstallationStatus.ACTIVE, InstallationStatus.PAUSED}
)


class StatusChangeRefused(Exception):
    """The change is not allowed. ``code`` is stable; ``conflict`` tells a state conflict (the
    request could pass later) from a request that can never pass."""

    def __init__(self, code: str, message: str, *, conflict: bool) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.conflict = conflict


def check_status_change(
    current: InstallationStatus,
    target: InstallationStatus,
    *,
    has_fortnox_login: bool,
    fortnox_login_refused: bool,
) -> None:
    """Raise :class:`StatusChangeRefused` unless an operator may move ``current`` to ``target``
    (``fortnox_login_refused``: Fortnox refused the stored login, and no new login followed)."""
    if target == current:
        return
    if target not in OPERATOR_SETTABLE_STATUSES:
        raise StatusChangeRefused(
            "status_not_settable",
            f"status {target.value} is set by the service only; an operator may set "
            + ", ".join(sorted(status.value for status in OPERATOR_SETTABLE_STATUSES)),
            conflict=False,
        )
    if target is InstallationStatus.ACTIVE and (
        current is InstallationStatus.NEEDS_RELOGIN or not has_fortnox_login
    ):
        raise StatusChangeRefused(
            "fortnox_login_required",
            "the installation cannot be active before someone logs in to Fortnox",
            conflict=True,
        )
    if target is InstallationStatus.ACTIVE and fortnox_login_refused:
        raise StatusChangeRefused(
            "fortnox_login_required",
            "Fortnox refused the installation's stored login: only a new Fortnox login makes "
            "it active again",
            conflict=True,
        )
