"""Pure parsing: raw bodies to the changes the intake records. No I/O.

Dedupe keys (unique per installation and source):

- Upsales app hook: ``delivery:{deliveryId}`` when the body has :data:`DELIVERY_ID_FIELD`, else
  ``sha256:{hex}`` over the canonical JSON of the body without its API key. A retried delivery
  has the same body and so the same key. Known limit: a later, genuinely new hook with an
  identical body (an entity changed and changed back) is taken for a retry. After-events carry
  the whole saved entity, so this needs the entity to be byte-for-byte the same, including any
  modification time it carries (see ``upsales.facts.HOOK_BODY_HAS_MODIFICATION_TIME``).
- Upsales trigger: ``delivery:{deliveryId}`` when given, else a fresh random key: trigger bodies
  are written by an admin and usually name only the entity, so identical bodies are expected for
  distinct changes and must not be merged (coalescing per entity still merges the jobs).
- Fortnox: ``fortnox:{topic}:{offset}``; offsets are unique within a topic.

Asynchronous Upsales events that do not start a sync, and Fortnox events of topics we do not
follow, are acknowledged and *not stored*: storing them would fill the table with events nobody
acts on, and the sender needs only the 2xx. Fortnox events of the topics we follow whose type we
do not use are stored without a job (``recorded``; see
:mod:`upsales_fortnox.intake.fortnox_events`).
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from upsales_fortnox.intake.errors import (
    EventValidationError,
    HookTypeConflictError,
    HookTypeMissingError,
    MalformedJsonError,
    UnsupportedEventError,
)
from upsales_fortnox.intake.fortnox_events import is_followed_topic, longest_entity_id
from upsales_fortnox.intake.routing import (
    UPSALES_ROUTES,
    Route,
    is_upsales_after_event,
)
from upsales_fortnox.intake.strict_json import strict_loads
from upsales_fortnox.intake.wire import (
    DELIVERY_ID_FIELD,
    UPSALES_API_KEY_FIELD,
    UPSALES_EVENT_TYPE_FIELD,
    AfterEventHook,
    AppHookEnvelope,
    DeliveryId,
    FortnoxChangeEvent,
    HookType,
    TriggerRequest,
)

_ESCAPE: Final = b"\\u"  # only a \u escape can produce a NUL or a lone surrogate
ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class UpsalesChange:
    """An Upsales event that starts a sync of one entity."""

    event_type: str
    entity: str
    entity_id: int
    job_kind: str
    dedupe_key: str
    payload: dict[str, Any] = field(repr=False)
    #: ``payload`` as JSON text when parsing produced it anyway (its canonical form, hashed for
    #: the dedupe key), so storing it needs no second serialisation.
    payload_json: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class IgnoredEvent:
    """An asynchronous event we acknowledge and drop."""

    event_type: str


@dataclass(frozen=True)
class SynchronousQuestion:
    """An app hook that waits for an answer (for example ``before_order_save``)."""

    event_type: str
    body: dict[str, Any] = field(repr=False)


UpsalesIntake = UpsalesChange | IgnoredEvent | SynchronousQuestion


def parse_json(raw: bytes) -> Any:
    """Decode one JSON document. Refuses NaN/Infinity, and text that PostgreSQL's JSONB cannot
    store: NUL characters and unpaired surrogates (``"\\ud800"`` alone). Both can only arrive
    as escapes, so a body without one is not searched. Encoding, duplicate keys and depth: see
    :mod:`upsales_fortnox.intake.strict_json`. A number with a fraction or exponent is a
    :class:`~decimal.Decimal` (amounts stay exact; :func:`json_ready` makes it storable)."""
    try:
        document = strict_loads(raw, parse_constant=_refuse_constant, parse_float=_finite_decimal)
        problem = text_problem(document) if _ESCAPE in raw else None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise MalformedJsonError("the body is not valid JSON") from exc
    if problem is not None:
        raise EventValidationError(problem)
    return document


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_decimal(text: str) -> Decimal:
    """A JSON number with a fraction or exponent, exactly; one beyond a float's range
    (``1e400``) is refused, as a reader that needs a float could not hold it."""
    value = Decimal(text)
    if not math.isfinite(float(value)):
        raise ValueError("number out of range")
    return value


def json_ready(value: Any) -> Any:
    """``value`` with every :class:`~decimal.Decimal` made a JSON value that keeps it exactly:
    a whole number as an int, a number a float holds exactly (its shortest text reads back
    the same) as that float, any other as its exact decimal text (a string)."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_ready(item) for item in value]
    return value


