"""The long-lived objects one process shares: settings, database, encryption, HTTP clients.

Built once at start (or by a test, which may pass its own ``http`` client routed to the sandbox)
and handed to the app and the worker, so neither reaches for globals.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.crypto import SecretBox
from upsales_fortnox.core.db.engine import create_engine, create_session_factory
from upsales_fortnox.core.db.session import DbEngine, DbSessionFactory
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.core.logging_setup import register_secret
from upsales_fortnox.fortnox_budget.pacers import fortnox_pacers
from upsales_fortnox.installations.fortnox_tokens import DbTokenStore
from upsales_fortnox.intake.admission import Admission
from upsales_fortnox.intake.fortnox_stream.consumer import StreamConsumer
from upsales_fortnox.intake.fortnox_stream.recording import record_with_intake
from upsales_fortnox.intake.installations import SecretChecker
from upsales_fortnox.intake.repository.group_commit import IntakeWriter
from upsales_fortnox.intake.repository.loader import InstallationLoader
from upsales_fortnox.integrations.api_transport import AiohttpTransport, CookielessClient
from upsales_fortnox.integrations.fortnox import facts as fortnox_facts
from upsales_fortnox.integrations.fortnox.oauth import FortnoxOAuth
from upsales_fortnox.integrations.pacing import LimiterRegistry
from upsales_fortnox.integrations.shared_pacing import PacerRegistry
from upsales_fortnox.integrations.upsales import facts as upsales_facts
from upsales_fortnox.ops.metrics import api_answer_observer, rate_limit_wait_observer
from upsales_fortnox.ops.metrics_hooks import FailureCountingTransport, api_response_observer

HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def _http_limits(idle_seconds: float = 5.0) -> httpx.Limits:
    """The pools' limits; ``idle_seconds``: how long an idle connection is kept for reuse."""
    return httpx.Limits(
        max_connections=200, max_keepalive_connections=50, keepalive_expiry=idle_seconds
    )


HTTP_LIMITS = _http_limits()
FORTNOX_HTTP_LIMITS = _http_limits(fortnox_facts.IDLE_CONNECTION_REUSE_SECONDS)
UPSALES_HTTP_LIMITS = _http_limits(upsales_facts.IDLE_CONNECTION_REUSE_SECONDS)


def http_client(
    settings: Settings,
    *,
    event_hooks: dict[str, list[Callable[..., Any]]] | None = None,
    count_failures: bool = False,
) -> httpx.AsyncClient:
    """The process' HTTP client, with a connection pool of its own for each API.

    The pool does work for each of its connections on every request it serves, so the
    Fortnox and Upsales connections kept apart cost less CPU than in one pool (a sixth of the
    initial sync's, measured). ``count_failures``: each API's requests that get no answer are
    counted in the metrics (its answers are counted by a response hook).
    """
    mounts: dict[str, httpx.AsyncBaseTransport | None] = {}
    for system, url, limits in (
        ("fortnox", settings.fortnox_api_base_url, FORTNOX_HTTP_LIMITS),
        ("upsales", settings.upsales_api_base_url, UPSALES_HTTP_LIMITS),
    ):
        transport: httpx.AsyncBaseTransport = AiohttpTransport(limits)
        if count_failures:
            transport = FailureCountingTransport(transport, system)
        mounts[_origin(url)] = transport
    return CookielessClient(
        timeout=HTTP_TIMEOUT, limits=HTTP_LIMITS, mounts=mounts, event_hooks=event_hooks
    )


def _origin(url: str) -> str:
    """``scheme://host[:port]``: the mount pattern that routes every request to that origin."""
    parsed = httpx.URL(url)
    port = f":{parsed.port}" if parsed.port is not None else ""
    return f"{parsed.scheme}://{parsed.host}{port}"


@dataclass
class Services:
    settings: Settings
    engine: DbEngine
    session_factory: DbSessionFactory
    secret_box: SecretBox
    http: httpx.AsyncClient
    fortnox_oauth: FortnoxOAuth
    token_store: DbTokenStore
    fortnox_limiters: PacerRegistry
    """Per tenant; on PostgreSQL drawing from the budget all processes share."""
    upsales_limiters: LimiterRegistry
    """Per API key."""
    #: Requests made, per ``"METHOD /path/{template}"``; read by benchmarks and operators.
    fortnox_calls: Counter[str] = field(default_factory=Counter)
    upsales_calls: Counter[str] = field(default_factory=Counter)
    #: The sync's installation contexts by installation, the last used at the end; each kept
    #: while its versions last (:mod:`upsales_fortnox.sync.context`).
    installation_contexts: dict[uuid.UUID, Any] = field(default_factory=dict)
    #: The webhook intake's shared lookups, secret checks and group commit (one per process).
    installation_loader: InstallationLoader = field(init=False)
    secret_checker: SecretChecker = field(init=False)
    intake_writer: IntakeWriter = field(init=False)
    #: The bound on webhook requests in flight (back-pressure).
    intake_admission: Admission = field(init=False)

    def __post_init__(self) -> None:
        wait = self.settings.webhook_database_wait_seconds
        self.installation_loader = InstallationLoader(self.engine, wait_seconds=wait)
        self.secret_checker = SecretChecker(self.secret_box)
        self.intake_writer = IntakeWriter(self.engine, wait_seconds=wait)
        self.intake_admission = Admission(
            self.settings.webhook_max_in_flight, body_seconds=self.settings.webhook_body_seconds
        )

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.fortnox_limiters.aclose()
        await self.engine.dispose()


