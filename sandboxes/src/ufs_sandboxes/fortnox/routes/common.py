"""Small helpers shared by the HTTP routes."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request, Response

from ufs_sandboxes.fortnox.errors import INVALID_BODY, bad_request
from ufs_sandboxes.fortnox.jsonio import dump_json, parse_json
from ufs_sandboxes.fortnox.listing import refuse_any_query
from ufs_sandboxes.fortnox.tenant import Tenant

TENANT_SCOPE_KEY = "fortnox_sandbox.tenant"
"""ASGI scope key under which the gate leaves the authenticated tenant."""


def json_response(
    content: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        content=dump_json(content),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


def tenant_of(request: Request) -> Tenant:
    tenant: Tenant = request.scope[TENANT_SCOPE_KEY]
    return tenant


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise bad_request(INVALID_BODY, "Ingen eller felaktig typ av data.")
    return parse_json(raw)


async def _no_query(request: Request) -> None:
    # async: FastAPI runs a plain function dependency in a worker thread, a hand-off per request
    refuse_any_query(request.query_params)


NO_QUERY = [Depends(_no_query)]
"""Operations that declare no query parameter refuse every one (lists check theirs)."""