def text_problem(value: Any) -> str | None:
    """Why a text value cannot be stored: a NUL (PostgreSQL's JSONB refuses it) or a lone
    surrogate escape (not encodable as UTF-8). Only escapes can produce either."""
    if isinstance(value, str):
        if "\x00" in value:
            return "text values must not contain NUL characters"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "text values must be valid Unicode (no lone surrogate escapes)"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            problem = text_problem(key) or text_problem(item)
            if problem:
                return problem
    if isinstance(value, list):
        for item in value:
            problem = text_problem(item)
            if problem:
                return problem
    return None


def validate(model: type[ModelT], document: Any) -> ModelT:
    """Validate a wire model; pydantic's error becomes an :class:`EventValidationError`."""
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise EventValidationError(
            "the event is not valid", details=validation_details(exc)
        ) from None


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    """Where and why validation failed, without echoing the input values."""
    return [
        {"loc": [str(part) for part in error["loc"]], "msg": error["msg"]}
        for error in exc.errors(include_input=False, include_url=False)
    ]


def app_hook_api_key(document: Any) -> str | None:
    """The customer API key an app hook authenticates with, if the body carries one as text."""
    if isinstance(document, dict):
        key = document.get(UPSALES_API_KEY_FIELD)
        if isinstance(key, str):
            return key
    return None


