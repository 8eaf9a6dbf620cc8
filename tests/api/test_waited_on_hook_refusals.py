"""A hook Upsales waits on (``before_order_save``, ``app_status_order``, ...) that is refused
(a wrong key, an installation that is gone, a body that cannot be read) carries the text the
user may read where such a refusal carries it (``upsales.facts.HOOK_REFUSAL_TEXT_FIELDS``,
strings, as Upsales' app template answers every error), in the hook's language, beside its
stable code; the status stays. Hooks nobody waits on, and trigger requests, keep the operators'
``{"error": {"code", "message"}}``. Nothing is stored either way, and no key is echoed."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.intake.support import API_KEY, WEBHOOK_SECRET, count_rows, create_installation
from upsales_fortnox.core.texts import say
from upsales_fortnox.integrations.upsales.facts import HOOK_REFUSAL_TEXT_FIELDS
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.services import Services

WRONG_KEY = "not-the-customer-key-0123456789"


@pytest.fixture
async def installation(services: Services) -> Installation:
    return await create_installation(services.session_factory, services.secret_box)


def _question(hook_type: str | None = None, key: str = API_KEY, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"apiKey": key, "data": {"obj": {"id": 7, "probability": 100}}}
    if hook_type is not None:
        body["type"] = hook_type
    return {**body, **extra}


def _assert_users_text(response: httpx.Response, status: int, code: str, text: str) -> None:
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["code"] == code
    for field in HOOK_REFUSAL_TEXT_FIELDS:
        assert answer[field] == text, answer
    assert WRONG_KEY not in response.text and API_KEY not in response.text


async def test_a_wrong_key_is_refused_with_the_users_text(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    url = f"/webhooks/upsales/{installation.id}"
    by_body = await api_client.post(url, json=_question("before_order_save", WRONG_KEY))
    by_url = await api_client.post(
        f"{url}/app_status_order", json=_question(key=WRONG_KEY, user={"language": "en-GB"})
    )
    missing = await api_client.post(f"{url}/limit_pricelists", json={"data": {}})

    text = say("hook.not_connected", "sv")
    _assert_users_text(by_body, 401, "invalid_credentials", text)
    _assert_users_text(by_url, 401, "invalid_credentials", say("hook.not_connected", "en"))
    _assert_users_text(missing, 401, "invalid_credentials", text)
    assert await count_rows(services.session_factory) == (0, 0)


@pytest.mark.parametrize("installation_id", ["6b1f7c3e-8d7e-4a55-9a43-1f0c2b9e2d11", "not-an-id"])
async def test_an_installation_that_is_gone_is_refused_with_the_users_text(
    api_client: httpx.AsyncClient, installation_id: str
) -> None:
    """The app uninstalled here while Upsales still calls it."""
    url = f"/webhooks/upsales/{installation_id}"
    typed = await api_client.post(f"{url}/before_order_save", json=_question())
    in_body = await api_client.post(url, json=_question("app_status_order"))

    for response in (typed, in_body):
        _assert_users_text(response, 404, "installation_not_found", say("hook.not_connected"))


async def test_a_body_that_cannot_be_read_is_refused_with_the_users_text(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    url = f"/webhooks/upsales/{installation.id}/before_order_save"
    text = say("hook.unreadable")
    malformed = await api_client.post(
        url, content=b'{"apiKey": "', headers={"Content-Type": "application/json"}
    )
    not_json = await api_client.post(
        url, content=json.dumps(_question()), headers={"Content-Type": "text/plain"}
    )
    with_nul = await api_client.post(
        f"/webhooks/upsales/{installation.id}",
        json=_question("before_order_save", data={"obj": {"id": 7, "notes": "a\u0000b"}}),
    )
    conflict = await api_client.post(url, json=_question("app_status_order"))

    _assert_users_text(malformed, 400, "malformed_json", text)
    _assert_users_text(not_json, 415, "unsupported_media_type", text)
    _assert_users_text(with_nul, 422, "validation_error", text)
    _assert_users_text(conflict, 422, "hook_type_conflict", text)
    assert await count_rows(services.session_factory) == (0, 0)


async def test_hooks_nobody_waits_on_keep_the_operators_shape(
    api_client: httpx.AsyncClient, services: Services, installation: Installation
) -> None:
    url = f"/webhooks/upsales/{installation.id}"
    after_event = await api_client.post(
        url, json={**_question("after_order_update", WRONG_KEY), "data": {"object": {"id": 7}}}
    )
    trigger = await api_client.post(
        f"{url}/before_order_save",
        json={"event": "after_order_update", "entity": "order", "id": 7},
        headers={"X-Webhook-Secret": WEBHOOK_SECRET + "x"},
    )
    type_as_list = await api_client.post(
        url, json={**_question(key=WRONG_KEY), "type": ["before_order_save"]}
    )
    unread_event = await api_client.post(
        f"{url}/after_order_update", content=b"{", headers={"Content-Type": "application/json"}
    )

    for response, status, code in (
        (after_event, 401, "invalid_credentials"),
        (trigger, 401, "invalid_credentials"),
        (type_as_list, 401, "invalid_credentials"),
        (unread_event, 400, "malformed_json"),
    ):
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code
    assert await count_rows(services.session_factory) == (0, 0)
