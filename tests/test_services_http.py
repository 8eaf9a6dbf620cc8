"""The shared HTTP client keeps a connection pool per API."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from upsales_fortnox.core.config import Settings
from upsales_fortnox.integrations.api_transport import CookielessClient
from upsales_fortnox.services import http_client


async def test_each_api_has_a_connection_pool_of_its_own() -> None:
    settings = Settings(
        fortnox_api_base_url="https://api.fortnox.test/3",
        upsales_api_base_url="http://127.0.0.1:8081/api/v2",
        secret_key=SecretStr("test-secret-key-0123456789abcdef"),
    )
    async with http_client(settings) as client:
        # httpx picks the transport (and so the pool) of a URL by its mount patterns.
        fortnox = client._transport_for_url(httpx.URL("https://api.fortnox.test/3/invoices/1"))
        upsales = client._transport_for_url(httpx.URL("http://127.0.0.1:8081/api/v2/orders"))
        other = client._transport_for_url(httpx.URL("https://apps.fortnox.test/oauth-v1/token"))
        elsewhere = client._transport_for_url(httpx.URL("http://127.0.0.1:9999/api/v2"))

    assert len({id(fortnox), id(upsales), id(other)}) == 3
    assert elsewhere is other


async def test_the_client_keeps_no_cookie_an_answer_sets() -> None:
    settings = Settings(secret_key=SecretStr("test-secret-key-0123456789abcdef"))
    async with http_client(settings) as client:
        answer = httpx.Response(
            200,
            headers={"Set-Cookie": "lb=node-7; Path=/"},
            request=httpx.Request("GET", "https://api.fortnox.se/3/invoices"),
        )
        client.cookies.extract_cookies(answer)
        client.cookies = {"session": "abc"}
        request = client.build_request("GET", "https://api.fortnox.se/3/invoices")
        assert isinstance(client, CookielessClient)
        assert list(client.cookies.jar) == []
    assert "cookie" not in request.headers
