"""An address the service cannot use stops it at start, naming the variable (and never
showing the value: an alert webhook's URL is a credential). A URL without its scheme was
taken: every call to that API, or every alert, then failed at run time for ever."""

from __future__ import annotations

import pytest

from tests.config_support import refusal_of
from upsales_fortnox.core.config import load_settings

SLACK = "hooks.slack.com/services/T000/B000/sEcReTtOkEn123"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("FORTNOX_API_BASE_URL", "api.fortnox.se/3"),
        ("FORTNOX_AUTH_BASE_URL", "ftp://apps.fortnox.se/oauth-v1"),
        ("FORTNOX_WS_URL", "https://ws.fortnox.se/topics-v1"),
        ("UPSALES_API_BASE_URL", "integration.upsales.com/api/v2"),
        ("PUBLIC_BASE_URL", "sync.example.com"),
        ("ALERT_WEBHOOK_URL", SLACK),
        ("ALERT_WEBHOOK_URL", "https://"),
    ],
)
def test_an_address_without_a_usable_scheme_or_host_stops_the_start(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    assert "sEcReTtOkEn123" not in refusal_of(monkeypatch, variable, value)


def test_the_real_addresses_and_the_defaults_are_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable, value in {
        "FORTNOX_API_BASE_URL": "https://api.fortnox.se/3",
        "FORTNOX_AUTH_BASE_URL": "https://apps.fortnox.se/oauth-v1",
        "FORTNOX_WS_URL": "wss://ws.fortnox.se/topics-v1",
        "UPSALES_API_BASE_URL": "https://integration.upsales.com/api/v2",
        "PUBLIC_BASE_URL": "https://sync.example.com",
        "ALERT_WEBHOOK_URL": f"https://{SLACK}",
    }.items():
        monkeypatch.setenv(variable, value)
    settings = load_settings()
    assert settings.alert_webhook_url == f"https://{SLACK}"
    for variable in ("FORTNOX_API_BASE_URL", "FORTNOX_WS_URL", "PUBLIC_BASE_URL"):
        monkeypatch.delenv(variable)
    assert load_settings().fortnox_ws_url.startswith("ws://")
