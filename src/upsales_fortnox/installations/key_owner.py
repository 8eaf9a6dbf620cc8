"""Whose Upsales account an API key opens: an installation's key must open its own.

Operators paste keys for many customers; a key of another customer's account would let the
sync read and write that other customer's CRM. ``GET /self`` names the key's account
(``client.id``). A key saved for an installation whose Upsales customer id is known is asked
once, at the save (one try: the operator waits on it), and refused when it opens another
account; when Upsales cannot tell now, the key is saved and the connection check
(:mod:`upsales_fortnox.ops.connection_checks`) asks again.
"""

from __future__ import annotations

from typing import Protocol

from upsales_fortnox.installations.api_clients import upsales_client_with_key
from upsales_fortnox.installations.errors import UpsalesKeyOfAnotherAccount
from upsales_fortnox.integrations.errors import PermanentError, RetryableError
from upsales_fortnox.integrations.upsales import request_rules
from upsales_fortnox.services import Services


class KeyOwnerCheck(Protocol):
    async def __call__(self, token: str) -> int | None:
        """The Upsales customer id the key opens; None when Upsales cannot tell now."""
        ...


class LiveKeyOwner:
    """Asks Upsales' ``/self`` with the key."""

    def __init__(self, services: Services) -> None:
        self._services = services

    async def __call__(self, token: str) -> int | None:
        client = upsales_client_with_key(self._services, token, retry=request_rules.ONE_TRY)
        try:
            me = await client.get_self()
        except (RetryableError, PermanentError):
            return None  # refused or unreachable: the connection check tells which
        return me.client.id if me.client is not None else None


async def check_key_owner(
    check: KeyOwnerCheck | None, token: str | None, upsales_customer_id: int | None
) -> int | None:
    """Raise :class:`UpsalesKeyOfAnotherAccount` when ``token`` opens another account than
    ``upsales_customer_id``; the account it opens (None: nothing to check without a check, a
    key or a customer id, or Upsales cannot tell now)."""
    if check is None or not token or upsales_customer_id is None:
        return None
    owner = await check(token)
    if owner is not None and owner != upsales_customer_id:
        raise UpsalesKeyOfAnotherAccount(upsales_customer_id, owner)
    return owner
