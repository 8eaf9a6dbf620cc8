"""The catch-up's interval setting and its scheduler loop."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.sync.catchup.test_catch_up_run import installation
from upsales_fortnox.core.config import ConfigError, load_settings
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.services import Services
from upsales_fortnox.sync.catchup.schedule import run_catch_up_scheduler
from upsales_fortnox.vocabulary import JobKind


def test_the_interval_is_at_most_five_minutes_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPSALES_RECONCILE_INTERVAL_MINUTES", raising=False)
    assert load_settings().upsales_reconcile_interval_minutes <= 5
    monkeypatch.setenv("UPSALES_RECONCILE_INTERVAL_MINUTES", "0.5")
    assert load_settings().upsales_reconcile_interval_minutes == 0.5
    monkeypatch.setenv("UPSALES_RECONCILE_INTERVAL_MINUTES", "0")
    with pytest.raises(ConfigError, match="UPSALES_RECONCILE_INTERVAL_MINUTES"):
        load_settings()


async def test_the_scheduler_queues_at_once_and_stops_when_asked(services: Services) -> None:
    await installation(services, credentials=True)
    stop = asyncio.Event()
    loop = asyncio.create_task(run_catch_up_scheduler(services, stop, interval=timedelta(hours=1)))

    async def queued() -> int:
        async with services.session_factory() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(SyncJob)
                .where(SyncJob.kind == JobKind.UPSALES_CATCH_UP)
            )
            return int(count or 0)

    deadline = asyncio.get_running_loop().time() + 30
    while await queued() == 0:
        assert asyncio.get_running_loop().time() < deadline, "nothing was queued"
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(loop, 5)
    assert await queued() == 1
