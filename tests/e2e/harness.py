"""End-to-end harness: the service's real handlers and worker against both sandboxes, in process.

``SyncHarness`` holds both sandboxes (their apps reached through one routed ``httpx`` client),
the service's ``Services`` on the test database, the service app itself, and one ACTIVE
installation: an Upsales demo account (``seed_demo_upsales``) connected to a Fortnox sandbox
tenant with real tokens from the sandbox's OAuth2 server. ``run_jobs()`` runs the worker until
nothing is due.

Use the ``harness`` fixture (parametrised over SQLite and PostgreSQL through ``engine``)::

    async def test_something(harness: SyncHarness) -> None:
        ...
        await harness.run_jobs()
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from ufs_sandboxes.fortnox import (
    FortnoxSandbox,
    FortnoxSandboxConfig,
    RateLimit,
    create_fortnox_sandbox,
)
from ufs_sandboxes.upsales import (
    DemoUpsalesSeed,
    UpsalesSandbox,
    UpsalesSandboxConfig,
    create_upsales_sandbox,
    seed_demo_upsales,
)
from upsales_fortnox.core.config import Settings
from upsales_fortnox.integrations.fortnox.oauth import TokenSet
from upsales_fortnox.jobs import Worker
from upsales_fortnox.main import create_app
from upsales_fortnox.models.installation import Installation, InstallationSettings
from upsales_fortnox.services import Services, build_services
from upsales_fortnox.sync.registry import build_handler_registry
from upsales_fortnox.vocabulary import InstallationStatus, ProductBundleMode, SyncType

FORTNOX_ORIGIN = "http://fortnox.sandbox"
UPSALES_ORIGIN = "http://upsales.sandbox"
SERVICE_ORIGIN = "http://service.test"
WEBHOOK_SECRET = "whsec_e2e-webhook-secret-0123456789"
ADMIN_TOKEN = "e2e-admin-token-0123456789"
#: Budgets high enough that pacing never waits in functional tests (benchmarks scale them).
FAST_FORTNOX_LIMIT = RateLimit(requests=10_000, window_seconds=5.0)
FAST_UPSALES_LIMIT = 100_000


def harness_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "fortnox_api_base_url": f"{FORTNOX_ORIGIN}/3",
        "fortnox_auth_base_url": f"{FORTNOX_ORIGIN}/oauth-v1",
        "fortnox_ws_url": "ws://fortnox.sandbox/topics-v1",
        "upsales_api_base_url": f"{UPSALES_ORIGIN}/api/v2",
        "public_base_url": SERVICE_ORIGIN,
        "admin_token": SecretStr(ADMIN_TOKEN),
        "secret_key": SecretStr("e2e-secret-key-0123456789abcdef"),
        "fortnox_rate_limit": FAST_FORTNOX_LIMIT.requests,
        "fortnox_rate_window_seconds": FAST_FORTNOX_LIMIT.window_seconds,
        "upsales_rate_limit": FAST_UPSALES_LIMIT,
        "job_backoff_base_seconds": 0.01,
        "job_backoff_max_seconds": 0.05,
        "worker_concurrency": 2,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class SyncHarness:
    services: Services
    app: FastAPI
    service: httpx.AsyncClient
    fortnox: FortnoxSandbox
    upsales: UpsalesSandbox
    tenant_id: int
    demo: DemoUpsalesSeed
    installation_id: uuid.UUID
    worker: Worker
    admin_headers: dict[str, str] = field(
        default_factory=lambda: {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    _fortnox_offsets: dict[str, str | None] = field(default_factory=dict)

    async def run_jobs(self, max_rounds: int = 100) -> int:
        """Run the worker until no job is due; returns how many job runs ended."""
        total = 0
        for _ in range(max_rounds):
            ran = await self.worker.run_once()
            total += ran
            if ran == 0:
                return total
        raise AssertionError(f"jobs still due after {max_rounds} rounds")

    async def update_settings(self, **changes: Any) -> None:
        async with self.services.session_factory() as session:
            row = await session.get(InstallationSettings, self.installation_id)
            assert row is not None
            for name, value in changes.items():
                setattr(row, name, value)
            await session.commit()

    def fortnox_entity(self, collection: str, key: str | int) -> dict[str, Any] | None:
        """An entity as stored in the Fortnox sandbox (``collection`` like ``"invoices"``)."""
        found = self.fortnox.entity(self.tenant_id, collection, key)
        return dict(found) if found is not None else None

    def upsales_entity(self, collection: str, entity_id: int) -> dict[str, Any] | None:
        found = self.upsales.get_entity(self.demo.customer_id, collection, entity_id)
        return dict(found) if found is not None else None

    def upsales_entities(self, collection: str) -> list[dict[str, Any]]:
        return [
            dict(item) for item in self.upsales.list_entities(self.demo.customer_id, collection)
        ]

    def connect_upsales_hooks(self, events: Iterable[str] | None = None) -> None:
        """Deliver the Upsales sandbox's app hooks to the service's webhook endpoint (``events``:
        those types; default: the ones the real Fortnox app registers)."""

        async def deliver(call: Any) -> httpx.Response:
            return await self.service.post(
                f"/webhooks/upsales/{self.installation_id}",
                content=call.content,
                headers={"Content-Type": "application/json"},
            )

        self.upsales.register_hook_sink(deliver, events=events)

    async def deliver_fortnox_events(self, topics: tuple[str, ...] = ()) -> int:
        """POST the Fortnox sandbox's new change events to the service's event endpoint.

        This is the HTTP way in; returns how many events were delivered.
        """
        delivered = 0
        for topic in topics or ("customers", "articles", "orders", "invoices", "offers"):
            events = self.fortnox.events(self.tenant_id, topic, self._fortnox_offsets.get(topic))
            if not events:
                continue
            response = await self.service.post(
                f"/webhooks/fortnox/{self.installation_id}",
                json=[dict(event) for event in events],
                headers={"X-Webhook-Secret": WEBHOOK_SECRET},
            )
            assert response.status_code == 202, response.text
            self._fortnox_offsets[topic] = str(events[-1]["offset"])
            delivered += len(events)
        return delivered


def routed_http_client(
    fortnox: FortnoxSandbox, upsales: UpsalesSandbox, fortnox_app: Any = None
) -> httpx.AsyncClient:
    """``fortnox_app`` stands in front of the Fortnox sandbox's app when given (a test's gate)."""
    return httpx.AsyncClient(
        mounts={
            FORTNOX_ORIGIN: httpx.ASGITransport(app=fortnox_app or fortnox.app),
            UPSALES_ORIGIN: httpx.ASGITransport(app=upsales.app),
        },
        timeout=10.0,
    )


async def build_harness(
    settings: Settings,
    engine: AsyncEngine,
    *,
    sync_type: SyncType = SyncType.INVOICE,
    product_bundles: ProductBundleMode = ProductBundleMode.ONLY_BUNDLE,
    fortnox_config: FortnoxSandboxConfig | None = None,
    upsales_config: UpsalesSandboxConfig | None = None,
    wrap_fortnox_app: Callable[[Any], Any] | None = None,
) -> SyncHarness:
    fortnox = create_fortnox_sandbox(
        fortnox_config
        or FortnoxSandboxConfig(
            client_id=settings.fortnox_client_id,
            client_secret=settings.fortnox_client_secret.get_secret_value(),
            rate_limit=FAST_FORTNOX_LIMIT,
        )
    )
    upsales = create_upsales_sandbox(
        upsales_config or UpsalesSandboxConfig(rate_limit_requests=FAST_UPSALES_LIMIT)
    )
    services = build_services(
        settings,
        engine,
        http=routed_http_client(
            fortnox, upsales, wrap_fortnox_app(fortnox.app) if wrap_fortnox_app else None
        ),
        oauth_transport=httpx.ASGITransport(app=fortnox.app),
    )
    demo = seed_demo_upsales(upsales)
    tenant_id = fortnox.default_tenant_id
    assert tenant_id is not None
    installation_id = await _active_installation(
        services, fortnox, tenant_id, demo, sync_type, product_bundles
    )
    app = create_app(services=services)
    service = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url=SERVICE_ORIGIN,
    )
    worker = Worker(services.session_factory, build_handler_registry(services), settings)
    return SyncHarness(
        services=services,
        app=app,
        service=service,
        fortnox=fortnox,
        upsales=upsales,
        tenant_id=tenant_id,
        demo=demo,
        installation_id=installation_id,
        worker=worker,
    )


async def _active_installation(
    services: Services,
    fortnox: FortnoxSandbox,
    tenant_id: int,
    demo: DemoUpsalesSeed,
    sync_type: SyncType,
    product_bundles: ProductBundleMode,
) -> uuid.UUID:
    box = services.secret_box
    async with services.session_factory() as session:
        installation = Installation(
            name="Demo Konsult AB",
            upsales_customer_id=demo.customer_id,
            status=InstallationStatus.ACTIVE,
            upsales_api_token_enc=box.encrypt(demo.api_key),
            webhook_secret_enc=box.encrypt(WEBHOOK_SECRET),
            fortnox_tenant_id=str(tenant_id),
        )
        installation.settings = InstallationSettings(
            sync_type=sync_type,
            placeholder_user=demo.admin_user_id,
            won_stage=demo.stage_won_id,
            lost_stage=demo.stage_lost_id,
            offer_stage=demo.stage_offer_id if sync_type == SyncType.ORDER_OFFER else None,
            price_list="A",
            product_bundles=product_bundles,
        )
        session.add(installation)
        await session.commit()
        installation_id = installation.id
    await log_in_to_fortnox(services, fortnox, installation_id, tenant_id)
    return installation_id


async def log_in_to_fortnox(
    services: Services, fortnox: FortnoxSandbox, installation_id: uuid.UUID, tenant_id: int
) -> None:
    """Store tokens the sandbox issued for ``tenant_id`` as the installation's Fortnox login."""
    tokens = fortnox.issue_tokens(tenant_id)
    await services.token_store.save_initial(
        installation_id,
        TokenSet(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=datetime.now(UTC) + timedelta(seconds=tokens.expires_in),
            scope=tokens.scope,
        ),
    )


@pytest.fixture
async def harness(database_url: str, engine: AsyncEngine) -> AsyncIterator[SyncHarness]:
    built = await build_harness(harness_settings(database_url), engine)
    try:
        yield built
    finally:
        await built.service.aclose()
        await built.services.http.aclose()
        await built.services.fortnox_limiters.aclose()
