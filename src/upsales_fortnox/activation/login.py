"""Starting a Fortnox login for an installation, and completing it at the OAuth callback.

Starting needs a genuine login-link token (:mod:`.login_link`, 403 ``invalid_login_link``
otherwise, ``login_link_expired`` once expired) and answers the authorization URL with the
browser binding to set as a cookie.

Completing a login, in order (each failure raises :class:`~.errors.ActivationError` and leaves
the installation and its tokens as they were):

1. consent denied (``error`` in the callback) → ``fortnox_access_denied``;
2. the state is verified (signature, expiry), it must belong to this browser (one of its login
   cookies, one per login it started, holds the hash of its nonce, else ``state_not_bound``: a
   callback URL someone else started cannot connect their Fortnox company through this
   browser), and its nonce is consumed in its own committed transaction, so a replayed or raced
   callback fails (``state_reused``);
3. the code is exchanged for tokens (``code_exchange_failed`` when Fortnox refuses it,
   ``fortnox_unavailable`` when it cannot be reached, 503 ``fortnox_client_rejected`` when
   Fortnox refuses the service's own client id and secret: the operator's to correct);
4. the Fortnox tenant is read from the access token (``tenantId``), else from
   ``/3/companyinformation`` (``DatabaseNumber``); only 1 to 20 digits count as a tenant id
   (else ``fortnox_tenant_unknown``);
5. a tenant connected to another installation → 409 ``tenant_already_connected``; an
   installation that was connected to a different tenant → 409 ``tenant_mismatch`` (its links
   would point into the wrong Fortnox company; nothing disconnects a tenant: moving to another
   company is deleting the installation and creating a new one);
6. in one transaction, under the installation's lock: the tenant is checked again (a login
   racing this one may have connected another company meanwhile: ``tenant_mismatch``), the
   tokens are stored encrypted (:meth:`DbTokenStore.save_initial`), and the installation
   gets its tenant id and becomes ``active`` (a ``paused`` one stays paused: the operator paused
   it), its queued jobs (parked while it needed a new login) are made due now, and those that
   died refused for the old login's access (``fortnox_auth_failed``) are queued again; the first
   login also starts the Upsales catch-up's checkpoints (:mod:`upsales_fortnox.sync.catchup`);
   a login newly granting the ``payment`` scope while ``paymentStatus`` is on queues the refresh
   of the linked orders' payment fields (:mod:`.scope_grants`).

A login refused after the code exchange (steps 4 to 6) revokes the tokens it got, so the
Fortnox company keeps no connection the service does not hold.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from upsales_fortnox.activation.errors import ActivationError, installation_gone, state_not_bound
from upsales_fortnox.activation.login_link import LoginLinkSigner
from upsales_fortnox.activation.repository import consume_nonce, store_nonce
from upsales_fortnox.activation.scope_grants import follow_granted_scopes
from upsales_fortnox.activation.state import (
    STATE_LIFETIME,
    StateClaims,
    StateSigner,
    browser_binding,
    new_nonce,
)
from upsales_fortnox.core.db.session import DbSession
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.installations.api_clients import tenant_key
from upsales_fortnox.installations.errors import TenantTaken
from upsales_fortnox.installations.fortnox_hand_back import hand_back
from upsales_fortnox.installations.fortnox_tokens import Connect
from upsales_fortnox.installations.repository.installation_rows import (
    connect_tenant,
    find_installation,
    lock_installation,
    tenant_connected_elsewhere,
)
from upsales_fortnox.integrations.errors import PermanentError, RetryableError, SyncError
from upsales_fortnox.integrations.fortnox import request_rules
from upsales_fortnox.integrations.fortnox.client import FortnoxClient
from upsales_fortnox.integrations.fortnox.errors import FortnoxClientRejected
from upsales_fortnox.integrations.fortnox.oauth import DEFAULT_SCOPES, TokenSet, tenant_id_text
from upsales_fortnox.jobs import release_installation_jobs
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.services import Services
from upsales_fortnox.sync.catchup.checkpoints import seed_checkpoints
from upsales_fortnox.sync.inbound.deal_retry import retry_jobs_refused_by_fortnox
from upsales_fortnox.sync.reconcile import seed_reconcile_checkpoints

logger = logging.getLogger(__name__)

FORTNOX_SCOPES: Final = DEFAULT_SCOPES
"""Every scope the sync needs (one constant,
:data:`~upsales_fortnox.integrations.fortnox.oauth.DEFAULT_SCOPES`): customer, article, price,
order, invoice, offer, companyinformation, payment (invoice payments, read to find the invoice a
payment event concerns); asked for at every login."""
CALLBACK_PATH: Final = "/oauth/fortnox/callback"

Clock = Callable[[], datetime]


def _tenant_already_connected() -> ActivationError:
    return ActivationError(
        409,
        "tenant_already_connected",
        "this Fortnox company is already connected to another Upsales account",
    )


def _client_rejected(refused: FortnoxClientRejected) -> ActivationError:
    """Fortnox refused the service's own client id and secret (logged at error level by the
    OAuth client): no login can succeed until the operator corrects them."""
    return ActivationError(
        503,
        refused.code,
        "Fortnox refused the service's own client credentials: the operator must correct "
        "them; try the login again later",
    )


@dataclass(frozen=True)
class LoginStart:
    authorization_url: str
    browser_binding: str
    """For the login cookie; the callback must bring it back (see :func:`browser_binding`)."""


class FortnoxLogin:
    def __init__(self, services: Services, *, clock: Clock = utcnow) -> None:
        self._services = services
        self._clock = clock
        secret_key = services.settings.secret_key.get_secret_value()
        self._signer = StateSigner(secret_key)
        self._links = LoginLinkSigner(secret_key)

    @property
    def redirect_uri(self) -> str:
        return self._services.settings.public_base_url.rstrip("/") + CALLBACK_PATH

    async def start(
        self,
        installation_id: uuid.UUID,
        login_token: str | None,
        scopes: Sequence[str] = FORTNOX_SCOPES,
    ) -> LoginStart:
        """Fortnox's authorization URL for this installation, with a fresh single-use state.

        Nothing is stored unless ``login_token`` is a genuine, unexpired login-link token for
        this installation.
        """
        now = self._clock()
        self._links.verify(login_token, installation_id, now=now)
        claims = StateClaims(installation_id, new_nonce(), now + STATE_LIFETIME)
        async with self._services.session_factory() as session, session.begin():
            if await find_installation(session, installation_id) is None:
                raise installation_gone(installation_id)
            await store_nonce(session, claims, now=now)
        url = self._services.fortnox_oauth.authorization_url(
            state=self._signer.sign(claims), redirect_uri=self.redirect_uri, scopes=scopes
        )
        return LoginStart(url, browser_binding(claims.nonce))

    async def complete(
        self,
        *,
        code: str | None,
        state: str | None,
        bindings: Sequence[str],
        error: str | None = None,
    ) -> uuid.UUID:
        """Finish the login; returns the installation that is now connected.

        ``bindings`` are the login cookies the browser sent, one per login it started.
        """
        if error:
            await self._abandon(state, bindings)
            if error == "access_denied":
                raise ActivationError(
                    400, "fortnox_access_denied", "the Fortnox login was cancelled or refused"
                )
            raise ActivationError(
                400, "fortnox_authorization_failed", "Fortnox did not authorize the login"
            )
        claims = await self._consume(state, bindings)
        try:
            await self._finish(claims, code)
        except ActivationError as failure:
            failure.installation_id = claims.installation_id
            raise
        return claims.installation_id

    async def _finish(self, claims: StateClaims, code: str | None) -> None:
        if not code:
            raise ActivationError(400, "missing_code", "Fortnox sent no authorization code")
        token_set = await self._exchange(code)
        try:
            tenant_id = token_set.tenant_id or await self._tenant_from_company_information(
                claims.installation_id, token_set
            )
            await self._check_tenant(claims.installation_id, tenant_id)
            await self._store_connected(
                tenant_id,
                lambda connect: self._services.token_store.save_initial(
                    claims.installation_id, token_set, connect=connect
                ),
                claims.installation_id,
                granted=token_set.scope,
            )
        except ActivationError:
            # nothing of it was stored: Fortnox keeps no connection the service does not hold
            await hand_back(
                self._services.fortnox_oauth, token_set.refresh_token, "a refused login's"
            )
            raise

    async def connect_service_account(self, installation_id: uuid.UUID, tenant_id: str) -> None:
        """Connect a Fortnox service account (client credentials) instead of a user login: its
        tenant id is stored now, since every later token request names it."""
        await self._check_tenant(installation_id, tenant_id)
        try:
            await self._store_connected(
                tenant_id,
                lambda connect: self._services.token_store.save_service_account(
                    installation_id, tenant_id, connect=connect
                ),
                installation_id,
            )
        except FortnoxClientRejected as refused:
            raise _client_rejected(refused) from None
        except RetryableError:
            raise ActivationError(
                502, "fortnox_unavailable", "Fortnox could not be reached; try again"
            ) from None
        except SyncError as exc:
            raise ActivationError(
                409, "service_account_refused", f"Fortnox refused the service account: {exc}"
            ) from None

    async def _consume(self, state: str | None, bindings: Sequence[str]) -> StateClaims:
        now = self._clock()
        claims = self._signer.verify(state, now=now)
        expected = browser_binding(claims.nonce).encode()
        try:
            if not any(hmac.compare_digest(binding.encode(), expected) for binding in bindings):
                raise state_not_bound()
            async with self._services.session_factory() as session, session.begin():
                await consume_nonce(session, claims, now=now)
        except ActivationError as failure:
            failure.installation_id = claims.installation_id
            raise
        return claims

    async def _abandon(self, state: str | None, bindings: Sequence[str]) -> None:
        """After a refusal: use up the state, if it is a genuine one of this browser, so it
        cannot be replayed."""
        with suppress(ActivationError):
            await self._consume(state, bindings)

    async def _exchange(self, code: str) -> TokenSet:
        try:
            return await self._services.fortnox_oauth.exchange_code(
                code, redirect_uri=self.redirect_uri
            )
        except FortnoxClientRejected as refused:
            raise _client_rejected(refused) from None
        except RetryableError:
            raise ActivationError(
                502, "fortnox_unavailable", "Fortnox could not be reached; try the login again"
            ) from None
        except PermanentError:
            raise ActivationError(
                400,
                "code_exchange_failed",
                "Fortnox did not accept the authorization code; start the login again",
            ) from None

    async def _tenant_from_company_information(
        self, installation_id: uuid.UUID, token_set: TokenSet
    ) -> str:
        services = self._services

        async def token() -> str:
            return token_set.access_token

        async def no_refresh(_: str) -> str:
            raise ActivationError(
                400, "code_exchange_failed", "Fortnox refused the new access token"
            )

        key = tenant_key(installation_id, None)
        client = FortnoxClient(
            services.http,
            base_url=services.settings.fortnox_api_base_url,
            tenant_key=key,
            access_token=token,
            refresh_token=no_refresh,
            limiter=services.fortnox_limiters.get(key),
            retry=request_rules.ONE_TRY,  # the admin's browser waits on the callback
            calls=services.fortnox_calls,
        )
        try:
            information = await client.get_company_information()
        except RetryableError:
            raise ActivationError(
                502, "fortnox_unavailable", "Fortnox could not be reached; try the login again"
            ) from None
        except PermanentError:
            information = None
        tenant_id = tenant_id_text(information.DatabaseNumber if information else None)
        if tenant_id is None:
            raise ActivationError(
                502, "fortnox_tenant_unknown", "Fortnox did not tell which company logged in"
            )
        return tenant_id

    async def _check_tenant(self, installation_id: uuid.UUID, tenant_id: str) -> None:
        """Refuse early, before the tokens are asked for or stored; :meth:`_connect` checks
        again under the installation's lock."""
        async with self._services.session_factory() as session:
            installation = await find_installation(session, installation_id)
            if installation is None:
                raise installation_gone(installation_id)
            await _check_tenant_of(session, installation, tenant_id)

    async def _store_connected(
        self,
        tenant_id: str,
        store_tokens: Callable[[Connect], Awaitable[object]],
        installation_id: uuid.UUID,
        *,
        granted: str | None = None,
    ) -> None:
        """Store the tokens (``store_tokens``) in one transaction with the tenant and the
        activation (:meth:`_connect`), so a login racing another one to a different company
        cannot leave one company's tokens under the other's tenant. A login of another
        installation to the same tenant that passed :meth:`_check_tenant` at the same time is
        refused by the database's one-installation-per-tenant constraint, and answered as the
        check would; nothing of the refused login is kept. A login's ``granted`` scopes queue
        what they newly make possible (:mod:`.scope_grants`)."""
        now = self._clock()

        async def connect(session: DbSession) -> None:
            await self._connect(session, installation_id, tenant_id, now)
            if granted is not None:
                await follow_granted_scopes(session, installation_id, granted)

        try:
            await store_tokens(connect)
        except TenantTaken:
            async with self._services.session_factory() as session:
                if not await tenant_connected_elsewhere(session, tenant_id, installation_id):
                    raise
            raise _tenant_already_connected() from None

    @staticmethod
    async def _connect(
        session: DbSession, installation_id: uuid.UUID, tenant_id: str, now: datetime
    ) -> None:
        """Under the installation's lock: check the tenant again (another login may have
        connected it since :meth:`_check_tenant`), store it and activate."""
        installation = await lock_installation(session, installation_id)
        if installation is None:
            raise installation_gone(installation_id)
        await _check_tenant_of(session, installation, tenant_id)
        await connect_tenant(session, installation, tenant_id)
        await release_installation_jobs(session, installation_id, now=now)
        await retry_jobs_refused_by_fortnox(session, installation_id)
        await seed_checkpoints(session, installation_id, now)
        await seed_reconcile_checkpoints(session, installation_id, now)


async def _check_tenant_of(session: DbSession, installation: Installation, tenant_id: str) -> None:
    if installation.fortnox_tenant_id not in (None, tenant_id):
        raise ActivationError(
            409,
            "tenant_mismatch",
            "this installation is connected to another Fortnox company; log in to that "
            "company, or, to move to another company, delete the installation and create a "
            "new one",
        )
    if await tenant_connected_elsewhere(session, tenant_id, installation.id):
        raise _tenant_already_connected()
