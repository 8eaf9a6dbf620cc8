"""Document links: the PDF behind a ``FORTNOX_DOCUMENT_URL`` (public, signed) and the
operator's rotation of an installation's link key."""

from __future__ import annotations

import uuid
from typing import Annotated, Final

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from upsales_fortnox.api.browser_pages import failure_page, wants_html
from upsales_fortnox.api.deps import AdminDep, ServicesDep, SessionDep
from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.api.operator_route import OperatorRoute
from upsales_fortnox.api.schemas import ErrorEnvelope, error_responses
from upsales_fortnox.core.crypto import DecryptionError
from upsales_fortnox.documents.repository import rotate_key
from upsales_fortnox.documents.service import DocumentUnavailable, document_pdf
from upsales_fortnox.installations.repository.installation_rows import find_installation
from upsales_fortnox.integrations.errors import ReauthorizationRequired
from upsales_fortnox.integrations.fortnox.errors import FortnoxPermanentError, FortnoxRetryableError
from upsales_fortnox.services import Services

public_router = APIRouter(tags=["documents"])
operator_router = APIRouter(
    prefix="/api/installations",
    tags=["installations"],
    dependencies=[AdminDep],
    route_class=OperatorRoute,
)

_NOT_FOUND_MESSAGE = "no document here"
FORTNOX_RETRY_AFTER_SECONDS = 30


def _not_found() -> ApiError:
    """The one answer for a link that is wrong in any way: it says nothing about which."""
    return ApiError(404, "not_found", _NOT_FOUND_MESSAGE)


@public_router.get(
    "/documents/{installation}/{kind}/{number}",
    summary="The PDF of a Fortnox document linked to an Upsales order",
    description="The link in the order's `FORTNOX_DOCUMENT_URL` field. Read from Fortnox on "
    "every request (never stored). Any link that is not genuine, current and linked answers "
    "404 `not_found`, alike. A browser (`Accept: text/html`) gets each error as a short page "
    "in its language (Swedish unless it prefers English), with the same status.",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "The document's PDF."},
        **error_responses(404),
        409: {
            "model": ErrorEnvelope,
            "description": "The connection to Fortnox needs a new login "
            "(`fortnox_login_required`) or cannot be used (`installation_not_ready`).",
        },
        502: {"model": ErrorEnvelope, "description": "Fortnox refused to render the document."},
        503: {
            "model": ErrorEnvelope,
            "description": "Fortnox does not answer right now (`fortnox_unavailable`, with "
            "`Retry-After`).",
        },
    },
)
async def get_document_pdf(
    installation: str,
    kind: str,
    number: str,
    request: Request,
    services: ServicesDep,
    sig: Annotated[str, Query(description="The link's signature.")] = "",
) -> Response:
    try:
        pdf = await _read_pdf(services, installation, kind, number, sig)
    except ApiError as error:
        if not wants_html(request):
            raise
        return _error_page(request, error)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{kind}-{number}.pdf"',
            "Cache-Control": "no-store",
        },
    )


#: The page text for each error (the codes stay in the JSON answer, for operators).
_PAGE_TEXTS: Final = {
    "not_found": "document.failed.gone",
    "fortnox_unavailable": "document.failed.unavailable",
    "fortnox_login_required": "document.failed.login",
    "installation_not_ready": "document.failed.login",
    "fortnox_error": "document.failed.refused",
}


def _error_page(request: Request, error: ApiError) -> Response:
    """The error as the sales rep who opened the link reads it, in the browser's language."""
    return failure_page(
        request,
        error.status_code,
        error.code,
        texts="document.failed",
        explanations=_PAGE_TEXTS,
        otherwise="document.failed.refused",
        headers={**(error.headers or {}), "Cache-Control": "no-store"},
    )


async def _read_pdf(
    services: Services, installation: str, kind: str, number: str, sig: str
) -> bytes:
    try:
        installation_id = uuid.UUID(installation)
    except ValueError:
        raise _not_found() from None
    try:
        return await document_pdf(services, installation_id, kind, number, sig)
    except DocumentUnavailable:
        raise _not_found() from None
    except FortnoxRetryableError:
        raise ApiError(
            503,
            "fortnox_unavailable",
            "Fortnox does not answer right now; try again shortly",
            headers={"Retry-After": str(FORTNOX_RETRY_AFTER_SECONDS)},
        ) from None
    except ReauthorizationRequired:
        raise ApiError(
            409, "fortnox_login_required", "the connection to Fortnox needs a new login"
        ) from None
    except DecryptionError:
        raise ApiError(
            409,
            "installation_not_ready",
            "the connection to Fortnox cannot be used; log in to Fortnox again",
        ) from None
    except FortnoxPermanentError:
        raise ApiError(502, "fortnox_error", "Fortnox refused to render the document") from None


class DocumentLinkKeyOut(BaseModel):
    key_version: int
    """Links carry this version; every link made before it no longer works."""


@operator_router.post(
    "/{installation_id}/document-links/rotate",
    response_model=DocumentLinkKeyOut,
    summary="Rotate the installation's document-link key",
    description="Every `FORTNOX_DOCUMENT_URL` link made so far stops working (404); links "
    "written from now on use the new key.",
    responses=error_responses(401, 404),
)
async def rotate_document_links(
    installation_id: uuid.UUID, session: SessionDep
) -> DocumentLinkKeyOut:
    if await find_installation(session, installation_id) is None:
        raise ApiError(404, "installation_not_found", f"installation {installation_id} not found")
    key = await rotate_key(session, installation_id)
    await session.commit()
    return DocumentLinkKeyOut(key_version=key.key_version)
