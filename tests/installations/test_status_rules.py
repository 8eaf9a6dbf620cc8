"""Which status changes an operator may make."""

from __future__ import annotations

import pytest

from upsales_fortnox.domain.status_rules import StatusChangeRefused, check_status_change
from upsales_fortnox.vocabulary import InstallationStatus as S


@pytest.mark.parametrize(
    ("current", "target", "logged_in"),
    [
        (S.ACTIVE, S.PAUSED, True),
        (S.PAUSED, S.ACTIVE, True),
        (S.PENDING_LOGIN, S.PAUSED, False),
        (S.NEEDS_RELOGIN, S.PAUSED, True),
        (S.ACTIVE, S.PENDING_LOGIN, True),
        (S.NEEDS_RELOGIN, S.NEEDS_RELOGIN, True),
        (S.PENDING_LOGIN, S.PENDING_LOGIN, False),
    ],
)
def test_allowed_changes(current: S, target: S, logged_in: bool) -> None:
    check_status_change(current, target, has_fortnox_login=logged_in, fortnox_login_refused=False)


@pytest.mark.parametrize(
    ("current", "target", "logged_in", "code", "conflict"),
    [
        (S.ACTIVE, S.NEEDS_RELOGIN, True, "status_not_settable", False),
        (S.PAUSED, S.NEEDS_RELOGIN, True, "status_not_settable", False),
        (S.PENDING_LOGIN, S.ACTIVE, False, "fortnox_login_required", True),
        (S.PAUSED, S.ACTIVE, False, "fortnox_login_required", True),
        (S.NEEDS_RELOGIN, S.ACTIVE, True, "fortnox_login_required", True),
    ],
)
def test_refused_changes(current: S, target: S, logged_in: bool, code: str, conflict: bool) -> None:
    with pytest.raises(StatusChangeRefused) as refused:
        check_status_change(
            current, target, has_fortnox_login=logged_in, fortnox_login_refused=False
        )
    assert (refused.value.code, refused.value.conflict) == (code, conflict)


@pytest.mark.parametrize("current", [S.PAUSED, S.PENDING_LOGIN, S.NEEDS_RELOGIN])
def test_a_refused_login_is_not_resumed_by_way_of_another_status(current: S) -> None:
    """Pausing a needs_relogin installation keeps Fortnox's refusal: only a new login ends it."""
    with pytest.raises(StatusChangeRefused) as refused:
        check_status_change(current, S.ACTIVE, has_fortnox_login=True, fortnox_login_refused=True)
    assert (refused.value.code, refused.value.conflict) == ("fortnox_login_required", True)
    check_status_change(current, S.PAUSED, has_fortnox_login=True, fortnox_login_refused=True)
