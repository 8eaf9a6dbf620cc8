"""Alerts: raised once, resolved once, retried when the webhook fails, never with a secret."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
import respx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.intake.support import API_KEY, WEBHOOK_SECRET, create_installation
from tests.jobs.support import FakeClock, add_installation, add_job
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.domain.alert_rules import AlertKind
from upsales_fortnox.domain.health_rules import HealthThresholds
from upsales_fortnox.installations.service import delete_installation
from upsales_fortnox.models.installation import FortnoxCredentials, Installation
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.ops.alert_checks import current_causes
from upsales_fortnox.ops.alert_delivery import AlertSender, check_alerts
from upsales_fortnox.ops.repository.alert_states import (
    ANNOUNCEMENT_CLAIM_SECONDS,
    report_reconciliation_differences,
)
from upsales_fortnox.ops.repository.queue_reads import oldest_due_at, queue_figures
from upsales_fortnox.services import Services
from upsales_fortnox.vocabulary import InstallationStatus, JobStatus

ALERT_URL = "https://alerts.example.test/hooks/T000/B000/alert-url-secret-part"
ACCESS_TOKEN = "fortnox-access-token-secret-0123456789"
REFRESH_TOKEN = "fortnox-refresh-token-secret-0123456789"


def _bodies(route: respx.Route) -> list[dict[str, Any]]:
    return [json.loads(call.request.content) for call in route.calls]


async def _installation(services: Services) -> Installation:
    return await create_installation(services.session_factory, services.secret_box)


async def _set_dead_jobs_done(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory() as session:
        await session.execute(
            update(SyncJob).where(SyncJob.status == JobStatus.DEAD).values(status="done")
        )
        await session.commit()


async def _bury(
    session_factory: async_sessionmaker[AsyncSession], installation_id: uuid.UUID
) -> None:
    job_id = await add_job(session_factory, installation_id, FakeClock(), kind="upsales.order")
    async with session_factory() as session:
        await session.execute(
            update(SyncJob)
            .where(SyncJob.id == job_id)
            .values(status="dead", last_error="product_not_in_fortnox: no article")
        )
        await session.commit()


async def test_a_dead_job_is_announced_once_and_its_resolution_once(services: Services) -> None:
    installation = await _installation(services)
    await _bury(services.session_factory, installation.id)
    sender = AlertSender(services.http, ALERT_URL)
    with respx.mock(assert_all_called=True) as router:
        route = router.post(ALERT_URL).mock(return_value=httpx.Response(200))
        assert await check_alerts(services, sender) == 1
        assert await check_alerts(services, sender) == 0
        await _bury(services.session_factory, installation.id)  # a second one: same cause
        assert await check_alerts(services, sender) == 0
        await _set_dead_jobs_done(services.session_factory)
        assert await check_alerts(services, sender) == 1
        assert await check_alerts(services, sender) == 0
    raised, resolved = _bodies(route)
    key = f"dead_jobs:{installation.id}:upsales.order"
    assert (raised["event"], raised["kind"], raised["cause"]) == ("raised", "dead_jobs", key)
    assert raised["installation_id"] == str(installation.id)
    assert "1 dead upsales.order job(s)" in raised["summary"]
    assert (resolved["event"], resolved["cause"]) == ("resolved", key)
    assert resolved["resolved_at"] is not None


async def test_a_login_needed_is_announced_without_any_secret_in_either_format(
    services: Services,
) -> None:
    installation = await _installation(services)
    async with services.session_factory() as session:
        session.add(
            FortnoxCredentials(
                installation_id=installation.id,
                access_token_enc=services.secret_box.encrypt(ACCESS_TOKEN),
                refresh_token_enc=services.secret_box.encrypt(REFRESH_TOKEN),
                access_token_expires_at=utcnow(),
                refreshed_at=utcnow() - timedelta(days=44),
            )
        )
        await session.execute(
            update(Installation)
            .where(Installation.id == installation.id)
            .values(status="needs_relogin", status_reason="refused", version=2)
        )
        await session.commit()
    with respx.mock(assert_all_called=True) as router:
        route = router.post(ALERT_URL).mock(return_value=httpx.Response(204))
        assert await check_alerts(services, AlertSender(services.http, ALERT_URL, "slack")) == 1
    (request,) = [call.request for call in route.calls]
    body = json.loads(request.content)
    assert list(body) == ["text"]
    assert "needs a new Fortnox login" in body["text"]
    secrets = (
        API_KEY,
        WEBHOOK_SECRET,
        ACCESS_TOKEN,
        REFRESH_TOKEN,
        services.settings.admin_token.get_secret_value(),
        services.settings.secret_key.get_secret_value(),
        "alert-url-secret-part",
    )
    assert not [secret for secret in secrets if secret in request.content.decode()]


async def test_a_failing_webhook_is_tried_again_and_the_sync_never_waits(
    services: Services,
) -> None:
    installation = await _installation(services)
    await _bury(services.session_factory, installation.id)
    sender = AlertSender(services.http, ALERT_URL)
    with respx.mock(assert_all_called=True) as router:
        route = router.post(ALERT_URL).mock(
            side_effect=[httpx.Response(503), httpx.ConnectError("down"), httpx.Response(200)]
        )
        assert await check_alerts(services, sender) == 0
        assert await check_alerts(services, sender) == 0
        assert await check_alerts(services, sender) == 1
        assert await check_alerts(services, sender) == 0
    assert [body["event"] for body in _bodies(route)] == ["raised"] * 3


async def test_a_queue_behind_is_raised_only_for_jobs_a_worker_may_run(
    services: Services,
) -> None:
    """A paused installation's jobs, or those of one waiting for a Fortnox login, wait for
    someone to act (its status says so), not for a worker: the queue is not behind."""
    factory = services.session_factory
    clock = FakeClock()
    waiting = [
        await add_installation(factory, status=status, name=status.value)
        for status in (
            InstallationStatus.PAUSED,
            InstallationStatus.NEEDS_RELOGIN,
            InstallationStatus.PENDING_LOGIN,
        )
    ]
    active = await add_installation(factory)
    for installation_id in [*waiting, active]:
        await add_job(factory, installation_id, clock, kind="upsales.order", entity_id="7")
    an_hour_later = utcnow() + timedelta(hours=1)
    async with factory() as session:
        causes = await current_causes(session, an_hour_later, HealthThresholds())
    behind = [cause.installation_id for cause in causes if cause.kind == AlertKind.QUEUE_BEHIND]
    assert behind == [active]


async def test_deleting_an_installation_resolves_its_alerts(services: Services) -> None:
    """Whatever was raised for an installation is announced resolved once it is deleted: the
    receiver is not left with alerts no check will ever clear."""
    installation = await _installation(services)
    await _bury(services.session_factory, installation.id)
    async with services.session_factory() as session:
        await report_reconciliation_differences(session, installation.id, "customers", 2)
        await session.commit()
    sender = AlertSender(services.http, ALERT_URL)
    with respx.mock(assert_all_called=True) as router:
        route = router.post(ALERT_URL).mock(return_value=httpx.Response(200))
        assert await check_alerts(services, sender) == 2
        async with services.session_factory() as session:
            await delete_installation(session, installation.id)
            await session.commit()
        assert await check_alerts(services, sender) == 2
        assert await check_alerts(services, sender) == 0
    announced = sorted((body["event"], body["kind"]) for body in _bodies(route))
    assert announced == [
        ("raised", "dead_jobs"),
        ("raised", "reconciliation_differences"),
        ("resolved", "dead_jobs"),
        ("resolved", "reconciliation_differences"),
    ]
    resolved = [body for body in _bodies(route) if body["event"] == "resolved"]
    assert {body["installation_id"] for body in resolved} == {str(installation.id)}


async def test_the_reconciliation_hook_raises_and_resolves_once(services: Services) -> None:
    installation = await _installation(services)
    sender = AlertSender(services.http, ALERT_URL)
    with respx.mock(assert_all_called=True) as router:
        route = router.post(ALERT_URL).mock(return_value=httpx.Response(200))
        for differences in (3, 5):
            async with services.session_factory() as session:
                await report_reconciliation_differences(
                    session, installation.id, "customers", differences
                )
                await session.commit()
            await check_alerts(services, sender)
        async with services.session_factory() as session:
            await report_reconciliation_differences(session, installation.id, "customers", 0)
            await session.commit()
        await check_alerts(services, sender)
        await check_alerts(services, sender)
    bodies = _bodies(route)
    assert [(body["event"], body["kind"]) for body in bodies] == [
        ("raised", "reconciliation_differences"),
        ("resolved", "reconciliation_differences"),
    ]
    assert "found 3 difference(s)" in bodies[0]["summary"]


@pytest.mark.parametrize("url", [None])
async def test_without_a_webhook_nothing_is_sent_and_nothing_piles_up(
    services: Services, url: str | None
) -> None:
    installation = await _installation(services)
    await _bury(services.session_factory, installation.id)
    with respx.mock(assert_all_called=False) as router:
        route = router.route().mock(return_value=httpx.Response(200))
        assert await check_alerts(services, AlertSender(services.http, url)) == 1
        assert await check_alerts(services, AlertSender(services.http, ALERT_URL)) == 0
    assert not route.called


async def test_a_job_riding_out_an_outage_puts_its_queue_behind(services: Services) -> None:
    """A job past its attempts keeps trying while Fortnox, Upsales or the database is away
    (``JOB_OUTAGE_PATIENCE_HOURS``), its next try always ahead of it: it has waited since it
    was queued, so the operator hears of the outage from the queue's age, as from its health
    and the metrics. A job merely backing off between attempts is not behind."""
    factory = services.session_factory
    clock = FakeClock()
    riding = await add_installation(factory, name="Riding AB")
    backing_off = await add_installation(factory, name="Backing AB")
    now = utcnow()
    for installation_id, attempts in ((riding, 8), (backing_off, 3)):
        job_id = await add_job(factory, installation_id, clock, max_attempts=8)
        async with factory() as session:
            await session.execute(
                update(SyncJob)
                .where(SyncJob.id == job_id)
                .values(
                    attempts=attempts,
                    created_at=now - timedelta(minutes=20),
                    run_after=now + timedelta(minutes=10),
                )
            )
            await session.commit()

    async with factory() as session:
        causes = await current_causes(session, now, HealthThresholds())
        riding_figures = await queue_figures(session, riding, now)
        backing_figures = await queue_figures(session, backing_off, now)
        oldest = await oldest_due_at(session, now)
    behind = [cause.installation_id for cause in causes if cause.kind == AlertKind.QUEUE_BEHIND]
    assert behind == [riding]
    assert riding_figures.oldest_pending_at == now - timedelta(minutes=20)
    assert backing_figures.oldest_pending_at is None
    assert oldest == now - timedelta(minutes=20)


async def test_an_announcement_cut_off_by_a_stop_is_posted_again_once_its_claim_runs_out(
    services: Services,
) -> None:
    """A process that stops while posting (or before recording the post) must not lose the
    announcement: it is posted at least once, by whichever process checks after its claim."""
    installation = await _installation(services)
    await _bury(services.session_factory, installation.id)
    sender = AlertSender(services.http, ALERT_URL)
    now = utcnow()
    answers: list[httpx.Response | None] = [None, httpx.Response(200)]
    posted: list[str] = []

    def stop_first(request: httpx.Request) -> httpx.Response:
        posted.append(json.loads(request.content)["event"])
        answer = answers.pop(0)
        if answer is None:
            raise asyncio.CancelledError
        return answer

    with respx.mock(assert_all_called=True) as router:
        router.post(ALERT_URL).mock(side_effect=stop_first)
        with pytest.raises(asyncio.CancelledError):  # the process stops mid-post
            await check_alerts(services, sender, now)
        # Meanwhile the claim holds: another process is not to post it beside this one.
        assert await check_alerts(services, sender, now + timedelta(seconds=1)) == 0
        later = now + timedelta(seconds=ANNOUNCEMENT_CLAIM_SECONDS + 1)
        assert await check_alerts(services, sender, later) == 1
        assert await check_alerts(services, sender, later + timedelta(seconds=1)) == 0
    assert posted == ["raised", "raised"]


async def test_a_claim_runs_from_when_it_is_taken_not_from_the_start_of_the_check(
    services: Services,
) -> None:
    """Slow posts before it (an unreachable webhook waits out its timeout) must not leave an
    announcement's claim run out as it is taken: another process would post it beside this one."""
    installation = await _installation(services)
    now = utcnow()
    async with services.session_factory() as session, session.begin():
        for topic in ("customers", "articles"):
            await report_reconciliation_differences(session, installation.id, topic, 1, now=now)
    seconds = [0.0]
    sender = AlertSender(services.http, ALERT_URL, clock=lambda: seconds[0])
    other = AlertSender(services.http, ALERT_URL)
    posted: list[str] = []
    beside: list[int] = []

    async def slow_post(body: dict[str, Any]) -> bool:
        posted.append(body["summary"])
        if len(posted) == 1:
            seconds[0] += ANNOUNCEMENT_CLAIM_SECONDS + 10  # this post took that long
        else:  # another process checks while the second post is under way
            later = now + timedelta(seconds=ANNOUNCEMENT_CLAIM_SECONDS + 11)
            beside.append(await other.deliver_pending(services.session_factory, later))
        return True

    sender.post = slow_post  # type: ignore[method-assign]
    with respx.mock(assert_all_called=False) as router:
        route = router.post(ALERT_URL).mock(return_value=httpx.Response(200))
        assert await sender.deliver_pending(services.session_factory, now) == 2
    assert beside == [0]
    assert route.call_count == 0


