"""The overall health state and its reasons, decided from facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from upsales_fortnox.domain.health_rules import (
    HealthFacts,
    HealthState,
    TokenKind,
    decide_health,
)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
HEALTHY = HealthFacts(
    status="active",
    status_reason=None,
    token_kind=TokenKind.USER,
    access_token_expires_at=NOW + timedelta(minutes=40),
    last_refresh_at=NOW - timedelta(minutes=20),
    upsales_key_ok=True,
    upsales_key_error=None,
    oldest_pending_at=NOW - timedelta(seconds=5),
    dead_jobs=0,
)


def _codes(facts: HealthFacts) -> tuple[HealthState, list[str]]:
    health = decide_health(facts, NOW)
    return health.state, [reason.code for reason in health.reasons]


def test_a_fresh_connection_with_an_empty_queue_is_ok() -> None:
    assert _codes(HEALTHY) == (HealthState.OK, [])
    assert _codes(replace(HEALTHY, oldest_pending_at=None, upsales_key_ok=None)) == (
        HealthState.OK,
        [],
    )


def test_dead_jobs_and_a_late_queue_degrade() -> None:
    facts = replace(HEALTHY, dead_jobs=3, oldest_pending_at=NOW - timedelta(minutes=20))
    health = decide_health(facts, NOW)
    assert health.state is HealthState.DEGRADED
    assert [r.code for r in health.reasons] == ["dead_jobs", "queue_behind"]
    assert "3 job(s) are dead" in health.reasons[0].message
    assert "20 minutes" in health.reasons[1].message


def test_a_refresh_token_near_its_end_degrades_and_past_it_needs_action() -> None:
    nearly = replace(HEALTHY, last_refresh_at=NOW - timedelta(days=40))
    assert _codes(nearly) == (HealthState.DEGRADED, ["refresh_token_ending"])
    ended = replace(HEALTHY, last_refresh_at=NOW - timedelta(days=46))
    assert _codes(ended) == (HealthState.ACTION_NEEDED, ["refresh_token_expired"])


def test_a_service_account_has_no_refresh_token_to_age() -> None:
    service = replace(
        HEALTHY, token_kind=TokenKind.SERVICE, last_refresh_at=NOW - timedelta(days=90)
    )
    assert _codes(service) == (HealthState.OK, [])


def test_a_refused_login_or_key_needs_action_and_says_why() -> None:
    relogin = replace(HEALTHY, status="needs_relogin", status_reason="Fortnox refused the token")
    health = decide_health(replace(relogin, dead_jobs=1), NOW)
    assert health.state is HealthState.ACTION_NEEDED
    assert [r.code for r in health.reasons] == ["fortnox_relogin_needed", "dead_jobs"]
    assert "Fortnox refused the token" in health.reasons[0].message
    pending = replace(HEALTHY, status="pending_login", token_kind=None)
    assert _codes(pending) == (HealthState.ACTION_NEEDED, ["fortnox_login_pending"])
    no_tokens = replace(HEALTHY, token_kind=None)
    assert _codes(no_tokens) == (HealthState.ACTION_NEEDED, ["fortnox_not_connected"])
    key = replace(HEALTHY, upsales_key_ok=False, upsales_key_error="HTTP 401")
    state, codes = _codes(key)
    assert (state, codes) == (HealthState.ACTION_NEEDED, ["upsales_key_refused"])


def test_a_paused_installation_is_degraded() -> None:
    assert _codes(replace(HEALTHY, status="paused")) == (HealthState.DEGRADED, ["paused"])


def test_unreadable_fortnox_tokens_need_action_and_name_which_credentials() -> None:
    fortnox = decide_health(replace(HEALTHY, fortnox_tokens_unreadable=True), NOW)
    assert fortnox.state is HealthState.ACTION_NEEDED
    assert [r.code for r in fortnox.reasons] == ["credentials_unreadable"]
    assert "Fortnox tokens" in fortnox.reasons[0].message
    assert "Upsales" not in fortnox.reasons[0].message
    both = replace(
        HEALTHY,
        fortnox_tokens_unreadable=True,
        upsales_key_ok=False,
        upsales_key_error="credentials_unreadable",
    )
    assert _codes(both) == (HealthState.ACTION_NEEDED, ["credentials_unreadable"])
    refused = replace(
        HEALTHY, fortnox_tokens_unreadable=True, upsales_key_ok=False, upsales_key_error="401"
    )
    assert _codes(refused)[1] == ["credentials_unreadable", "upsales_key_refused"]


def test_jobs_refused_by_either_api_need_action_before_any_connection_check() -> None:
    upsales = decide_health(replace(HEALTHY, dead_jobs=3, dead_refused_by_upsales=2), NOW)
    assert upsales.state is HealthState.ACTION_NEEDED
    assert [r.code for r in upsales.reasons] == ["upsales_access_refused", "dead_jobs"]
    assert "2 job(s)" in upsales.reasons[0].message
    assert "Upsales" in upsales.reasons[0].message

    fortnox = decide_health(replace(HEALTHY, dead_jobs=1, dead_refused_by_fortnox=1), NOW)
    assert fortnox.state is HealthState.ACTION_NEEDED
    assert [r.code for r in fortnox.reasons] == ["fortnox_access_refused", "dead_jobs"]
    assert "log in to Fortnox again" in fortnox.reasons[0].message

    # a refusal the connection check or the login state already names is said once
    key = replace(HEALTHY, upsales_key_ok=False, dead_jobs=2, dead_refused_by_upsales=2)
    assert _codes(key)[1] == ["upsales_key_refused", "dead_jobs"]
    relogin = replace(HEALTHY, status="needs_relogin", dead_jobs=1, dead_refused_by_fortnox=1)
    assert _codes(relogin)[1] == ["fortnox_relogin_needed", "dead_jobs"]


def test_jobs_held_up_by_the_refused_service_client_name_the_operators_configuration() -> None:
    held_up = decide_health(replace(HEALTHY, client_rejected_jobs=2), NOW)
    assert held_up.state is HealthState.ACTION_NEEDED
    assert [r.code for r in held_up.reasons] == ["fortnox_client_rejected"]
    assert "2 job(s)" in held_up.reasons[0].message
    assert "FORTNOX_CLIENT_SECRET" in held_up.reasons[0].message
    assert "log in to Fortnox" not in held_up.reasons[0].message


def test_settings_never_saved_need_action_once_logged_in() -> None:
    """Its jobs wait uncounted (no queue age, no dead job): the reason is the only sign."""
    unsaved = replace(HEALTHY, settings_saved=False, oldest_pending_at=None)
    assert _codes(unsaved) == (HealthState.ACTION_NEEDED, ["settings_missing"])
    relogin = replace(unsaved, status="needs_relogin")
    assert _codes(relogin)[1] == ["fortnox_relogin_needed", "settings_missing"]
    assert _codes(replace(unsaved, status="paused"))[1] == ["paused", "settings_missing"]
    pending = replace(unsaved, status="pending_login", token_kind=None)
    assert _codes(pending) == (HealthState.ACTION_NEEDED, ["fortnox_login_pending"])


def test_an_installation_without_an_upsales_key_needs_one_once_logged_in() -> None:
    """Its Upsales jobs die at once, and no connection check judges a key it lacks."""
    keyless = replace(HEALTHY, upsales_key_stored=False, upsales_key_ok=None)
    assert _codes(keyless) == (HealthState.ACTION_NEEDED, ["upsales_key_missing"])
    both = replace(keyless, settings_saved=False, status="needs_relogin")
    assert _codes(both)[1] == ["fortnox_relogin_needed", "upsales_key_missing", "settings_missing"]
    pending = replace(keyless, status="pending_login", token_kind=None)
    assert _codes(pending) == (HealthState.ACTION_NEEDED, ["fortnox_login_pending"])
