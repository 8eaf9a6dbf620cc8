"""The imitated document PDF routes: ``GET /3/{invoices,orders,offers}/{DocumentNumber}/preview``
answer ``application/pdf`` (the spec's operations ``preview``, ``preview_4``, ``preview_2``)."""

from __future__ import annotations

from enum import Enum

from fastapi import APIRouter, Request, Response

from ufs_sandboxes.fortnox.resources.document_kinds import (
    INVOICES,
    OFFERS,
    ORDERS,
    DocumentKind,
)
from ufs_sandboxes.fortnox.resources.previews import PDF_CONTENT_TYPE, preview
from ufs_sandboxes.fortnox.routes.common import NO_QUERY, tenant_of

TAGS: list[str | Enum] = ["Fortnox REST v3"]


def add_preview_routes(router: APIRouter) -> None:
    for kind in (INVOICES, ORDERS, OFFERS):
        _add_preview(router, kind)


def _add_preview(router: APIRouter, kind: DocumentKind) -> None:
    async def render(request: Request) -> Response:
        pdf = preview(tenant_of(request), kind, request.path_params["DocumentNumber"])
        return Response(pdf, media_type=PDF_CONTENT_TYPE)

    router.add_api_route(
        f"/3/{kind.collection}/{{DocumentNumber}}/preview",
        render,
        methods=["GET"],
        tags=TAGS,
        dependencies=NO_QUERY,
    )
