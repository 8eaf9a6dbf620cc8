"""What a new Fortnox login's scopes start, in the transaction that stores its tokens.

A login from before the ``payment`` scope was asked for could not read payments: the refresh
of the linked orders run while ``paymentStatus`` was on left their payment fields empty
(``payment_scope_missing``), and nothing else fills them in before each invoice next changes.
So a login that grants ``payment`` where the tokens it replaces did not queues that refresh
once (:func:`~upsales_fortnox.sync.inbound.order_fields_refresh.enqueue_order_fields_refresh`);
a login that only renews the scope, the first login (nothing linked yet) and a login while
``paymentStatus`` is off queue nothing.
"""

from __future__ import annotations

import uuid
from typing import Final

from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.domain.sync_settings import PAYMENT_STATUS, SyncSettings
from upsales_fortnox.installations.repository.settings import load_settings
from upsales_fortnox.installations.repository.tokens import read_credentials
from upsales_fortnox.sync.inbound.order_fields_refresh import enqueue_order_fields_refresh

PAYMENT_SCOPE: Final = "payment"


def newly_granted(before: str | None, after: str, scope: str) -> bool:
    """Whether ``scope`` is in the scopes ``after`` (space-separated, as Fortnox names them) and
    not in those of the tokens replaced (``before``; None when there were none)."""
    if before is None:
        return False
    return scope in after.split() and scope not in before.split()


async def follow_granted_scopes(
    session: DbSession, installation_id: uuid.UUID, granted: str
) -> None:
    """Queue what the scopes ``granted`` by a new login make possible; call before its tokens
    replace the stored ones."""
    stored = await read_credentials(session, installation_id)
    before = None if stored is None else stored.scopes
    if not newly_granted(before, granted, PAYMENT_SCOPE):
        return
    settings = SyncSettings.of((await load_settings(session, installation_id)).row)
    if settings.payment_status:
        await enqueue_order_fields_refresh(session, installation_id, {PAYMENT_STATUS})
