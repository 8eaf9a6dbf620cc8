"""A console page or action given a parameter it cannot take (a paging offset or cursor that
is no number, a job or installation id that is none) answers the console's own error page,
with the API's status, code and message, as a search too long does: never bare JSON in the
operator's browser. (The ``.json`` routes the pages poll answer the API's JSON error.)"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from tests.conftest import ADMIN_TOKEN
from tests.console.support import CONSOLE_ORIGIN, log_in
from upsales_fortnox.console import routes, routes_installations, routes_queue, routes_search

ZERO_ID = "00000000-0000-4000-8000-000000000000"
NO_NUMBER = "x"
TOO_BIG = "9" * 30


@pytest.fixture
async def console(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=CONSOLE_ORIGIN) as client:
        yield client


def _typed_params(route: APIRoute, where: str) -> dict[str, type]:
    fields = route.dependant.path_params if where == "path" else route.dependant.query_params
    return {field.name: field.field_info.annotation for field in fields}  # type: ignore[misc]


def _bad_requests() -> list[tuple[str, str, dict[str, str], str]]:
    """For every console route with a typed path or query parameter: a request giving each
    such parameter a value it cannot take (the others valid)."""
    found = []
    for router in (routes.router, routes_queue.router, routes_installations.router):
        found.extend(_bad_requests_of(router.routes))
    found.extend(_bad_requests_of(routes_search.router.routes))
    return found


def _bad_requests_of(candidates: list[object]) -> list[tuple[str, str, dict[str, str], str]]:
    found = []
    for route in candidates:
        if not isinstance(route, APIRoute):
            continue
        if route.path.endswith(".json"):
            continue
        method = sorted(route.methods)[0]
        path_params = _typed_params(route, "path")
        good = {name: ZERO_ID if kind is uuid.UUID else "1" for name, kind in path_params.items()}
        for name in path_params:
            path = route.path.format(**{**good, name: NO_NUMBER})
            found.append((method, path, {}, name))
        for name, kind in _typed_params(route, "query").items():
            if "int" in str(kind):
                path = route.path.format(**good)
                found.extend(
                    (method, path, {name: bad}, name) for bad in (NO_NUMBER, "-1", TOO_BIG)
                )
    return found


def test_the_console_has_the_routes_this_test_is_about() -> None:
    paths = {(method, path, name) for method, path, _, name in _bad_requests()}
    assert ("GET", "/console/queue", "before") in paths
    assert ("GET", "/console", "offset") in paths
    assert ("GET", "/console/jobs/x", "job_id") in paths
    assert ("POST", "/console/jobs/x/retry", "job_id") in paths
    assert ("GET", "/console/installations/x", "installation_id") in paths
    assert ("POST", f"/console/installations/{ZERO_ID}/links/x/delete", "link_id") in paths


async def test_a_parameter_a_console_page_cannot_take_answers_its_error_page(
    console: httpx.AsyncClient,
) -> None:
    await log_in(console, ADMIN_TOKEN)
    for method, path, params, name in _bad_requests():
        response = await console.request(method, path, params=params)
        where = f"{method} {path} {params}"
        assert response.status_code == 422, where
        assert response.headers["content-type"].startswith("text/html"), where
        assert "<title>Refused: validation_error</title>" in response.text, where
        assert "the request is not valid" in response.text, where
        assert response.headers["x-frame-options"] == "DENY", where
        assert f"{name}</li>" in response.text or f"{name};" in response.text, where
        assert 'action="/console/logout"' in response.text, where  # still logged in


async def test_without_a_session_a_bad_parameter_still_sends_to_the_login_form(
    console: httpx.AsyncClient,
) -> None:
    for method, path, params, _ in _bad_requests():
        if method != "GET":
            continue
        response = await console.get(path, params=params)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/console/login"


async def test_the_polled_json_keeps_the_apis_error(console: httpx.AsyncClient) -> None:
    await log_in(console, ADMIN_TOKEN)
    response = await console.get("/console/installations/x/initial-sync.json")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


async def test_a_console_address_with_no_page_or_a_method_it_does_not_take_is_the_error_page(
    console: httpx.AsyncClient,
) -> None:
    """Refused before any route runs (no route for the path, an action fetched with GET): the
    console's error page, with the API's status, code and ``Allow``; the API, the assets and
    the ``.json`` routes keep the API's JSON."""
    await log_in(console, ADMIN_TOKEN)
    missing = await console.get("/console/no-such-page")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert '<code class="code">not_found</code>' in missing.text
    assert '<a href="/console">' in missing.text
    fetched = await console.get("/console/queue/bulk-retry")
    assert fetched.status_code == 405
    assert fetched.headers["allow"] == "POST"
    assert '<code class="code">method_not_allowed</code>' in fetched.text
    for path, method in (
        ("/api/no-such-route", "GET"),
        ("/console/static/no-such.css", "GET"),
        ("/console/queue/summary.json", "POST"),
        ("/consolex", "GET"),
    ):
        answer = await console.request(method, path)
        assert answer.headers["content-type"] == "application/json", path
        assert answer.json()["error"]["code"] in ("not_found", "method_not_allowed"), path
