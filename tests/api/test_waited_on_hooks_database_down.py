"""A hook Upsales waits on, answered while the database cannot be read: 503 with ``Retry-After``
and the stable code, and the text a sales rep may read in their language, where a refusal
carries it (``upsales.facts.HOOK_REFUSAL_TEXT_FIELDS``), never the operator's English words.
An event Upsales does not wait on keeps the operators' shape."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Final

import httpx
import pytest
from pydantic import SecretStr

from tests.conftest import ADMIN_TOKEN
from tests.intake.support import API_KEY, order_hook
from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.texts import say
from upsales_fortnox.integrations.upsales.facts import HOOK_REFUSAL_TEXT_FIELDS
from upsales_fortnox.main import create_app
from upsales_fortnox.services import build_services
from upsales_fortnox.sync.app_hook_answers import field_sync_answer

UNREACHABLE: Final = {
    "sqlite": "sqlite:////nonexistent-directory/service.sqlite3",
    "postgresql": "postgresql://postgres@127.0.0.1:9/unreachable",
}
"""A database of each kind that cannot be opened or connected to."""


@pytest.fixture(params=sorted(UNREACHABLE))
async def api_client(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient]:
    """The service on a database it cannot reach."""
    settings = Settings(database_url=UNREACHABLE[request.param], admin_token=SecretStr(ADMIN_TOKEN))
    services = build_services(settings)
    transport = httpx.ASGITransport(app=create_app(services=services), raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
            yield client
    finally:
        await services.aclose()


_URL = "/webhooks/upsales/6b1f7c3e-8d7e-4a55-9a43-1f0c2b9e2d11"
"""The database cannot say whether this installation exists: it is not read."""


def _won_order(**extra: Any) -> dict[str, Any]:
    return {"apiKey": API_KEY, "data": {"obj": {"id": 1, "probability": 100}}, **extra}


@pytest.mark.parametrize(
    ("path_type", "body", "language"),
    [
        ("before_order_save", _won_order(), "sv"),
        (None, _won_order(type="before_order_save"), "sv"),
        ("app_status_order", _won_order(user={"language": "en-US"}), "en"),
    ],
    ids=["save-typed-url", "save-body-type", "status-english"],
)
async def test_a_waited_on_hook_gets_the_users_text(
    api_client: httpx.AsyncClient,
    path_type: str | None,
    body: dict[str, Any],
    language: str,
) -> None:
    url = f"{_URL}/{path_type}" if path_type else _URL
    response = await api_client.post(url, json=body)
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    answer = response.json()
    assert answer["code"] == "database_unavailable"
    expected = say("hook.unavailable", language)  # type: ignore[arg-type]
    for field in HOOK_REFUSAL_TEXT_FIELDS:
        assert answer[field] == expected
    assert "database" not in expected.lower() or language == "en"


async def test_an_event_not_waited_on_keeps_the_operators_shape(
    api_client: httpx.AsyncClient,
) -> None:
    response = await api_client.post(_URL, json=order_hook(7))
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "database_unavailable"


@pytest.mark.parametrize("hook", ["limit_pricelists", "show_field_sync"])
async def test_an_informational_hook_gets_an_answer_not_a_refusal(
    api_client: httpx.AsyncClient, hook: str
) -> None:
    """Reference upsales.md §7: these two must get a sensible answer, not a refusal. Neither
    needs the database to give one: the price lists that cannot be read limit nothing, and the
    fields kept in sync are the same for every installation."""
    response = await api_client.post(f"{_URL}/{hook}", json=_won_order())
    assert response.status_code == 200, response.text
    if hook == "limit_pricelists":
        assert response.json()["limit"] is False
        assert response.json()["priceListIds"] == []
    else:
        assert response.json() == field_sync_answer()
