"""Prometheus metrics: what the service did (counters and histograms written where it happens)
and what the database holds now (gauges read at scrape time).

With ``PROMETHEUS_MULTIPROC_DIR`` set before the process starts, prometheus-client keeps the
counters in files in that directory and a scrape of any process adds up every process's
figures (API and workers run apart). Labels stay bounded: systems, job kinds, outcomes, HTTP
status codes; never an installation id.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

PREFIX: Final = "upsales_fortnox"
#: Seconds; webhooks answer in milliseconds, jobs make remote calls and may take minutes.
WEBHOOK_BUCKETS: Final = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
JOB_BUCKETS: Final = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

REGISTRY: Final = CollectorRegistry(auto_describe=True)

WEBHOOKS: Final = Counter(
    f"{PREFIX}_webhooks_total",
    "Webhooks received, by source (upsales, fortnox, fortnox_consent) and outcome (accepted, "
    "refused, failed).",
    ["source", "outcome"],
    registry=REGISTRY,
)
WEBHOOK_SECONDS: Final = Histogram(
    f"{PREFIX}_webhook_seconds",
    "Time to answer a webhook, by source.",
    ["source"],
    buckets=WEBHOOK_BUCKETS,
    registry=REGISTRY,
)
JOBS: Final = Counter(
    f"{PREFIX}_jobs_total",
    "Job runs, by kind and outcome (done, retry, wait, dead, reauthorize, released, lease_lost), "
    "and jobs that died without a run (dead: their worker stopped on their last attempt).",
    ["kind", "outcome"],
    registry=REGISTRY,
)
JOB_SECONDS: Final = Histogram(
    f"{PREFIX}_job_seconds",
    "Time a job's handler ran, by kind.",
    ["kind"],
    buckets=JOB_BUCKETS,
    registry=REGISTRY,
)
API_REQUESTS: Final = Counter(
    f"{PREFIX}_api_requests_total",
    "Requests to Fortnox (its API, and its login service: fortnox_auth) and Upsales, by "
    "system and HTTP status (network_error: no answer).",
    ["system", "status"],
    registry=REGISTRY,
)
RATE_LIMIT_WAITS: Final = Counter(
    f"{PREFIX}_rate_limit_waits_total",
    "Requests that waited for the client-side rate budget, by system.",
    ["system"],
    registry=REGISTRY,
)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def webhook_outcome(status_code: int) -> str:
    if status_code < 400:
        return "accepted"
    return "refused" if status_code < 500 else "failed"


def observe_webhook(source: str, status_code: int, seconds: float) -> None:
    WEBHOOKS.labels(source, webhook_outcome(status_code)).inc()
    WEBHOOK_SECONDS.labels(source).observe(seconds)


def observe_job(kind: str, outcome: str, seconds: float | None) -> None:
    """A job that ended ``outcome``; ``seconds`` its run's (None: it ended without one)."""
    JOBS.labels(kind, outcome).inc()
    if seconds is not None:
        JOB_SECONDS.labels(kind).observe(seconds)


NO_ANSWER: Final = "network_error"
"""The ``status`` of a request that got no answer (refused, unreachable, timed out, cut off)."""


def observe_api_response(system: str, status_code: int) -> None:
    API_REQUESTS.labels(system, str(status_code)).inc()


def observe_api_failure(system: str) -> None:
    API_REQUESTS.labels(system, NO_ANSWER).inc()


def api_answer_observer(system: str) -> Callable[[int | None], None]:
    """Counts a request's answer (its HTTP status), or its having none (``None``)."""

    def observe(status: int | None) -> None:
        if status is None:
            observe_api_failure(system)
        else:
            observe_api_response(system, status)

    return observe


def rate_limit_wait_observer(system: str) -> RateLimitWaitObserver:
    return RateLimitWaitObserver(system)


class RateLimitWaitObserver:
    """A callback for a client's pacing: one call per request that had to wait."""

    def __init__(self, system: str) -> None:
        self._child = RATE_LIMIT_WAITS.labels(system)

    def __call__(self) -> None:
        self._child.inc()


def process_metrics_text() -> bytes:
    """Every process's counters (multiprocess mode) or this process's."""
    path = multiprocess_dir()
    if path is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]
    return generate_latest(registry)
