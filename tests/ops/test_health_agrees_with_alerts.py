"""The installation's health and the alerts agree. Its queue is behind exactly when the
queue-age alert says so: a paused installation's jobs, or those of one waiting for a Fortnox
login, wait for someone to act (its status says so, as a reason of its own), not for a worker.
Its refresh token nears its end exactly when the alert says so."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from tests.jobs.support import FakeClock, add_installation, add_job
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.domain.alert_rules import AlertKind
from upsales_fortnox.domain.health_rules import (
    CREDENTIALS_UNREADABLE,
    HealthThresholds,
    decide_health,
)
from upsales_fortnox.models.installation import (
    FortnoxCredentials,
    Installation,
    InstallationSettings,
)
from upsales_fortnox.models.operations import ConnectionCheck
from upsales_fortnox.ops.alert_checks import current_causes
from upsales_fortnox.ops.health_facts import read_installation
from upsales_fortnox.ops.repository.connection_health import forget_upsales_key_verdict
from upsales_fortnox.services import Services
from upsales_fortnox.vocabulary import InstallationStatus


async def test_the_health_and_the_alert_agree_on_whose_queue_is_behind(
    services: Services,
) -> None:
    factory = services.session_factory
    by_status = {
        status: await add_installation(factory, status=status, name=status.value)
        for status in (
            InstallationStatus.ACTIVE,
            InstallationStatus.PAUSED,
            InstallationStatus.NEEDS_RELOGIN,
            InstallationStatus.PENDING_LOGIN,
        )
    }
    for installation_id in by_status.values():
        await add_job(factory, installation_id, FakeClock(), kind="upsales.order", entity_id="7")
    an_hour_later = utcnow() + timedelta(hours=1)
    async with factory() as session:
        causes = await current_causes(session, an_hour_later, HealthThresholds())
        alerted = {c.installation_id for c in causes if c.kind == AlertKind.QUEUE_BEHIND}
        in_health = set()
        for installation_id in by_status.values():
            installation = await session.get(Installation, installation_id)
            assert installation is not None
            readings = await read_installation(
                session, installation, an_hour_later, services.secret_box
            )
            reasons = decide_health(readings.facts, an_hour_later).reasons
            if "queue_behind" in [reason.code for reason in reasons]:
                in_health.add(installation_id)
            assert readings.queue.due == 1  # the figures still count the job
    assert alerted == {by_status[InstallationStatus.ACTIVE]}
    assert in_health == alerted


async def test_a_paused_installations_login_ending_is_alerted_as_its_health_says(
    services: Services,
) -> None:
    """The token keeper keeps a paused installation's login alive, as an active one's: when
    that fails until the refresh token nears its end, the alert says so as the health does,
    before the pause ends on a dead login."""
    factory = services.session_factory
    now = utcnow()
    by_status = {}
    for status in (InstallationStatus.ACTIVE, InstallationStatus.PAUSED):
        installation_id = await add_installation(factory, status=status, name=status.value)
        async with factory() as session:
            session.add(
                FortnoxCredentials(
                    installation_id=installation_id,
                    access_token_enc=services.secret_box.encrypt("access"),
                    refresh_token_enc=services.secret_box.encrypt("refresh"),
                    access_token_expires_at=now,
                    refreshed_at=now - timedelta(days=41),
                )
            )
            await session.commit()
        by_status[status] = installation_id
    async with factory() as session:
        causes = await current_causes(session, now, HealthThresholds())
        alerted = {c.installation_id for c in causes if c.kind == AlertKind.REFRESH_TOKEN_ENDING}
        in_health = set()
        for installation_id in by_status.values():
            installation = await session.get(Installation, installation_id)
            assert installation is not None
            readings = await read_installation(session, installation, now, services.secret_box)
            codes = [reason.code for reason in decide_health(readings.facts, now).reasons]
            if "refresh_token_ending" in codes:
                in_health.add(installation_id)
    assert alerted == set(by_status.values())
    assert in_health == alerted


async def test_a_refresh_token_already_ended_is_alerted_as_ended(services: Services) -> None:
    """After weeks without a refresh (the service down, say), the alert does not promise that
    a refresh may still save a token that has ended: it says a login is needed, as the health
    does."""
    factory = services.session_factory
    now = utcnow()
    installation_id = await add_installation(factory)
    async with factory() as session:
        session.add(
            FortnoxCredentials(
                installation_id=installation_id,
                access_token_enc=services.secret_box.encrypt("access"),
                refresh_token_enc=services.secret_box.encrypt("refresh"),
                access_token_expires_at=now,
                refreshed_at=now - timedelta(days=46),
            )
        )
        session.add(InstallationSettings(installation_id=installation_id))
        await session.execute(
            update(Installation)
            .where(Installation.id == installation_id)
            .values(upsales_api_token_enc=services.secret_box.encrypt("key"))
        )
        await session.commit()
    async with factory() as session:
        causes = await current_causes(session, now, HealthThresholds())
        installation = await session.get(Installation, installation_id)
        assert installation is not None
        readings = await read_installation(session, installation, now, services.secret_box)
    (cause,) = [c for c in causes if c.kind == AlertKind.REFRESH_TOKEN_ENDING]
    assert "ended at" in cause.summary and "log in to Fortnox again" in cause.summary
    assert "unless it is refreshed" not in cause.summary
    codes = [reason.code for reason in decide_health(readings.facts, now).reasons]
    assert codes == ["refresh_token_expired"]


async def test_an_upsales_key_refused_is_alerted_as_its_health_says(services: Services) -> None:
    """The hourly check found the Upsales API key refused (revoked in Upsales, say): the
    health says action_needed, and the alert says so too, before every Upsales-bound job has
    died of it; a new key saved resolves it. The alert carries no word of Upsales' answer."""
    factory = services.session_factory
    now = utcnow()
    refused = await add_installation(factory, name="Refused AB")
    unreadable = await add_installation(factory, name="Unreadable AB")
    fine = await add_installation(factory, name="Fine AB")
    async with factory() as session:
        session.add_all(
            [
                ConnectionCheck(
                    installation_id=refused,
                    upsales_key_ok=False,
                    upsales_key_error="upsales_unauthorized: answered 401 key=secret-4711",
                    upsales_key_checked_at=now,
                ),
                ConnectionCheck(
                    installation_id=unreadable,
                    upsales_key_ok=False,
                    upsales_key_error=CREDENTIALS_UNREADABLE,
                    upsales_key_checked_at=now,
                ),
                ConnectionCheck(
                    installation_id=fine, upsales_key_ok=True, upsales_key_checked_at=now
                ),
            ]
        )
        await session.commit()
    async with factory() as session:
        causes = await current_causes(session, now, HealthThresholds())
        action_needed = set()
        for installation_id in (refused, unreadable, fine):
            installation = await session.get(Installation, installation_id)
            assert installation is not None
            readings = await read_installation(session, installation, now, services.secret_box)
            reasons = decide_health(readings.facts, now).reasons
            if {"upsales_key_refused", CREDENTIALS_UNREADABLE} & {r.code for r in reasons}:
                action_needed.add(installation_id)
    found = {c.installation_id: c.summary for c in causes if c.kind == "upsales_key_refused"}
    assert set(found) == action_needed == {refused, unreadable}
    assert "Refused AB: Upsales refused the installation's API key" in found[refused]
    assert "SECRET_KEY" in found[unreadable]
    assert not [summary for summary in found.values() if "secret-4711" in summary]
    async with factory() as session:
        await forget_upsales_key_verdict(session, refused)  # a new key was saved
        await session.commit()
        causes = await current_causes(session, now, HealthThresholds())
    assert {c.installation_id for c in causes if c.kind == "upsales_key_refused"} == {unreadable}
