"""Wraps ``httpx.Client.send`` and ``httpx.AsyncClient.send`` so every exchange is seen.

Both respx-routed and real (or ASGI) traffic pass through ``send``; the guard picks out
Fortnox traffic by path. A failure inside the guard never breaks the request.
"""

from __future__ import annotations

from typing import Any

import httpx

from .guard import Guard
from .spec import Operation

_ORIGINALS: dict[str, Any] = {}


def install(guard: Guard) -> None:
    if _ORIGINALS:
        return
    sync_send = httpx.Client.send
    async_send = httpx.AsyncClient.send
    _ORIGINALS.update(sync=sync_send, async_=async_send)

    def send(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        operation = _before(guard, request)
        response = sync_send(self, request, **kwargs)
        _after(guard, operation, response)
        return response

    async def send_async(
        self: httpx.AsyncClient, request: httpx.Request, **kwargs: Any
    ) -> httpx.Response:
        operation = _before(guard, request)
        response = await async_send(self, request, **kwargs)
        _after(guard, operation, response)
        return response

    httpx.Client.send = send  # type: ignore[method-assign]
    httpx.AsyncClient.send = send_async  # type: ignore[method-assign]


def uninstall() -> None:
    if _ORIGINALS:
        httpx.Client.send = _ORIGINALS["sync"]  # type: ignore[method-assign]
        httpx.AsyncClient.send = _ORIGINALS["async_"]  # type: ignore[method-assign]
        _ORIGINALS.clear()


def _before(guard: Guard, request: httpx.Request) -> Operation | None:
    try:
        return guard.check_request(request)
    except Exception as error:  # the guard must never break the exchange it watches
        guard.note_failure(error)
        return None


def _after(guard: Guard, operation: Operation | None, response: httpx.Response) -> None:
    if operation is None:
        return
    try:
        guard.check_response(operation, response)
    except Exception as error:
        guard.note_failure(error)
