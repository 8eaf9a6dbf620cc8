"""Fortnox's WebSocket change stream on the wire (reference fortnox.md §6).

The commands a consumer sends (``add-tenants-v1``, ``add-topics-v1``, ``subscribe-v1``,
``remove-tenants-v1``), how their replies and the events read, and the connection itself:
:func:`read_messages` sorts what arrives into events and command replies. What the application
does with the events (offsets, intake, supervision) is
:mod:`upsales_fortnox.intake.fortnox_stream`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Final, Protocol

from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.integrations.errors import SyncError

log = logging.getLogger(__name__)

TOPICS: Final = ("customers", "articles", "orders", "invoices", "offers")

Message = dict[str, Any]


def add_tenants_command(client_secret: str, access_tokens: Sequence[str]) -> Message:
    return {
        "command": "add-tenants-v1",
        "clientSecret": client_secret,
        "accessTokens": [f"Bearer {token}" for token in access_tokens],
    }


def remove_tenants_command(tenant_ids: Sequence[str]) -> Message:
    return {"command": "remove-tenants-v1", "tenants": [_tenant_value(t) for t in tenant_ids]}


def _tenant_value(tenant_id: str) -> int | str:
    number = parse_digits(tenant_id)
    return tenant_id if number is None else number


def add_topics_command(topics: Sequence[str], offsets: Mapping[str, str]) -> Message:
    entries: list[Message] = []
    for topic in topics:
        entry: Message = {"topic": topic}
        if offsets.get(topic):
            entry["offset"] = offsets[topic]
        entries.append(entry)
    return {"command": "add-topics-v1", "topics": entries}


SUBSCRIBE: Final[Message] = {"command": "subscribe-v1"}


def is_event(message: Message) -> bool:
    return "topic" in message and "offset" in message and "response" not in message


def tenant_ids_by_token(reply: Message) -> dict[str, str]:
    """``add-tenants-v1`` reply → access token (without ``Bearer``) → tenant id."""
    found = reply.get("tenantIds")
    if not isinstance(found, dict):
        return {}
    return {_bare(str(token)): str(tenant) for token, tenant in found.items()}


def _bare(token: str) -> str:
    scheme, _, value = token.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else token.strip()


def latest_offsets(events: Sequence[Message]) -> dict[str, str]:
    """The offset of the last event of each topic (events arrive in order within a topic)."""
    offsets: dict[str, str] = {}
    for event in events:
        offsets[str(event["topic"])] = str(event["offset"])
    return offsets


class StreamProtocolError(SyncError):
    """Fortnox answered a command with an error, or not at all."""

    code = "fortnox_stream_protocol"


class StreamConnection(Protocol):
    async def send(self, message: str) -> None: ...

    async def recv(self) -> str | bytes: ...

    def __aiter__(self) -> AsyncIterator[str | bytes]: ...


Connect = Callable[[str], AbstractAsyncContextManager[StreamConnection]]


def websockets_connect(url: str) -> AbstractAsyncContextManager[StreamConnection]:
    from websockets.asyncio.client import connect

    return connect(url, open_timeout=30, close_timeout=5, max_size=2**20)


async def read_messages(
    connection: StreamConnection, inbox: asyncio.Queue[Message], replies: asyncio.Queue[Message]
) -> None:
    """Sort incoming messages into events and command replies until the connection ends."""
    async for raw in connection:
        try:
            message = json.loads(raw)
        except ValueError:
            log.warning("ignoring a stream message that is not JSON")
            continue
        if not isinstance(message, dict):
            continue
        if is_event(message):
            await inbox.put(message)
        else:
            await replies.put(message)


def is_connection_error(exc: BaseException) -> bool:
    from websockets.exceptions import WebSocketException

    return isinstance(exc, WebSocketException | OSError | TimeoutError | StreamProtocolError)


def describe(exc: BaseException) -> str:
    """The error's class and, for the protocol's errors, message; never a token."""
    if isinstance(exc, StreamProtocolError):
        return exc.message
    return type(exc).__name__
