"""The sandbox behind a real uvicorn server: HTTP, a dropped connection and the WebSocket."""

from __future__ import annotations

import asyncio
import io
import json
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import websockets

from ufs_sandboxes.fortnox import (
    FortnoxSandbox,
    build_fortnox_sandbox_server,
    print_fortnox_sandbox_endpoints,
)


@pytest.fixture
async def served(sandbox: FortnoxSandbox) -> AsyncIterator[str]:
    """The sandbox on a free local port; yields ``host:port``. The socket listens before the
    server starts, so clients can connect at once (no waiting for readiness)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    port = listener.getsockname()[1]
    server = build_fortnox_sandbox_server(sandbox, "127.0.0.1", port, log_level="warning")
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        listener.close()


async def test_rest_and_a_dropped_connection_over_tcp(
    served: str, sandbox: FortnoxSandbox, tenant_id: int
) -> None:
    token = sandbox.issue_tokens(tenant_id).access_token
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    async with httpx.AsyncClient(base_url=f"http://{served}", headers=headers) as client:
        created = await client.post("/3/customers", json={"Customer": {"Name": "Acme"}})
        sandbox.set_faults(drop_next=1)
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get("/3/customers/1")
        after = await client.get("/3/customers/1")

    assert created.status_code == 201
    assert after.json()["Customer"]["Name"] == "Acme"


async def test_websocket_over_tcp(served: str, sandbox: FortnoxSandbox, tenant_id: int) -> None:
    token = f"Bearer {sandbox.issue_tokens(tenant_id).access_token}"
    async with websockets.connect(f"ws://{served}/topics-v1") as ws:
        for command in (
            {
                "command": "add-tenants-v1",
                "clientSecret": "sandbox-client-secret",
                "accessTokens": [token],
            },
            {"command": "add-topics-v1", "topics": [{"topic": "customers"}]},
            {"command": "subscribe-v1"},
        ):
            await ws.send(json.dumps(command))
            assert json.loads(await asyncio.wait_for(ws.recv(), 5))["result"] == "ok"
        async with httpx.AsyncClient(base_url=f"http://{served}") as client:
            await client.post(
                "/3/customers",
                json={"Customer": {"Name": "Acme"}},
                headers={"Authorization": token},
            )
        event = json.loads(await asyncio.wait_for(ws.recv(), 5))

    assert (event["type"], event["tenantId"], event["entityId"]) == (
        "customer-created-v1",
        tenant_id,
        "1",
    )


def test_endpoints_are_printed(sandbox: FortnoxSandbox) -> None:
    out = io.StringIO()

    print_fortnox_sandbox_endpoints(sandbox, "localhost", 8081, file=out)

    text = out.getvalue()
    assert "http://localhost:8081/3" in text
    assert "http://localhost:8081/oauth-v1" in text
    assert "ws://localhost:8081/topics-v1" in text
    assert "sandbox-client-id" in text and "sandbox-client-secret" in text
