"""Webhook intake: Upsales app hooks and triggers, Fortnox change events.

Each request is checked (content type, size, installation, secret), parsed, and recorded in one
transaction that is committed before the 202 goes out, so an acknowledged event is never lost.
Any refusal stores nothing. Error codes: 404 ``installation_not_found`` (also for an id that
is not a UUID: the caller learns nothing about which ids exist), 401 ``invalid_credentials``,
400 ``malformed_json``, 413 ``payload_too_large``, 415 ``unsupported_media_type``, 422
``validation_error`` / ``unsupported_event`` / ``hook_type_missing`` / ``hook_type_conflict`` /
``tenant_mismatch``, 408 ``request_timeout`` (the body did not arrive within
``WEBHOOK_BODY_SECONDS``: :mod:`.admission`), 503 ``database_unavailable``
(with ``Retry-After``: the database could not look up or commit; nothing was stored, save by
a commit under way when the hook's wait ran out, which its retry finds (``duplicate``); a hook
Upsales waits on gets it with the user's text: :mod:`.waited_on_unavailable`; its other
refusals too: :mod:`.waited_on_refusals`), 503
``overloaded`` (with ``Retry-After``: more requests in flight than ``WEBHOOK_MAX_IN_FLIGHT``,
refused before routing by :class:`~upsales_fortnox.intake.admission.AdmissionMiddleware`).

The endpoints are a hot path: they take the shared services straight from the app (no
dependency injection) and do no database work of their own. Concurrent requests share the
installation lookup (:class:`~upsales_fortnox.intake.repository.loader.InstallationLoader`:
one query per round, nothing cached, so a rotated secret or a deleted installation takes effect
at once) and the transaction that records their events
(:class:`~upsales_fortnox.intake.repository.group_commit.IntakeWriter`, group commit): a request
is answered after the commit that holds its events. Secrets are checked against an HMAC of the
stored value (:class:`~upsales_fortnox.intake.installations.SecretChecker`), not decrypted per
request.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from upsales_fortnox.api.deps import get_services
from upsales_fortnox.api.errors import ApiError, database_unavailable
from upsales_fortnox.core.db.unavailable import (
    DATABASE_UNAVAILABLE,
    RETRY_LATER_RESPONSE,
    is_database_unavailable,
)
from upsales_fortnox.core.logging_setup import log_context
from upsales_fortnox.intake.deliveries import (
    IGNORED,
    EventsOf,
    IntakeResult,
    fortnox_new_events,
    upsales_new_event,
)
from upsales_fortnox.intake.errors import IntakeError, MalformedJsonError, UnsupportedEventError
from upsales_fortnox.intake.hook_answers import ResponderRegistry, default_responders
from upsales_fortnox.intake.installations import (
    SecretChecker,
    WebhookInstallation,
    parse_installation_id,
)
from upsales_fortnox.intake.parse import (
    IgnoredEvent,
    SynchronousQuestion,
    UpsalesIntake,
    app_hook_api_key,
    parse_fortnox_events,
    parse_json,
    parse_upsales_app_hook,
    parse_upsales_trigger,
)
from upsales_fortnox.intake.waited_on_refusals import waited_on_refusal
from upsales_fortnox.intake.waited_on_unavailable import waited_on_unavailable
from upsales_fortnox.intake.wire import FortnoxChangeEvent, TriggerRequest
from upsales_fortnox.integrations.digits import parse_digits
from upsales_fortnox.services import Services

logger = logging.getLogger(__name__)

WEBHOOK_SECRET_HEADER: Final = "X-Webhook-Secret"

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


class IntakeReply(BaseModel):
    """The answer to an accepted delivery."""

    status: Literal["accepted", "recorded", "duplicate", "ignored"] = Field(
        description="`accepted`: stored and its sync queued; `recorded`: stored, nothing to "
        "sync (a Fortnox event type we do not use); `duplicate`: received before; `ignored`: "
        "not stored (nothing we follow)"
    )
    job_id: int | None = None


class IntakeBatchReply(BaseModel):
    """The answer to a list of Fortnox events, one result per event in the order sent."""

    results: list[IntakeReply]


def _error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    responses: dict[int | str, dict[str, Any]] = {
        status: {"description": 'JSON error (`{"error": {code, message}}`)'} for status in statuses
    }
    if 503 in responses:
        responses[503] = RETRY_LATER_RESPONSE
    return responses


def _json_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


_UPSALES_BODY = _json_body(
    {
        "oneOf": [
            {
                "title": "AppHook",
                "type": "object",
                "description": "An Upsales app hook: `type`, `apiKey` (the customer's API key, "
                "which authenticates the call), and for after-events `data.object` and `user`.",
                "required": ["type", "apiKey"],
            },
            TriggerRequest.model_json_schema(by_alias=True),
        ]
    }
)
_FORTNOX_EVENT_SCHEMA = FortnoxChangeEvent.model_json_schema(by_alias=True)
_FORTNOX_BODY = _json_body(
    {"oneOf": [_FORTNOX_EVENT_SCHEMA, {"type": "array", "items": _FORTNOX_EVENT_SCHEMA}]}
)


@router.post(
    "/upsales/{installation_id}",
    status_code=202,
    response_model=IntakeReply,
    summary="Receive an Upsales app hook or trigger request",
    openapi_extra=_UPSALES_BODY,
    responses=_error_responses(400, 401, 404, 408, 413, 415, 422, 503),
)
async def receive_upsales(installation_id: str, request: Request) -> JSONResponse:
    """An app hook authenticates with the customer API key in its body (`apiKey`); a trigger
    request (Upsales `SendWebRequest`) with the installation's webhook secret in the
    `X-Webhook-Secret` header and a body `{"event", "entity", "id"}`. A request that carries the
    header is read as a trigger. The hook's type is the body's `type` (or, at
    `/webhooks/upsales/{installation_id}/{hook_type}`, the URL's).

    `after_order_insert/update/delete` and `after_client_insert/update` queue a sync of the
    entity; other `after_*` events are answered `ignored` and not stored. Other app-hook types ask a
    question (`before_order_save`, `app_status_order`, `limit_pricelists`, `show_field_sync`)
    and get their answer at once from a registered responder, or 422 `unsupported_event` when
    there is none. No type at all: 422 `hook_type_missing`.
    """
    return await _receive_upsales(installation_id, request, None)


@router.post(
    "/upsales/{installation_id}/{hook_type}",
    status_code=202,
    response_model=IntakeReply,
    summary="Receive an Upsales app hook of the type the URL names",
    openapi_extra=_UPSALES_BODY,
    responses=_error_responses(400, 401, 404, 408, 413, 415, 422, 503),
)
async def receive_upsales_typed(
    installation_id: str, hook_type: str, request: Request
) -> JSONResponse:
    """As `POST /webhooks/upsales/{installation_id}`, for an installation whose hook URLs name
    the hook type, one URL per type (as Upsales' app template routes them). The body's `type`
    (a trigger's `event`) may be left out; when given it must equal the URL's, else 422
    `hook_type_conflict`."""
    return await _receive_upsales(installation_id, request, hook_type)


async def _receive_upsales(
    installation_id: str, request: Request, path_type: str | None
) -> JSONResponse:
    services = get_services(request)
    header_secret = request.headers.get(WEBHOOK_SECRET_HEADER)
    raw: bytes | None = None
    try:
        raw = await _read_json_body(request, services.settings.webhook_max_body_bytes)
        key = _installation_key(installation_id)  # after the body, which may name its hook
        return await _take_upsales(services, key, raw, header_secret, request, path_type)
    except ApiError as exc:
        if header_secret is not None:  # a trigger request: nobody waits on its answer
            raise
        if exc.code == DATABASE_UNAVAILABLE and raw is not None:
            responders = getattr(request.app.state, "responders", default_responders)
            answer = waited_on_unavailable(raw, path_type, responders)
        else:
            answer = waited_on_refusal(exc, raw, path_type)
        if answer is None:
            raise
        return answer


async def _take_upsales(
    services: Services,
    key: uuid.UUID,
    raw: bytes,
    header_secret: str | None,
    request: Request,
    path_type: str | None,
) -> JSONResponse:
    checker = services.secret_checker
    with log_context(installation_id=key), _intake_errors():
        installation = await _load(services, key)
        parsed: UpsalesIntake
        if header_secret is not None:
            _authenticate(checker, header_secret, installation.webhook_secret_enc)
            parsed = parse_upsales_trigger(parse_json(raw), path_type=path_type)
        else:
            document = parse_json(raw)
            _authenticate(checker, app_hook_api_key(document), installation.upsales_api_token_enc)
            parsed = parse_upsales_app_hook(document, path_type=path_type)
        if isinstance(parsed, SynchronousQuestion):
            return await _answer(request, installation, parsed)
        if isinstance(parsed, IgnoredEvent):
            return _reply(IGNORED)
        delivery = EventsOf(installation.id, [upsales_new_event(parsed)])
        (result,) = await services.intake_writer.record(delivery)
        logger.debug("upsales %s: %s", parsed.event_type, result.status)
        return _reply(result)


@router.post(
    "/fortnox/{installation_id}",
    status_code=202,
    response_model=IntakeReply | IntakeBatchReply,
    summary="Receive Fortnox change events",
    openapi_extra=_FORTNOX_BODY,
    responses=_error_responses(400, 401, 404, 408, 413, 415, 422, 503),
)
async def receive_fortnox(installation_id: str, request: Request) -> JSONResponse:
    """One event, or a list of them, in the shape of Fortnox's WebSocket stream, with the
    installation's webhook secret in `X-Webhook-Secret`. On the customers, articles, orders,
    invoices and offers topics an event queues a sync of what its type concerns (a payment event
    syncs the invoice the payment pays); a type we do not use is stored and answered
    `recorded`; other topics are answered `ignored` and not stored. An event of
    another Fortnox tenant than the installation's refuses the whole request (422
    `tenant_mismatch`). A list is answered `{"results": [...]}` in the order sent.
    """
    services = get_services(request)
    key = _installation_key(installation_id)
    raw = await _read_json_body(request, services.settings.webhook_max_body_bytes)
    header_secret = request.headers.get(WEBHOOK_SECRET_HEADER)
    with log_context(installation_id=key), _intake_errors():
        installation = await _load(services, key)
        _authenticate(services.secret_checker, header_secret, installation.webhook_secret_enc)
        events, is_list = parse_fortnox_events(parse_json(raw))
        delivery = EventsOf(installation.id, fortnox_new_events(installation, events))
        results = await services.intake_writer.record(delivery)
    if is_list:
        return JSONResponse(
            status_code=202, content={"results": [_reply_body(result) for result in results]}
        )
    return _reply(results[0])


def _installation_key(text: str) -> uuid.UUID:
    key = parse_installation_id(text)
    if key is None:
        raise _not_found()
    return key


def _not_found() -> ApiError:
    return ApiError(404, "installation_not_found", "no such installation")


async def _load(services: Services, key: uuid.UUID) -> WebhookInstallation:
    installation = await services.installation_loader.load(key)
    if installation is None:
        raise _not_found()
    return installation


def _authenticate(checker: SecretChecker, given: str | None, stored_enc: str | None) -> None:
    if not checker.matches(given, stored_enc):
        logger.warning("webhook refused: invalid or missing credentials")
        raise ApiError(401, "invalid_credentials", "the request's credentials are not valid")


_JSON_TYPES: Final = ("application/json",)


def _is_json_media_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type in _JSON_TYPES or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


async def _read_json_body(request: Request, limit: int) -> bytes:
    """The body, at most ``limit`` bytes: refused early on a Content-Length over the limit, and
    while reading when a body without one grows past it."""
    if not _is_json_media_type(request.headers.get("content-type")):
        raise ApiError(415, "unsupported_media_type", "the body must be application/json")
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit()):
            raise ApiError(400, "bad_request", "the Content-Length header is not a number")
        length = parse_digits(declared.lstrip("0") or "0")  # None: more digits than any limit
        if length is None or length > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"the body is larger than {limit} bytes")


@contextmanager
def _intake_errors() -> Iterator[None]:
    """Turns an :class:`IntakeError` into the matching JSON error, and a database that cannot
    look up or commit into 503 ``database_unavailable`` with ``Retry-After`` (nothing was
    committed, so nothing is acknowledged)."""
    try:
        yield
    except IntakeError as exc:
        status = 400 if isinstance(exc, MalformedJsonError) else 422
        logger.info("webhook refused: %s", exc.code)
        raise ApiError(status, exc.code, exc.message, details=exc.details) from None
    except Exception as exc:
        if not is_database_unavailable(exc):
            raise
        logger.warning("webhook refused: database unavailable (%s)", type(exc).__name__)
        raise database_unavailable("the event") from None


async def _answer(
    request: Request, installation: WebhookInstallation, question: SynchronousQuestion
) -> JSONResponse:
    registry: ResponderRegistry = getattr(request.app.state, "responders", default_responders)
    responder = registry.get(question.event_type)
    if responder is None:
        error = UnsupportedEventError(f"event {question.event_type!r} is not supported")
        raise ApiError(422, error.code, error.message)
    reply = await responder(installation, question.body)
    return JSONResponse(status_code=reply.status_code, content=reply.body)


def _reply_body(result: IntakeResult) -> dict[str, Any]:
    return {"status": result.status, "job_id": result.job_id}


def _reply(result: IntakeResult) -> JSONResponse:
    return JSONResponse(status_code=202, content=_reply_body(result))
