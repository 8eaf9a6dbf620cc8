"""Feeding the metrics from the HTTP client: a response hook counting each API's answers, and
a transport wrapper counting its requests that got none."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from upsales_fortnox.ops.metrics import observe_api_failure, observe_api_response


def api_response_observer(
    fortnox_api_base_url: str, upsales_api_base_url: str
) -> Callable[[httpx.Response], Awaitable[None]]:
    """An httpx response hook counting the answers of each API (other hosts are not counted)."""
    origins = {
        _origin(httpx.URL(fortnox_api_base_url)): "fortnox",
        _origin(httpx.URL(upsales_api_base_url)): "upsales",
    }

    async def observe(response: httpx.Response) -> None:
        system = origins.get(_origin(response.request.url))
        if system is not None:
            observe_api_response(system, response.status_code)

    return observe


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


class FailureCountingTransport(httpx.AsyncBaseTransport):
    """``inner``, counting each request to ``system`` that got no answer (an httpx transport
    error: refused, unreachable, timed out, cut off) before raising it on."""

    def __init__(self, inner: httpx.AsyncBaseTransport, system: str) -> None:
        self._inner = inner
        self._system = system

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self._inner.handle_async_request(request)
        except httpx.TransportError:
            observe_api_failure(self._system)
            raise

    async def aclose(self) -> None:
        await self._inner.aclose()
