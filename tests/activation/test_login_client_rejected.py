"""A login while Fortnox refuses the service's own client id and secret (a wrong
``FORTNOX_CLIENT_SECRET``): the admin is told to try later or ask the operator, the operator's
log names the refused client, and nothing of the login is kept."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from tests.activation.conftest import MovableClock
from tests.activation.login_flow import (
    consent,
    credential_rows,
    pending_installation,
    snapshot,
    start_login,
)
from tests.e2e.harness import SyncHarness

REFUSED = "fortnox_client_rejected"


def refuse_the_service_client(harness: SyncHarness, monkeypatch: pytest.MonkeyPatch) -> str:
    """Fortnox no longer accepts the secret the service sends (as after a deploy with a wrong
    one); returns that secret, which no log may hold."""
    oauth = harness.fortnox.oauth
    sent = harness.services.settings.fortnox_client_secret.get_secret_value()
    monkeypatch.setattr(oauth, "_config", replace(oauth._config, client_secret="the-right-one"))
    return sent


async def test_a_refused_client_is_the_operators_to_fix_and_named_in_the_log(
    harness: SyncHarness,
    clock: MovableClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    installation_id = await pending_installation(harness)
    harness.fortnox.set_consent_tenant(harness.fortnox.create_tenant())
    before = await snapshot(harness, installation_id)
    rows_before = await credential_rows(harness)
    callback = await consent(harness, await start_login(harness, installation_id))
    secret = refuse_the_service_client(harness, monkeypatch)

    with caplog.at_level(logging.INFO):
        response = await harness.service.get(callback)

    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == REFUSED
    assert await snapshot(harness, installation_id) == before
    assert await credential_rows(harness) == rows_before
    coded = [r for r in caplog.records if getattr(r, "code", None) == REFUSED]
    assert {r.levelno for r in coded} == {logging.ERROR, logging.WARNING}
    (completed,) = [r for r in coded if r.levelno == logging.WARNING]
    assert getattr(completed, "installation_id", None) == str(installation_id)
    assert secret not in caplog.text


async def test_a_refused_client_tells_the_admin_to_try_later_or_ask_the_operator(
    harness: SyncHarness, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    installation_id = await pending_installation(harness)
    harness.fortnox.set_consent_tenant(harness.fortnox.create_tenant())
    callback = await consent(harness, await start_login(harness, installation_id))
    secret = refuse_the_service_client(harness, monkeypatch)

    page = await harness.service.get(callback, headers={"Accept": "text/html"})

    assert page.status_code == 503
    assert "Integrationen kan just nu inte logga in hos Fortnox" in page.text
    assert REFUSED not in page.text and secret not in page.text
