"""The installations' Fortnox tokens: stored encrypted, refreshed once at a time.

Fortnox refresh tokens are single use, and two refreshes racing each other lose the connection.
So a refresh is single-flight per installation:

* in the process, an :class:`asyncio.Lock` per installation;
* across processes, on PostgreSQL a lock on the installation's ``fortnox_credentials`` row
  (``SELECT ... FOR UPDATE``) held for the whole refresh; on a SQLite file, whose only lock is
  the whole database's write lock (held over a slow refresh it would stop every other
  installation's writes), a file lock of the installation's own
  (:mod:`~upsales_fortnox.installations.refresh_guard`).

With the lock held the tokens are read again; if another task or process refreshed meanwhile,
its tokens are used and no refresh happens. The rotated pair is written (encrypted) in the same
transaction and committed before the new access token is returned (on SQLite: in a short
transaction after Fortnox's answer, and only while the tokens it refreshed are still the stored
ones; a login that stored others meanwhile wins, its tokens used).

If Fortnox refuses the refresh token, a second transaction takes the lock again and sets the
installation to ``needs_relogin`` only if the refused tokens are still the stored ones (compared
by :func:`~.repository.tokens.fingerprint`), then
:class:`~upsales_fortnox.integrations.errors.ReauthorizationRequired` is raised, naming them
(``refused_tokens``). If a new login stored other tokens in between, nothing is marked and those
tokens are used: a login racing a refusal is never undone by it.

A refresh that succeeds at Fortnox but whose commit fails (crash, lost connection) loses the
new refresh token; Fortnox offers no way to avoid that window, it is only kept short.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Final

from upsales_fortnox.core.crypto import SecretBox
from upsales_fortnox.core.db.database_file import sqlite_file
from upsales_fortnox.core.db.errors import is_sqlite_busy
from upsales_fortnox.core.db.one_statement import in_one_statement
from upsales_fortnox.core.db.session import DbSession, DbSessionFactory
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.installations.refresh_guard import RefreshGuard
from upsales_fortnox.installations.repository.installation_rows import (
    fortnox_tenant_of,
    mark_needs_relogin,
)
from upsales_fortnox.installations.repository.tokens import (
    NO_CREDENTIALS,
    SealedTokens,
    fingerprint,
    lock_credentials,
    read_credentials,
    record_refusal,
    rotate_tokens,
    save_tokens,
    still_stored,
)
from upsales_fortnox.integrations.errors import ReauthorizationRequired
from upsales_fortnox.integrations.fortnox.errors import FortnoxRefreshRejected
from upsales_fortnox.integrations.fortnox.oauth import FortnoxOAuth, TokenSet
from upsales_fortnox.models.installation import SERVICE_ACCOUNT, FortnoxCredentials

log = logging.getLogger(__name__)

#: ``fortnox_credentials.token_kind``: a login by authorization code, or a service account.
USER_LOGIN = "user"

STORE_TRIES: Final = 4
"""SQLite: how many busy timeouts the tokens of a refresh Fortnox answered wait out in all."""

RELOGIN_REASON = (
    "Fortnox refused the refresh token (used, expired or access revoked). "
    "Log in to Fortnox again to resume syncing."
)


Connect = Callable[[DbSession], Awaitable[None]]
"""Writes the installation's side of a new login in the transaction that stores its tokens."""


@dataclass(frozen=True)
class _CachedToken:
    access_token: str
    expires_at: datetime


