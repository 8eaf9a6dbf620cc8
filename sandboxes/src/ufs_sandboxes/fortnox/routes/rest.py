"""The imitated REST API under ``/3/``. Authentication, rate limit and faults happen earlier,
in the gate; here every handler has its tenant."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from enum import Enum

from fastapi import APIRouter, Request, Response

from ufs_sandboxes.fortnox.fields import Entity, unwrap
from ufs_sandboxes.fortnox.listing import (
    ListSpec,
    list_page,
    page_of,
    past_the_last,
)
from ufs_sandboxes.fortnox.resources import (
    articles,
    customers,
    document_actions,
    documents,
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
from ufs_sandboxes.fortnox.routes.common import (
    NO_QUERY,
    base_url,
    json_response,
    read_json,
    tenant_of,
)
from ufs_sandboxes.fortnox.routes.invoicepayments import add_invoice_payment_routes
from ufs_sandboxes.fortnox.routes.previews import add_preview_routes
from ufs_sandboxes.fortnox.routes.warehouse import add_warehouse_routes
from ufs_sandboxes.fortnox.tenant import Tenant

Creator = Callable[[Tenant, Entity], Entity]
Updater = Callable[[Tenant, str, Entity], Entity]
Getter = Callable[[Tenant, str], Entity]
Deleter = Callable[[Tenant, str], None]


TAGS: list[str | Enum] = ["Fortnox REST v3"]


def add_rest_routes(router: APIRouter) -> None:
    """Register the ``/3/`` routes (directly on the app's router, so each is its own route)."""
    _add_register(
        router,
        "customers",
        "Customer",
        "CustomerNumber",
        customers.LIST_SPEC,
        customers.get_customer,
        customers.create_customer,
        customers.update_customer,
        customers.delete_customer,
    )
    _add_register(
        router,
        "articles",
        "Article",
        "ArticleNumber",
        articles.LIST_SPEC,
        articles.get_article,
        articles.create_article,
        articles.update_article,
        articles.delete_article,
    )
    _add_register(
        router,
        "pricelists",
        "PriceList",
        "Code",
        pricelists.LIST_SPEC,
        pricelists.get_pricelist,
        pricelists.create_pricelist,
        pricelists.update_pricelist,
        None,
    )
    _add_prices(router)
    for kind in (ORDERS, INVOICES, OFFERS):
        _add_documents(router, kind)
    _add_actions(router)
    add_invoice_payment_routes(router)
    add_preview_routes(router)
    add_warehouse_routes(router)

    async def company_information(request: Request) -> Response:
        info = views.render_company_information(tenant_of(request).company_information())
        return json_response({"CompanyInformation": info})

    router.add_api_route(
        "/3/companyinformation",
        company_information,
        methods=["GET"],
        tags=TAGS,
        dependencies=NO_QUERY,
    )


def _add_register(
    router: APIRouter,
    collection: str,
    single: str,
    key: str,
    spec: ListSpec,
    get: Getter,
    create: Creator,
    update: Updater,
    delete: Deleter | None,
) -> None:
    """GET list, POST, GET one, PUT (and DELETE) of a register (customers, articles, ...)."""
    plural = f"{single}s"
    one_path = f"/3/{collection}/{{{key}}}"

    async def list_entities(request: Request) -> Response:
        tenant = tenant_of(request)
        page = past_the_last(
            list_page(
                tenant.collection(collection),
                request.query_params,
                spec,
                tenant.today(),
                last_changed_first=tenant.lists_unsorted_last_changed_first,
            ),
            tenant.refuses_pages_past_the_last,
        )
        base = base_url(request)
        items = [views.render_list_item(tenant, collection, e, base) for e in page.items]
        return json_response({plural: items, "MetaInformation": page.meta()})

    async def get_entity(request: Request) -> Response:
        tenant = tenant_of(request)
        entity = get(tenant, request.path_params[key])
        return _single(tenant, collection, single, entity, request)

    async def create_entity(request: Request) -> Response:
        tenant = tenant_of(request)
        entity = create(tenant, unwrap(await read_json(request), single))
        return _single(tenant, collection, single, entity, request, status_code=201)

    async def update_entity(request: Request) -> Response:
        tenant = tenant_of(request)
        entity = update(tenant, request.path_params[key], unwrap(await read_json(request), single))
        return _single(tenant, collection, single, entity, request)

    list_path = f"/3/{collection}"
    router.add_api_route(list_path, list_entities, methods=["GET"], tags=TAGS)
    for path, endpoint, method in (
        (list_path, create_entity, "POST"),
        (one_path, get_entity, "GET"),
        (one_path, update_entity, "PUT"),
    ):
        router.add_api_route(path, endpoint, methods=[method], tags=TAGS, dependencies=NO_QUERY)
    if delete is not None:
        remove = delete

        async def delete_entity(request: Request) -> Response:
            remove(tenant_of(request), request.path_params[key])
            return Response(status_code=204)

        router.add_api_route(
            one_path, delete_entity, methods=["DELETE"], tags=TAGS, dependencies=NO_QUERY
        )


def _single(
    tenant: Tenant,
    collection: str,
    single: str,
    entity: Entity,
    request: Request,
    status_code: int = 200,
) -> Response:
    body = {single: views.render(tenant, collection, entity, base_url(request))}
    return json_response(body, status_code=status_code)


def _add_documents(router: APIRouter, kind: DocumentKind) -> None:
    def get(tenant: Tenant, number: str) -> Entity:
        return documents.get_document(tenant, kind, number)

    def create(tenant: Tenant, payload: Entity) -> Entity:
        documents.check_request_body(kind, payload)
        return documents.create_document(tenant, kind, payload)

    def update(tenant: Tenant, number: str, payload: Entity) -> Entity:
        documents.check_request_body(kind, payload)
        return documents.update_document(tenant, kind, number, payload)

    _add_register(
        router,
        kind.collection,
        kind.single,
        "DocumentNumber",
        kind.list_spec,
        get,
        create,
        update,
        None,
    )


def _add_actions(router: APIRouter) -> None:
    def action(
        kind: DocumentKind,
        name: str,
        perform: Callable[[Tenant, str], Entity],
        result: DocumentKind | None = None,
    ) -> None:
        shown = result or kind

        async def run(request: Request) -> Response:
            tenant = tenant_of(request)
            entity = perform(tenant, request.path_params["DocumentNumber"])
            return _single(tenant, shown.collection, shown.single, entity, request)

        path = f"/3/{kind.collection}/{{DocumentNumber}}/{name}"
        router.add_api_route(path, run, methods=["PUT"], tags=TAGS, dependencies=NO_QUERY)

    action(ORDERS, "createinvoice", document_actions.create_invoice_from_order, INVOICES)
    action(OFFERS, "createorder", document_actions.create_order_from_offer, ORDERS)
    action(INVOICES, "bookkeep", document_actions.bookkeep_invoice)
    action(INVOICES, "credit", document_actions.credit_invoice)
    for kind in (ORDERS, INVOICES, OFFERS):
        action(kind, "cancel", _bind(document_actions.cancel_document, kind))
        action(kind, "externalprint", _bind(document_actions.mark_sent, kind))


def _bind(
    perform: Callable[[Tenant, DocumentKind, str], Entity], kind: DocumentKind
) -> Callable[[Tenant, str], Entity]:
    def bound(tenant: Tenant, number: str) -> Entity:
        return perform(tenant, kind, number)

    return bound


def _add_prices(router: APIRouter) -> None:
    def price_key(request: Request) -> tuple[str, str, Decimal]:
        params = request.path_params
        return (
            params["PriceList"],
            params["ArticleNumber"],
            prices.parse_from_quantity(params.get("FromQuantity")),
        )

    def price_response(price: Entity, request: Request, status_code: int = 200) -> Response:
        body = {"Price": views.render_price(price, base_url(request))}
        return json_response(body, status_code=status_code)

    def price_list_response(entities: list[Entity], request: Request) -> Response:
        page = past_the_last(
            page_of(entities, request.query_params),
            tenant_of(request).refuses_pages_past_the_last,
        )
        base = base_url(request)
        items = [views.render_price_list_item(p, base) for p in page.items]
        return json_response({"Prices": items, "MetaInformation": page.meta()})

    async def list_article_prices(request: Request) -> Response:
        params = request.path_params
        entities = prices.prices_of_article(
            tenant_of(request), params["PriceList"], params["ArticleNumber"]
        )
        return price_list_response(entities, request)

    async def create(request: Request) -> Response:
        price = prices.create_price(tenant_of(request), unwrap(await read_json(request), "Price"))
        return price_response(price, request, status_code=201)

    async def get_one(request: Request) -> Response:
        return price_response(prices.get_price(tenant_of(request), *price_key(request)), request)

    async def update(request: Request) -> Response:
        payload = unwrap(await read_json(request), "Price")
        price = prices.update_price(tenant_of(request), *price_key(request), payload)
        return price_response(price, request)

    async def delete(request: Request) -> Response:
        prices.delete_price(tenant_of(request), *price_key(request))
        return Response(status_code=204)

    router.add_api_route(
        "/3/prices/sublist/{PriceList}/{ArticleNumber}",
        list_article_prices,
        methods=["GET"],
        tags=TAGS,
    )
    one = "/3/prices/{PriceList}/{ArticleNumber}"
    tier = f"{one}/{{FromQuantity}}"
    for path, endpoint, method in (
        ("/3/prices", create, "POST"),
        (one, get_one, "GET"),
        (one, update, "PUT"),
        (tier, get_one, "GET"),
        (tier, update, "PUT"),
        (tier, delete, "DELETE"),
    ):
        router.add_api_route(path, endpoint, methods=[method], tags=TAGS, dependencies=NO_QUERY)
