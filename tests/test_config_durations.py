"""Every duration setting (a number of the seconds, minutes, hours or days its name ends in) is
finite and at most a year, a lease at most a day: JOB_LEASE_SECONDS=inf (or 1e300, or a lease
past what a date can hold) was taken, and the worker then failed at start with an overflow
naming no variable. Such a value now stops the start, naming the variable, as
JOB_OUTAGE_PATIENCE_HOURS=inf did."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.config_support import refusal_of
from tests.jobs.support import FakeClock, add_installation, add_job, load_job, make_worker
from upsales_fortnox.core.config import (
    Settings,
    duration_unit_seconds,
    load_settings,
    longest_seconds,
)
from upsales_fortnox.jobs import HandlerRegistry, JobContext
from upsales_fortnox.vocabulary import JobStatus

FLOAT_SETTINGS = sorted(
    name for name, field in Settings.model_fields.items() if field.annotation is float
)


def _longest(name: str) -> float:
    unit = duration_unit_seconds(name)
    assert unit is not None, f"{name} names no unit of time"
    return longest_seconds(name) / unit


def test_every_float_setting_is_a_duration_named_by_its_unit() -> None:
    """So none escapes the ceiling: it is found by the unit its name ends in."""
    assert "job_lease_seconds" in FLOAT_SETTINGS
    assert [name for name in FLOAT_SETTINGS if duration_unit_seconds(name) is None] == []


@pytest.mark.parametrize("value", ["inf", "-inf", "infinity", "nan", "1e300"])
@pytest.mark.parametrize("name", FLOAT_SETTINGS)
def test_an_endless_or_absurd_duration_stops_the_start_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    refusal_of(monkeypatch, name.upper(), value)


@pytest.mark.parametrize("value", ["0", "-1", "-0.5", "-inf"])
def test_a_lease_of_no_time_stops_the_start_naming_it(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """A lease that runs out as it is taken would hand every job to the next worker."""
    refusal_of(monkeypatch, "JOB_LEASE_SECONDS", value)


@pytest.mark.parametrize("name", FLOAT_SETTINGS)
def test_a_duration_past_its_longest_stops_the_start_and_its_longest_is_taken(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    variable = name.upper()
    refusal_of(monkeypatch, variable, repr(_longest(name) * 1.01))

    monkeypatch.setenv(variable, repr(_longest(name)))
    assert getattr(load_settings(), name) == _longest(name)


async def test_a_worker_runs_and_retries_a_job_with_every_duration_at_its_longest(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """The ceilings are low enough for the service: with a lease of weeks, PostgreSQL refused
    the worker's session settings (a timeout past its 24.8 days), and it never claimed a job."""
    clock = FakeClock()
    settings = Settings(**{name: _longest(name) for name in FLOAT_SETTINGS})
    installation_id = await add_installation(session_factory)
    job_id = await add_job(session_factory, installation_id, clock)

    async def handler(ctx: JobContext) -> None:
        raise RuntimeError("fails once, to be tried again after the longest backoff")

    worker = make_worker(
        session_factory, HandlerRegistry({"test.job": handler}), clock, settings=settings
    )
    assert await worker.run_once() == 1

    job = await load_job(session_factory, job_id)
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 1)
    assert job.run_after > clock.now
