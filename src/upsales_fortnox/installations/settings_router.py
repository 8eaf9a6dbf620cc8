"""Operator API: an installation's sync settings (``/api/installations/{id}/settings``).

A live check that the ids exist in Upsales and Fortnox plugs in by setting
``app.state.settings_reference_check`` to a
:class:`~upsales_fortnox.installations.reference_check.SettingsReferenceCheck`; every settings
write (this ``PUT`` and initial settings at creation) then runs it after the pure rules.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from upsales_fortnox.api.deps import AdminDep, SessionDep
from upsales_fortnox.api.operator_errors import operator_errors
from upsales_fortnox.api.operator_route import OperatorRoute
from upsales_fortnox.api.preconditions import RequiredIfMatch, set_etag
from upsales_fortnox.api.schemas import error_responses
from upsales_fortnox.installations.reference_check import SettingsReferenceCheck
from upsales_fortnox.installations.service import read_settings, replace_settings
from upsales_fortnox.installations.settings_schemas import SettingsDocument

router = APIRouter(
    prefix="/api/installations",
    tags=["settings"],
    dependencies=[AdminDep],
    route_class=OperatorRoute,
    responses=error_responses(401, 404, 422),
)


def get_settings_reference_check(request: Request) -> SettingsReferenceCheck | None:
    check: SettingsReferenceCheck | None = getattr(
        request.app.state, "settings_reference_check", None
    )
    return check


ReferenceCheckDep = Annotated[SettingsReferenceCheck | None, Depends(get_settings_reference_check)]

_RULES = """Rules (each broken one is listed in the 422 `invalid_settings` details, with the
field and a code):

- `syncType` (required): `invoice`, `order` or `order_offer` (`invalid_choice`).
- `wonStage`, `lostStage` (required), `placeholderUser`: positive integer ids
  (`required`, `not_positive_integer`); `lostStage` differs from `wonStage` (`must_differ`).
- `offerStage`: required with `order_offer` and different from the won and lost stages;
  with other sync types it must be null or left out (`not_used`).
- `priceList`: a Fortnox price-list code, 1 to 50 letters or digits, stored as given
  (`invalid_price_list_code`); null means Fortnox's default price list.
- `productBundles`: `onlyBundle` (default), `onlySubProducts` or `bundleAndSubProducts`.
- `paymentStatus`, `creditInvoices`: true or false (default false).

Once the installation is connected, the ids are checked live: each must be one Upsales or
Fortnox lists (`unknown_reference`), `wonStage` a stage at 100 %, `lostStage` one at 0 % and
`offerStage` an open one, 1-99 % (`wrong_stage_probability`); each message lists the valid
choices.

Values of the wrong JSON type and unknown fields give `validation_error`.
"""


@router.get(
    "/{installation_id}/settings",
    response_model=SettingsDocument,
    summary="Read an installation's settings",
    description='The `ETag` header carries the settings\' version (`"0"`: never configured).',
)
async def get_installation_settings(
    installation_id: uuid.UUID, session: SessionDep, response: Response
) -> SettingsDocument:
    with operator_errors():
        stored = await read_settings(session, installation_id)
    set_etag(response, stored.version)
    return SettingsDocument.from_row(stored.row)


@router.put(
    "/{installation_id}/settings",
    response_model=SettingsDocument,
    summary="Replace an installation's settings",
    description="Requires `If-Match` with the settings' `ETag`. " + _RULES,
    responses=error_responses(412, 428),
)
async def put_installation_settings(
    installation_id: uuid.UUID,
    document: SettingsDocument,
    precondition: RequiredIfMatch,
    session: SessionDep,
    reference_check: ReferenceCheckDep,
    response: Response,
) -> SettingsDocument:
    with operator_errors():
        stored = await replace_settings(
            session,
            installation_id,
            precondition,
            document.to_draft(),
            reference_check=reference_check,
        )
    await session.commit()
    set_etag(response, stored.version)
    return SettingsDocument.from_row(stored.row)