def canonical_json(document: Any) -> bytes:
    return json.dumps(
        json_ready(document), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def _delivery_id(document: Mapping[str, Any]) -> str | None:
    if DELIVERY_ID_FIELD not in document:
        return None
    try:
        value: str = _DELIVERY_ID.validate_python(document[DELIVERY_ID_FIELD])
    except ValidationError as exc:
        raise EventValidationError(
            "the event is not valid", details=_prefixed(validation_details(exc), DELIVERY_ID_FIELD)
        ) from None
    return value


_DELIVERY_ID: TypeAdapter[str] = TypeAdapter(DeliveryId)


def _prefixed(details: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [{**detail, "loc": [name, *detail["loc"]]} for detail in details]


def hook_type(body_type: str | None, path_type: str | None) -> str:
    """The hook's type, from the body's ``type`` or the hook URL (one URL per hook type, as
    Upsales' app template routes them; which Upsales uses: ``upsales.facts.HOOK_TYPE_IN_PATH``,
    so both are read). Neither → :class:`HookTypeMissingError`; both, but different →
    :class:`HookTypeConflictError` (refused rather than guessed)."""
    if body_type is not None and path_type is not None and body_type != path_type:
        raise HookTypeConflictError(
            f"the body names hook type {body_type!r} but the URL names {path_type!r}",
            details=[{"loc": [UPSALES_EVENT_TYPE_FIELD], "msg": f"must be {path_type!r}"}],
        )
    resolved = body_type if body_type is not None else path_type
    if resolved is None:
        raise HookTypeMissingError(
            "the hook names no type: give it in the body's "
            f"{UPSALES_EVENT_TYPE_FIELD!r} or in the URL (/webhooks/upsales/{{id}}/{{type}})",
            details=[{"loc": [UPSALES_EVENT_TYPE_FIELD], "msg": "Field required"}],
        )
    return resolved


def _path_type(path_type: str | None) -> str | None:
    if path_type is None:
        return None
    try:
        value: str = _HOOK_TYPE.validate_python(path_type)
    except ValidationError as exc:
        raise EventValidationError(
            "the URL's hook type is not valid", details=_prefixed(validation_details(exc), "path")
        ) from None
    return value


_HOOK_TYPE: TypeAdapter[str] = TypeAdapter(HookType)


def parse_upsales_app_hook(document: Any, *, path_type: str | None = None) -> UpsalesIntake:
    """Classify an (already authenticated) app hook body; ``path_type`` is the type its URL
    names, if any (see :func:`hook_type`).

    Supported after-events become an :class:`UpsalesChange`; other after-events are ignored;
    every other type is a :class:`SynchronousQuestion` for the responder registry. The stored
    body always carries the type (added when only the URL named it).
    """
    envelope = validate(AppHookEnvelope, document)
    event_type = hook_type(envelope.event_type, _path_type(path_type))
    stored = {**_without_api_key(document), UPSALES_EVENT_TYPE_FIELD: event_type}
    if not is_upsales_after_event(event_type):
        return SynchronousQuestion(event_type, stored)
    route = UPSALES_ROUTES.get(event_type)
    if route is None:
        return IgnoredEvent(event_type)
    hook = validate(AfterEventHook, document)
    delivery = _delivery_id(document)
    if delivery is not None:
        return _change(event_type, route, hook.data.object.id, f"delivery:{delivery}", stored)
    text = canonical_json(stored)
    dedupe_key = "sha256:" + hashlib.sha256(text).hexdigest()
    return _change(
        event_type, route, hook.data.object.id, dedupe_key, stored, payload_json=text.decode()
    )


def parse_upsales_trigger(
    document: Any, *, path_type: str | None = None
) -> UpsalesChange | IgnoredEvent:
    """Parse a trigger body (see :class:`TriggerRequest`); a URL that names the event
    (``path_type``) may stand in for the body's ``event`` and must agree with it. An API key
    the body carries is not stored, as an app hook's is not."""
    path_event = _path_type(path_type)
    if path_event is not None and isinstance(document, dict):
        body_event = document.get("event")
        hook_type(body_event if isinstance(body_event, str) else None, path_event)
        document = {**document, "event": document.get("event", path_event)}
    trigger = validate(TriggerRequest, document)
    if not is_upsales_after_event(trigger.event):
        raise UnsupportedEventError(
            f"event {trigger.event!r} cannot be sent by a trigger; "
            "triggers send after_* events only"
        )
    route = UPSALES_ROUTES.get(trigger.event)
    if route is None:
        return IgnoredEvent(trigger.event)
    if trigger.entity != route.entity:
        raise EventValidationError(
            f"event {trigger.event!r} concerns entity {route.entity!r}, not {trigger.entity!r}",
            details=[{"loc": ["entity"], "msg": f"must be {route.entity!r} for this event"}],
        )
    if trigger.delivery_id is not None:
        dedupe_key = f"delivery:{trigger.delivery_id}"
    else:
        dedupe_key = f"trigger:{uuid.uuid4().hex}"
    return _change(trigger.event, route, trigger.id, dedupe_key, _without_api_key(document))


def _change(
    event_type: str,
    route: Route,
    entity_id: int,
    dedupe_key: str,
    payload: dict[str, Any],
    *,
    payload_json: str | None = None,
) -> UpsalesChange:
    return UpsalesChange(
        event_type=event_type,
        entity=route.entity,
        entity_id=entity_id,
        job_kind=route.job_kind,
        dedupe_key=dedupe_key,
        payload=json_ready(payload),
        payload_json=payload_json,
    )


def _without_api_key(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != UPSALES_API_KEY_FIELD}


_FORTNOX_EVENT_LIST: TypeAdapter[list[FortnoxChangeEvent]] = TypeAdapter(list[FortnoxChangeEvent])


def parse_fortnox_events(document: Any) -> tuple[list[FortnoxChangeEvent], bool]:
    """One event or a non-empty list of them; returns the events and whether a list was sent."""
    if isinstance(document, list):
        if not document:
            raise EventValidationError(
                "the list holds no events", details=[{"loc": [], "msg": "must not be empty"}]
            )
        try:
            events = _FORTNOX_EVENT_LIST.validate_python(document)
        except ValidationError as exc:
            raise EventValidationError(
                "the event is not valid", details=validation_details(exc)
            ) from None
        for event in events:
            check_fortnox_event(event)
        return events, True
    event = validate(FortnoxChangeEvent, document)
    check_fortnox_event(event)
    return [event], False


def check_fortnox_event(event: FortnoxChangeEvent) -> None:
    """An event on a topic we follow must name its entity, by an id no longer than that
    topic's entities have (:func:`~upsales_fortnox.intake.fortnox_events.longest_entity_id`)."""
    if not is_followed_topic(event.topic):
        return
    if event.entity_id is None:
        raise EventValidationError(
            f"an event on topic {event.topic!r} must carry entityId",
            details=[{"loc": ["entityId"], "msg": "Field required"}],
        )
    longest = longest_entity_id(event.topic)
    if len(event.entity_id) > longest:
        too_long = f"String should have at most {longest} characters"
        raise EventValidationError(
            f"an event on topic {event.topic!r} names its entity by at most {longest} characters",
            details=[{"loc": ["entityId"], "msg": too_long}],
        )


def fortnox_dedupe_key(event: FortnoxChangeEvent) -> str:
    return f"fortnox:{event.topic}:{event.offset}"
