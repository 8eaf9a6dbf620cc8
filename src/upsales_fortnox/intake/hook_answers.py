"""Answers to the app hooks that wait for one (``before_order_save``, ``app_status_order``, ...).

The sync module registers a responder per event type; the webhook endpoint calls it after the
caller is authenticated and sends its reply as is. An event type without a responder is answered
422 ``unsupported_event``. Responders get the body without the API key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from upsales_fortnox.intake.installations import WebhookInstallation


@dataclass(frozen=True)
class ResponderReply:
    """The HTTP answer to a synchronous app hook (Upsales reads 200 as yes, 400 as a refusal
    whose text the user sees: where it goes, ``upsales.facts.HOOK_REFUSAL_TEXT_FIELDS``)."""

    body: dict[str, Any]
    status_code: int = 200


Responder = Callable[[WebhookInstallation, dict[str, Any]], Awaitable[ResponderReply]]
WithoutDatabase = Callable[[], ResponderReply]
"""The answer to a hook while the database is away, for a hook that must not be refused."""


@dataclass
class ResponderRegistry:
    """Event type → responder."""

    _responders: dict[str, Responder] = field(default_factory=dict)
    _without_database: dict[str, WithoutDatabase] = field(default_factory=dict)

    def register(
        self,
        event_type: str,
        responder: Responder,
        *,
        without_database: WithoutDatabase | None = None,
    ) -> None:
        """``without_database``: the answer while the database is away (it reads nothing, and
        tells nothing of an installation), for a hook Upsales must get an answer to, not a
        refusal; without one, such a hook is refused 503."""
        self._responders[event_type] = responder
        if without_database is not None:
            self._without_database[event_type] = without_database

    def get(self, event_type: str) -> Responder | None:
        return self._responders.get(event_type)

    def without_database(self, event_type: str) -> WithoutDatabase | None:
        return self._without_database.get(event_type)

    def event_types(self) -> frozenset[str]:
        return frozenset(self._responders)


#: The registry the app uses unless ``app.state.responders`` holds another one.
default_responders = ResponderRegistry()
