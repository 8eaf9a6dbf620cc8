"""The choices the Upsales app's config fields read live (``externalValuesUrl``).

Upsales calls these, not an operator: they are authenticated the way app hooks are, by the
customer's API key (where Upsales puts it: :mod:`upsales_fortnox.integrations.upsales.facts`), never
by the operator token. The answer is the config field's ``values`` shape, ``[{"name", "value"}]``,
never cached. Errors: 404 ``installation_not_found``, 401 ``invalid_credentials``, 503
``database_unavailable`` (with ``Retry-After``), and the upstream failures of
:mod:`upsales_fortnox.api.upstream_errors`; each message is the catalogue's text for the admin
(:mod:`~upsales_fortnox.installations.choice_refusals`). The admin's form waits on the answer,
so Fortnox is asked once (:data:`~upsales_fortnox.integrations.fortnox.request_rules.ONE_TRY`).
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
from upsales_fortnox.api.no_store import NoStoreRoute
from upsales_fortnox.api.schemas import error_responses
from upsales_fortnox.api.upstream_errors import UPSTREAM_RESPONSES, upstream_errors
from upsales_fortnox.core.db.unavailable import is_database_unavailable
from upsales_fortnox.core.texts import language_of_hook
from upsales_fortnox.installations.api_clients import InstallationNotReady
from upsales_fortnox.installations.choice_refusals import admin_refusal
from upsales_fortnox.installations.choices_router import PriceListChoice, price_list_choices
from upsales_fortnox.intake.errors import IntakeError
from upsales_fortnox.intake.installations import parse_installation_id
from upsales_fortnox.intake.parse import parse_json
from upsales_fortnox.integrations.fortnox import request_rules
from upsales_fortnox.integrations.upsales import facts
from upsales_fortnox.sync.context import load_installation

logger = logging.getLogger(__name__)

router = APIRouter(tags=["webhooks"], route_class=NoStoreRoute)

PRICE_LISTS_PATH: Final = "/choices/price-lists"
_MAX_BODY_BYTES: Final = 64 * 1024


def _not_found() -> ApiError:
    return ApiError(404, "installation_not_found", "no such installation")


def _invalid_credentials() -> ApiError:
    return ApiError(401, "invalid_credentials", "the request's credentials are not valid")


async def _hook_body(request: Request) -> dict[str, Any]:
    """A POST's JSON object (Upsales may send the key and the admin's language in it); empty
    when there is none, or it is too long or what the webhooks refuse (a key twice, deep
    nesting)."""
    if request.method != "POST":
        return {}
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > _MAX_BODY_BYTES:
            return {}  # no key Upsales sends is that long: refused as missing
    try:
        document: Any = parse_json(raw) if raw.strip() else None
    except IntakeError:
        return {}
    return document if isinstance(document, dict) else {}


def _given_key(request: Request, body: dict[str, Any]) -> str | None:
    """The customer API key wherever Upsales may put it (query, header, JSON body)."""
    for key in (
        request.query_params.get(facts.EXTERNAL_VALUES_KEY_QUERY),
        request.headers.get(facts.EXTERNAL_VALUES_KEY_HEADER),
    ):
        if key:
            return key
    key = body.get(facts.EXTERNAL_VALUES_KEY_BODY_FIELD)
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
    `X-Upsales-Api-Key` or a JSON body's `apiKey`. A refusal keeps its code; its message is
    for the admin, in the body's language (Swedish unless it asks for English)."""
    body = await _hook_body(request)
    try:
        lists = await _price_lists(request, installation_id, _given_key(request, body))
    except ApiError as error:
        raise admin_refusal(error, language_of_hook(body)) from error
    values = [
        {
            facts.EXTERNAL_VALUE_NAME: item.description or item.code,
            facts.EXTERNAL_VALUE_VALUE: item.code,
        }
        for item in lists
    ]
    return JSONResponse(values)


async def _price_lists(
    request: Request, installation_id: str, given: str | None
) -> list[PriceListChoice]:
    services = get_services(request)
    key = parse_installation_id(installation_id)
    if key is None:
        raise _not_found()
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
        return await price_list_choices(services, installation, retry=request_rules.ONE_TRY)


for _method in facts.EXTERNAL_VALUES_METHODS:
    router.add_api_route(
        "/webhooks/upsales/{installation_id}" + PRICE_LISTS_PATH,
        app_price_lists,
        methods=[_method],
        operation_id=f"app_price_lists_{_method.lower()}",
        summary="Fortnox price lists as the Upsales app's `priceList` choices",
        responses={**error_responses(401, 404), **UPSTREAM_RESPONSES},
    )
