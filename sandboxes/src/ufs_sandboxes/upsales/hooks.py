"""The hook sink: app-hook calls the sandbox makes when orders and companies change.

Upsales calls an app's server for the hook types the app subscribes to (reference §4). The
sandbox imitates that for writes made through its REST API (and through the Python API with
``fire_hooks=True``), so end-to-end tests can drive a service's webhook endpoint from changes
in the sandbox. Calls go out in the order the writes happened, one at a time, without retries.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

import httpx

from ufs_sandboxes.upsales.jsonio import JsonObject, encode_json

FORTNOX_APP_HOOK_EVENTS: Final = frozenset(
    {"after_order_insert", "after_order_update", "after_client_update"}
)
"""The after-events the Fortnox app subscribes to (reference §4, SI); the default subscription."""

APP_HOOK_EVENTS: Final = frozenset(
    f"after_{entity}_{action}"
    for entity in ("order", "client")
    for action in ("insert", "update", "delete")
)
"""Every event type the sandbox can send."""


def build_app_hook_body(
    *,
    event_type: str,
    entity: JsonObject,
    acting_user: JsonObject,
    customer_id: int,
    api_key: str,
) -> JsonObject:
    """The body of one app-hook call.

    Verified (official app template handlers): the entity is in ``data.object``, the acting
    user in ``user`` (its ``email`` tells API writes apart: ``…@api.upsales.com``), and the body
    carries the customer's ``apiKey`` for calling the API back.

    *Unverified*, chosen here: the event type travels in ``type``; the Upsales customer id in
    ``customerId``; ``user`` is ``{id, name, email}``; no copy of the entity before the change
    is sent (the template compares old and new entities, but the field holding the old copy is
    not known); a deleted entity is sent as it was before deletion.
    """
    return {
        "type": event_type,
        "customerId": customer_id,
        "apiKey": api_key,
        "user": {
            "id": acting_user["id"],
            "name": acting_user["name"],
            "email": acting_user["email"],
        },
        "data": {"object": entity},
    }


@dataclass(frozen=True)
class HookCall:
    """One call to the sink: ``body`` (money as ``Decimal``) and ``content``, its JSON bytes."""

    event_type: str
    customer_id: int
    body: JsonObject
    content: bytes


HookCallback = Callable[[HookCall], Awaitable[Any]]
"""An in-process sink. If it returns something with a ``status_code``, that is recorded."""
HookTarget = HookCallback | str
"""A callback or the URL to POST the body to."""


@dataclass(frozen=True)
class HookDelivery:
    """The outcome of one call: the status the sink answered, or the error raised."""

    event_type: str
    customer_id: int
    body: JsonObject
    status: int | None
    error: str | None

    def as_dict(self) -> JsonObject:
        return {
            "type": self.event_type,
            "customerId": self.customer_id,
            "status": self.status,
            "error": self.error,
            "body": self.body,
        }


class HookDispatcher:
    def __init__(self, log_size: int = 1000) -> None:
        self._target: HookTarget | None = None
        self._events: frozenset[str] = FORTNOX_APP_HOOK_EVENTS
        self._unsent: list[HookCall] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._tail: asyncio.Task[None] | None = None
        self.deliveries: deque[HookDelivery] = deque(maxlen=log_size)

    @property
    def target(self) -> HookTarget | None:
        return self._target

    @property
    def events(self) -> frozenset[str]:
        return self._events

    def register(self, target: HookTarget, events: Iterable[str] | None = None) -> None:
        chosen = FORTNOX_APP_HOOK_EVENTS if events is None else frozenset(events)
        unknown = chosen - APP_HOOK_EVENTS
        if unknown:
            raise ValueError(f"Unknown hook events: {', '.join(sorted(unknown))}")
        self._target = target
        self._events = chosen

    def clear(self) -> None:
        self._target = None
        self._events = FORTNOX_APP_HOOK_EVENTS
        self._unsent.clear()

    def reset(self) -> None:
        self.clear()
        self.deliveries.clear()
        self._tail = None

    def emit(
        self,
        *,
        event_type: str,
        entity: JsonObject,
        acting_user: JsonObject,
        customer_id: int,
        api_key: str,
    ) -> None:
        """Queue a call if a sink subscribed to ``event_type``; it is sent in the background."""
        if self._target is None or event_type not in self._events:
            return
        body = build_app_hook_body(
            event_type=event_type,
            entity=entity,
            acting_user=acting_user,
            customer_id=customer_id,
            api_key=api_key,
        )
        call = HookCall(event_type, customer_id, body, encode_json(body))
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self._unsent.append(call)
            return
        self._schedule(call)

    def _schedule(self, call: HookCall) -> None:
        loop = asyncio.get_running_loop()
        previous = self._tail
        if previous is not None and (previous.done() or previous.get_loop() is not loop):
            previous = None
        task = loop.create_task(self._deliver_after(previous, call))
        self._tail = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver_after(self, previous: asyncio.Task[None] | None, call: HookCall) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        await self._deliver(call)

    async def _deliver(self, call: HookCall) -> None:
        target = self._target
        status: int | None = None
        error: str | None = None
        try:
            if target is None:
                error = "no hook sink registered"
            elif isinstance(target, str):
                async with httpx.AsyncClient(timeout=30.0) as client:
                    response = await client.post(
                        target, content=call.content, headers={"content-type": "application/json"}
                    )
                status = response.status_code
            else:
                result = await target(call)
                result_status = getattr(result, "status_code", None)
                status = result_status if isinstance(result_status, int) else None
        except Exception as exc:  # the sink's failure is recorded, never raised into the sandbox
            error = f"{type(exc).__name__}: {exc}"
        self.deliveries.append(
            HookDelivery(call.event_type, call.customer_id, call.body, status, error)
        )

    async def flush(self) -> None:
        """Send queued calls and wait until every call has been delivered (or has failed)."""
        unsent, self._unsent = self._unsent, []
        for call in unsent:
            self._schedule(call)
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
