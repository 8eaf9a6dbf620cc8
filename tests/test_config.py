"""Configuration: working defaults, and a start-up failure that names the bad variable."""

from __future__ import annotations

import pytest

from tests.config_support import refusal_of
from upsales_fortnox.core.config import (
    ConfigError,
    Settings,
    development_secrets_in_use,
    is_loopback,
    load_settings,
    sandbox_settings_in_use,
)


def test_defaults_work_on_a_laptop(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "SECRET_KEY", "ADMIN_TOKEN", "FORTNOX_RATE_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.database_url.startswith("sqlite:///")
    assert settings.fortnox_rate_limit == 25 and settings.fortnox_rate_window_seconds == 5.0


@pytest.mark.parametrize(("written", "level"), [("debug", "DEBUG"), (" Warning ", "WARNING")])
def test_the_log_level_is_read_in_any_letter_case(
    monkeypatch: pytest.MonkeyPatch, written: str, level: str
) -> None:
    monkeypatch.setenv("LOG_LEVEL", written)
    assert load_settings().log_level == level


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://root@localhost/db"),
        ("LOG_LEVEL", "verbose"),
        ("SECRET_KEY", "short"),
        ("ADMIN_TOKEN", "tiny"),
        ("FORTNOX_RATE_LIMIT", "0"),
        ("LOG_FORMAT", "xml"),
        ("JOB_LEASE_SECONDS", "soon"),
    ],
)
def test_an_invalid_variable_is_named(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    message = refusal_of(monkeypatch, variable, value)
    assert value not in message or variable == "LOG_FORMAT"


def test_development_secrets_are_recognised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("ADMIN_TOKEN", raising=False)
    assert development_secrets_in_use(load_settings()) == ["SECRET_KEY", "ADMIN_TOKEN"]
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-key-0123456789")
    monkeypatch.setenv("ADMIN_TOKEN", "a-real-operator-token-123")
    assert development_secrets_in_use(load_settings()) == []
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and not is_loopback("0.0.0.0")


def test_sandbox_and_local_values_are_named_and_real_ones_are_not() -> None:
    everything_local = sandbox_settings_in_use(Settings())
    assert everything_local == [
        "FORTNOX_API_BASE_URL",
        "FORTNOX_AUTH_BASE_URL",
        "FORTNOX_WS_URL",
        "UPSALES_API_BASE_URL",
        "PUBLIC_BASE_URL",
        "FORTNOX_CLIENT_ID",
        "FORTNOX_CLIENT_SECRET",
    ]
    live = Settings(
        fortnox_api_base_url="https://api.fortnox.se/3",
        fortnox_auth_base_url="https://apps.fortnox.se/oauth-v1",
        fortnox_ws_url="wss://ws.fortnox.se/topics-v1",
        upsales_api_base_url="https://integration.upsales.com/api/v2",
        public_base_url="https://sync.example.com",
        fortnox_client_id="real-client",
        fortnox_client_secret="real-client-secret",
    )
    assert sandbox_settings_in_use(live) == []
    half = live.model_copy(update={"public_base_url": "http://localhost:8080"})
    assert sandbox_settings_in_use(half) == ["PUBLIC_BASE_URL"]


@pytest.mark.parametrize("value", ["inf", "infinity", "nan"])
@pytest.mark.parametrize("variable", ["JOB_OUTAGE_PATIENCE_HOURS", "JOB_BACKOFF_MAX_SECONDS"])
def test_an_endless_outage_patience_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    """JOB_OUTAGE_PATIENCE_HOURS=inf was taken, and every job that met an outage on its last
    attempt then failed to be recorded (the worker could not count its tries past it), so its
    lease ran out and it was buried dead; an endless JOB_BACKOFF_MAX_SECONDS left no patience
    at all. The service now stops at start naming the variable."""
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert variable in str(refused.value)
