"""Gauges read from the database at scrape time: the queue and the installations.

Read fresh on every scrape (four aggregate queries), so any process serves the same truth.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from upsales_fortnox.core.db.session import DbSessionFactory
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.installations.repository.installation_rows import count_installations_by_status
from upsales_fortnox.ops.metrics import PREFIX
from upsales_fortnox.ops.repository.queue_reads import (
    count_jobs_in_states,
    count_unsettled_dead_jobs,
    oldest_due_at,
)
from upsales_fortnox.vocabulary import JobStatus

#: Job states the queue gauge reports (done jobs only accumulate).
QUEUE_STATES = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DEAD)


@dataclass(frozen=True)
class DatabaseFigures:
    queue_depth: dict[str, int]
    queue_oldest_seconds: float
    installations: dict[str, int]
    dead_unsettled: int = 0
    """The dead jobs the dead-job alert counts: those no later job of their entity settled."""


async def read_database_figures(
    session_factory: DbSessionFactory, now: datetime | None = None
) -> DatabaseFigures:
    now = now or utcnow()
    async with session_factory() as session:
        depth = await count_jobs_in_states(session, QUEUE_STATES)
        oldest = await oldest_due_at(session, now)
        installations = await count_installations_by_status(session)
        unsettled = await count_unsettled_dead_jobs(session)
    oldest_seconds = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return DatabaseFigures(depth, oldest_seconds, installations, unsettled)


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
            f"{PREFIX}_dead_jobs_unsettled",
            "Dead jobs no later job of their entity settled (done after they died): what the "
            "dead-job alert and the installations' health count.",
            value=self._figures.dead_unsettled,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_queue_oldest_seconds",
            "How long the oldest due job of an active installation has waited (0: none waits).",
            value=self._figures.queue_oldest_seconds,
        )
        installations = GaugeMetricFamily(
            f"{PREFIX}_installations", "Installations by status.", labels=["status"]
        )
        for status, count in sorted(self._figures.installations.items()):
            installations.add_metric([status], count)
        yield installations


class _DatabaseUp(Collector):
    def __init__(self, up: bool) -> None:
        self._up = up

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily(
            f"{PREFIX}_database_up",
            "1: the database answered this scrape (the queue and installation gauges beside "
            "it); 0: it did not, and they are left out.",
            value=1 if self._up else 0,
        )


def database_metrics_text(figures: DatabaseFigures | None) -> bytes:
    """The gauges read from the database, or (``None``: it did not answer) only that."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_DatabaseUp(figures is not None))
    if figures is not None:
        registry.register(_FiguresCollector(figures))
    return generate_latest(registry)
