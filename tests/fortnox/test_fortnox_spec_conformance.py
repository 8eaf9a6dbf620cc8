"""Our Fortnox client, write models and limits judged by Fortnox's own OpenAPI spec.

The spec is read from ``$UFS_SPECS_DIR`` or ``../shared/reference/specs/`` (relative to the
repository root). Without it these tests are skipped with the reason, except under CI
(``CI=true``), where a missing spec fails them.
"""

from __future__ import annotations

import ast
import json
import os
import typing
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import upsales_fortnox.integrations.fortnox.client as client_module
import upsales_fortnox.integrations.fortnox.listing as listing_module
from upsales_fortnox.domain.initial_phases import PHASE_MODELS, SORT_KEYS, Phase
from upsales_fortnox.integrations.fortnox import facts
from upsales_fortnox.integrations.fortnox.gapless import LIST_ORDERS
from upsales_fortnox.integrations.fortnox.limits import (
    ARTICLE_MAX_LENGTHS,
    CUSTOMER_MAX_LENGTHS,
    DOCUMENT_MAX_LENGTHS,
)
from upsales_fortnox.integrations.fortnox.models import (
    Article,
    Customer,
    Entity,
    FortnoxModel,
    Invoice,
    InvoiceRow,
    Offer,
    OfferRow,
    Order,
    OrderRow,
    Price,
    PriceList,
)

ROOT = Path(__file__).resolve().parents[2]
SPEC_FILE = "fortnox-openapi.json"


@cache
def _spec_path() -> Path | None:
    folder = os.environ.get("UFS_SPECS_DIR")
    path = (Path(folder) if folder else ROOT / ".." / "shared" / "reference" / "specs") / SPEC_FILE
    return path if path.is_file() else None


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    path = _spec_path()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{SPEC_FILE} is required under CI (set UFS_SPECS_DIR)")
        pytest.skip(f"{SPEC_FILE} not found (set UFS_SPECS_DIR or ../shared/reference/specs)")
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def schema(spec: dict[str, Any], name_or_ref: str) -> dict[str, Any]:
    name = name_or_ref.rsplit("/", 1)[-1]
    found: dict[str, Any] = spec["components"]["schemas"][name]
    return found


