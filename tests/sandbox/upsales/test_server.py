from __future__ import annotations

import asyncio
import io
import socket

import httpx
import pytest

from ufs_sandboxes.upsales import (
    UpsalesSandbox,
    print_upsales_sandbox_banner,
    serve_upsales_sandbox,
    upsales_sandbox_base_url,
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_served_over_http_and_drops_close_the_connection(sandbox: UpsalesSandbox) -> None:
    port = _free_port()
    banner = io.StringIO()
    api_key = print_upsales_sandbox_banner(sandbox, "127.0.0.1", port, file=banner)
    base_url = upsales_sandbox_base_url("127.0.0.1", port)
    assert base_url in banner.getvalue() and api_key in banner.getvalue()

    started = asyncio.Event()
    server = asyncio.create_task(serve_upsales_sandbox(sandbox, "127.0.0.1", port, started=started))
    try:
        await asyncio.wait_for(started.wait(), timeout=10)
        async with httpx.AsyncClient(base_url=base_url + "/", params={"token": api_key}) as client:
            me = await client.get("self")
            assert me.status_code == 200 and me.json()["errors"] is None
            sandbox.set_faults(drop_next=1)
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get("accounts")
            assert (await client.get("accounts")).status_code == 200
    finally:
        server.cancel()
        with pytest.raises(asyncio.CancelledError):
            await server
    assert sandbox.request_counters()["dropped"] == 1
