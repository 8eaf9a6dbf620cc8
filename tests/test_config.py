"""Configuration: working defaults, and a start-up failure that names the bad variable."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from upsales_fortnox.cli import cli
from upsales_fortnox.config import ConfigError, load_settings


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