def request_entity_schema(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    """The entity schema inside an operation's request wrapper (``{"Order": {...}}``)."""
    content = spec["paths"][path][method]["requestBody"]["content"]
    (wrapper_ref,) = {media["schema"]["$ref"] for media in content.values()}
    wrapper = schema(spec, wrapper_ref)
    (inner,) = wrapper["properties"].values()
    return schema(spec, inner["$ref"])


def rows_schema(spec: dict[str, Any], entity: dict[str, Any], rows_field: str) -> dict[str, Any]:
    return schema(spec, entity["properties"][rows_field]["items"]["$ref"])


# (model, write operations, payload schema or None when the request schema is the only one)
WRITE_MODELS: list[tuple[type[FortnoxModel], list[tuple[str, str]], str | None]] = [
    (Customer, [("post", "/3/customers"), ("put", "/3/customers/{CustomerNumber}")], None),
    (Article, [("post", "/3/articles"), ("put", "/3/articles/{ArticleNumber}")], None),
    (PriceList, [("post", "/3/pricelists"), ("put", "/3/pricelists/{Code}")], None),
    (Price, [("post", "/3/prices"), ("put", "/3/prices/{PriceList}/{ArticleNumber}")], None),
    (
        Order,
        [("post", "/3/orders"), ("put", "/3/orders/{DocumentNumber}")],
        "fortnox_OrderPayloadV2",
    ),
    (
        Invoice,
        [("post", "/3/invoices"), ("put", "/3/invoices/{DocumentNumber}")],
        "fortnox_InvoicePayload",
    ),
    (
        Offer,
        [("post", "/3/offers"), ("put", "/3/offers/{DocumentNumber}")],
        "fortnox_OfferPayloadV2",
    ),
]
ROWS = {Order: ("OrderRows", OrderRow), Invoice: ("InvoiceRows", InvoiceRow)}
ROWS[Offer] = ("OfferRows", OfferRow)


def _write_schemas(
    spec: dict[str, Any], operations: list[tuple[str, str]], payload: str | None
) -> list[dict[str, Any]]:
    found = [request_entity_schema(spec, method, path) for method, path in operations]
    if payload is not None:
        found.append(schema(spec, payload))
    return found


@pytest.mark.parametrize(("model", "operations", "payload"), WRITE_MODELS)
def test_write_fields_are_a_subset_of_every_request_and_payload_schema(
    spec: dict[str, Any],
    model: type[FortnoxModel],
    operations: list[tuple[str, str]],
    payload: str | None,
) -> None:
    for entity in _write_schemas(spec, operations, payload):
        outside_entity = model.WRITE_FIELDS - set(entity["properties"])
        assert not outside_entity, (model.__name__, sorted(outside_entity))
        if model in ROWS:
            rows_field, row_model = ROWS[model]
            row_schema = rows_schema(spec, entity, rows_field)
            outside = row_model.WRITE_FIELDS - set(row_schema["properties"])
            assert not outside, (row_model.__name__, sorted(outside))


def _python_types(model: type[FortnoxModel], wire_name: str) -> set[Any]:
    for name, field in model.model_fields.items():
        if (field.alias or name) == wire_name:
            args = typing.get_args(field.annotation) or (field.annotation,)
            return {a for arg in args for a in (typing.get_args(arg) or (arg,))}
    return set()


@pytest.mark.parametrize(
    ("model", "payload", "rows"),
    [
        (OrderRow, "fortnox_OrderPayloadV2", "OrderRows"),
        (InvoiceRow, "fortnox_InvoicePayload", "InvoiceRows"),
        (OfferRow, "fortnox_OfferPayloadV2", "OfferRows"),
        (Order, "fortnox_OrderPayloadV2", None),
        (Invoice, "fortnox_InvoicePayload", None),
        (Offer, "fortnox_OfferPayloadV2", None),
        (Article, "fortnox_Article", None),
        (Price, "fortnox_Price", None),
        (Customer, "fortnox_Customer", None),
    ],
)
def test_numbers_are_sent_in_the_payload_schemas_types(
    spec: dict[str, Any], model: type[FortnoxModel], payload: str, rows: str | None
) -> None:
    target = schema(spec, payload)
    if rows is not None:
        target = rows_schema(spec, target, rows)
    for wire_name in model.WRITE_FIELDS:
        types = _python_types(model, wire_name)
        wire_type = target["properties"][wire_name].get("type")
        if Decimal in types and wire_type == "integer":
            assert wire_name in model.INTEGER_FIELDS, (model.__name__, wire_name)
        elif types & {Decimal, int} and bool not in types and wire_type == "string":
            assert wire_name in model.STRING_FIELDS, (model.__name__, wire_name)
        else:
            assert wire_name not in model.STRING_FIELDS | model.INTEGER_FIELDS


def test_an_offer_writes_none_of_the_invoice_reference_fields(spec: dict[str, Any]) -> None:
    invoice_only = {"YourOrderNumber", "ExternalInvoiceReference1", "ExternalInvoiceReference2"}
    assert not invoice_only & set(schema(spec, "fortnox_OfferPayloadV2")["properties"])
    assert not invoice_only & Offer.WRITE_FIELDS
    assert "YourReferenceNumber" in Offer.WRITE_FIELDS


def _max_length(spec: dict[str, Any], schema_name: str, field: str) -> int | None:
    value = schema(spec, schema_name)["properties"].get(field, {}).get("maxLength")
    return None if value is None else int(value)


@pytest.mark.parametrize(
    ("limits", "schema_names"),
    [
        (CUSTOMER_MAX_LENGTHS, ["fortnox_Customer"]),
        (ARTICLE_MAX_LENGTHS, ["fortnox_Article"]),
        (DOCUMENT_MAX_LENGTHS, ["fortnox_InvoicePayload", "fortnox_OrderPayloadV2"]),
    ],
)
def test_length_limits_are_the_specs(
    spec: dict[str, Any], limits: dict[str, int], schema_names: list[str]
) -> None:
    for field, limit in limits.items():
        declared = [_max_length(spec, name, field) for name in schema_names]
        known = [value for value in declared if value is not None]
        assert known, f"{field}: the spec declares no limit"
        assert limit == min(known), (field, limit, declared)


def test_every_write_field_with_a_spec_limit_has_ours(spec: dict[str, Any]) -> None:
    checked: list[tuple[type[FortnoxModel], str, dict[str, int]]] = [
        (Customer, "fortnox_Customer", CUSTOMER_MAX_LENGTHS),
        (Invoice, "fortnox_InvoicePayload", DOCUMENT_MAX_LENGTHS),
        (Order, "fortnox_OrderPayloadV2", DOCUMENT_MAX_LENGTHS),
    ]
    for model, schema_name, limits in checked:
        for field in model.WRITE_FIELDS:
            declared = _max_length(spec, schema_name, field)
            if declared is not None and field not in ("Currency", "CountryCode"):
                assert limits.get(field) == declared, (model.__name__, field, declared)


def _list_parameter(spec: dict[str, Any], path: str, name: str) -> dict[str, Any] | None:
    for parameter in spec["paths"][path]["get"].get("parameters", []):
        if parameter.get("name") == name and parameter.get("in") == "query":
            found: dict[str, Any] = parameter
            return found
    return None


@pytest.mark.parametrize("phase", list(Phase))
def test_the_initial_import_sorts_every_register_by_a_declared_key(
    spec: dict[str, Any], phase: Phase
) -> None:
    path = f"/3/{PHASE_MODELS[phase].WIRE_COLLECTION.lower()}"
    sortby = _list_parameter(spec, path, "sortby")

    assert sortby is not None
    assert SORT_KEYS[phase] in sortby["schema"]["enum"]
    assert SORT_KEYS[phase] == LIST_ORDERS[PHASE_MODELS[phase]].sort_by  # as reconciliation


@pytest.mark.parametrize("model", list(LIST_ORDERS), ids=lambda model: model.__name__)
def test_gapless_lists_sort_by_a_declared_key_of_a_field_the_list_items_carry(
    spec: dict[str, Any], model: type[Entity]
) -> None:
    order = LIST_ORDERS[model]
    path = f"/3/{model.WIRE_COLLECTION.lower()}"
    sortby = _list_parameter(spec, path, "sortby")

    assert sortby is not None and order.sort_by in sortby["schema"]["enum"]
    answer = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    listed = schema(spec, answer["schema"]["$ref"])["properties"][model.WIRE_COLLECTION]
    item = schema(spec, listed["items"]["$ref"])
    for field in (order.number_field, order.shared_field):
        assert field is None or field in item["properties"]


def test_offers_are_paged_by_the_declared_id_key(spec: dict[str, Any]) -> None:
    sortby = _list_parameter(spec, "/3/offers", "sortby")

    assert sortby is not None and facts.OFFER_SORT_KEY in sortby["schema"]["enum"]
    assert SORT_KEYS[Phase.OFFERS] == facts.OFFER_SORT_KEY


def test_the_searches_and_filters_we_send_are_declared(spec: dict[str, Any]) -> None:
    parameter = facts.ORDER_REFERENCE_SEARCH_PARAMETER
    assert _list_parameter(spec, "/3/orders", parameter) is not None
    assert _list_parameter(spec, "/3/invoices", parameter) is not None
    for name in ("organisationnumber", "name", "lastmodified"):
        assert _list_parameter(spec, "/3/customers", name) is not None
    for path in ("/3/articles", "/3/orders", "/3/invoices", "/3/offers"):
        assert _list_parameter(spec, path, "lastmodified") is not None
    article_filter = _list_parameter(spec, "/3/articles", "filter")
    assert article_filter is not None and "active" in article_filter["schema"]["enum"]


def _client_templates() -> set[str]:
    """Every path template the client names (string literals starting with ``/``)."""
    templates = set()
    for module in (client_module, listing_module):
        source = Path(module.__file__).read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            value = node.value if isinstance(node, ast.Constant) else None
            if isinstance(value, str) and value.startswith("/") and len(value) > 1:
                templates.add(value)
    return templates


def test_every_path_the_client_names_is_in_the_spec(spec: dict[str, Any]) -> None:
    templates = _client_templates()

    assert "/prices/sublist/{PriceList}/{ArticleNumber}" in templates
    paths = spec["paths"]  # /3 operations, and the newer APIs' (/api/warehouse/…) in full
    missing = sorted(t for t in templates if f"/3{t}" not in paths and t not in paths)
    assert missing == []


def test_the_price_sublist_is_the_only_way_to_list_a_chosen_lists_prices(
    spec: dict[str, Any],
) -> None:
    """Why a price import costs one call per article: ``GET /3/prices`` takes no price list
    and answers a single price; no other operation lists prices of several articles."""
    prices = spec["paths"]["/3/prices"]["get"]
    assert not prices.get("parameters")
    answer = prices["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert set(schema(spec, answer)["properties"]) == {"Price"}
    listing = [p for p in spec["paths"] if p.startswith("/3/prices") and "get" in spec["paths"][p]]
    assert sorted(listing) == [
        "/3/prices",
        "/3/prices/sublist/{PriceList}/{ArticleNumber}",
        "/3/prices/{PriceList}/{ArticleNumber}",
        "/3/prices/{PriceList}/{ArticleNumber}/{FromQuantity}",
    ]
