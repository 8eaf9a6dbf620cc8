"""Configuration: working defaults, and a start-up failure that names the bad variable."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from upsales_fortnox.cli import cli
from upsales_fortnox.config import (
    ConfigError,
    development_secrets_in_use,
    is_loopback,
    load_settings,
)


def test_defaults_work_on_a_laptop(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "SECRET_KEY", "ADMIN_TOKEN", "FORTNOX_RATE_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.database_url.startswith("sqlite:///")
    assert settings.fortnox_rate_limit == 25 and settings.fortnox_rate_window_seconds == 5.0


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://root@localhost/db"),
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
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert variable in str(refused.value)
    assert value not in str(refused.value) or variable == "LOG_FORMAT"


def test_the_command_stops_with_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "short")
    result = CliRunner().invoke(cli, ["migrate"])
    assert result.exit_code == 2
    assert "SECRET_KEY" in result.output


def test_serving_beyond_loopback_needs_real_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("ADMIN_TOKEN", "a-real-operator-token-123")
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "SECRET_KEY" in result.output and "ADMIN_TOKEN" not in result.output


def test_development_secrets_are_recognised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("ADMIN_TOKEN", raising=False)
    assert development_secrets_in_use(load_settings()) == ["SECRET_KEY", "ADMIN_TOKEN"]
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-key-0123456789")
    monkeypatch.setenv("ADMIN_TOKEN", "a-real-operator-token-123")
    assert development_secrets_in_use(load_settings()) == []
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and not is_loopback("0.0.0.0")