def build_oauth(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
) -> FortnoxOAuth:
    """Its tokens' ends are dated on the service's clock, the one the token store compares them
    with (:mod:`upsales_fortnox.core.db.clock`); its requests are counted as ``fortnox_auth``
    in the metrics."""
    return FortnoxOAuth(
        client_id=settings.fortnox_client_id,
        client_secret=settings.fortnox_client_secret.get_secret_value(),
        auth_base_url=settings.fortnox_auth_base_url,
        clock=utcnow,
        transport=transport,
        on_answer=api_answer_observer("fortnox_auth") if settings.metrics_enabled else None,
    )


def build_token_store(
    settings: Settings,
    session_factory: DbSessionFactory,
    oauth: FortnoxOAuth | None = None,
) -> DbTokenStore:
    return DbTokenStore(
        session_factory,
        SecretBox(settings.secret_key.get_secret_value()),
        oauth or build_oauth(settings),
    )


def build_limiter_registry(
    settings: Settings, *, on_wait: Callable[[], None] | None = None
) -> LimiterRegistry:
    """The in-process limiters of the Fortnox tenants."""
    return LimiterRegistry(
        settings.fortnox_rate_limit, settings.fortnox_rate_window_seconds, on_wait=on_wait
    )


def build_services(
    settings: Settings,
    engine: DbEngine | None = None,
    *,
    http: httpx.AsyncClient | None = None,
    oauth_transport: httpx.AsyncBaseTransport | None = None,
) -> Services:
    for secret in (settings.secret_key, settings.admin_token, settings.fortnox_client_secret):
        register_secret(secret.get_secret_value())
    if settings.fortnox_consent_webhook_secret is not None:
        register_secret(settings.fortnox_consent_webhook_secret.get_secret_value())
    if settings.alert_webhook_url:  # a Slack webhook URL is a credential
        register_secret(settings.alert_webhook_url)
    engine = engine or create_engine(settings.database_url)
    session_factory = create_session_factory(engine)
    secret_box = SecretBox(settings.secret_key.get_secret_value())
    oauth = build_oauth(settings, transport=oauth_transport)
    http = http or http_client(settings, count_failures=settings.metrics_enabled)
    fortnox_waits = upsales_waits = None
    if settings.metrics_enabled:
        _count_api_responses(http, settings)
        fortnox_waits = rate_limit_wait_observer("fortnox")
        upsales_waits = rate_limit_wait_observer("upsales")
    return Services(
        settings=settings,
        engine=engine,
        session_factory=session_factory,
        secret_box=secret_box,
        http=http,
        fortnox_oauth=oauth,
        token_store=DbTokenStore(session_factory, secret_box, oauth),
        fortnox_limiters=fortnox_pacers(
            engine,
            limit=settings.fortnox_rate_limit,
            window_seconds=settings.fortnox_rate_window_seconds,
            on_wait=fortnox_waits,
        ),
        upsales_limiters=LimiterRegistry(
            settings.upsales_rate_limit, settings.upsales_rate_window_seconds, on_wait=upsales_waits
        ),
    )


#: Clients that count their answers already (tests share one client among several services).
_COUNTED_CLIENTS: weakref.WeakSet[httpx.AsyncClient] = weakref.WeakSet()


def _count_api_responses(http: httpx.AsyncClient, settings: Settings) -> None:
    if http in _COUNTED_CLIENTS:
        return
    _COUNTED_CLIENTS.add(http)
    hooks = http.event_hooks
    observer = api_response_observer(settings.fortnox_api_base_url, settings.upsales_api_base_url)
    hooks["response"] = [*hooks.get("response", []), observer]
    http.event_hooks = hooks


def build_stream_consumer(services: Services) -> StreamConsumer:
    """The consumer of Fortnox's change stream, recording into the intake."""
    return StreamConsumer(
        url=services.settings.fortnox_ws_url,
        client_secret=services.settings.fortnox_client_secret.get_secret_value(),
        session_factory=services.session_factory,
        tokens=services.token_store,
        recorder=record_with_intake,
    )


async def run_stream_consumer(services: Services, stop: asyncio.Event) -> None:
    """Consume Fortnox's change stream for every active installation until ``stop`` is set.

    Run one consumer per deployment (Fortnox asks for one connection for all tenants).
    """
    await build_stream_consumer(services).run(stop)
