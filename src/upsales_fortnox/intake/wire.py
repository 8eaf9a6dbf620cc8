"""Wire models of what Upsales and Fortnox send us.

Field names follow the senders; a name no source settles comes from
:mod:`upsales_fortnox.integrations.upsales.facts`. Models allow unknown fields (senders add fields
over time) but refuse values of the wrong type.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    model_validator,
)

from upsales_fortnox.integrations.upsales import facts as upsales_facts
from upsales_fortnox.integrations.upsales.models import bare_id_as_object
from upsales_fortnox.models.fortnox_ids import FortnoxIdText
from upsales_fortnox.vocabulary import MAX_UPSALES_ID

UPSALES_EVENT_TYPE_FIELD: Final = upsales_facts.HOOK_EVENT_TYPE_FIELD
"""The app-hook body field that names the event (``after_order_update``, ...); the wire model
below takes its alias from it."""

UPSALES_API_KEY_FIELD: Final = "apiKey"
"""The app-hook body field with the customer's Upsales API key (reference §4-5). It authenticates
the call and is never stored."""

DELIVERY_ID_FIELD: Final = upsales_facts.DELIVERY_ID_FIELD
"""An optional top-level field naming one delivery (see the fact); when present it is the dedupe
key instead of the body's hash."""

MAX_ENTITY_ID: Final = MAX_UPSALES_ID


def _entity_id(value: Any) -> Any:
    """Upsales ids are integers; a trigger template may render them as a numeric string."""
    if isinstance(value, bool):
        raise ValueError("must be an integer id")
    if isinstance(value, str):
        if not value.isascii() or not value.isdigit() or len(value) > 19:
            raise ValueError("must be an integer id")
        return int(value)
    return value


def _text_id(value: Any) -> Any:
    """Fortnox ids and offsets are strings in the examples; accept integers as their text."""
    if isinstance(value, bool):
        raise ValueError("must be a string or an integer")
    if isinstance(value, int):
        return str(value)
    return value


UpsalesId = Annotated[int, BeforeValidator(_entity_id), Field(strict=True, ge=1, le=MAX_ENTITY_ID)]
MAX_DELIVERY_ID_LENGTH: Final = 100
"""The longest delivery id or change event offset the intake keeps."""
DeliveryId = Annotated[
    str,
    BeforeValidator(_text_id),
    Field(strict=True, min_length=1, max_length=MAX_DELIVERY_ID_LENGTH),
]


HookType = Annotated[StrictStr, Field(min_length=1, max_length=60)]
"""An app-hook type as the body's ``type`` or the hook URL's last segment names it."""


class _WireModel(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class AppHookEnvelope(_WireModel):
    """What every app hook carries: its type and the customer's API key."""

    event_type: HookType | None = Field(default=None, alias=UPSALES_EVENT_TYPE_FIELD)
    api_key: StrictStr = Field(alias=UPSALES_API_KEY_FIELD, repr=False)


class HookObject(_WireModel):
    id: UpsalesId


class HookData(_WireModel):
    object: HookObject


class HookUser(_WireModel):
    """The acting user: an object, or a bare user id (references may be either, reference §7)."""

    email: StrictStr | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_id(cls, value: Any) -> Any:
        return bare_id_as_object(value)


class AfterEventHook(_WireModel):
    """An after-event app hook: the entity as saved in ``data.object``, who saved it in ``user``."""

    data: HookData
    user: HookUser | None = None


class TriggerRequest(_WireModel):
    """The body we ask admins to write in an Upsales trigger's ``SendWebRequest`` action.

    ``{"event": "after_order_update", "entity": "order", "id": {{Order.Id}}}``: the event that
    fired, the entity it concerns (``order`` or ``company``), and that entity's id (an integer or
    a numeric string). The request carries the installation's webhook secret in the
    ``X-Webhook-Secret`` header. It is a hint only: the sync reads the entity from Upsales.
    Optional ``deliveryId`` (see :data:`DELIVERY_ID_FIELD`) makes retries dedupe.
    """

    event: StrictStr = Field(min_length=1, max_length=60)
    entity: StrictStr = Field(min_length=1, max_length=20)
    id: UpsalesId
    delivery_id: DeliveryId | None = Field(default=None, alias=DELIVERY_ID_FIELD)


class FortnoxChangeEvent(_WireModel):
    """One event of Fortnox's WebSocket change stream (reference fortnox.md §6), e.g.
    ``{"topic":"invoices","offset":"xDy7J","type":"invoice-created-v1","tenantId":29302,
    "entityId":"3817","timestamp":"2017-12-28T14:59:16.500+01:00"}``.

    ``tenantId`` and ``entityId`` are normalised to text (the example mixes an integer and a
    string); ``entityId`` may be absent on topics we ignore (vouchers carry ``year/series/id``).
    """

    topic: StrictStr = Field(min_length=1, max_length=40)
    offset: DeliveryId
    type: StrictStr = Field(min_length=1, max_length=60)
    tenant_id: Annotated[
        str, BeforeValidator(_text_id), Field(strict=True, min_length=1, max_length=50)
    ] = Field(alias="tenantId")
    entity_id: Annotated[FortnoxIdText, BeforeValidator(_text_id), Field(strict=True)] | None = (
        Field(default=None, alias="entityId")
    )
    timestamp: datetime
