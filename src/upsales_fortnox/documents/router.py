"""Document links: the PDF behind a ``FORTNOX_DOCUMENT_URL`` (public, signed; ``GET``, and
``HEAD`` answered without asking Fortnox) and the operator's rotation of an installation's link
key."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from upsales_fortnox.api.browser_pages import failure_page, wants_html
from upsales_fortnox.api.deps import AdminDep, ServicesDep, SessionDep
from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.api.no_store import NoStoreRoute
from upsales_fortnox.api.operator_route import OperatorRoute
from upsales_fortnox.api.schemas import ErrorEnvelope, error_responses
from upsales_fortnox.core.crypto import DecryptionError
from upsales_fortnox.documents.repository import rotate_key
from upsales_fortnox.documents.service import (
    DocumentUnavailable,
    ServableDocument,
    check_login,
    document_pdf,
    servable_document,
)
from upsales_fortnox.installations.repository.installation_rows import find_installation
from upsales_fortnox.integrations.errors import ReauthorizationRequired
from upsales_fortnox.integrations.fortnox.errors import FortnoxPermanentError, FortnoxRetryableError
from upsales_fortnox.services import Services

public_router = APIRouter(tags=["documents"], route_class=NoStoreRoute)
"""Every answer of a link (the PDF, a refusal, an error the app's handlers make) is
``no-store``: it tells what one sales rep's link opened, as of now."""
operator_router = APIRouter(
    prefix="/api/installations",
    tags=["installations"],
    dependencies=[AdminDep],
    route_class=OperatorRoute,
)

DOCUMENT_PATH: Final = "/documents/{installation}/{kind}/{number}"
_NOT_FOUND_MESSAGE = "no document here"
FORTNOX_RETRY_AFTER_SECONDS = 30


def _not_found() -> ApiError:
    """The one answer for a link that is wrong in any way: it says nothing about which."""
    return ApiError(404, "not_found", _NOT_FOUND_MESSAGE)


_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
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
}


@public_router.get(
    DOCUMENT_PATH,
    summary="The PDF of a Fortnox document linked to an Upsales order",
    description="The link in the order's `FORTNOX_DOCUMENT_URL` field. Read from Fortnox on "
    "every request (never stored). Any link that is not genuine, current and linked answers "
    "404 `not_found`, alike. A browser (`Accept: text/html`) gets each error as a short page "
    "in its language (Swedish unless it prefers English), with the same status.",
    response_class=Response,
    responses=_RESPONSES,
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
        document = await _servable(services, installation, kind, number, sig)
        pdf = await _read_pdf(services, document)
    except ApiError as error:
        return _refusal(request, error)
    return _pdf_response(kind, number, pdf)


@public_router.head(
    DOCUMENT_PATH,
    summary="Whether a document link opens (HEAD: no body, no Fortnox call)",
    description="Answers as `GET` would, in status and headers, from what the service knows "
    "itself: a link that is not genuine, current and linked is 404 `not_found`; an "
    "installation whose Fortnox login was refused, or that has none, is 409 "
    "`fortnox_login_required`, one whose stored login cannot be read 409 "
    "`installation_not_ready`; otherwise 200 `application/pdf`. Fortnox is not asked (link "
    "checkers and previews spend none of the tenant's budget), so a document deleted in "
    "Fortnox, or Fortnox not answering, shows only on `GET`. Nothing is stored.",
    response_class=Response,
    responses=_RESPONSES,
)
async def head_document_pdf(
    installation: str,
    kind: str,
    number: str,
    request: Request,
    services: ServicesDep,
    sig: Annotated[str, Query(description="The link's signature.")] = "",
) -> Response:
    """HEAD promises that the link is genuine, current and linked to an order of an
    installation serving document links, and that its stored Fortnox login can be read and
    is not known to be refused; it does not promise that Fortnox still has the document or
    answers now."""
    try:
        document = await _servable(services, installation, kind, number, sig)
        with _fortnox_refusals():
            await check_login(services, document)
    except ApiError as error:
        return _refusal(request, error)
    response = _pdf_response(kind, number, b"")
    del response.headers["content-length"]  # the PDF's length is Fortnox's to tell
    return response


def _pdf_response(kind: str, number: str, pdf: bytes) -> Response:
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{kind}-{number}.pdf"'},
    )


#: The page text for each error (the codes stay in the JSON answer, for operators).
_PAGE_TEXTS: Final = {
    "not_found": "document.failed.gone",
    "fortnox_unavailable": "document.failed.unavailable",
    "fortnox_login_required": "document.failed.login",
    "installation_not_ready": "document.failed.login",
    "fortnox_error": "document.failed.refused",
}


def _refusal(request: Request, error: ApiError) -> Response:
    """The error as the sales rep who opened the link reads it, in the browser's language;
    an API caller gets the JSON envelope (``error`` raised again)."""
    if not wants_html(request):
        raise error
    return failure_page(
        request,
        error.status_code,
        error.code,
        texts="document.failed",
        explanations=_PAGE_TEXTS,
        otherwise="document.failed.refused",
        headers=error.headers,
    )


async def _servable(
    services: Services, installation: str, kind: str, number: str, sig: str
) -> ServableDocument:
    try:
        installation_id = uuid.UUID(installation)
    except ValueError:
        raise _not_found() from None
    try:
        return await servable_document(services, installation_id, kind, number, sig)
    except DocumentUnavailable:
        raise _not_found() from None


async def _read_pdf(services: Services, document: ServableDocument) -> bytes:
    with _fortnox_refusals():
        return await document_pdf(services, document)


@contextmanager
def _fortnox_refusals() -> Iterator[None]:
    """What stops a link from opening, as the :class:`ApiError` its answer shows."""
    try:
        yield
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
