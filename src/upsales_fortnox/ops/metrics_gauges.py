"""Gauges read from the database at scrape time: the queue and the installations.

Read fresh on every scrape (three aggregate queries), so any process serves the same truth.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.ops.metrics import PREFIX
from upsales_fortnox.vocabulary import InstallationStatus, JobStatus

#: Job states the queue gauge reports (done jobs only accumulate).
QUEUE_STATES = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DEAD)


@dataclass(frozen=True)
class DatabaseFigures:
    queue_depth: dict[str, int]
    queue_oldest_seconds: float
    installations: dict[str, int]


async def read_database_figures(
    session_factory: async_sessionmaker[AsyncSession], now: datetime | None = None
) -> DatabaseFigures:
    now = now or utcnow()
    async with session_factory() as session:
        depth_rows = await session.execute(
            select(SyncJob.status, func.count())
            .where(SyncJob.status.in_([state.value for state in QUEUE_STATES]))
            .group_by(SyncJob.status)
        )
        depth = {state.value: 0 for state in QUEUE_STATES}
        depth.update({status: count for status, count in depth_rows})
        oldest = await session.scalar(
            select(func.min(SyncJob.created_at)).where(
                SyncJob.status == JobStatus.QUEUED, SyncJob.run_after <= now
            )
        )
        status_rows = await session.execute(
            select(Installation.status, func.count()).group_by(Installation.status)
        )
        installations = {status.value: 0 for status in InstallationStatus}
        installations.update({status: count for status, count in status_rows})
    oldest_seconds = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return DatabaseFigures(depth, oldest_seconds, installations)


class _FiguresCollector(Collector):
    def __init__(self, figures: DatabaseFigures) -> None:
        self._figures = figures

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            f"{PREFIX}_queue_depth", "Jobs by state (queued, running, dead).", labels=["state"]
        )
        for state, count in sorted(self._figures.queue_depth.items()):
            depth.add_metric([state], count)
        yield depth
        yield GaugeMetricFamily(
            f"{PREFIX}_queue_oldest_seconds",
            "How long the oldest due queued job has waited (0: none waits).",
            value=self._figures.queue_oldest_seconds,
        )
        installations = GaugeMetricFamily(
            f"{PREFIX}_installations", "Installations by status.", labels=["status"]
        )
        for status, count in sorted(self._figures.installations.items()):
            installations.add_metric([status], count)
        yield installations


def database_metrics_text(figures: DatabaseFigures) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_FiguresCollector(figures))
    return generate_latest(registry)
