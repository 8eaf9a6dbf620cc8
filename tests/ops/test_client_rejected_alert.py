"""Fortnox refusing the service's own OAuth client holds up every installation alike: one
service-wide alert says so (raised once, resolved once the jobs went through), and each held-up
installation's health names the refused client, not its login."""

from __future__ import annotations

import json
import uuid

import httpx
import respx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.jobs.support import FakeClock, add_installation, add_job
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.domain.health_rules import HealthState, decide_health
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.ops.alert_delivery import AlertSender, check_alerts
from upsales_fortnox.ops.health_facts import read_installation
from upsales_fortnox.services import Services
from upsales_fortnox.vocabulary import JobStatus

ALERT_URL = "https://alerts.example.test/hooks/client-rejected"
REFUSED = "fortnox_client_rejected"


async def _held_up(
    session_factory: async_sessionmaker[AsyncSession], installation_id: uuid.UUID
) -> int:
    """A job waiting for its next try after Fortnox refused the service's client."""
    job_id = await add_job(session_factory, installation_id, FakeClock(), kind="upsales.order")
    async with session_factory() as session:
        await session.execute(
            update(SyncJob)
            .where(SyncJob.id == job_id)
            .values(
                attempts=3,
                last_error=f"{REFUSED}: token refresh refused: invalid_client",
            )
        )
        await session.commit()
    return job_id


async def test_one_service_wide_alert_while_the_service_client_is_refused(
    services: Services,
) -> None:
    factory = services.session_factory
    first = await add_installation(factory, name="First AB")
    second = await add_installation(factory, name="Second AB")
    await _held_up(factory, first)
    await _held_up(factory, second)
    sender = AlertSender(services.http, ALERT_URL)
    with respx.mock(assert_all_called=True) as router:
        route = router.post(ALERT_URL).mock(return_value=httpx.Response(200))
        assert await check_alerts(services, sender) == 1
        assert await check_alerts(services, sender) == 0
        async with factory() as session:  # the secret is right again: the jobs went through
            await session.execute(update(SyncJob).values(status=JobStatus.DONE))
            await session.commit()
        assert await check_alerts(services, sender) == 1
    raised, resolved = (json.loads(call.request.content) for call in route.calls)
    assert (raised["event"], raised["kind"], raised["cause"]) == ("raised", REFUSED, REFUSED)
    assert raised["installation_id"] is None
    assert "2 job(s) of 2 installation(s)" in raised["summary"]
    assert "FORTNOX_CLIENT_SECRET" in raised["summary"]
    assert (resolved["event"], resolved["cause"]) == ("resolved", REFUSED)


async def test_the_held_up_installations_health_names_the_refused_client(
    services: Services,
) -> None:
    factory = services.session_factory
    installation_id = await add_installation(factory)
    await _held_up(factory, installation_id)
    now = utcnow()
    async with factory() as session:
        installation = await session.get(Installation, installation_id)
        assert installation is not None
        readings = await read_installation(session, installation, now, services.secret_box)
    health = decide_health(readings.facts, now)
    reasons = {reason.code: reason for reason in health.reasons}
    assert health.state is HealthState.ACTION_NEEDED
    assert "1 job(s)" in reasons[REFUSED].message
    assert "not this installation's login" in reasons[REFUSED].message
    assert "fortnox_access_refused" not in reasons and "fortnox_relogin_needed" not in reasons


async def test_a_job_dead_past_the_patience_is_a_dead_job_not_a_standing_refusal(
    services: Services,
) -> None:
    """The secret stayed wrong past the outage patience: the job died. Once the secret is right
    the refusal's alert and health reason clear; the dead job is told as a dead job."""
    factory = services.session_factory
    installation_id = await add_installation(factory)
    job_id = await _held_up(factory, installation_id)
    sender = AlertSender(services.http, ALERT_URL)
    with respx.mock(assert_all_called=True) as router:
        route = router.post(ALERT_URL).mock(return_value=httpx.Response(200))
        assert await check_alerts(services, sender) == 1
        async with factory() as session:
            await session.execute(
                update(SyncJob).where(SyncJob.id == job_id).values(status=JobStatus.DEAD)
            )
            await session.commit()
        await check_alerts(services, sender)
    events = [json.loads(call.request.content) for call in route.calls]
    refusal = [(e["event"], e["cause"]) for e in events if e["cause"] == REFUSED]
    assert refusal == [("raised", REFUSED), ("resolved", REFUSED)]
    now = utcnow()
    async with factory() as session:
        installation = await session.get(Installation, installation_id)
        assert installation is not None
        readings = await read_installation(session, installation, now, services.secret_box)
    codes = [reason.code for reason in decide_health(readings.facts, now).reasons]
    assert REFUSED not in codes and "dead_jobs" in codes
