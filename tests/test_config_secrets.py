"""The consent webhook's shared secret is held to the rule of the installations' webhook
secrets (16 characters or more): a short one was taken, guessable, and, under six
characters, not even kept out of the logs."""

from __future__ import annotations

import pytest

from tests.config_support import refusal_of
from upsales_fortnox.core.config import (
    ConfigError,
    get_settings,
    load_settings,
    require_fortnox_client,
)


@pytest.mark.parametrize("value", ["abc", "s3cr3t-pw", "               "])
def test_a_short_consent_webhook_secret_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    message = refusal_of(monkeypatch, "FORTNOX_CONSENT_WEBHOOK_SECRET", value)
    if value.strip():
        assert value not in message


def test_a_long_consent_webhook_secret_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORTNOX_CONSENT_WEBHOOK_SECRET", "consent-secret-0123456789")
    secret = load_settings().fortnox_consent_webhook_secret
    assert secret is not None and secret.get_secret_value() == "consent-secret-0123456789"


@pytest.mark.parametrize("variable", ["FORTNOX_CLIENT_ID", "FORTNOX_CLIENT_SECRET"])
@pytest.mark.parametrize("value", ["", "   "])
def test_a_blank_fortnox_client_stops_the_service_start(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """A deployment whose secret store left the Fortnox app's client empty started, and every
    installation's token refresh and login then failed at Fortnox instead."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as refused:
        get_settings.__wrapped__()
    assert variable in str(refused.value)


@pytest.mark.parametrize("variable", ["FORTNOX_CLIENT_ID", "FORTNOX_CLIENT_SECRET"])
def test_a_blank_fortnox_client_is_read_for_what_never_calls_fortnox(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """``migrate`` and the operator tools read the settings too, and need no Fortnox client."""
    monkeypatch.setenv(variable, " ")
    settings = load_settings()
    with pytest.raises(ConfigError) as refused:
        require_fortnox_client(settings)
    assert variable in str(refused.value) and "FORTNOX_CLIENT_" + (
        "SECRET" if variable.endswith("ID") else "ID"
    ) not in str(refused.value)
