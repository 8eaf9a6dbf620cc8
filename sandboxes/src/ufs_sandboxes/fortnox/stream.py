"""One WebSocket session of the change stream (``/topics-v1``): the command protocol and which
events it is owed. Free of I/O; the route feeds it commands and sends what it returns.

Protocol (reference §6): ``add-tenants-v1`` (clientSecret + ``"Bearer …"`` access tokens),
``add-topics-v1`` (topics with an optional offset), ``subscribe-v1``, ``remove-tenants-v1``,
``list-tenants-v1``. Choices where Fortnox is *unverified*:

- ``result`` is "ok" only when every token (or topic) was valid; valid ones are added anyway.
- A topic without an offset streams events from the moment of subscribing (or of adding it,
  when already subscribed); with an offset, every later event of that topic is replayed first.
- Events are pulled from the tenant's log in order, so each reaches the session exactly once
  and in order within a topic (Fortnox promises at least once).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ufs_sandboxes.fortnox.events import KNOWN_TOPICS, decode_offset

if TYPE_CHECKING:
    from ufs_sandboxes.fortnox.sandbox import FortnoxSandbox

Message = dict[str, Any]


class StreamSession:
    def __init__(self, sandbox: FortnoxSandbox) -> None:
        self._sandbox = sandbox
        self.tenant_ids: set[int] = set()
        self.topics: dict[str, int | None] = {}
        """topic → replay after this sequence number; None: only new events"""
        self.subscribed = False
        self._positions: dict[tuple[int, str], int] = {}

    def handle(self, text: str) -> Message:
        """Answer one client command."""
        try:
            command = json.loads(text)
        except ValueError:
            return {"result": "error", "message": "Invalid JSON"}
        if not isinstance(command, dict):
            return {"result": "error", "message": "A command must be a JSON object"}
        name = command.get("command")
        handler = {
            "add-tenants-v1": self._add_tenants,
            "add-topics-v1": self._add_topics,
            "subscribe-v1": self._subscribe,
            "remove-tenants-v1": self._remove_tenants,
            "list-tenants-v1": self._list_tenants,
        }.get(name if isinstance(name, str) else "")
        if handler is None:
            return {"response": name, "result": "error", "message": "Unknown command"}
        reply: Message = {"response": name}
        reply.update(handler(command))
        return reply

    def pending_events(self) -> Iterator[Message]:
        """Events owed to the client since the last call, oldest first within each topic."""
        if not self.subscribed:
            return
        log = self._sandbox.event_log
        for key, position in list(self._positions.items()):
            tenant_id, topic = key
            for event in log.after(tenant_id, topic, position):
                self._positions[key] = event.sequence
                yield event.as_message()

    def wants(self, tenant_id: int, topic: str) -> bool:
        return self.subscribed and tenant_id in self.tenant_ids and topic in self.topics

    # --- commands ------------------------------------------------------------------------

    def _add_tenants(self, command: Message) -> Message:
        tokens = command.get("accessTokens")
        if not isinstance(tokens, list):
            tokens = []
        secret = command.get("clientSecret")
        expected = self._sandbox.config.client_secret.encode()
        if not isinstance(secret, str) or not hmac.compare_digest(secret.encode(), expected):
            invalid = [token for token in tokens if isinstance(token, str)]
            return {
                "result": "error",
                "message": "Invalid client secret",
                "tenantIds": {},
                "invalidTokens": invalid,
            }
        tenant_ids: dict[str, int] = {}
        invalid_tokens: list[Any] = []
        for token in tokens:
            tenant_id = self._tenant_of_token(token)
            if tenant_id is None:
                invalid_tokens.append(token)
                continue
            tenant_ids[token] = tenant_id
            if tenant_id not in self.tenant_ids:
                self.tenant_ids.add(tenant_id)
                for topic in self.topics:
                    self._start(tenant_id, topic)
        return {
            "result": "ok" if tokens and not invalid_tokens else "error",
            "tenantIds": tenant_ids,
            "invalidTokens": invalid_tokens,
        }

    def _add_topics(self, command: Message) -> Message:
        entries = command.get("topics")
        invalid: list[Any] = []
        for entry in entries if isinstance(entries, list) else []:
            topic = entry.get("topic") if isinstance(entry, dict) else None
            offset = entry.get("offset") if isinstance(entry, dict) else None
            after = decode_offset(offset) if isinstance(offset, str) else None
            if topic not in KNOWN_TOPICS or (offset is not None and after is None):
                invalid.append(topic if isinstance(topic, str) else entry)
                continue
            self.topics[topic] = after
            for tenant_id in self.tenant_ids:
                self._start(tenant_id, topic)
        valid = isinstance(entries, list) and bool(entries) and not invalid
        return {"result": "ok" if valid else "error", "invalidTopics": invalid}

    def _subscribe(self, _command: Message) -> Message:
        if not self.subscribed:
            self.subscribed = True
            for tenant_id in self.tenant_ids:
                for topic in self.topics:
                    self._start(tenant_id, topic)
        return {"result": "ok"}

    def _remove_tenants(self, command: Message) -> Message:
        tenants = command.get("tenants")
        for raw_id in tenants if isinstance(tenants, list) else []:
            tenant_id = int(raw_id) if isinstance(raw_id, str) and raw_id.isdigit() else raw_id
            self.tenant_ids.discard(tenant_id)
            for key in [key for key in self._positions if key[0] == tenant_id]:
                del self._positions[key]
        return {"result": "ok"}

    def _list_tenants(self, _command: Message) -> Message:
        return {"result": "ok", "tenantIds": sorted(self.tenant_ids)}

    # --- helpers -------------------------------------------------------------------------

    def _start(self, tenant_id: int, topic: str) -> None:
        """Set where streaming of one tenant's topic begins (only once subscribed)."""
        if not self.subscribed:
            return
        after = self.topics[topic]
        self._positions[(tenant_id, topic)] = (
            after if after is not None else self._sandbox.event_log.last_sequence
        )

    def _tenant_of_token(self, token: object) -> int | None:
        if not isinstance(token, str):
            return None
        scheme, _, value = token.partition(" ")
        raw = value.strip() if scheme.lower() == "bearer" else token.strip()
        grant = self._sandbox.oauth.lookup_access_token(raw)
        if grant is None or self._sandbox.oauth.is_expired(grant):
            return None
        if grant.tenant_id not in self._sandbox.tenants:
            return None
        return grant.tenant_id
