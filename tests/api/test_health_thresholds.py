"""An installation's health judges its queue and its refresh token by the limits the operator
set for the alerts (``ALERT_QUEUE_AGE_SECONDS``, ``ALERT_REFRESH_TOKEN_DAYS``): an alert raised
for an installation whose health page said ``ok`` (its fixed 15 minutes and 7 days) sent the
operator to a page that saw nothing wrong."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.api.operator_support import add_fortnox_login, add_job, create_installation
from tests.conftest import ADMIN_TOKEN, SECRET_KEY
from upsales_fortnox.core.config import Settings
from upsales_fortnox.models.installation import (
    FortnoxCredentials,
    Installation,
    InstallationSettings,
)
from upsales_fortnox.ops.alert_checks import current_causes, thresholds_of
from upsales_fortnox.services import Services
from upsales_fortnox.vocabulary import JobStatus


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        admin_token=SecretStr(ADMIN_TOKEN),
        secret_key=SecretStr(SECRET_KEY),
        alert_queue_age_seconds=120,
        alert_refresh_token_days=10,
    )


async def test_health_and_alerts_agree_on_the_operators_limits(
    api_client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    session_factory: async_sessionmaker[AsyncSession],
    services: Services,
) -> None:
    created = await create_installation(api_client, admin_headers, upsales_api_token="key-1111")
    installation_id = str(created["id"])
    await add_fortnox_login(session_factory, installation_id)
    now = datetime.now(UTC)
    async with session_factory() as session:
        await session.execute(
            update(Installation)
            .where(Installation.id == uuid.UUID(installation_id))
            .values(status="active", version=Installation.version + 1)
        )
        await session.execute(
            update(FortnoxCredentials).values(refreshed_at=now - timedelta(days=37))
        )
        session.add(InstallationSettings(installation_id=uuid.UUID(installation_id)))
        await session.commit()
    await add_job(
        session_factory,
        installation_id,
        status=JobStatus.QUEUED,
        created_at=now - timedelta(minutes=5),
        run_after=now - timedelta(minutes=5),
    )

    async with session_factory() as session:
        causes = await current_causes(session, now, thresholds_of(services.settings))
    assert {cause.kind for cause in causes} >= {"queue_behind", "refresh_token_ending"}, causes

    response = await api_client.get(
        f"/api/installations/{installation_id}/health", headers=admin_headers
    )
    assert response.status_code == 200, response.text
    health = response.json()
    assert health["state"] == "degraded"
    codes = [reason["code"] for reason in health["reasons"]]
    assert codes == ["refresh_token_ending", "queue_behind"], health["reasons"]
