"""Which installations the stream follows: what a tenant update adds and removes (pure), and
the wait between two looks at them."""

from __future__ import annotations

import asyncio
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


async def wait_or_stop(stop: asyncio.Event, wake: asyncio.Event | None, seconds: float) -> None:
    """Wait ``seconds``, or less when ``stop`` (or ``wake``) is set."""
    waiters = {asyncio.ensure_future(stop.wait())}
    if wake is not None:
        waiters.add(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
