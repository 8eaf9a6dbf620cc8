"""The Upsales app's live choices (``externalValuesUrl``), read the way Upsales calls them: with
the customer's API key, never the operator token, at the URL the generated configuration names."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.activation.login_flow import pending_installation
from tests.e2e.harness import SyncHarness
from upsales_fortnox.core.texts import say
from upsales_fortnox.installations.app_config import upsales_app_config
from upsales_fortnox.integrations.upsales import facts
from upsales_fortnox.models.installation import FortnoxCredentials


def _price_list_url(harness: SyncHarness) -> str:
    config = upsales_app_config(
        "http://service", "client", str(harness.installation_id), "http://service/login"
    )
    (field,) = [f for f in config["configJson"]["fields"]["account"] if f["name"] == "priceList"]
    assert field["externalValues"] is True
    return str(field["externalValuesUrl"]).removeprefix("http://service")


async def _call(harness: SyncHarness, how: str, key: str) -> httpx.Response:
    url = _price_list_url(harness)
    if how == "query":
        return await harness.service.get(url, params={facts.EXTERNAL_VALUES_KEY_QUERY: key})
    if how == "header":
        return await harness.service.get(url, headers={facts.EXTERNAL_VALUES_KEY_HEADER: key})
    body: dict[str, Any] = {facts.EXTERNAL_VALUES_KEY_BODY_FIELD: key, "type": "externalValues"}
    return await harness.service.post(url, json=body)


@pytest.mark.parametrize("how", ["query", "header", "body"])
async def test_the_price_lists_answer_upsales_with_the_customer_key(
    harness: SyncHarness, how: str
) -> None:
    harness.fortnox.seed(harness.tenant_id, pricelists=[{"Code": "B", "Description": "Export"}])

    response = await _call(harness, how, harness.demo.api_key)

    assert response.status_code == 200, response.text
    values = response.json()
    assert {"name": "Export", "value": "B"} in values
    assert {item["value"] for item in values} == {"A", "B"}
    assert all(set(item) == {"name", "value"} for item in values)


@pytest.mark.parametrize("how", ["query", "header", "body"])
async def test_a_wrong_or_missing_key_is_refused_without_asking_fortnox(
    harness: SyncHarness, how: str
) -> None:
    before = sum(harness.services.fortnox_calls.values())
    wrong = await _call(harness, how, "not-the-key")
    operator_only = await harness.service.get(
        _price_list_url(harness), headers=harness.admin_headers
    )

    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_credentials"
    assert operator_only.status_code == 401  # the operator token is not what Upsales sends
    assert sum(harness.services.fortnox_calls.values()) == before


async def test_an_unknown_installation_is_not_found(harness: SyncHarness) -> None:
    url = _price_list_url(harness).replace(
        str(harness.installation_id), "0" * 8 + "-0000-4000-8000-" + "0" * 12
    )
    response = await harness.service.get(url, params={"apiKey": harness.demo.api_key})
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body",
    [b"[" * 2_000, b"[" * 50_000, b"[" * 40 + b"]" * 40, b'{"apiKey": "%s", "apiKey": "%s"}'],
    ids=["nested-2000", "nested-50000", "nested-40", "key-twice"],
)
async def test_a_body_the_webhooks_would_refuse_holds_no_key(
    harness: SyncHarness, body: bytes
) -> None:
    """Read by the webhooks' strict JSON rules: even the genuine key given twice is no key."""
    if b"%s" in body:
        key = harness.demo.api_key.encode()
        body = body % (key, key)
    before = sum(harness.services.fortnox_calls.values())
    url = _price_list_url(harness)
    unknown = url.replace(str(harness.installation_id), "0" * 8 + "-0000-4000-8000-" + "0" * 12)
    headers = {"Content-Type": "application/json"}

    refused = await harness.service.post(url, content=body, headers=headers)
    not_found = await harness.service.post(unknown, content=body, headers=headers)

    assert refused.status_code == 401, refused.text
    assert refused.json()["error"]["code"] == "invalid_credentials"
    assert not_found.status_code == 404, not_found.text
    assert sum(harness.services.fortnox_calls.values()) == before


