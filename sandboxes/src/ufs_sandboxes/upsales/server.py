"""Serving the sandbox over HTTP with uvicorn."""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from typing import TextIO

import uvicorn

from ufs_sandboxes.upsales.gateway import UpsalesSandboxConnectionDropped
from ufs_sandboxes.upsales.sandbox import UpsalesSandbox

UVICORN_ERROR_LOGGER = "uvicorn.error"


class _HideDroppedConnections(logging.Filter):
    """Drops are asked for (``drop_next``); uvicorn need not log them as application errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, UpsalesSandboxConnectionDropped)


def upsales_sandbox_base_url(host: str, port: int) -> str:
    return f"http://{host}:{port}/api/v2"


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, started: asyncio.Event | None) -> None:
        super().__init__(config)
        self._started_event = started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self._started_event is not None and self.started:
            self._started_event.set()


async def serve_upsales_sandbox(
    sandbox: UpsalesSandbox, host: str, port: int, *, started: asyncio.Event | None = None
) -> None:
    """Serve ``sandbox.app`` with uvicorn until the task is cancelled (then shut down cleanly).

    ``started`` is set once the socket accepts connections.
    """
    config = uvicorn.Config(sandbox.app, host=host, port=port, log_level="warning", lifespan="off")
    server = _Server(config, started)
    quiet_drops = _HideDroppedConnections()
    logging.getLogger(UVICORN_ERROR_LOGGER).addFilter(quiet_drops)
    try:
        await server.serve()
    except asyncio.CancelledError:
        server.should_exit = True
        await server.shutdown()
        raise
    finally:
        logging.getLogger(UVICORN_ERROR_LOGGER).removeFilter(quiet_drops)


def print_upsales_sandbox_banner(
    sandbox: UpsalesSandbox, host: str, port: int, *, file: TextIO | None = None
) -> str:
    """Print the base URL and an API key that works now; creates a customer if there is none.

    Returns the API key printed.
    """
    customers = sandbox.customers()
    customer = customers[0] if customers else sandbox.create_customer()
    out = file or sys.stdout
    print(f"Upsales sandbox: {upsales_sandbox_base_url(host, port)}", file=out)
    print(f"  customer {customer.id} ({customer.name}), API key: {customer.api_key}", file=out)
    print(f"  admin API: http://{host}:{port}/_sandbox/docs", file=out)
    return customer.api_key
