"""Every route of the whole app, in the OpenAPI document or not (console pages, metrics, the
login, document links), refuses a caller who brings no credentials, except the few that are
public by design, each listed here with the reason; a route added later fails this test until
it is placed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.operator_support import create_installation

#: Routes anyone may call, and why.
PUBLIC = {
    ("GET", "/healthz"): "liveness probe",
    ("HEAD", "/healthz"): "liveness probe",
    ("GET", "/readyz"): "readiness probe",
    ("HEAD", "/readyz"): "readiness probe",
    ("GET", "/health"): "Upsales' health poll of its apps",
    ("HEAD", "/health"): "Upsales' health poll of its apps",
    ("GET", "/openapi.json"): "the API's description",
    ("HEAD", "/openapi.json"): "the API's description",
    ("GET", "/docs"): "the API's description",
    ("GET", "/redoc"): "the API's description",
    ("GET", "/console/login"): "the console's login form",
    ("POST", "/console/login"): "the console's login (checks the operator token)",
}

#: Public routes that authenticate by what the caller brings (a secret, a signature, a state):
#: without it they refuse with one of these statuses, and never answer 2xx or 5xx.
SELF_AUTHENTICATED = {
    ("POST", "/webhooks/upsales/{installation_id}"): {401},
    ("POST", "/webhooks/upsales/{installation_id}/{hook_type}"): {401},
    ("POST", "/webhooks/fortnox/{installation_id}"): {401},
    ("POST", "/webhooks/fortnox-consent"): {401, 404},  # 404 while it is not configured
    ("GET", "/webhooks/upsales/{installation_id}/choices/price-lists"): {401},
    ("POST", "/webhooks/upsales/{installation_id}/choices/price-lists"): {401},
    ("GET", "/activate/{installation_id}/fortnox"): {400, 401, 403, 404, 422},
    ("GET", "/oauth/fortnox/callback"): {400, 401, 403, 422},
    ("GET", "/documents/{installation}/{kind}/{number}"): {401, 403, 404},
    ("HEAD", "/documents/{installation}/{kind}/{number}"): {401, 403, 404},
}


def _flat(routes: Iterable[object]) -> Iterator[object]:
    """The app's routes with those of every included router, however deep."""
    for route in routes:
        candidates = getattr(route, "effective_candidates", None)
        if candidates is not None:
            yield from _flat(candidates())
        else:
            yield route


def _every_route(app: FastAPI) -> list[tuple[str, str]]:
    return sorted(
        (method, str(getattr(route, "path", "")))
        for route in _flat(app.routes)
        for method in getattr(route, "methods", None) or ()
    )


def _url(path: str, installation_id: str) -> str:
    return path.format(
        installation_id=installation_id,
        installation=installation_id,
        job_id=1,
        link_id=1,
        hook_type="after_order_update",
        kind="invoice",
        number=1,
    )


async def test_every_route_refuses_a_caller_without_credentials(
    app: FastAPI,
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    installation_id = str((await create_installation(api_client, admin_headers))["id"])
    routes = _every_route(app)
    assert len(routes) > 50, routes
    guarded = [route for route in routes if route not in PUBLIC]
    for method, path in guarded:
        url = _url(path, installation_id)
        response = await api_client.request(
            method,
            url,
            headers={"If-Match": "*", "Origin": "http://service.test"},
            json={"name": "x"},
        )
        expected = SELF_AUTHENTICATED.get((method, path), {401})
        if path.startswith("/console") and method in ("GET", "HEAD"):
            # pages send the browser to the login form
            assert response.status_code in (303, 307), (method, path, response.status_code)
            assert response.headers["location"].endswith("/console/login"), (method, path)
            continue
        assert response.status_code in expected, (method, path, response.status_code)
        if path.startswith("/console"):
            # console actions answer a page naming the stable code
            assert "unauthorized" in response.text, (method, path)
        elif method != "HEAD":
            assert response.json()["error"]["code"], (method, path)


def test_every_public_route_still_exists(app: FastAPI) -> None:
    routes = set(_every_route(app))
    assert set(PUBLIC) <= routes
    assert set(SELF_AUTHENTICATED) <= routes


async def test_operator_answers_holding_a_login_link_are_not_stored(
    app: FastAPI, api_client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    """An installation's answer carries its ``fortnox_login_url``, whose signed token connects a
    Fortnox company to the installation for a day: no cache (a proxy's, the browser's) keeps it,
    nor any other operator answer or refusal."""
    created = await api_client.post(
        "/api/installations", json={"name": "Acme"}, headers=admin_headers
    )
    assert "token=" in created.json()["fortnox_login_url"]
    installation_id = created.json()["id"]
    answers = [
        created,
        await api_client.get(f"/api/installations/{installation_id}", headers=admin_headers),
        await api_client.get("/api/installations", headers=admin_headers),
        await api_client.get(f"/api/installations/{installation_id}"),
    ]
    for answer in answers:
        assert answer.headers.get("cache-control") == "no-store", answer.request.url
    for method, path in _every_route(app):
        if path.startswith("/api/"):
            refused = await api_client.request(method, _url(path, installation_id))
            assert refused.headers.get("cache-control") == "no-store", (method, path)
