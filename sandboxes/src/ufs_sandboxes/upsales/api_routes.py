"""The imitated REST API: ``/api/v2/...`` routes (requests arrive already authenticated)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final, NamedTuple

from starlette.requests import Request
from starlette.responses import Response

from ufs_sandboxes.upsales.entities.custom_fields import CUSTOM_FIELD_KINDS
from ufs_sandboxes.upsales.entities.kind import EntityKind
from ufs_sandboxes.upsales.entities.registry import ENTITY_KINDS
from ufs_sandboxes.upsales.envelopes import (
    delete_envelope,
    item_envelope,
    list_envelope,
    self_envelope,
)
from ufs_sandboxes.upsales.errors import bad_request, not_found
from ufs_sandboxes.upsales.gateway import AUTH_SCOPE_KEY
from ufs_sandboxes.upsales.jsonio import JsonObject, UpsalesJSONResponse, decode_json
from ufs_sandboxes.upsales.operations import parse_entity_id
from ufs_sandboxes.upsales.querying import parse_list_query, run_list_query
from ufs_sandboxes.upsales.values import require_object

if TYPE_CHECKING:
    from ufs_sandboxes.upsales.sandbox import AuthContext, UpsalesSandbox

Handler = Callable[[Request], Awaitable[Response]]
KindResolver = Callable[[Request], EntityKind]

API_ROOT: Final = "/api/v2"

STANDARD_COLLECTIONS: Final = (
    "accounts",
    "contacts",
    "orders",
    "orderstages",
    "products",
    "productCategories",
    "priceLists",
)
"""Collections with list, get, create, update and delete at ``/x`` and ``/x/{id}``."""


def _auth(request: Request) -> AuthContext:
    auth: AuthContext = request.scope[AUTH_SCOPE_KEY]
    return auth


async def _json_body(request: Request) -> JsonObject:
    raw = await request.body()
    if not raw.strip():
        raise bad_request("A JSON body is required")
    return require_object(decode_json(raw), "The request body")


def _use_price_lists(request: Request) -> bool:
    """``usePriceLists=true``: products' prices name their price list (PM Products)."""
    return request.query_params.get("usePriceLists") == "true"


def _fixed(kind: EntityKind) -> KindResolver:
    return lambda request: kind


def _custom_field_kind(request: Request) -> EntityKind:
    entity = request.path_params["entity"]
    kind = CUSTOM_FIELD_KINDS.get(entity)
    if kind is None:
        raise not_found(f"Custom fields of {entity}")
    return kind


class _Handlers:
    """Request handlers for one collection; ``resolve`` picks its entity kind per request."""

    def __init__(self, sandbox: UpsalesSandbox, resolve: KindResolver) -> None:
        self.sandbox = sandbox
        self.resolve = resolve

    def _entity_id(self, request: Request, kind: EntityKind) -> int:
        return parse_entity_id(request.path_params["id"], kind.label)

    async def list(self, request: Request) -> Response:
        kind = self.resolve(request)
        customer = _auth(request).customer
        query = parse_list_query(
            request.query_params.multi_items(),
            custom_substrings=customer.custom_filters_match_substrings,
            split_bare=customer.bare_filter_values_split_on_commas,
        )
        page, total = run_list_query(customer.table(kind.table), query)
        shown = [kind.shown(customer, entity, _use_price_lists(request)) for entity in page]
        return UpsalesJSONResponse(
            list_envelope(shown, total=total, limit=query.limit, offset=query.offset)
        )

    async def get(self, request: Request) -> Response:
        kind = self.resolve(request)
        entity_id = self._entity_id(request, kind)
        customer = _auth(request).customer
        entity = customer.table(kind.table).get(entity_id)
        if entity is None:
            raise not_found(f"{kind.label} {entity_id}")
        return self._answer(request, kind, entity)

    def _answer(self, request: Request, kind: EntityKind, entity: JsonObject) -> Response:
        shown = kind.shown(_auth(request).customer, entity, _use_price_lists(request))
        return UpsalesJSONResponse(item_envelope(shown, metadata_null=kind.item_metadata_null))

    async def create(self, request: Request) -> Response:
        kind = self.resolve(request)
        auth = _auth(request)
        body = await _json_body(request)
        entity = self.sandbox.write_create(
            auth.customer,
            kind,
            body,
            auth.user,
            fire_hooks=True,
            use_price_lists=_use_price_lists(request),
        )
        return self._answer(request, kind, entity)

    async def update(self, request: Request) -> Response:
        kind = self.resolve(request)
        auth = _auth(request)
        entity_id = self._entity_id(request, kind)
        body = await _json_body(request)
        entity = self.sandbox.write_update(
            auth.customer,
            kind,
            entity_id,
            body,
            auth.user,
            fire_hooks=True,
            use_price_lists=_use_price_lists(request),
        )
        return self._answer(request, kind, entity)

    async def delete(self, request: Request) -> Response:
        kind = self.resolve(request)
        auth = _auth(request)
        entity_id = self._entity_id(request, kind)
        self.sandbox.write_delete(auth.customer, kind, entity_id, auth.user, fire_hooks=True)
        return UpsalesJSONResponse(delete_envelope())


async def _self(request: Request) -> Response:
    auth = _auth(request)
    user = {key: auth.user[key] for key in ("id", "email", "name")}  # the PM /self fields
    return UpsalesJSONResponse(self_envelope({**user, "client": auth.customer.summary()}))


async def _currencies(request: Request) -> Response:
    customer = _auth(request).customer
    query = parse_list_query(
        request.query_params.multi_items(),
        split_bare=customer.bare_filter_values_split_on_commas,
    )
    page, total = run_list_query(customer.currencies, query)
    return UpsalesJSONResponse(
        list_envelope(page, total=total, limit=query.limit, offset=query.offset)
    )


class ApiRoute(NamedTuple):
    path: str
    handler: Handler
    method: str


def build_api_routes(sandbox: UpsalesSandbox) -> list[ApiRoute]:
    """The imitated API's routes. They are meant as plain Starlette routes: the handlers read
    the request themselves, so FastAPI's parameter machinery would only slow every request."""
    routes: list[ApiRoute] = []

    def add(path: str, handler: Handler, method: str) -> None:
        routes.append(ApiRoute(API_ROOT + path, handler, method))

    for collection in STANDARD_COLLECTIONS:
        handlers = _Handlers(sandbox, _fixed(ENTITY_KINDS[collection]))
        add(f"/{collection}", handlers.list, "GET")
        add(f"/{collection}", handlers.create, "POST")
        add(f"/{collection}/{{id}}", handlers.get, "GET")
        add(f"/{collection}/{{id}}", handlers.update, "PUT")
        add(f"/{collection}/{{id}}", handlers.delete, "DELETE")

    users = _Handlers(sandbox, _fixed(ENTITY_KINDS["users"]))
    add("/users", users.list, "GET")
    add("/master/users", users.create, "POST")
    add("/master/users/{id}", users.get, "GET")
    add("/master/users/{id}", users.update, "PUT")

    custom_fields = _Handlers(sandbox, _custom_field_kind)
    add("/customfields/{entity}", custom_fields.list, "GET")
    add("/customfields/{entity}", custom_fields.create, "POST")
    add("/customfields/{entity}/{id}", custom_fields.get, "GET")
    add("/customfields/{entity}/{id}", custom_fields.update, "PUT")
    add("/customfields/{entity}/{id}", custom_fields.delete, "DELETE")

    add("/currencies", _currencies, "GET")
    add("/self", _self, "GET")
    return routes
