"""Running a sandbox as a real server (for the CLI and the demo)."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import uvicorn

from ufs_sandboxes.fortnox.gate import ConnectionDropped
from ufs_sandboxes.fortnox.sandbox import FortnoxSandbox


class _HideDroppedConnections(logging.Filter):
    """uvicorn logs every exception raised by the app; a deliberate drop is not an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


_DROP_FILTER = _HideDroppedConnections()


def build_fortnox_sandbox_server(
    sandbox: FortnoxSandbox, host: str, port: int, *, log_level: str = "info"
) -> uvicorn.Server:
    """A uvicorn server for the sandbox; ``await server.serve()`` runs it, setting
    ``server.should_exit = True`` stops it."""
    logger = logging.getLogger("uvicorn.error")
    if _DROP_FILTER not in logger.filters:
        logger.addFilter(_DROP_FILTER)
    config = uvicorn.Config(sandbox.app, host=host, port=port, log_level=log_level, lifespan="off")
    return uvicorn.Server(config)


async def serve_fortnox_sandbox(sandbox: FortnoxSandbox, host: str, port: int) -> None:
    """Serve the sandbox with uvicorn until the server is stopped (Ctrl-C or cancellation)."""
    await build_fortnox_sandbox_server(sandbox, host, port).serve()


def fortnox_sandbox_endpoints(sandbox: FortnoxSandbox, host: str, port: int) -> dict[str, str]:
    """Where a client finds the sandbox, and the client credentials it accepts."""
    origin = f"{host}:{port}"
    return {
        "api_base_url": f"http://{origin}/3",
        "auth_base_url": f"http://{origin}/oauth-v1",
        "websocket_url": f"ws://{origin}/topics-v1",
        "admin_url": f"http://{origin}/_sandbox",
        "client_id": sandbox.config.client_id,
        "client_secret": sandbox.config.client_secret,
    }


def print_fortnox_sandbox_endpoints(
    sandbox: FortnoxSandbox, host: str, port: int, file: TextIO | None = None
) -> None:
    """Print the base URLs and the sandbox's (fake) client id and secret for a newcomer."""
    out = file or sys.stdout
    endpoints = fortnox_sandbox_endpoints(sandbox, host, port)
    print("Fortnox sandbox", file=out)
    print(f"  REST API   {endpoints['api_base_url']}", file=out)
    print(f"  OAuth2     {endpoints['auth_base_url']}", file=out)
    print(f"  WebSocket  {endpoints['websocket_url']}", file=out)
    print(f"  Admin      {endpoints['admin_url']}", file=out)
    print(f"  client id      {endpoints['client_id']}", file=out)
    print(f"  client secret  {endpoints['client_secret']}", file=out)
