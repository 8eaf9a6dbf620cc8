"""The choices the Upsales app's config fields read live (``externalValuesUrl``).

Upsales calls these, not an operator: they are authenticated the way app hooks are, by the
customer's API key (where Upsales puts it: :mod:`upsales_fortnox.integrations.upsales.facts`), never
by the operator token. The answer is the config field's ``values`` shape, ``[{"name", "value"}]``.
Errors: 404 ``installation_not_found``, 401 ``invalid_credentials``, 503
``database_unavailable`` (with ``Retry-After``), and the upstream failures of
:mod:`upsales_fortnox.api.upstream_errors`. The admin's form waits on the answer, so Fortnox is
asked once (:data:`~upsales_fortnox.integrations.fortnox.request_rules.ONE_TRY`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from upsales_fortnox.api.deps import get_services
from upsales_fortnox.api.errors import ApiError, database_unavailable
from upsales_fortnox.api.schemas import error_responses
from upsales_fortnox.api.upstream_errors import UPSTREAM_RESPONSES, upstream_errors
from upsales_fortnox.core.db.unavailable import is_database_unavailable
from upsales_fortnox.installations.api_clients import InstallationNotReady
from upsales_fortnox.installations.choices_router import price_list_choices
from upsales_fortnox.intake.errors import IntakeError
from upsales_fortnox.intake.installations import parse_installation_id
from upsales_fortnox.intake.parse import parse_json
from upsales_fortnox.integrations.fortnox import request_rules
from upsales_fortnox.integrations.upsales import facts
from upsales_fortnox.sync.context import load_installation

logger = logging.getLogger(__name__)

router = APIRouter(tags=["webhooks"])

PRICE_LISTS_PATH: Final = "/choices/price-lists"
_MAX_BODY_BYTES: Final = 64 * 1024


def _not_found() -> ApiError:
    return ApiError(404, "installation_not_found", "no such installation")


def _invalid_credentials() -> ApiError:
    return ApiError(401, "invalid_credentials", "the request's credentials are not valid")


async def _given_key(request: Request) -> str | None:
    """The customer API key wherever Upsales may put it (query, header, JSON body)."""
    for key in (
        request.query_params.get(facts.EXTERNAL_VALUES_KEY_QUERY),
        request.headers.get(facts.EXTERNAL_VALUES_KEY_HEADER),
    ):
        if key:
            return key
    if request.method != "POST":
        return None
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > _MAX_BODY_BYTES:
            return None  # no key Upsales sends is that long: refused as missing
    try:
        document: Any = parse_json(raw) if raw.strip() else None
    except IntakeError:  # what the webhooks refuse (a key twice, deep nesting) holds no key
        return None
    key = document.get(facts.EXTERNAL_VALUES_KEY_BODY_FIELD) if isinstance(document, dict) else None
    return key if isinstance(key, str) else None


@contextmanager
def _database_errors() -> Iterator[None]:
    """A database that cannot look the installation up answers as the webhooks do: 503
    ``database_unavailable`` with ``Retry-After``."""
    try:
        yield
    except Exception as exc:
        if not is_database_unavailable(exc):
            raise
        logger.warning("choices refused: database unavailable (%s)", type(exc).__name__)
        raise database_unavailable("the request") from None


async def app_price_lists(installation_id: str, request: Request) -> JSONResponse:
    """The installation's Fortnox price lists as `[{"name", "value"}]` (name: the list's
    description, else its code; value: its code), for the app's `priceList` field. Authenticated
    by the customer's Upsales API key: the query parameter `apiKey`, the header
    `X-Upsales-Api-Key` or a JSON body's `apiKey`."""
    services = get_services(request)
    key = parse_installation_id(installation_id)
    if key is None:
        raise _not_found()
    given = await _given_key(request)
    with _database_errors():
        found = await services.installation_loader.load(key)
        if found is None:
            raise _not_found()
        if not services.secret_checker.matches(given, found.upsales_api_token_enc):
            raise _invalid_credentials()
        try:
            installation = await load_installation(services, key)
        except InstallationNotReady as exc:
            raise _not_found() from exc
    with upstream_errors():
        lists = await price_list_choices(services, installation, retry=request_rules.ONE_TRY)
    values = [
        {
            facts.EXTERNAL_VALUE_NAME: item.description or item.code,
            facts.EXTERNAL_VALUE_VALUE: item.code,
        }
        for item in lists
    ]
    return JSONResponse(values, headers={"Cache-Control": "no-store"})


for _method in facts.EXTERNAL_VALUES_METHODS:
    router.add_api_route(
        "/webhooks/upsales/{installation_id}" + PRICE_LISTS_PATH,
        app_price_lists,
        methods=[_method],
        operation_id=f"app_price_lists_{_method.lower()}",
        summary="Fortnox price lists as the Upsales app's `priceList` choices",
        responses={**error_responses(401, 404), **UPSTREAM_RESPONSES},
    )