async def test_fortnox_down_is_said_to_the_waiting_admin_after_one_try(
    harness: SyncHarness,
) -> None:
    """The admin's price-list select waits on the answer: Fortnox failing answers 503 at once,
    not after a sync job's half minute of backoff."""
    harness.fortnox.set_faults(fail_next=100)
    before = harness.services.fortnox_calls["GET /pricelists"]

    response = await _call(harness, "query", harness.demo.api_key)

    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "upstream_unavailable"
    assert harness.services.fortnox_calls["GET /pricelists"] == before + 1


async def _call_pending(
    harness: SyncHarness, installation_id: uuid.UUID, language: str | None = None
) -> httpx.Response:
    """The price-list choices of ``installation_id``, asked the way Upsales asks (a POST body
    naming the admin's language when ``language`` is given)."""
    url = _price_list_url(harness).replace(str(harness.installation_id), str(installation_id))
    if language is None:
        return await harness.service.get(url, params={"apiKey": harness.demo.api_key})
    body = {"apiKey": harness.demo.api_key, "user": {"language": language}}
    return await harness.service.post(url, json=body)


async def test_before_the_login_the_admin_reads_swedish_and_the_operator_the_code(
    harness: SyncHarness,
) -> None:
    """The admin opens the price-list select before logging in to Fortnox: the answer tells
    them, in Swedish (English when the hook asks for it), to log in first; the code stays."""
    installation_id = await pending_installation(harness)
    before = sum(harness.services.fortnox_calls.values())

    swedish = await _call_pending(harness, installation_id)
    also_swedish = await _call_pending(harness, installation_id, "sv-SE")
    english = await _call_pending(harness, installation_id, "en-US")

    for response in (swedish, also_swedish, english):
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "installation_not_ready"
        assert response.headers.get("cache-control") == "no-store", response.json()
    assert swedish.json()["error"]["message"] == say("choices.login_first", "sv")
    assert also_swedish.json()["error"]["message"] == say("choices.login_first", "sv")
    assert english.json()["error"]["message"] == say("choices.login_first", "en")
    assert "Logga in i Fortnox" in swedish.json()["error"]["message"]
    assert sum(harness.services.fortnox_calls.values()) == before


async def test_a_refused_fortnox_login_is_said_in_swedish(harness: SyncHarness) -> None:
    async with harness.services.session_factory() as session:
        credentials = await session.get(FortnoxCredentials, harness.installation_id)
        assert credentials is not None
        refresh_token = harness.services.secret_box.decrypt(credentials.refresh_token_enc or "")
    harness.fortnox.oauth.revoke(refresh_token)  # its access tokens die with it

    response = await _call(harness, "query", harness.demo.api_key)

    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "fortnox_login_required"
    assert response.json()["error"]["message"] == say("choices.login_again", "sv")


async def test_every_refusal_of_the_choices_is_a_catalogue_text(harness: SyncHarness) -> None:
    """Fortnox down, a wrong key, an unknown installation: the admin reads Swedish."""
    harness.fortnox.set_faults(fail_next=100)
    down = await _call(harness, "query", harness.demo.api_key)
    wrong_key = await _call(harness, "query", "not-the-key")
    unknown = await _call_pending(harness, uuid.UUID(int=0))

    assert down.json()["error"] == {
        "code": "upstream_unavailable",
        "message": say("choices.unavailable", "sv"),
    }
    assert wrong_key.json()["error"] == {
        "code": "invalid_credentials",
        "message": say("choices.not_this_account", "sv"),
    }
    assert unknown.status_code == 404
    assert unknown.json()["error"] == {
        "code": "installation_not_found",
        "message": say("choices.not_this_account", "sv"),
    }
