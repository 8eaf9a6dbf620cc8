"""The Upsales app's live choices (``externalValuesUrl``), read the way Upsales calls them: with
the customer's API key, never the operator token, at the URL the generated configuration names."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.harness import SyncHarness
from upsales_fortnox.installations.app_config import upsales_app_config
from upsales_fortnox.integrations.upsales import facts


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
