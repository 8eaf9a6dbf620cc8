"""Order stages (``/orderstages``). Probability 100 ≈ won, 0 ≈ lost; there is no won/lost flag."""

from __future__ import annotations

from ufs_sandboxes.upsales.entities.common import read_id_list
from ufs_sandboxes.upsales.entities.context import WriteContext
from ufs_sandboxes.upsales.entities.kind import EntityKind
from ufs_sandboxes.upsales.errors import bad_request
from ufs_sandboxes.upsales.jsonio import JsonObject
from ufs_sandboxes.upsales.values import (
    missing_fields_error,
    read_flag,
    read_int,
    read_required_str,
)


def _apply(
    ctx: WriteContext, entity: JsonObject, body: JsonObject, *, creating: bool
) -> JsonObject:
    if creating and body.get("probability") is None:
        raise missing_fields_error(
            "order stage", ["probability"] + ([] if body.get("name") else ["name"])
        )
    if creating or "name" in body:
        entity["name"] = read_required_str(body.get("name"), "name")
    if creating or "probability" in body:
        entity["probability"] = read_int(
            body.get("probability"), "probability", minimum=0, maximum=100
        )
    if "exclude" in body:
        entity["exclude"] = read_flag(body["exclude"], "exclude")
    if "roles" in body:
        entity["roles"] = [{"id": i} for i in read_id_list(body["roles"], "roles")]
    return entity


def create_order_stage(ctx: WriteContext, body: JsonObject) -> JsonObject:
    entity: JsonObject = {"id": None, "name": None, "probability": None, "roles": [], "exclude": 0}
    return _apply(ctx, entity, body, creating=True)


def update_order_stage(ctx: WriteContext, current: JsonObject, body: JsonObject) -> JsonObject:
    return _apply(ctx, dict(current), body, creating=False)


def _refuse_delete_in_use(ctx: WriteContext, stage: JsonObject) -> None:
    for order in ctx.customer.table("orders").values():
        if order["stage"]["id"] == stage["id"]:
            raise bad_request(f"Order stage {stage['id']} is used by order {order['id']}")


ORDER_STAGES = EntityKind(
    table="orderstages",
    label="Order stage",
    create=create_order_stage,
    update=update_order_stage,
    check_delete=_refuse_delete_in_use,
)
