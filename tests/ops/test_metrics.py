"""``GET /metrics`` after known work: a webhook, a done job, a dead job, a 429."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.intake.support import create_installation, order_hook
from tests.jobs.support import (
    FakeClock,
    Result,
    add_installation,
    add_job,
    job_settings,
    simulate_crashed_run,
)
from tests.ops.metrics_support import Samples, parse_samples, value
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.integrations.errors import PermanentError
from upsales_fortnox.integrations.fortnox.client import FortnoxClient
from upsales_fortnox.integrations.pacing import SlidingWindowLimiter
from upsales_fortnox.integrations.retry import RetryPolicy
from upsales_fortnox.jobs import HandlerRegistry, JobContext, Worker
from upsales_fortnox.jobs.runs import RunningJob
from upsales_fortnox.jobs.store.job_store import JobStore
from upsales_fortnox.main import create_app
from upsales_fortnox.ops.metrics import observe_job, rate_limit_wait_observer
from upsales_fortnox.ops.metrics_gauges import read_database_figures
from upsales_fortnox.ops.metrics_http import metrics_app
from upsales_fortnox.services import Services, build_services
from upsales_fortnox.vocabulary import InstallationStatus

Factory = async_sessionmaker[AsyncSession]


async def _scrape(client: httpx.AsyncClient, headers: dict[str, str]) -> Samples:
    response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["cache-control"] == "no-store"
    return parse_samples(response.text)


def _delta(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def test_metrics_need_the_operator_token(api_client: httpx.AsyncClient) -> None:
    response = await api_client.get("/metrics")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["cache-control"] == "no-store"


async def test_webhooks_are_counted_by_source_and_outcome(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], services: Services
) -> None:
    installation = await create_installation(services.session_factory, services.secret_box)
    before = await _scrape(api_client, admin_headers)
    accepted = await api_client.post(f"/webhooks/upsales/{installation.id}", json=order_hook(7))
    assert accepted.status_code == 202
    refused = await api_client.post(f"/webhooks/fortnox/{installation.id}", json={})
    assert refused.status_code == 401
    after = await _scrape(api_client, admin_headers)
    name = "upsales_fortnox_webhooks_total"
    assert _delta(before, after, name, source="upsales", outcome="accepted") == 1
    assert _delta(before, after, name, source="fortnox", outcome="refused") == 1
    assert _delta(before, after, name, source="upsales", outcome="refused") == 0
    count = "upsales_fortnox_webhook_seconds_count"
    assert _delta(before, after, count, source="upsales") == 1
    assert _delta(before, after, count, source="fortnox") == 1
    # the queued job and the installation show in the gauges read from the database
    assert value(after, "upsales_fortnox_queue_depth", state="queued") == 1
    assert value(after, "upsales_fortnox_installations", status="pending_login") == 1
    assert value(after, "upsales_fortnox_installations", status="active") == 0
    assert not any(str(installation.id) in str(key) for key in after)


async def test_the_consent_webhook_is_counted_like_the_others(services: Services) -> None:
    secret = "consent-webhook-secret-0123456789"
    configured = build_services(
        services.settings.model_copy(update={"fortnox_consent_webhook_secret": SecretStr(secret)}),
        engine=services.engine,
    )
    transport = httpx.ASGITransport(app=create_app(services=configured))
    headers = {"Authorization": f"Bearer {configured.settings.admin_token.get_secret_value()}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
        before = await _scrape(client, headers)
        url = "/webhooks/fortnox-consent"
        body = {"type": "consent-revoked", "tenantId": 4242}
        accepted = await client.post(url, json=body, headers={"X-Webhook-Secret": secret})
        assert accepted.status_code == 202
        refused = await client.post(url, json=body)
        assert refused.status_code == 401
        after = await _scrape(client, headers)
    await configured.http.aclose()
    name = "upsales_fortnox_webhooks_total"
    assert _delta(before, after, name, source="fortnox_consent", outcome="accepted") == 1
    assert _delta(before, after, name, source="fortnox_consent", outcome="refused") == 1
    assert _delta(before, after, name, source="fortnox", outcome="accepted") == 0
    count = "upsales_fortnox_webhook_seconds_count"
    assert _delta(before, after, count, source="fortnox_consent") == 2


async def test_done_and_dead_jobs_are_counted_and_the_queue_is_read_from_the_database(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], session_factory: Factory
) -> None:
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    await add_job(session_factory, installation_id, clock, kind="metrics.ok", entity_id="1")
    await add_job(session_factory, installation_id, clock, kind="metrics.broken", entity_id="2")
    await add_job(
        session_factory, installation_id, clock, kind="metrics.ok", entity_id="3",
        delay_seconds=3600,
    )  # fmt: skip

    async def succeed(ctx: JobContext) -> Result:
        return Result({"outcome": "synced"})

    async def fail(ctx: JobContext) -> None:
        raise PermanentError("the product has no Fortnox article", code="product_not_in_fortnox")

    registry = HandlerRegistry({"metrics.ok": succeed, "metrics.broken": fail})
    worker = Worker(
        session_factory, registry, job_settings(), clock=clock, rng=random.Random(1),
        on_outcome=observe_job,
    )  # fmt: skip
    before = await _scrape(api_client, admin_headers)
    assert await worker.run_once() == 2
    after = await _scrape(api_client, admin_headers)
    jobs = "upsales_fortnox_jobs_total"
    assert _delta(before, after, jobs, kind="metrics.ok", outcome="done") == 1
    assert _delta(before, after, jobs, kind="metrics.broken", outcome="dead") == 1
    assert _delta(before, after, jobs, kind="metrics.broken", outcome="done") == 0
    assert _delta(before, after, "upsales_fortnox_job_seconds_count", kind="metrics.ok") == 1
    assert value(after, "upsales_fortnox_queue_depth", state="dead") == 1
    assert value(after, "upsales_fortnox_queue_depth", state="queued") == 1
    assert value(after, "upsales_fortnox_queue_depth", state="running") == 0
    # the one queued job is not due yet: nothing waits
    assert value(after, "upsales_fortnox_queue_oldest_seconds") == 0


async def test_jobs_that_die_without_a_run_count_as_dead_too(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], session_factory: Factory
) -> None:
    """A job whose worker died during its last attempt (buried by the next worker), and one of
    a kind no handler runs, end dead as surely as a failed run: ``jobs_total{outcome="dead"}``
    missed them, so an alert on its rate stayed quiet. No run: no seconds observed."""
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    crashed = await add_job(
        session_factory, installation_id, clock, kind="metrics.crashed", max_attempts=1
    )
    await simulate_crashed_run(session_factory, crashed, clock, lease_left_seconds=-1)
    await add_job(session_factory, installation_id, clock, kind="metrics.unknown", entity_id="1")
    worker = Worker(
        session_factory, HandlerRegistry({}), job_settings(), clock=clock,
        rng=random.Random(1), on_outcome=observe_job,
    )  # fmt: skip
    before = await _scrape(api_client, admin_headers)
    assert await worker.run_once() == 2
    after = await _scrape(api_client, admin_headers)
    for kind in ("metrics.crashed", "metrics.unknown"):
        assert _delta(before, after, "upsales_fortnox_jobs_total", kind=kind, outcome="dead") == 1
        assert _delta(before, after, "upsales_fortnox_job_seconds_count", kind=kind) == 0
    assert value(after, "upsales_fortnox_queue_depth", state="dead") == 2


async def test_a_job_another_worker_took_over_is_not_counted_dead_by_this_one(
    session_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job of a kind no handler runs whose lease this worker lost before burying it: the
    worker now holding it buries it and counts it; counted here too, it died twice."""

    async def lease_lost(self: JobStore, job: RunningJob, reason: str) -> bool:
        return False

    monkeypatch.setattr(JobStore, "bury", lease_lost)
    clock = FakeClock()
    installation_id = await add_installation(session_factory)
    await add_job(session_factory, installation_id, clock, kind="metrics.unknown", entity_id="1")
    outcomes: list[tuple[str, str, float | None]] = []
    worker = Worker(
        session_factory, HandlerRegistry({}), job_settings(), clock=clock,
        rng=random.Random(1), on_outcome=lambda *outcome: outcomes.append(outcome),
    )  # fmt: skip

    await worker.run_once()

    assert outcomes == []


