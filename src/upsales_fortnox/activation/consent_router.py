"""``POST /webhooks/fortnox-consent``: a Fortnox service account's consent created or revoked.

A revoked consent moves every installation of that tenant connected by a service account to
``needs_relogin`` at once (its jobs wait; the alert monitor announces it); a paused one stays
paused, so connecting again does not resume what the operator paused. One connected by a user
login keeps its own refresh token, which the consent is not: its next refresh tells. The body's
shape is a guess kept in :mod:`upsales_fortnox.integrations.fortnox.facts` and read only by
:mod:`upsales_fortnox.integrations.fortnox.consent`. The caller proves itself with
``X-Webhook-Secret`` (``FORTNOX_CONSENT_WEBHOOK_SECRET``; unset: the webhook is off).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel

from upsales_fortnox.api.deps import ServicesDep
from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.api.schemas import ErrorEnvelope
from upsales_fortnox.core.crypto import constant_time_equals
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.installations.repository.installation_rows import mark_tenant_needs_relogin
from upsales_fortnox.intake.errors import IntakeError
from upsales_fortnox.intake.parse import parse_json
from upsales_fortnox.integrations.fortnox.consent import parse_consent_event

logger = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])

REVOKED_REASON = (
    "The Fortnox service account's consent was revoked. Connect the service account "
    "(or log in to Fortnox) again to resume syncing."
)
MAX_BODY_BYTES = 64 * 1024


class ConsentAnswer(BaseModel):
    status: str
    installations: int


CONSENT_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorEnvelope, "description": "Missing or wrong `X-Webhook-Secret`."},
    404: {
        "model": ErrorEnvelope,
        "description": "The consent webhook is not configured (`not_found`).",
    },
    408: {
        "model": ErrorEnvelope,
        "description": "The body did not arrive within `WEBHOOK_BODY_SECONDS` (`request_timeout`).",
    },
    413: {"model": ErrorEnvelope, "description": "The body is too large (`payload_too_large`)."},
    422: {"model": ErrorEnvelope, "description": "Not a consent event (`unsupported_event`)."},
}


@router.post(
    "/webhooks/fortnox-consent",
    response_model=ConsentAnswer,
    status_code=202,
    responses=CONSENT_ERRORS,
)
async def post_consent_event(
    request: Request,
    services: ServicesDep,
    webhook_secret: Annotated[str | None, Header(alias="X-Webhook-Secret")] = None,
) -> ConsentAnswer:
    expected = services.settings.fortnox_consent_webhook_secret
    if expected is None:
        raise ApiError(404, "not_found", "the consent webhook is not configured")
    if webhook_secret is None or not constant_time_equals(
        webhook_secret, expected.get_secret_value()
    ):
        raise ApiError(401, "unauthorized", "invalid or missing webhook secret")
    raw = await request.body()
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large", "the body is too large")
    try:
        event = parse_consent_event(parse_json(raw))
    except IntakeError:
        event = None
    if event is None:
        raise ApiError(422, "unsupported_event", "not a consent event with a tenant id")
    if event.change == "created":
        logger.info("Fortnox service account consent created for a tenant")
        return ConsentAnswer(status="ignored", installations=0)
    async with services.session_factory() as session, session.begin():
        count = await mark_tenant_needs_relogin(session, event.tenant_id, REVOKED_REASON, utcnow())
    logger.warning("Fortnox consent revoked: %d installation(s) need a new connection", count)
    return ConsentAnswer(status="applied", installations=count)
