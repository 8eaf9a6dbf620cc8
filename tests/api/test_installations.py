"""Operator API: installations (CRUD, concurrency, secrets, authentication, OpenAPI)."""

from __future__ import annotations

import importlib
import json
import pkgutil
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import upsales_fortnox
from tests.api.operator_support import (
    VALID_SETTINGS,
    add_fortnox_login,
    add_job,
    create_installation,
    with_if_match,
)
from upsales_fortnox.activation.login_link import LoginLinkSigner
from upsales_fortnox.api.deps import require_admin
from upsales_fortnox.api.operator_route import OperatorRoute
from upsales_fortnox.models.installation import (
    FortnoxCredentials,
    Installation,
    InstallationSettings,
)
from upsales_fortnox.models.job import InboundEvent, JobAttempt, SyncJob
from upsales_fortnox.models.link import Link
from upsales_fortnox.services import Services
from upsales_fortnox.vocabulary import InstallationStatus

UPSALES_TOKEN = "upsales-api-key-5f0c2d9e41"
WEBHOOK_SECRET = "whsec_trigger-secret-8a7b6c5d4e"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def _without_login_link(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "fortnox_login_url"}


async def _count(session_factory: async_sessionmaker[AsyncSession], model: type[Any]) -> int:
    async with session_factory() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_create_answers_201_with_location_etag_and_webhook_urls(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], services: Services
) -> None:
    response = await api_client.post(
        "/api/installations",
        json={"name": "Acme AB", "upsales_customer_id": 4711, "upsales_api_token": UPSALES_TOKEN},
        headers=admin_headers,
    )
    assert response.status_code == 201
    body = response.json()
    installation_id = body["id"]
    assert response.headers["Location"].endswith(f"/api/installations/{installation_id}")
    assert response.headers["ETag"] == '"1"'
    base = services.settings.public_base_url.rstrip("/")
    assert body == {
        "id": installation_id,
        "name": "Acme AB",
        "upsales_customer_id": 4711,
        "status": "pending_login",
        "status_reason": None,
        "fortnox_tenant_id": None,
        "has_fortnox_login": False,
        "has_upsales_api_token": True,
        "has_webhook_secret": False,
        "webhook_urls": {
            "upsales": f"{base}/webhooks/upsales/{installation_id}",
            "fortnox": f"{base}/webhooks/fortnox/{installation_id}",
        },
        "fortnox_login_url": body["fortnox_login_url"],
        "version": 1,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None
    login_path, _, login_query = body["fortnox_login_url"].partition("?")
    assert login_path == f"{base}/activate/{installation_id}/fortnox"
    token = login_query.removeprefix("token=")
    LoginLinkSigner(services.settings.secret_key.get_secret_value()).verify(
        token, uuid.UUID(installation_id), now=datetime.now(UTC)
    )

    fetched = await api_client.get(response.headers["Location"], headers=admin_headers)
    assert fetched.status_code == 200
    assert fetched.headers["ETag"] == '"1"'
    # The login link is signed afresh on every read, so its expiry may move by a second.
    assert _without_login_link(fetched.json()) == _without_login_link(body)


async def test_create_with_initial_settings_stores_them(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    created = await create_installation(api_client, admin_headers, settings=VALID_SETTINGS)
    settings = await api_client.get(
        f"/api/installations/{created['id']}/settings", headers=admin_headers
    )
    assert settings.status_code == 200
    assert settings.json() == VALID_SETTINGS
    assert settings.headers["ETag"] == '"1"'


async def test_shows_tenant_id_and_fortnox_login(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    created = await create_installation(api_client, admin_headers)
    async with session_factory() as session:
        installation = await session.get(Installation, uuid.UUID(created["id"]))
        assert installation is not None
        installation.fortnox_tenant_id = "29302"
        await session.commit()
    await add_fortnox_login(session_factory, created["id"])
    body = (
        await api_client.get(f"/api/installations/{created['id']}", headers=admin_headers)
    ).json()
    assert body["fortnox_tenant_id"] == "29302"
    assert body["has_fortnox_login"] is True
    listed = (await api_client.get("/api/installations", headers=admin_headers)).json()
    assert listed["items"][0]["has_fortnox_login"] is True


INVALID_CREATE_BODIES: list[dict[str, Any]] = [
    {},
    {"name": ""},
    {"name": "x" * 201},
    {"name": "Acme\nAB"},
    {"name": "Acme\u0000AB"},
    {"name": "Acme \ud800"},
    {"name": 5},
    {"name": "Acme", "unknown": 1},
    {"name": "Acme", "upsales_customer_id": 0},
    {"name": "Acme", "upsales_customer_id": 2**31},
    {"name": "Acme", "upsales_customer_id": "12"},
    {"name": "Acme", "upsales_api_token": ""},
    {"name": "Acme", "upsales_api_token": "has space"},
    {"name": "Acme", "webhook_secret": "too-short"},
    {"name": "Acme", "webhook_secret": "x" * 201},
    {"name": "Acme", "status": "active"},
    {"name": "Acme", "settings": {"syncType": "invoice", "wonStage": "1", "lostStage": 2}},
]


async def test_invalid_create_is_422_and_stores_nothing(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    for body in INVALID_CREATE_BODIES:
        response = await api_client.post(
            "/api/installations",
            content=json.dumps(body),  # ASCII-escaped, so a lone surrogate reaches the service
            headers={**admin_headers, "Content-Type": "application/json"},
        )
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "validation_error", body
    assert await _count(session_factory, Installation) == 0


async def test_create_with_settings_that_break_a_rule_stores_nothing(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    settings = {**VALID_SETTINGS, "lostStage": VALID_SETTINGS["wonStage"]}
    response = await api_client.post(
        "/api/installations", json={"name": "Acme", "settings": settings}, headers=admin_headers
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_settings"
    assert error["details"] == [
        {"field": "lostStage", "code": "must_differ", "message": "must differ from wonStage"}
    ]
    assert await _count(session_factory, Installation) == 0
    assert await _count(session_factory, InstallationSettings) == 0


async def test_malformed_json_is_422_not_500(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await api_client.post(
        "/api/installations",
        content=b'{"name": ',
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": "Acme AB", "webhook_secret": "first-secret-0123456789",'
        b' "webhook_secret": "second-secret-0123456789"}',
        b'{"name": "Acme AB", "upsales_customer_id": NaN}',
        b'{"name": "Acme AB", "x": ' + b"[" * 40 + b"]" * 40 + b"}",
        b'{"name": "Acme AB", "x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        '{"name": "Acme AB"}'.encode("utf-16"),
        b'{"name": "Acme AB", "upsales_customer_id": 1e400}',
        b'{"name": "Acme AB", "upsales_customer_id": ' + b"9" * 4301 + b"}",
    ],
    ids=["key-twice", "nan", "nested-40", "nested-50000", "utf-16", "infinite", "long-integer"],
)
async def test_a_body_the_webhooks_would_refuse_is_422_and_stores_nothing(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
    raw: bytes,
) -> None:
    """The webhooks' strict JSON rules: a key given twice (here a secret) is not last-wins."""
    response = await api_client.post(
        "/api/installations",
        content=raw,
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "secret-0123456789" not in response.text
    assert await _count(session_factory, Installation) == 0


async def test_duplicate_customer_id_is_409(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await create_installation(api_client, admin_headers, upsales_customer_id=42)
    response = await api_client.post(
        "/api/installations",
        json={"name": "Other", "upsales_customer_id": 42},
        headers=admin_headers,
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert await _count(session_factory, Installation) == 1


async def test_list_paginates_and_filters(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    ids = [
        (
            await create_installation(
                api_client, admin_headers, name=f"Shop {n}", upsales_customer_id=n
            )
        )["id"]
        for n in range(1, 6)
    ]
    async with session_factory() as session:
        installation = await session.get(Installation, uuid.UUID(ids[2]))
        assert installation is not None
        installation.status = InstallationStatus.PAUSED
        await session.commit()

    first = (await api_client.get("/api/installations?limit=2", headers=admin_headers)).json()
    assert (first["total"], first["limit"], first["offset"]) == (5, 2, 0)
    pages = [first["items"]]
    for offset in (2, 4):
        page = await api_client.get(
            f"/api/installations?limit=2&offset={offset}", headers=admin_headers
        )
        pages.append(page.json()["items"])
    assert [item["id"] for page in pages for item in page] == ids

    paused = (
        await api_client.get("/api/installations?status=paused", headers=admin_headers)
    ).json()
    assert [item["id"] for item in paused["items"]] == [ids[2]]
    assert paused["total"] == 1
    by_customer = await api_client.get(
        "/api/installations?upsales_customer_id=4", headers=admin_headers
    )
    assert [item["id"] for item in by_customer.json()["items"]] == [ids[3]]


async def test_list_rejects_bad_parameters(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    for query in ("status=gone", "limit=0", "limit=201", "offset=-1", "upsales_customer_id=0"):
        response = await api_client.get(f"/api/installations?{query}", headers=admin_headers)
        assert response.status_code == 422, query
        assert response.json()["error"]["code"] == "validation_error", query


async def test_patch_needs_the_current_version(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    created = await create_installation(api_client, admin_headers)
    url = f"/api/installations/{created['id']}"

    missing = await api_client.patch(url, json={"name": "New"}, headers=admin_headers)
    assert missing.status_code == 428
    assert missing.json()["error"]["code"] == "precondition_required"

    renamed = await api_client.patch(
        url, json={"name": "New"}, headers=with_if_match(admin_headers, '"1"')
    )
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "New"
    assert renamed.json()["version"] == 2
    assert renamed.headers["ETag"] == '"2"'

    for stale in ('"1"', '"abc"', "1"):
        refused = await api_client.patch(
            url, json={"name": "Lost"}, headers=with_if_match(admin_headers, stale)
        )
        assert refused.status_code == 412
        assert refused.json()["error"]["code"] == "precondition_failed"
        assert refused.headers["ETag"] == '"2"'

    current = await api_client.get(url, headers=admin_headers)
    assert current.json()["name"] == "New"
    assert current.headers["ETag"] == '"2"'

    forced = await api_client.patch(
        url, json={"name": "Any"}, headers=with_if_match(admin_headers, "*")
    )
    assert forced.status_code == 200
    assert forced.headers["ETag"] == '"3"'


async def test_an_empty_patch_changes_nothing(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    created = await create_installation(api_client, admin_headers)
    response = await api_client.patch(
        f"/api/installations/{created['id']}", json={}, headers=with_if_match(admin_headers, '"1"')
    )
    assert response.status_code == 200
    assert response.json()["version"] == 1


async def test_pause_and_resume(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    created = await create_installation(api_client, admin_headers)
    url = f"/api/installations/{created['id']}"

    no_login = await api_client.patch(
        url, json={"status": "active"}, headers=with_if_match(admin_headers, '"1"')
    )
    assert no_login.status_code == 409
    assert no_login.json()["error"]["code"] == "fortnox_login_required"

    paused = await api_client.patch(
        url,
        json={"status": "paused", "status_reason": "customer asked"},
        headers=with_if_match(admin_headers, '"1"'),
    )
    assert paused.status_code == 200
    assert (paused.json()["status"], paused.json()["status_reason"]) == ("paused", "customer asked")

    await add_fortnox_login(session_factory, created["id"])
    resumed = await api_client.patch(
        url, json={"status": "active"}, headers=with_if_match(admin_headers, '"2"')
    )
    assert resumed.status_code == 200
    assert (resumed.json()["status"], resumed.json()["status_reason"]) == ("active", None)


async def test_status_rules_are_enforced(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    created = await create_installation(api_client, admin_headers)
    await add_fortnox_login(session_factory, created["id"])
    url = f"/api/installations/{created['id']}"
    headers = with_if_match(admin_headers, '"1"')

    system_only = await api_client.patch(url, json={"status": "needs_relogin"}, headers=headers)
    assert system_only.status_code == 422
    assert system_only.json()["error"]["code"] == "status_not_settable"
    for body in ({"status": None}, {"name": None}, {"status": "sleeping"}):
        response = await api_client.patch(url, json=body, headers=headers)
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "validation_error"

    async with session_factory() as session:
        installation = await session.get(Installation, uuid.UUID(created["id"]))
        assert installation is not None
        installation.status = InstallationStatus.NEEDS_RELOGIN
        installation.status_reason = "refresh token refused"
        await session.commit()
    relogin_needed = await api_client.patch(
        url, json={"status": "active"}, headers=with_if_match(admin_headers, '"2"')
    )
    assert relogin_needed.status_code == 409
    assert relogin_needed.json()["error"]["code"] == "fortnox_login_required"
    unchanged = (await api_client.get(url, headers=admin_headers)).json()
    assert (unchanged["status"], unchanged["version"]) == ("needs_relogin", 2)


async def test_patch_customer_id_conflict_and_clear(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    await create_installation(api_client, admin_headers, upsales_customer_id=1)
    second = await create_installation(api_client, admin_headers, upsales_customer_id=2)
    url = f"/api/installations/{second['id']}"
    taken = await api_client.patch(
        url, json={"upsales_customer_id": 1}, headers=with_if_match(admin_headers, '"1"')
    )
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "conflict"
    same = await api_client.patch(
        url, json={"upsales_customer_id": 2}, headers=with_if_match(admin_headers, '"1"')
    )
    assert same.status_code == 200 and same.json()["version"] == 1
    cleared = await api_client.patch(
        url, json={"upsales_customer_id": None}, headers=with_if_match(admin_headers, '"1"')
    )
    assert cleared.status_code == 200
    assert cleared.json()["upsales_customer_id"] is None


async def test_secrets_are_write_only_and_encrypted(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
    services: Services,
) -> None:
    new_token = "upsales-api-key-rotated-77aa"
    new_secret = "whsec_rotated-secret-0099887766"
    responses: list[httpx.Response] = []
    created = await api_client.post(
        "/api/installations",
        json={
            "name": "Acme",
            "upsales_customer_id": 9,
            "upsales_api_token": UPSALES_TOKEN,
            "webhook_secret": WEBHOOK_SECRET,
            "settings": VALID_SETTINGS,
        },
        headers=admin_headers,
    )
    responses.append(created)
    installation_id = created.json()["id"]
    url = f"/api/installations/{installation_id}"
    assert created.json()["has_upsales_api_token"] is True
    assert created.json()["has_webhook_secret"] is True

    async with session_factory() as session:
        stored = await session.get(Installation, uuid.UUID(installation_id))
        assert stored is not None
        assert stored.upsales_api_token_enc not in (None, UPSALES_TOKEN)
        assert UPSALES_TOKEN not in (stored.upsales_api_token_enc or "")
        assert services.secret_box.decrypt_optional(stored.upsales_api_token_enc) == UPSALES_TOKEN
        assert services.secret_box.decrypt_optional(stored.webhook_secret_enc) == WEBHOOK_SECRET

    # refused requests that carry secrets must not echo them either
    responses.append(
        await api_client.post(
            "/api/installations",
            json={"name": "Dup", "upsales_customer_id": 9, "upsales_api_token": UPSALES_TOKEN},
            headers=admin_headers,
        )
    )
    responses.append(
        await api_client.post(
            "/api/installations",
            json={"name": "", "webhook_secret": WEBHOOK_SECRET, "upsales_api_token": "a b"},
            headers=admin_headers,
        )
    )
    responses.append(
        await api_client.patch(
            url, json={"webhook_secret": "short"}, headers=with_if_match(admin_headers, '"1"')
        )
    )
    responses.append(
        await api_client.patch(
            url, json={"webhook_secret": new_secret}, headers=with_if_match(admin_headers, '"9"')
        )
    )
    rotated = await api_client.patch(
        url,
        json={"upsales_api_token": new_token, "webhook_secret": new_secret},
        headers=with_if_match(admin_headers, '"1"'),
    )
    responses.append(rotated)
    assert rotated.status_code == 200
    responses.append(await api_client.get(url, headers=admin_headers))
    responses.append(await api_client.get("/api/installations", headers=admin_headers))
    responses.append(await api_client.get(f"{url}/settings", headers=admin_headers))
    responses.append(await api_client.get("/openapi.json"))

    async with session_factory() as session:
        stored = await session.get(Installation, uuid.UUID(installation_id))
        assert stored is not None
        assert services.secret_box.decrypt_optional(stored.upsales_api_token_enc) == new_token
        assert services.secret_box.decrypt_optional(stored.webhook_secret_enc) == new_secret

    cleared = await api_client.patch(
        url, json={"webhook_secret": None}, headers=with_if_match(admin_headers, '"2"')
    )
    responses.append(cleared)
    assert cleared.json()["has_webhook_secret"] is False
    assert cleared.json()["has_upsales_api_token"] is True
    responses.append(await api_client.delete(url, headers=admin_headers))

    assert [r.status_code for r in responses] == [
        201,
        409,
        422,
        422,
        412,
        200,
        200,
        200,
        200,
        200,
        200,
        204,
    ]
    for response in responses:
        for secret in (UPSALES_TOKEN, WEBHOOK_SECRET, new_token, new_secret):
            assert secret not in response.text
            assert secret not in str(response.headers)


async def test_delete_cascades_to_everything_of_the_installation(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    doomed = await create_installation(api_client, admin_headers, settings=VALID_SETTINGS)
    kept = await create_installation(
        api_client, admin_headers, name="Kept", settings=VALID_SETTINGS
    )
    for installation in (doomed, kept):
        await add_fortnox_login(session_factory, installation["id"])
        job_id = await add_job(session_factory, installation["id"])
        async with session_factory() as session:
            installation_uuid = uuid.UUID(installation["id"])
            session.add(JobAttempt(job_id=job_id, number=1, worker_id="w1"))
            session.add(
                Link(
                    installation_id=installation_uuid,
                    entity="company",
                    upsales_id=1,
                    fortnox_type="customer",
                    fortnox_id="1",
                )
            )
            session.add(
                InboundEvent(
                    installation_id=installation_uuid,
                    source="upsales",
                    dedupe_key="k1",
                    event_type="after_order_update",
                    entity_type="order",
                    payload={},
                    job_id=job_id,
                )
            )
            await session.commit()

    stale = await api_client.delete(
        f"/api/installations/{doomed['id']}", headers=with_if_match(admin_headers, '"5"')
    )
    assert stale.status_code == 412
    response = await api_client.delete(
        f"/api/installations/{doomed['id']}", headers=with_if_match(admin_headers, '"1"')
    )
    assert response.status_code == 204
    assert response.content == b""

    gone = await api_client.get(f"/api/installations/{doomed['id']}", headers=admin_headers)
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "installation_not_found"
    for model in (
        Installation,
        InstallationSettings,
        FortnoxCredentials,
        SyncJob,
        JobAttempt,
        Link,
        InboundEvent,
    ):
        assert await _count(session_factory, model) == 1, model.__name__
    again = await api_client.delete(f"/api/installations/{doomed['id']}", headers=admin_headers)
    assert again.status_code == 404


async def test_unknown_and_malformed_installation_ids(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    headers = with_if_match(admin_headers, '"1"')
    settings = {"syncType": "invoice", "wonStage": 1, "lostStage": 2}
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", "", {}),
        ("PATCH", "", {"json": {}}),
        ("DELETE", "", {}),
        ("GET", "/settings", {}),
        ("PUT", "/settings", {"json": settings}),
        ("GET", "/links", {}),
    ]
    for method, suffix, kwargs in requests:
        unknown = await api_client.request(
            method, f"/api/installations/{UNKNOWN_ID}{suffix}", headers=headers, **kwargs
        )
        assert unknown.status_code == 404, (method, suffix)
        assert unknown.json()["error"]["code"] == "installation_not_found"
        for malformed in ("not-a-uuid", "1", "00000000-0000-4000-8000-00000000000g"):
            response = await api_client.request(
                method, f"/api/installations/{malformed}{suffix}", headers=headers, **kwargs
            )
            assert response.status_code in (404, 422), (method, suffix, malformed)
            assert response.json()["error"]["code"] in ("not_found", "validation_error")


def _operator_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every route under /api, as the app publishes them."""
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/")
        for method in operations
    }


OPERATOR_ROUTES = [
    ("POST", "/api/installations"),
    ("GET", "/api/installations"),
    ("GET", "/api/installations/{installation_id}"),
    ("PATCH", "/api/installations/{installation_id}"),
    ("DELETE", "/api/installations/{installation_id}"),
    ("GET", "/api/installations/{installation_id}/settings"),
    ("PUT", "/api/installations/{installation_id}/settings"),
    ("GET", "/api/installations/{installation_id}/links"),
    ("POST", "/api/installations/{installation_id}/links"),
    ("DELETE", "/api/installations/{installation_id}/links/{link_id}"),
    ("GET", "/api/installations/{installation_id}/history"),
    ("GET", "/api/jobs"),
    ("GET", "/api/jobs/{job_id}"),
    ("POST", "/api/jobs/{job_id}/retry"),
    ("POST", "/api/installations/{installation_id}/initial-sync"),
    ("GET", "/api/installations/{installation_id}/initial-sync"),
    ("POST", "/api/installations/{installation_id}/initial-sync/preview"),
    ("GET", "/api/installations/{installation_id}/choices/price-lists"),
    ("GET", "/api/installations/{installation_id}/choices/order-stages"),
    ("GET", "/api/installations/{installation_id}/choices/users"),
    ("GET", "/api/installations/{installation_id}/health"),
    ("POST", "/api/installations/{installation_id}/health/check"),
    ("POST", "/api/installations/{installation_id}/replay"),
    ("POST", "/api/jobs/retry-dead"),
    ("POST", "/api/installations/{installation_id}/fortnox-service-account"),
    ("GET", "/api/installations/{installation_id}/reconciliation"),
    ("POST", "/api/installations/{installation_id}/reconciliation/repair"),
    ("POST", "/api/installations/{installation_id}/document-links/rotate"),
    ("GET", "/api/search"),
]


def test_the_route_list_covers_every_operator_route(app: FastAPI) -> None:
    assert _operator_routes(app) == set(OPERATOR_ROUTES)


def test_every_operator_route_reads_its_body_by_the_strict_json_rules() -> None:
    routers = [
        router
        for info in pkgutil.walk_packages(upsales_fortnox.__path__, "upsales_fortnox.")
        for router in vars(importlib.import_module(info.name)).values()
        if isinstance(router, APIRouter)
        and any(depends.dependency is require_admin for depends in router.dependencies)
    ]
    routes = [route for router in routers for route in router.routes]
    assert len(routes) >= len(OPERATOR_ROUTES)
    assert [route for route in routes if not isinstance(route, OperatorRoute)] == []


async def test_every_operator_route_requires_the_token(
    api_client: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with session_factory() as session:
        installation = Installation(name="Acme")
        session.add(installation)
        await session.commit()
    wrong = (None, "Bearer wrong-token-000000", "Basic abc", "Bearer", "bearer  ")
    for method, path in OPERATOR_ROUTES:
        url = path.format(installation_id=installation.id, job_id=1, link_id=1)
        for authorization in wrong:
            headers = {"If-Match": "*"}
            if authorization is not None:
                headers["Authorization"] = authorization
            response = await api_client.request(method, url, headers=headers, json={"name": "x"})
            assert response.status_code == 401, (method, path, authorization)
            assert response.json()["error"]["code"] == "unauthorized"
            assert response.headers["WWW-Authenticate"] == "Bearer"
    assert await _count(session_factory, Installation) == 1


async def test_openapi_describes_the_operator_api(api_client: httpx.AsyncClient) -> None:
    schema = (await api_client.get("/openapi.json")).json()
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    for method, path in OPERATOR_ROUTES:
        operation = schema["paths"][path][method.lower()]
        assert operation["summary"]
        assert operation["tags"]
        assert operation["security"] == [{"HTTPBearer": []}]
        assert "401" in operation["responses"]
    components = schema["components"]["schemas"]
    created = components["InstallationCreate"]["properties"]
    assert created["upsales_api_token"]["anyOf"][0]["writeOnly"] is True
    output = components["InstallationOut"]["properties"]
    assert not {"upsales_api_token", "webhook_secret"} & set(output)
    assert {"has_upsales_api_token", "has_webhook_secret", "webhook_urls"} <= set(output)
    assert components["ErrorEnvelope"]["properties"]["error"]
