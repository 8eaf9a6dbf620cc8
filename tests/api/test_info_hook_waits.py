"""``limit_pricelists`` is a question Upsales waits on: when the Upsales API fails or does not
answer, the hook gets its "nothing to limit" answer at once, not after the retries and
back-offs a sync job may spend."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
import respx

from tests.intake.support import API_KEY, count_rows, create_installation
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.services import Services
from upsales_fortnox.sync import app_hook_answers

NOTHING_LIMITED = {"limit": False, "priceListIds": [], "priceLists": [], "fortnoxPriceList": None}
BODY = {"type": "limit_pricelists", "apiKey": API_KEY, "data": {}}


@pytest.fixture
async def installation(services: Services) -> Installation:
    return await create_installation(services.session_factory, services.secret_box)


@pytest.fixture
def upsales(services: Services) -> Iterator[respx.MockRouter]:
    base = services.settings.upsales_api_base_url
    with respx.mock(base_url=base, assert_all_called=False) as router:
        yield router


async def _ask(api_client: httpx.AsyncClient, installation: Installation) -> httpx.Response:
    async with asyncio.timeout(20):  # the hook must be answered well before this
        return await api_client.post(f"/webhooks/upsales/{installation.id}", json=BODY)


async def test_a_failing_upsales_is_asked_once_and_limits_nothing(
    api_client: httpx.AsyncClient,
    services: Services,
    installation: Installation,
    upsales: respx.MockRouter,
) -> None:
    route = upsales.get("/priceLists").mock(return_value=httpx.Response(503))

    response = await _ask(api_client, installation)

    assert (response.status_code, response.json()) == (200, NOTHING_LIMITED)
    assert route.call_count == 1  # no retries while Upsales waits for the answer
    assert await count_rows(services.session_factory) == (0, 0)


async def test_an_upsales_that_does_not_answer_is_not_waited_for_past_the_deadline(
    api_client: httpx.AsyncClient,
    installation: Installation,
    upsales: respx.MockRouter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(app_hook_answers, "HOOK_ANSWER_SECONDS", 0.05)
    never = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        await never.wait()
        raise AssertionError("unreachable")

    upsales.get("/priceLists").mock(side_effect=hang)

    response = await _ask(api_client, installation)

    assert (response.status_code, response.json()) == (200, NOTHING_LIMITED)