class DbTokenStore:
    def __init__(
        self,
        session_factory: DbSessionFactory,
        secret_box: SecretBox,
        oauth: FortnoxOAuth,
        *,
        refresh_margin: timedelta = timedelta(minutes=5),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._session_factory = session_factory
        self._box = secret_box
        self._oauth = oauth
        self._margin = refresh_margin
        self._clock = clock
        self._locks: dict[uuid.UUID, asyncio.Lock] = {}
        self._cache: dict[uuid.UUID, _CachedToken] = {}
        # Digest of a refresh token Fortnox rejected, so waiters do not try it again.
        self._dead_refresh_tokens: dict[uuid.UUID, str] = {}
        self._guard = RefreshGuard(sqlite_file(session_factory))

    async def save_initial(
        self, installation_id: uuid.UUID, token_set: TokenSet, *, connect: Connect | None = None
    ) -> None:
        """Store the tokens of a (new) login, replacing any old ones.

        The installation's status and tenant id are the caller's to update, in ``connect``:
        it runs first in the same transaction, so the tokens are stored only with what it
        writes (when it raises, nothing is).
        """
        async with self._session_factory() as session, session.begin():
            if connect is not None:
                await connect(session)
            await save_tokens(session, installation_id, USER_LOGIN, self._seal(token_set))
        self._dead_refresh_tokens.pop(installation_id, None)
        self._cache[installation_id] = _CachedToken(token_set.access_token, token_set.expires_at)

    async def access_token(self, installation_id: uuid.UUID) -> str:
        """A valid access token, refreshed first when it expires within ``refresh_margin``."""
        cached = self._cache.get(installation_id) or await self._read(installation_id)
        if cached is not None and self._fresh(cached):
            self._cache[installation_id] = cached
            return cached.access_token
        return await self._refresh(installation_id, rejected=None)

    async def check_stored(self, installation_id: uuid.UUID) -> None:
        """Whether :meth:`access_token` could work, as far as the store knows without asking
        Fortnox: :class:`ReauthorizationRequired` when no login is stored or Fortnox refused
        the stored one (in any process), the
        :class:`~upsales_fortnox.core.crypto.DecryptionError` it would meet when the stored one
        cannot be read (a refresh it would need included). One read: a token this process
        holds may have been refused in another."""
        async with self._session_factory() as session:
            await in_one_statement(session)
            credentials = await read_credentials(session, installation_id)
        if credentials is None:
            raise _not_connected()
        if credentials.refused_at is not None:
            raise ReauthorizationRequired("Fortnox refused the stored login; log in to Fortnox")
        if not self._fresh(self._decrypt(credentials)) and credentials.refresh_token_enc:
            self._box.decrypt(credentials.refresh_token_enc)

    async def refresh_after_rejection(
        self, installation_id: uuid.UUID, rejected_access_token: str
    ) -> str:
        """Fortnox refused ``rejected_access_token``: a different (refreshed) token.

        If another caller already replaced the rejected token, that token is returned.
        """
        return await self._refresh(installation_id, rejected=rejected_access_token)

    async def _read(self, installation_id: uuid.UUID) -> _CachedToken | None:
        """The stored access token, read without any lock."""
        async with self._session_factory() as session:
            await in_one_statement(session)
            credentials = await read_credentials(session, installation_id)
            if credentials is None:
                return None
            return self._decrypt(credentials)

    def _decrypt(self, credentials: FortnoxCredentials) -> _CachedToken:
        return _CachedToken(
            self._box.decrypt(credentials.access_token_enc), credentials.access_token_expires_at
        )

    def _fresh(self, token: _CachedToken) -> bool:
        return token.expires_at - self._margin > self._clock()

    def _usable(self, token: _CachedToken, rejected: str | None) -> bool:
        return self._fresh(token) and token.access_token != rejected

    async def _refresh(self, installation_id: uuid.UUID, *, rejected: str | None) -> str:
        lock = self._locks.setdefault(installation_id, asyncio.Lock())
        async with lock:
            cached = self._cache.get(installation_id)
            if cached is not None and self._usable(cached, rejected):
                return cached.access_token
            for last_try in (False, True):
                try:
                    token = await self._refresh_locked(installation_id, rejected)
                except FortnoxRefreshRejected as refusal:
                    marked = await self._mark_needs_relogin(installation_id, refusal)
                    if marked or last_try:
                        raise
                    continue  # a new login stored other tokens meanwhile: they are used
                self._cache[installation_id] = token
                return token.access_token
            raise AssertionError("unreachable")

    async def _refresh_locked(
        self, installation_id: uuid.UUID, rejected: str | None
    ) -> _CachedToken:
        if self._guard.guards:
            return await self._refresh_guarded(installation_id, rejected)
        async with self._session_factory() as session, session.begin():
            credentials = await lock_credentials(session, installation_id)
            if credentials is None:
                raise _not_connected()
            current = self._decrypt(credentials)
            if self._usable(current, rejected):
                return current
            try:
                tenant_of = partial(self._tenant_of, session, installation_id)
                token_set = await self._new_token_set(installation_id, credentials, tenant_of)
            except ReauthorizationRequired as refusal:
                refusal.refused_tokens = fingerprint(credentials)
                raise
            rotate_tokens(credentials, self._seal(token_set))
            return _CachedToken(token_set.access_token, token_set.expires_at)

    async def _refresh_guarded(
        self, installation_id: uuid.UUID, rejected: str | None
    ) -> _CachedToken:
        """SQLite: the refresh under the installation's file lock, the database's write lock
        taken only to store the new tokens (see the module)."""
        async with self._guard.held(installation_id):
            async with self._session_factory() as session:
                credentials = await read_credentials(session, installation_id)
            if credentials is None:
                raise _not_connected()
            current = self._decrypt(credentials)
            if self._usable(current, rejected):
                return current
            refreshed = fingerprint(credentials)
            try:
                token_set = await self._new_token_set(
                    installation_id, credentials, partial(self._read_tenant, installation_id)
                )
            except ReauthorizationRequired as refusal:
                refusal.refused_tokens = refreshed
                raise
            return await self._store_rotated(installation_id, refreshed, token_set)

    async def _store_rotated(
        self, installation_id: uuid.UUID, refreshed: str, token_set: TokenSet
    ) -> _CachedToken:
        """Store the tokens Fortnox rotated ``refreshed`` into, unless a login replaced those
        meanwhile. Fortnox has spent the old refresh token: a write lock another connection
        holds past the busy timeout is waited for again (:data:`STORE_TRIES` times in all),
        not given up with the new tokens, which would lose the login."""
        for tries in range(1, STORE_TRIES + 1):
            try:
                async with self._session_factory() as session, session.begin():
                    stored = await lock_credentials(session, installation_id)
                    if stored is None:
                        raise _not_connected()
                    if fingerprint(stored) != refreshed:  # a login meanwhile: its tokens win
                        return self._decrypt(stored)
                    rotate_tokens(stored, self._seal(token_set))
                return _CachedToken(token_set.access_token, token_set.expires_at)
            except Exception as busy:  # the database's error, as the driver raised it
                if tries == STORE_TRIES or not is_sqlite_busy(busy):
                    raise
                log.warning(
                    "the database stayed locked; storing the new Fortnox tokens again",
                    extra={"installation_id": str(installation_id)},
                )
        raise AssertionError("unreachable")

    async def _read_tenant(self, installation_id: uuid.UUID) -> str:
        async with self._session_factory() as session:
            return await self._tenant_of(session, installation_id)

    async def _new_token_set(
        self,
        installation_id: uuid.UUID,
        credentials: FortnoxCredentials,
        tenant_of: Callable[[], Awaitable[str]],
    ) -> TokenSet:
        """Fortnox's next token set for the stored ``credentials`` (``tenant_of``: the
        installation's tenant, for a service account)."""
        if credentials.token_kind == SERVICE_ACCOUNT:
            return await self._oauth.client_credentials(await tenant_of())
        if credentials.refresh_token_enc is None:
            raise ReauthorizationRequired(
                "the installation has no Fortnox refresh token; log in to Fortnox",
                code="fortnox_not_connected",
            )
        refresh_token = self._box.decrypt(credentials.refresh_token_enc)
        digest = hashlib.sha256(refresh_token.encode()).hexdigest()
        if self._dead_refresh_tokens.get(installation_id) == digest:
            # Already refused and recorded; not a new FortnoxRefreshRejected.
            raise ReauthorizationRequired("Fortnox refused the stored refresh token")
        log.info("refreshing Fortnox access token", extra={"installation_id": str(installation_id)})
        try:
            return await self._oauth.refresh(refresh_token)
        except FortnoxRefreshRejected:
            self._dead_refresh_tokens[installation_id] = digest
            raise

    async def save_service_account(
        self, installation_id: uuid.UUID, tenant_id: str, *, connect: Connect | None = None
    ) -> TokenSet:
        """Connect a Fortnox service account: the first client-credentials token for
        ``tenant_id``, stored as the installation's tokens (kind ``service``, no refresh token).
        The installation's status and tenant id are the caller's to update, in ``connect`` (as
        :meth:`save_initial`)."""
        token_set = await self._oauth.client_credentials(tenant_id)
        async with self._session_factory() as session, session.begin():
            if connect is not None:
                await connect(session)
            await save_tokens(session, installation_id, SERVICE_ACCOUNT, self._seal(token_set))
        self._dead_refresh_tokens.pop(installation_id, None)
        self._cache[installation_id] = _CachedToken(token_set.access_token, token_set.expires_at)
        return token_set

    async def _tenant_of(self, session: DbSession, installation_id: uuid.UUID) -> str:
        tenant_id = await fortnox_tenant_of(session, installation_id)
        if not tenant_id:
            raise ReauthorizationRequired(
                "the service account's Fortnox tenant is not known; connect it again",
                code="fortnox_not_connected",
            )
        return tenant_id

    def _seal(self, token_set: TokenSet) -> SealedTokens:
        return SealedTokens(
            access_token_enc=self._box.encrypt(token_set.access_token),
            refresh_token_enc=(
                self._box.encrypt(token_set.refresh_token) if token_set.refresh_token else None
            ),
            access_token_expires_at=token_set.expires_at,
            scopes=token_set.scope,
            refreshed_at=self._clock(),
        )

    async def _mark_needs_relogin(
        self, installation_id: uuid.UUID, refusal: ReauthorizationRequired
    ) -> bool:
        """``needs_relogin`` if the refused tokens are still the stored ones; False (nothing
        marked) when a new login replaced them after the refusal."""
        self._cache.pop(installation_id, None)
        extra = {"installation_id": str(installation_id)}
        refused = refusal.refused_tokens
        async with self._session_factory() as session, session.begin():
            if refused is not None and not await still_stored(session, installation_id, refused):
                log.info("Fortnox refused replaced tokens; the new login's are used", extra=extra)
                return False
            await record_refusal(session, installation_id, self._clock())
            await mark_needs_relogin(session, installation_id, RELOGIN_REASON, self._clock())
        log.warning(
            "Fortnox refused the refresh token; installation needs a new login", extra=extra
        )
        return True


def _not_connected() -> ReauthorizationRequired:
    """No Fortnox login is stored for the installation."""
    missing = ReauthorizationRequired(
        "the installation has no Fortnox tokens; log in to Fortnox", code="fortnox_not_connected"
    )
    missing.refused_tokens = NO_CREDENTIALS
    return missing
