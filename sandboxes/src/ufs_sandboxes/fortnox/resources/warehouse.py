"""Fortnox Lager's stock balance (``GET /api/warehouse/status-v1/stockbalance``).

The spec's 200 answer is one ``warehouse_StockBalance`` object (``itemId``, ``stockPointCode``,
``inStock``, ``availableStock``) while its description speaks of a list per stock point. The
sandbox answers as the schema says: for one ``itemIds`` value, one object totalled over the
article's stock points (``stockPointCode`` given when there is exactly one), and for several
items or none, a list of such objects (*unverified*; clients read both shapes, see
:mod:`upsales_fortnox.integrations.fortnox.stock`).

A company without Fortnox Lager answers 403 with the spec's ``warehouse_WebException`` body
(*unverified*: the status and text are not documented).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ufs_sandboxes.fortnox.tenant import Tenant

NO_WAREHOUSE_STATUS = 403


class NoWarehouse(Exception):
    """The company has not activated Fortnox Lager."""


def no_warehouse_body() -> dict[str, str]:
    return {
        "error": "forbidden",
        "id": "warehouse-not-activated",
        "message": "Fortnox Lager är inte aktiverat för företaget.",
    }


def _balance(item_id: str, points: dict[str, tuple[Decimal, Decimal]]) -> dict[str, Any]:
    balance: dict[str, Any] = {
        "itemId": item_id,
        "inStock": sum((value[0] for value in points.values()), Decimal(0)),
        "availableStock": sum((value[1] for value in points.values()), Decimal(0)),
    }
    if len(points) == 1:
        balance["stockPointCode"] = next(iter(points))
    return balance


def stock_balance(
    tenant: Tenant, item_ids: list[str], stock_points: list[str]
) -> dict[str, Any] | list[dict[str, Any]]:
    if tenant.warehouse is None:
        raise NoWarehouse()
    wanted = item_ids or sorted(tenant.warehouse)
    balances = []
    for item_id in wanted:
        points = tenant.warehouse.get(item_id, {})
        if stock_points:
            points = {code: value for code, value in points.items() if code in stock_points}
        balances.append(_balance(item_id, points))
    if len(item_ids) == 1:
        return balances[0]
    return balances
