"""Hand-written API answers, served in order through respx.

A :class:`Script` is the fixture side of a contract scenario: the exchanges the real API would
have with the client, each answer written after ``shared/reference/``. Every request must be
the next one the script expects (method, path and query); anything else fails the test at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import respx

from tests.contracts.recording import SECRET_PARAMS

_UNCHECKED = object()


@dataclass(frozen=True)
class Reply:
    method: str
    path: str
    status: int = 200
    body: Any = None
    params: Mapping[str, str] = field(default_factory=dict)
    """The query the request must carry, secrets left out; empty means none."""
    headers: Mapping[str, str] = field(default_factory=dict)
    sent: Any = _UNCHECKED
    """The JSON body the request must carry, when given."""
    again_while: Callable[[], bool] | None = None
    """Answer every request this way while it holds (perhaps never); then the next reply does."""


def json_bytes(value: Any) -> bytes:
    """JSON with ``Decimal`` written as a plain number of exactly its digits."""

    def encode(item: Any) -> str:
        if isinstance(item, Decimal):
            return format(item, "f")
        if isinstance(item, dict):
            return "{" + ",".join(json.dumps(k) + ":" + encode(v) for k, v in item.items()) + "}"
        if isinstance(item, list | tuple):
            return "[" + ",".join(encode(v) for v in item) + "]"
        return json.dumps(item, ensure_ascii=False)

    return encode(value).encode()


class Script:
    def __init__(self, replies: Sequence[Reply]) -> None:
        self._replies = list(replies)
        self._next = 0
        self.router = respx.MockRouter(assert_all_called=False)
        self.router.route().mock(side_effect=self._answer)

    def transport(self) -> httpx.AsyncBaseTransport:
        return httpx.MockTransport(self.router.async_handler)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        while True:
            if self._next >= len(self._replies):
                raise AssertionError(f"unscripted request: {request.method} {request.url}")
            reply = self._replies[self._next]
            if reply.again_while is None:
                self._next += 1
                break
            if reply.again_while():
                break
            self._next += 1  # its time is over: the next reply answers
        query = {
            name: value
            for name, value in request.url.params.multi_items()
            if name not in SECRET_PARAMS
        }
        got = (request.method, request.url.path, query)
        wanted = (reply.method, reply.path, dict(reply.params))
        if got != wanted:
            raise AssertionError(f"expected {wanted}, the client sent {got}")
        if reply.sent is not _UNCHECKED:
            sent = json.loads(request.content, parse_float=Decimal)
            if sent != reply.sent:
                raise AssertionError(f"{reply.method} {reply.path}: sent {sent}")
        content = b"" if reply.body is None else json_bytes(reply.body)
        headers = dict(reply.headers)
        if reply.body is not None:
            headers["Content-Type"] = "application/json"
        return httpx.Response(reply.status, headers=headers, content=content)

    def assert_done(self) -> None:
        left = self._replies[self._next :]
        assert not left, f"scripted but never requested: {[(r.method, r.path) for r in left]}"
