"""Which installations the stream follows: what a tenant update adds and removes (pure)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping

from upsales_fortnox.intake.fortnox_stream.recording import StreamTenant


def tenant_changes(
    followed: Mapping[str, StreamTenant],
    active: Collection[uuid.UUID],
    tokens: Mapping[StreamTenant, str],
    sent: Mapping[uuid.UUID, str],
) -> tuple[dict[StreamTenant, str], list[str]]:
    """What a tenant update sends: the tokens to add (installations not followed yet, and
    rotated tokens) and the tenant ids to remove (installations no longer active).

    An active installation whose token cannot be read right now (``tokens`` lacks it: a
    refresh that failed for a moment) stays followed with the token sent before; removed, its
    events until the next update would never be delivered, as Fortnox does not replay a tenant
    added again. One that must log in again is no longer active, and is removed then.
    """
    followed_ids = {tenant.id for tenant in followed.values()}
    fresh = {
        tenant: token
        for tenant, token in tokens.items()
        if tenant.id not in followed_ids or sent.get(tenant.id) != token
    }
    gone = [tenant_id for tenant_id, tenant in followed.items() if tenant.id not in active]
    return fresh, gone
