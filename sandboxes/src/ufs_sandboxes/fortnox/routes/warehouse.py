"""The imitated Fortnox Lager route ``GET /api/warehouse/status-v1/stockbalance``."""

from __future__ import annotations

from enum import Enum

from fastapi import APIRouter, Request, Response

from ufs_sandboxes.fortnox.errors import FortnoxError
from ufs_sandboxes.fortnox.facts import VALIDATION_ERROR_CODE
from ufs_sandboxes.fortnox.resources.warehouse import (
    NO_WAREHOUSE_STATUS,
    NoWarehouse,
    no_warehouse_body,
    stock_balance,
)
from ufs_sandboxes.fortnox.routes.common import json_response, tenant_of

TAGS: list[str | Enum] = ["Fortnox Lager"]
STOCK_BALANCE_PATH = "/api/warehouse/status-v1/stockbalance"
_PARAMETERS = frozenset({"itemIds", "stockPointCodes"})


def _listed(request: Request, name: str) -> list[str]:
    """A form-style array parameter: repeated, or comma-separated (the spec says both)."""
    return [
        part.strip()
        for value in request.query_params.getlist(name)
        for part in value.split(",")
        if part.strip()
    ]


def add_warehouse_routes(router: APIRouter) -> None:
    async def balance(request: Request) -> Response:
        unknown = set(request.query_params) - _PARAMETERS
        if unknown:
            raise FortnoxError(400, VALIDATION_ERROR_CODE, f"Okänd parameter {sorted(unknown)[0]}")
        try:
            body = stock_balance(
                tenant_of(request), _listed(request, "itemIds"), _listed(request, "stockPointCodes")
            )
        except NoWarehouse:
            return json_response(no_warehouse_body(), status_code=NO_WAREHOUSE_STATUS)
        return json_response(body)

    router.add_api_route(STOCK_BALANCE_PATH, balance, methods=["GET"], tags=TAGS)
