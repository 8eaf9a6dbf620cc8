"""The reconciliation report of an installation that cannot ask the live systems yet: it
exists, so it is 409 ``installation_not_ready`` (naming what is missing), never a 404 that
sends the operator looking for a wrong id, nor a 500."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.operator_support import create_installation
from upsales_fortnox.core.crypto import SecretBox
from upsales_fortnox.models.installation import Installation

PERIOD = {"from": "2026-01-01", "to": "2026-01-31"}
ROUTES = [
    ("GET", "/api/installations/{id}/reconciliation"),
    ("POST", "/api/installations/{id}/reconciliation/repair"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_a_report_without_an_upsales_key_is_not_ready(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], method: str, path: str
) -> None:
    created = await create_installation(api_client, admin_headers)
    response = await api_client.request(
        method, path.format(id=created["id"]), params=PERIOD, headers=admin_headers
    )
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "installation_not_ready"
    assert "Upsales API" in error["message"]


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_a_report_with_an_unreadable_upsales_key_is_not_ready(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
    method: str,
    path: str,
) -> None:
    created = await create_installation(api_client, admin_headers)
    other_key = SecretBox("another-secret-key-0123456789").encrypt("upsales-key-4711abc")
    async with session_factory() as session:
        await session.execute(
            update(Installation)
            .where(Installation.id == uuid.UUID(created["id"]))
            .values(upsales_api_token_enc=other_key)
        )
        await session.commit()
    response = await api_client.request(
        method, path.format(id=created["id"]), params=PERIOD, headers=admin_headers
    )
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "installation_not_ready"
    assert "upsales-key-4711abc" not in response.text


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_a_report_of_an_unknown_installation_is_not_found(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], method: str, path: str
) -> None:
    response = await api_client.request(
        method, path.format(id=uuid.uuid4()), params=PERIOD, headers=admin_headers
    )
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "installation_not_found"


@pytest.mark.parametrize("paused", [False, True])
@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_a_report_of_an_installation_not_logged_in_to_fortnox_is_refused_at_once(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    method: str,
    path: str,
    paused: bool,
) -> None:
    """With its Upsales key but no Fortnox login yet (paused since, or not): 409 at once, no
    call to either system (the API tests answer no request)."""
    created = await create_installation(
        api_client, admin_headers, upsales_api_token="upsales-key-4711abc"
    )
    if paused:
        edited = await api_client.patch(
            f"/api/installations/{created['id']}",
            json={"status": "paused"},
            headers={**admin_headers, "If-Match": "*"},
        )
        assert edited.status_code == 200, edited.text
    response = await api_client.request(
        method, path.format(id=created["id"]), params=PERIOD, headers=admin_headers
    )
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "fortnox_login_required"
