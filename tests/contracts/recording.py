"""Recording what crosses the wire, and comparing the shapes of two recordings.

Both backends of a contract scenario run behind a :class:`RecordingTransport`. The drift
tests then compare the two recordings exchange by exchange: the same requests, the same
statuses, the same contract headers and the same JSON shape (keys at every level and the
JSON type of every value; values themselves may differ).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx

CONTRACT_HEADERS = frozenset(
    {"retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"}
)
"""Response headers a client reads; their presence is part of the shape."""
SECRET_PARAMS = frozenset({"token"})
"""Query parameters left out of the recording (the Upsales API key)."""


@dataclass(frozen=True)
class Recorded:
    request: str
    """``"GET /3/customers?limit=500&page=1"`` (parameters sorted, secrets left out)."""
    status: int
    content_type: str
    headers: frozenset[str]
    body: Any


def describe_request(request: httpx.Request) -> str:
    params = sorted(
        (name, value)
        for name, value in request.url.params.multi_items()
        if name not in SECRET_PARAMS
    )
    query = "&".join(f"{name}={value}" for name, value in params)
    return f"{request.method} {request.url.path}" + (f"?{query}" if query else "")


def _parse(content: bytes) -> Any:
    if not content.strip():
        return None
    try:
        return json.loads(content)
    except ValueError:
        return f"<not JSON: {content[:60]!r}>"


class RecordingTransport(httpx.AsyncBaseTransport):
    """Passes requests on to ``inner`` and appends every exchange to ``log``."""

    def __init__(self, inner: httpx.AsyncBaseTransport, log: list[Recorded]) -> None:
        self._inner = inner
        self._log = log

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        content = await response.aread()
        self._log.append(
            Recorded(
                request=describe_request(request),
                status=response.status_code,
                content_type=response.headers.get("content-type", "").split(";")[0].strip(),
                headers=frozenset(name.lower() for name in response.headers) & CONTRACT_HEADERS,
                body=_parse(content),
            )
        )
        return httpx.Response(
            response.status_code, headers=response.headers, content=content, request=request
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


def shape(value: Any) -> Any:
    """The JSON shape of a value: key sets and JSON types, no values."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    raise TypeError(f"not a JSON value: {value!r}")


def shape_differences(expected: Any, actual: Any, where: str = "$") -> list[str]:
    """Where two JSON shapes differ, as readable paths."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found: list[str] = []
        for key in sorted(expected.keys() - actual.keys()):
            found.append(f"{where}.{key}: only in the fixture")
        for key in sorted(actual.keys() - expected.keys()):
            found.append(f"{where}.{key}: only in the sandbox")
        for key in sorted(expected.keys() & actual.keys()):
            found.extend(shape_differences(expected[key], actual[key], f"{where}.{key}"))
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(expected)} items in the fixture, {len(actual)} in the sandbox"]
        found = []
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            found.extend(shape_differences(left, right, f"{where}[{index}]"))
        return found
    if expected != actual:
        return [f"{where}: {expected} in the fixture, {actual} in the sandbox"]
    return []


def recording_differences(fixture: Iterable[Recorded], sandbox: Iterable[Recorded]) -> list[str]:
    """Every way the fixture's exchanges differ from the sandbox's, in order."""
    left, right = list(fixture), list(sandbox)
    found: list[str] = []
    for index, (ours, theirs) in enumerate(zip(left, right, strict=False)):
        label = f"exchange {index + 1} ({theirs.request})"
        if ours.request != theirs.request:
            found.append(f"{label}: the fixture run sent {ours.request}")
            break
        if ours.status != theirs.status:
            found.append(f"{label}: status {ours.status} in the fixture, {theirs.status}")
        if ours.content_type != theirs.content_type:
            found.append(f"{label}: content type {ours.content_type!r} vs {theirs.content_type!r}")
        if ours.headers != theirs.headers:
            found.append(f"{label}: headers {sorted(ours.headers)} vs {sorted(theirs.headers)}")
        for difference in shape_differences(shape(ours.body), shape(theirs.body)):
            found.append(f"{label}: {difference}")
    if len(left) != len(right):
        found.append(f"{len(left)} exchanges in the fixture run, {len(right)} in the sandbox run")
    return found
