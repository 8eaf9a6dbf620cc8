"""Every answer of the Fortnox login is ``Cache-Control: no-store``: a shared cache or the
browser's back button must never show one admin's login outcome to another, or again."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi.routing import APIRoute

from tests.activation.conftest import MovableClock
from tests.activation.login_flow import consent, login_link, pending_installation, start_login
from tests.e2e.harness import SyncHarness
from upsales_fortnox.activation import router as activation_router
from upsales_fortnox.activation.login import FortnoxLogin
from upsales_fortnox.api.errors import database_unavailable
from upsales_fortnox.api.no_store import NoStoreRoute

BROWSER = {"Accept": "text/html,application/xhtml+xml", "Accept-Language": "sv-SE"}


def assert_not_stored(response: httpx.Response) -> None:
    assert response.headers.get("cache-control") == "no-store", (
        response.status_code,
        response.headers,
    )


async def test_the_login_pages_and_errors_are_never_stored(
    harness: SyncHarness, clock: MovableClock
) -> None:
    installation_id = await pending_installation(harness)
    harness.fortnox.set_consent_tenant(harness.fortnox.create_tenant())
    link = login_link(harness, installation_id)
    callback = await consent(harness, await start_login(harness, installation_id))
    answers: dict[str, httpx.Response] = {}

    answers["the callback"] = await harness.service.get(callback, headers=BROWSER)
    for headers, kind in ((BROWSER, "page"), ({}, "JSON")):
        answers[f"reused state ({kind})"] = await harness.service.get(callback, headers=headers)
        answers[f"bad state ({kind})"] = await harness.service.get(
            "/oauth/fortnox/callback?code=x&state=nonsense", headers=headers
        )
        answers[f"denied ({kind})"] = await harness.service.get(
            "/oauth/fortnox/callback?error=access_denied&state=x", headers=headers
        )
        answers[f"mangled link ({kind})"] = await harness.service.get(
            "/activate/48a83e9a-474a-4660/fortnox?token=abc", headers=headers
        )
        answers[f"unknown installation ({kind})"] = await harness.service.get(
            login_link(harness, uuid.UUID(int=0)), headers=headers
        )
    clock.advance(timedelta(hours=24, seconds=1))
    answers["expired link (page)"] = await harness.service.get(link, headers=BROWSER)
    answers["expired link (JSON)"] = await harness.service.get(link)

    assert answers["the callback"].status_code == 302
    assert answers["reused state (page)"].status_code == 400
    assert answers["reused state (page)"].headers["content-type"].startswith("text/html")
    assert answers["unknown installation (JSON)"].status_code == 404
    assert answers["expired link (page)"].status_code == 403
    for name, response in answers.items():
        assert response.status_code in (302, 400, 403, 404), name
        assert_not_stored(response)


def test_every_login_route_answers_uncached() -> None:
    """A page added to the login later is uncached as well: the router's every route is."""
    routes = [route for route in activation_router.router.routes if isinstance(route, APIRoute)]
    assert len(routes) >= 2
    for route in routes:
        assert isinstance(route, NoStoreRoute), route.path


async def test_an_answer_made_by_the_error_handlers_is_not_stored_either(
    harness: SyncHarness, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database out of reach during the login: the 503 the app's handlers answer for the
    route is uncached as well."""

    async def database_gone(*args: object, **kwargs: object) -> None:
        raise database_unavailable("the login")

    monkeypatch.setattr(FortnoxLogin, "start", database_gone)
    installation_id = await pending_installation(harness)

    response = await harness.service.get(login_link(harness, installation_id))

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "database_unavailable"
    assert_not_stored(response)