async def test_a_cause_raised_again_is_not_announced_before_its_resolve_in_flight(
    services: Services,
) -> None:
    """The webhook hears of each cause in order: while one process still posts a cause's
    resolve, the cause raised again meanwhile waits for that post, instead of another process
    posting the new raise before the old resolve arrives."""
    installation = await _installation(services)
    factory = services.session_factory
    now = utcnow()

    async def differences(count: int, at: timedelta) -> None:
        async with factory() as session, session.begin():
            await report_reconciliation_differences(
                session, installation.id, "customers", count, now=now + at
            )

    posted: list[str] = []
    beside: list[int] = []
    sender = AlertSender(services.http, ALERT_URL)
    other = AlertSender(services.http, ALERT_URL)

    async def post(body: dict[str, Any]) -> bool:
        posted.append(body["event"])
        return True

    async def slow_resolve(body: dict[str, Any]) -> bool:
        if body["event"] == "resolved":  # the cause comes back while this post is under way
            await differences(2, timedelta(seconds=3))
            beside.append(await other.deliver_pending(factory, now + timedelta(seconds=4)))
        return await post(body)

    sender.post = slow_resolve  # type: ignore[method-assign]
    other.post = post  # type: ignore[method-assign]
    await differences(1, timedelta(0))
    assert await sender.deliver_pending(factory, now) == 1
    await differences(0, timedelta(seconds=1))
    assert await sender.deliver_pending(factory, now + timedelta(seconds=2)) == 1

    assert beside == [0]  # the raise waited for the resolve in flight
    assert await other.deliver_pending(factory, now + timedelta(seconds=5)) == 1
    assert await other.deliver_pending(factory, now + timedelta(seconds=6)) == 0
    assert posted == ["raised", "resolved", "raised"]
