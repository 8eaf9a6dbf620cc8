"""Price lists: ``/3/pricelists``. Every tenant starts with the pre-selected list "A"."""

from __future__ import annotations

import re

from ufs_sandboxes.fortnox import errors
from ufs_sandboxes.fortnox.facts import DOCUMENT_NOT_FOUND_CODE
from ufs_sandboxes.fortnox.fields import (
    Entity,
    Field,
    Kind,
    Schema,
    apply_defaults,
    parse_fields,
    read_only,
    shape_of,
    text,
    validation_error,
)
from ufs_sandboxes.fortnox.listing import ListSpec
from ufs_sandboxes.fortnox.tenant import Tenant

CODE_CHARS = re.compile(r"[A-Za-z0-9\-_]+")
FIELDS: Schema = {
    "Code": Field(Kind.TEXT, max_length=100, allowed_chars=CODE_CHARS, omit_empty=True),
    "Description": text(50, omit_empty=True),
    "Comments": text(1024),
    "PreSelected": read_only(Kind.BOOL),
}
SHAPE = shape_of(FIELDS)
LIST_SHAPE = SHAPE
LIST_SPEC = ListSpec(lastmodified=False)
"""The spec declares no query parameter on ``GET /3/pricelists`` (paging only)."""


def get_pricelist(tenant: Tenant, code: str) -> Entity:
    pricelist = tenant.pricelists.get(code)
    if pricelist is None:
        raise errors.not_found(DOCUMENT_NOT_FOUND_CODE, f"Kan inte hitta prislistan ({code}).")
    return pricelist


def create_pricelist(tenant: Tenant, payload: Entity) -> Entity:
    values = parse_fields(FIELDS, payload)
    code = values.get("Code")
    if not code:
        raise validation_error("Prislistan måste ha en kod (Code)")
    if not values.get("Description"):
        raise validation_error("Prislistan måste ha en benämning (Description)")
    if code in tenant.pricelists.items:
        raise validation_error(f"Prislistan {code} finns redan")
    pricelist = apply_defaults(FIELDS, values)
    pricelist["PreSelected"] = False
    tenant.pricelists.put(code, pricelist, tenant.now())
    return pricelist


def update_pricelist(tenant: Tenant, code: str, payload: Entity) -> Entity:
    pricelist = get_pricelist(tenant, code)
    values = parse_fields(FIELDS, payload)
    if values.pop("Code", code) != code:
        raise validation_error("Prislistans kod kan inte ändras")
    pricelist.update(values)
    tenant.pricelists.touch(code, tenant.now())
    return pricelist
