"""Operator API: the choices for an installation's settings, read live from Fortnox and Upsales,
and the live check that settings name only ids among them.

* ``/choices/price-lists``: Fortnox price lists (``priceList``);
* ``/choices/order-stages``: Upsales stages with their probability (``wonStage``,
  ``lostStage``, ``offerStage``);
* ``/choices/users``: Upsales users (``placeholderUser``).

:class:`LiveReferenceCheck` is the settings API's extension point
(:mod:`upsales_fortnox.installations.reference_check`): a stage, user or price list that the
live system does not list is refused (422 ``invalid_settings`` with code ``unknown_reference``);
when the system cannot be reached the write is refused with 503 ``upstream_unavailable``, and
when it refuses the request (a wrong Upsales API key, say) with 502 ``upstream_refused``, so
an unchecked id is never stored. An id that cannot be checked because the installation is not
connected yet (no Upsales API key, no Fortnox login, credentials that cannot be decrypted) is
refused the same way as an unknown one, with a message saying why. The choices routes answer
the failures of :mod:`upsales_fortnox.api.upstream_errors`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from fastapi import APIRouter
from pydantic import BaseModel

from upsales_fortnox.api.deps import AdminDep, ServicesDep
from upsales_fortnox.api.errors import ApiError
from upsales_fortnox.api.operator_route import OperatorRoute
from upsales_fortnox.api.schemas import error_responses
from upsales_fortnox.api.upstream_errors import (
    UPSTREAM_RESPONSES,
    not_ready_reason,
    upstream_errors,
)
from upsales_fortnox.core.crypto import DecryptionError
from upsales_fortnox.domain.live_rules import (
    Choice,
    StageOption,
    currency_list_problems,
    stage_problems,
    unknown_problem,
)
from upsales_fortnox.domain.settings_rules import (
    ProblemCode,
    SettingsProblem,
    ValidSettings,
)
from upsales_fortnox.installations.api_clients import (
    InstallationNotReady,
    fortnox_client_for,
    upsales_client_for,
)
from upsales_fortnox.integrations.errors import PermanentError, RetryableError
from upsales_fortnox.integrations.retry import RetryPolicy
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.services import Services
from upsales_fortnox.sync.context import load_installation

router = APIRouter(
    prefix="/api/installations",
    tags=["settings"],
    dependencies=[AdminDep],
    route_class=OperatorRoute,
    responses={**error_responses(401, 404), **UPSTREAM_RESPONSES},
)

T = TypeVar("T")


class PriceListChoice(BaseModel):
    code: str
    description: str | None
    preselected: bool


class OrderStageChoice(BaseModel):
    id: int
    name: str | None
    probability: int | None


class UserChoice(BaseModel):
    id: int
    name: str | None
    email: str | None
    active: bool


async def _installation(services: Services, installation_id: uuid.UUID) -> Installation:
    try:
        return await load_installation(services, installation_id)
    except InstallationNotReady as exc:
        raise ApiError(404, "installation_not_found", exc.message) from exc


async def price_list_choices(
    services: Services, installation: Installation, *, retry: RetryPolicy | None = None
) -> list[PriceListChoice]:
    """The Fortnox price lists (``retry``: a policy other than the client's own)."""
    lists = await fortnox_client_for(services, installation, retry=retry).list_price_lists()
    return [
        PriceListChoice(
            code=item.Code, description=item.Description, preselected=bool(item.PreSelected)
        )
        for item in lists
        if item.Code
    ]


async def order_stage_choices(
    services: Services, installation: Installation
) -> list[OrderStageChoice]:
    stages = await upsales_client_for(services, installation).list_order_stages()
    return [OrderStageChoice(id=s.id, name=s.name, probability=s.probability) for s in stages]


async def user_choices(services: Services, installation: Installation) -> list[UserChoice]:
    users = await upsales_client_for(services, installation).list_users()
    return [
        UserChoice(
            id=u.id, name=u.name, email=u.email, active=u.active is not False and not u.ghost
        )
        for u in users
    ]


@router.get(
    "/{installation_id}/choices/price-lists",
    response_model=list[PriceListChoice],
    summary="Fortnox price lists (for `priceList`)",
)
async def get_price_lists(
    installation_id: uuid.UUID, services: ServicesDep
) -> list[PriceListChoice]:
    installation = await _installation(services, installation_id)
    with upstream_errors():
        return await price_list_choices(services, installation)


@router.get(
    "/{installation_id}/choices/order-stages",
    response_model=list[OrderStageChoice],
    summary="Upsales order stages with their probability (for the stage settings)",
)
async def get_order_stages(
    installation_id: uuid.UUID, services: ServicesDep
) -> list[OrderStageChoice]:
    installation = await _installation(services, installation_id)
    with upstream_errors():
        return await order_stage_choices(services, installation)


@router.get(
    "/{installation_id}/choices/users",
    response_model=list[UserChoice],
    summary="Upsales users (for `placeholderUser`)",
)
async def get_users(installation_id: uuid.UUID, services: ServicesDep) -> list[UserChoice]:
    installation = await _installation(services, installation_id)
    with upstream_errors():
        return await user_choices(services, installation)


class LiveReferenceCheck:
    """Checks settings' stage, user and price-list ids against the live systems, and that the
    stages mean what their field says (:mod:`upsales_fortnox.domain.live_rules`)."""

    def __init__(self, services: Services) -> None:
        self._services = services

    async def __call__(
        self, installation: Installation, settings: ValidSettings
    ) -> Sequence[SettingsProblem]:
        problems: list[SettingsProblem] = []
        stages = {
            "wonStage": settings.won_stage,
            "lostStage": settings.lost_stage,
            "offerStage": settings.offer_stage,
        }
        if any(value is not None for value in stages.values()):
            known_stages = await self._fetch(
                installation, "Upsales", order_stage_choices, problems, stages
            )
            if known_stages is not None:
                options = [StageOption(s.id, s.name, s.probability) for s in known_stages]
                problems += stage_problems(settings, options)
        users = {"placeholderUser": settings.placeholder_user}
        if settings.placeholder_user is not None:
            known_users = await self._fetch(installation, "Upsales", user_choices, problems, users)
            if known_users is not None:
                problems += unknown_problem(
                    "placeholderUser",
                    settings.placeholder_user,
                    [Choice(u.id, u.name) for u in known_users],
                    "an Upsales user",
                )
        lists: dict[str, Any] = {
            "priceList": settings.price_list,
            "currencyPriceLists": settings.currency_price_lists or None,
        }
        if any(value is not None for value in lists.values()):
            known_lists = await self._fetch(
                installation, "Fortnox", price_list_choices, problems, lists
            )
            if known_lists is not None:
                choices = [Choice(p.code, p.description) for p in known_lists]
                problems += unknown_problem(
                    "priceList", settings.price_list, choices, "a Fortnox price list"
                )
                problems += currency_list_problems(settings.currency_price_lists, choices)
        return problems

    async def _fetch(
        self,
        installation: Installation,
        system: str,
        read: Callable[[Services, Installation], Awaitable[list[T]]],
        problems: list[SettingsProblem],
        fields: dict[str, Any],
    ) -> list[T] | None:
        """What the live system lists; None (and a problem per field) when the installation
        cannot ask it yet. Raises the :class:`ApiError` of :func:`upstream_errors` (503, 502,
        409 ``fortnox_login_required``) for the other failures."""
        try:
            return await read(self._services, installation)
        except (DecryptionError, PermanentError) as exc:
            if not_ready_reason(exc) is None:
                with upstream_errors():
                    raise
            why = (
                "its stored credentials cannot be decrypted"
                if isinstance(exc, DecryptionError)
                else f"the installation is not connected to {system} yet"
            )
            for name, value in fields.items():
                if value is not None:
                    problems.append(
                        SettingsProblem(
                            name, ProblemCode.UNKNOWN_REFERENCE, f"cannot be checked: {why}"
                        )
                    )
            return None
        except RetryableError:
            with upstream_errors():
                raise
