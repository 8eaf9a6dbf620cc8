"""The ``oauth_states`` table: single use of login states. Each state's nonce is stored when
the login starts and consumed (marked used) once, atomically, when Fortnox sends the browser
back. Functions here do not commit; the caller owns the transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from upsales_fortnox.activation.errors import (
    installation_gone,
    invalid_state,
    state_expired,
    state_reused,
)
from upsales_fortnox.activation.state import StateClaims
from upsales_fortnox.models.installation import Installation, OAuthState


async def store_nonce(session: AsyncSession, claims: StateClaims, *, now: datetime) -> None:
    """Remember a new login's nonce; also forget logins that expired long ago."""
    await session.execute(delete(OAuthState).where(OAuthState.expires_at < now))
    session.add(
        OAuthState(
            nonce=claims.nonce,
            installation_id=claims.installation_id,
            created_at=now,
            expires_at=claims.expires_at,
        )
    )
    await session.flush()


async def consume_nonce(session: AsyncSession, claims: StateClaims, *, now: datetime) -> None:
    """Mark the nonce used; raises ``state_reused``, ``state_expired`` or ``invalid_state``.

    One conditional ``UPDATE``, so two callbacks racing with the same state cannot both pass.
    """
    consumed = await session.execute(
        update(OAuthState)
        .where(
            OAuthState.nonce == claims.nonce,
            OAuthState.installation_id == claims.installation_id,
            OAuthState.used_at.is_(None),
            OAuthState.expires_at > now,
        )
        .values(used_at=now)
        .returning(OAuthState.nonce)
    )
    if consumed.first() is not None:
        return
    row = await session.scalar(
        select(OAuthState).where(
            OAuthState.nonce == claims.nonce, OAuthState.installation_id == claims.installation_id
        )
    )
    if row is None:
        if await session.get(Installation, claims.installation_id) is None:
            raise installation_gone(claims.installation_id)  # deleted while its login ran
        raise invalid_state()
    if row.used_at is not None:
        raise state_reused()
    raise state_expired()


async def installation_of_nonce(session: AsyncSession, nonce: str) -> uuid.UUID | None:
    return await session.scalar(select(OAuthState.installation_id).where(OAuthState.nonce == nonce))
