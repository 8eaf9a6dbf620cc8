"""The imitated ``/3/invoicepayments`` routes (see
:mod:`ufs_sandboxes.fortnox.resources.invoicepayments`)."""

from __future__ import annotations

from enum import Enum

from fastapi import APIRouter, Request, Response

from ufs_sandboxes.fortnox.fields import Entity, unwrap
from ufs_sandboxes.fortnox.resources import invoicepayments as payments
from ufs_sandboxes.fortnox.resources.views import entity_url
from ufs_sandboxes.fortnox.routes.common import (
    base_url,
    json_response,
    read_json,
    tenant_of,
)

TAGS: list[str | Enum] = ["Fortnox REST v3"]
_WRAPPER = "InvoicePayment"
_LIST_PATH = "/3/invoicepayments"
_ONE_PATH = "/3/invoicepayments/{Number}"


def _url(request: Request, payment: Entity) -> str:
    return entity_url(base_url(request), payments.COLLECTION, payment["Number"])


def _single(request: Request, payment: Entity, status_code: int = 200) -> Response:
    body = {_WRAPPER: payments.wire_payment(payment, _url(request, payment))}
    return json_response(body, status_code=status_code)


def add_invoice_payment_routes(router: APIRouter) -> None:
    """GET list, POST, GET one, PUT, DELETE and PUT ``/bookkeep``."""

    async def list_all(request: Request) -> Response:
        page = payments.list_payments(tenant_of(request), dict(request.query_params))
        items = [payments.wire_list_item(p, _url(request, p)) for p in page.items]
        return json_response({"InvoicePayments": items, "MetaInformation": page.meta()})

    async def create(request: Request) -> Response:
        payload = unwrap(await read_json(request), _WRAPPER)
        return _single(request, payments.create_payment(tenant_of(request), payload), 201)

    async def get_one(request: Request) -> Response:
        number = request.path_params["Number"]
        return _single(request, payments.get_payment(tenant_of(request), number))

    async def update(request: Request) -> Response:
        payload = unwrap(await read_json(request), _WRAPPER)
        number = request.path_params["Number"]
        return _single(request, payments.update_payment(tenant_of(request), number, payload))

    async def delete(request: Request) -> Response:
        payments.delete_payment(tenant_of(request), request.path_params["Number"])
        return Response(status_code=204)

    async def bookkeep(request: Request) -> Response:
        number = request.path_params["Number"]
        return _single(request, payments.bookkeep_payment(tenant_of(request), number))

    router.add_api_route(_LIST_PATH, list_all, methods=["GET"], tags=TAGS)
    router.add_api_route(_LIST_PATH, create, methods=["POST"], tags=TAGS)
    router.add_api_route(_ONE_PATH, get_one, methods=["GET"], tags=TAGS)
    router.add_api_route(_ONE_PATH, update, methods=["PUT"], tags=TAGS)
    router.add_api_route(_ONE_PATH, delete, methods=["DELETE"], tags=TAGS)
    router.add_api_route(f"{_ONE_PATH}/bookkeep", bookkeep, methods=["PUT"], tags=TAGS)
