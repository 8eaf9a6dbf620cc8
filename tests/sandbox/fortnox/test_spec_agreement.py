"""The sandbox's own tables agree with Fortnox's OpenAPI spec.

The sandbox ships without the spec, so what it serves is written down in its code: the routes,
the query parameters and enum values of each list, the fields each body may hold and the wire
type of every field it shows. These tests read the spec (``../shared/reference/specs/`` or
``UFS_SPECS_DIR``) and prove that each of those tables equals the spec's or is a subset of it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from starlette.routing import Route

from ufs_sandboxes.fortnox import create_fortnox_sandbox
from ufs_sandboxes.fortnox.fields import Schema
from ufs_sandboxes.fortnox.listing import PAGING_ONLY, PAGING_PARAMETERS, ListSpec
from ufs_sandboxes.fortnox.resources import (
    articles,
    customers,
    pricelists,
    prices,
    views,
)
from ufs_sandboxes.fortnox.resources.document_kinds import (
    INVOICES,
    OFFERS,
    ORDERS,
    DocumentKind,
)
from ufs_sandboxes.fortnox.wire import Rows, Shape, Wire

SpecSchema = dict[str, Any]

LISTS: dict[str, ListSpec] = {
    "/3/customers": customers.LIST_SPEC,
    "/3/articles": articles.LIST_SPEC,
    "/3/pricelists": pricelists.LIST_SPEC,
    "/3/orders": ORDERS.list_spec,
    "/3/invoices": INVOICES.list_spec,
    "/3/offers": OFFERS.list_spec,
    "/3/prices/sublist/{PriceList}/{ArticleNumber}": PAGING_ONLY,
}
REGISTERS: dict[str, tuple[str, Schema]] = {
    "customers": ("/3/customers/{CustomerNumber}", customers.FIELDS),
    "articles": ("/3/articles/{ArticleNumber}", articles.FIELDS),
    "pricelists": ("/3/pricelists/{Code}", pricelists.FIELDS),
    "prices": ("/3/prices/{PriceList}/{ArticleNumber}", prices.FIELDS),
}
PAYLOADS = {
    "orders": ("fortnox_OrderPayloadV2", "fortnox_OrderPayloadV2_OrderRow"),
    "invoices": ("fortnox_InvoicePayload", "fortnox_InvoicePayload_InvoiceRow"),
    "offers": ("fortnox_OfferPayloadV2", "fortnox_OfferPayloadV2_OfferRow"),
}
"""The write sets of documents (a field of the full schema missing here is read-only)."""
_TYPES = {
    Wire.STRING: ("string", None),
    Wire.NUMBER: ("number", None),
    Wire.INTEGER: ("integer", None),
    Wire.BOOLEAN: ("boolean", None),
    Wire.DATE: ("string", "date"),
    Wire.DATETIME: ("string", "date-time"),
}


@cache
def spec() -> dict[str, Any]:
    directory = os.environ.get("UFS_SPECS_DIR")
    root = Path(__file__).resolve().parents[3]
    path = Path(directory or root / ".." / "shared" / "reference" / "specs") / (
        "fortnox-openapi.json"
    )
    if not path.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Fortnox's OpenAPI spec is required under CI: {path}")
        pytest.skip(f"Fortnox's OpenAPI spec not found at {path}")
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def schema(name: str) -> SpecSchema:
    found: SpecSchema = spec()["components"]["schemas"][name]
    return found


def resolve(node: SpecSchema) -> SpecSchema:
    while "$ref" in node:
        node = schema(node["$ref"].rsplit("/", 1)[-1])
    return node


def operation(method: str, path: str) -> SpecSchema:
    found: SpecSchema = spec()["paths"][path][method.lower()]
    return found


def response_schema(method: str, path: str) -> SpecSchema:
    responses = operation(method, path)["responses"]
    success = next(code for code in responses if code.startswith("2"))
    return resolve(responses[success]["content"]["application/json"]["schema"])


def request_schema(method: str, path: str) -> SpecSchema:
    content = operation(method, path)["requestBody"]["content"]
    return resolve(next(iter(content.values()))["schema"])


def wrapped(wrapper: SpecSchema) -> SpecSchema:
    """The entity inside ``{"Customer": {...}}`` or the item of ``{"Customers": [...]}``."""
    (inner,) = wrapper["properties"].values()
    return resolve(inner["items"] if inner.get("type") == "array" else inner)


def served_operations() -> Iterator[tuple[str, str]]:
    app = create_fortnox_sandbox().app
    for route in app.routes:
        if isinstance(route, Route) and route.path.startswith("/3/"):
            for method in route.methods or ():
                yield method, route.path


def shape_problems(shape: Shape, entity: SpecSchema, where: str) -> Iterator[str]:
    properties = entity["properties"]
    for name, shown in shape.items():
        spec_field = properties.get(name)
        if spec_field is None:
            yield f"{where}.{name}: not in the spec"
            continue
        if isinstance(shown, Rows):
            if spec_field.get("type") != "array":
                yield f"{where}.{name}: rows, but the spec has {spec_field.get('type')}"
            else:
                yield from shape_problems(shown.shape, resolve(spec_field["items"]), where + name)
            continue
        spec_format = spec_field.get("format")
        expected = (
            spec_field.get("type"),
            spec_format if spec_format in ("date", "date-time") else None,
        )
        if _TYPES[shown.type] != expected:
            yield f"{where}.{name}: shown as {_TYPES[shown.type]}, the spec has {expected}"
        must_omit = spec_field.get("minLength", 0) > 0 or "enum" in spec_field
        if shown.type is Wire.STRING and must_omit and not shown.omit_empty:
            yield f"{where}.{name}: an empty value would break minLength/enum"


def body_problems(
    fields: Mapping[str, Any], accepted: set[str], request: SpecSchema, payload: SpecSchema
) -> Iterator[str]:
    for name in sorted(accepted - set(request["properties"])):
        yield f"{name}: accepted in a body, not in the request schema"
    for name, field in fields.items():
        if name in accepted and not field.read_only and name not in payload["properties"]:
            yield f"{name}: written, but read-only in the spec"
        spec_field = request["properties"].get(name) or payload["properties"].get(name, {})
        if field.choices is not None and "enum" in spec_field:
            extra = field.choices - set(spec_field["enum"])
            if extra:
                yield f"{name}: values {sorted(extra)} not in the spec's enum"


def test_every_served_operation_is_in_the_spec() -> None:
    paths = spec()["paths"]
    missing = [
        f"{method} {path}"
        for method, path in served_operations()
        if method.lower() not in paths.get(path, {})
    ]

    assert missing == []


def test_list_parameters_and_enums_are_declared_by_the_spec() -> None:
    served_lists = {path for method, path in served_operations() if method == "GET"}
    problems: list[str] = []
    for path, list_spec in LISTS.items():
        assert path in served_lists
        declared = {
            parameter["name"]: parameter.get("schema", {}).get("enum")
            for parameter in operation("GET", path).get("parameters", [])
            if parameter["in"] == "query"
        }
        for name, allowed in list_spec.accepted().items():
            if name in PAGING_PARAMETERS:
                continue
            if name not in declared:
                problems.append(f"GET {path}: {name} is not declared")
            elif allowed is not None and not allowed <= set(declared[name] or ()):
                extra = sorted(allowed - set(declared[name] or ()))
                problems.append(f"GET {path}: {name} values {extra} are not in the spec's enum")

    assert problems == []


@pytest.mark.parametrize("collection", ["customers", "articles", "pricelists"])
def test_register_shapes_are_the_spec_response_schemas(collection: str) -> None:
    one_path, _fields = REGISTERS[collection]
    full = wrapped(response_schema("GET", one_path))
    item = wrapped(response_schema("GET", f"/3/{collection}"))

    problems = [
        *shape_problems(views.SHAPES[collection], full, collection),
        *shape_problems(views.LIST_SHAPES[collection], item, f"{collection}[]"),
    ]

    assert problems == []


@pytest.mark.parametrize("kind", [ORDERS, INVOICES, OFFERS], ids=lambda kind: kind.collection)
def test_document_shapes_are_the_spec_response_schemas(kind: DocumentKind) -> None:
    one_path = f"/3/{kind.collection}/{{DocumentNumber}}"
    full = wrapped(response_schema("GET", one_path))
    item = wrapped(response_schema("GET", f"/3/{kind.collection}"))

    problems = [
        *shape_problems(kind.shape, full, kind.collection),
        *shape_problems(kind.list_shape, item, f"{kind.collection}[]"),
    ]

    assert problems == []


def test_price_and_company_shapes_are_the_spec_response_schemas() -> None:
    price = wrapped(response_schema("GET", "/3/prices/{PriceList}/{ArticleNumber}"))
    item = wrapped(response_schema("GET", "/3/prices/sublist/{PriceList}/{ArticleNumber}"))
    company = wrapped(response_schema("GET", "/3/companyinformation"))

    problems = [
        *shape_problems(prices.SHAPE, price, "price"),
        *shape_problems(prices.LIST_SHAPE, item, "prices[]"),
        *shape_problems(views.COMPANY_INFORMATION_SHAPE, company, "company"),
    ]

    assert problems == []


@pytest.mark.parametrize("collection", sorted(REGISTERS))
def test_register_bodies_hold_only_request_schema_fields(collection: str) -> None:
    one_path, fields = REGISTERS[collection]
    request = wrapped(request_schema("PUT", one_path))
    created = wrapped(request_schema("POST", f"/3/{collection}"))

    problems = list(body_problems(fields, set(fields), request, request))

    assert created == request
    assert problems == []


@pytest.mark.parametrize("kind", [ORDERS, INVOICES, OFFERS], ids=lambda kind: kind.collection)
def test_document_bodies_hold_only_request_schema_fields(kind: DocumentKind) -> None:
    one_path = f"/3/{kind.collection}/{{DocumentNumber}}"
    request = wrapped(request_schema("PUT", one_path))
    header_payload, row_payload = (schema(name) for name in PAYLOADS[kind.collection])
    request_rows = resolve(request["properties"][kind.rows_key]["items"])

    problems = [
        *body_problems(kind.header, set(kind.body_fields), request, header_payload),
        *body_problems(kind.row, set(kind.row_body_fields), request_rows, row_payload),
    ]

    assert wrapped(request_schema("POST", f"/3/{kind.collection}")) == request
    assert problems == []