async def test_the_oldest_wait_counts_only_jobs_a_worker_may_run(session_factory: Factory) -> None:
    """Jobs of an installation that is paused or waits for a Fortnox login wait for someone to
    act, not for a worker: they leave the queue's age alone (they still count in its depth)."""
    clock = FakeClock()
    for status in (
        InstallationStatus.PAUSED,
        InstallationStatus.NEEDS_RELOGIN,
        InstallationStatus.PENDING_LOGIN,
    ):
        waiting = await add_installation(session_factory, status=status, name=status.value)
        await add_job(session_factory, waiting, clock, kind="metrics.ok", entity_id="1")
    an_hour_later = utcnow() + timedelta(hours=1)
    figures = await read_database_figures(session_factory, an_hour_later)
    assert figures.queue_depth["queued"] == 3
    assert figures.queue_oldest_seconds == 0
    active = await add_installation(session_factory)
    await add_job(session_factory, active, clock, kind="metrics.ok", entity_id="1")
    figures = await read_database_figures(session_factory, an_hour_later)
    assert 3500 < figures.queue_oldest_seconds < 3700


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


async def test_a_429_counts_as_an_api_answer_and_the_retry_waits_for_the_budget(
    api_client: httpx.AsyncClient, admin_headers: dict[str, str], services: Services
) -> None:
    clock = _Clock()
    limiter = SlidingWindowLimiter(
        25, 5.0, clock=clock, sleep=clock.sleep, jitter=lambda: 0.5,
        on_wait=rate_limit_wait_observer("fortnox"),
    )  # fmt: skip
    retry = RetryPolicy(clock=clock, sleep=clock.sleep, jitter=lambda: 0.5)
    base = services.settings.fortnox_api_base_url

    async def token(*_: Any) -> str:
        return "access-token"

    client = FortnoxClient(
        services.http, base_url=base, tenant_key="tenant:1", access_token=token,
        refresh_token=token, limiter=limiter, retry=retry,
    )  # fmt: skip
    customer = {"Customer": {"CustomerNumber": "10", "Name": "Acme AB"}}
    before = await _scrape(api_client, admin_headers)
    with respx.mock(assert_all_called=True) as router:
        router.get(f"{base}/customers/10").mock(
            side_effect=[
                httpx.Response(429, headers={"Retry-After": "3"}),
                httpx.Response(200, json=customer),
            ]
        )
        assert (await client.get_customer("10")).CustomerNumber == "10"
    after = await _scrape(api_client, admin_headers)
    requests = "upsales_fortnox_api_requests_total"
    assert _delta(before, after, requests, system="fortnox", status="429") == 1
    assert _delta(before, after, requests, system="fortnox", status="200") == 1
    assert _delta(before, after, "upsales_fortnox_rate_limit_waits_total", system="fortnox") == 1


async def test_on_a_port_of_its_own_metrics_leave_the_api_and_need_no_token(
    services: Services, admin_headers: dict[str, str]
) -> None:
    separate = build_services(
        services.settings.model_copy(update={"metrics_port": 9464}), engine=services.engine
    )
    off = build_services(
        services.settings.model_copy(update={"metrics_enabled": False}), engine=services.engine
    )
    for built, app in ((separate, create_app(services=separate)), (off, create_app(services=off))):
        async with _client(app) as client:
            response = await client.get("/metrics", headers=admin_headers)
            assert response.status_code == 404
        await built.http.aclose()
    async with _client(metrics_app(separate)) as client:
        response = await client.get("/metrics")
        assert response.status_code == 200
        assert "upsales_fortnox_queue_depth" in response.text


def _client(app: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://service.test")
