"""Builders of Upsales wire models for the outbound tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from upsales_fortnox.integrations.upsales.models import Company, Order


def order_row(
    product_id: int,
    quantity: str | int,
    price: str | int,
    list_price: str | int | None = None,
    *,
    row_id: int | None = None,
    bundle: list[dict[str, Any]] | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": row_id,
        "quantity": Decimal(str(quantity)),
        "price": Decimal(str(price)),
        "listPrice": Decimal(str(list_price if list_price is not None else price)),
        "product": {"id": product_id, "name": name or f"Product {product_id}"},
    }
    if bundle is not None:
        row["bundleRows"] = bundle
    return row


def order(
    rows: list[dict[str, Any]],
    *,
    order_id: int = 7,
    probability: int = 100,
    currency: str | None = "SEK",
    user_name: str | None = "Erik Säljare",
    client_id: int | None = 3,
    value: Decimal | None = None,
    contact: dict[str, Any] | None = None,
) -> Order:
    body: dict[str, Any] = {
        "id": order_id,
        "description": "Deal",
        "probability": probability,
        "currency": currency,
        "orderRow": rows,
        "value": value,
    }
    if user_name is not None:
        body["user"] = {"id": 1, "name": user_name}
    if contact is not None:
        body["contact"] = contact
    if client_id is not None:
        body["client"] = {"id": client_id, "name": "Client"}
    return Order.model_validate(body)


def company(**fields: Any) -> Company:
    body: dict[str, Any] = {"id": fields.pop("id", 3), "name": "Nordisk Verkstad AB"}
    body.update(fields)
    return Company.model_validate(body)
