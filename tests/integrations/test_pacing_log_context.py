"""The limiter's dispatcher serves the waiters of many jobs for as long as anyone waits: it must
not carry the log context (the job id, kind and entity) of the job whose request happened to
start it, or its lines about another job's request would name the wrong deal."""

from __future__ import annotations

import asyncio
import logging

import pytest

from upsales_fortnox.core.logging_setup import RedactingContextFilter, log_context
from upsales_fortnox.integrations.pacing import SlidingWindowLimiter, read_ahead_of_need


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.addFilter(RedactingContextFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _failing_test() -> bool:
    raise RuntimeError("the import's phase is unknown")


async def test_a_line_about_one_jobs_request_does_not_name_the_job_that_started_the_dispatcher(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:  # the dispatcher's wait for the window to pass
        now[0] += seconds
        await asyncio.sleep(0)

    limiter = SlidingWindowLimiter(2, 10, clock=lambda: now[0], sleep=sleep)
    records = _Records()
    logger = logging.getLogger("upsales_fortnox.integrations.pacing")
    logger.addHandler(records)
    monkeypatch.setattr(logger, "level", logging.INFO)
    held = asyncio.Event()

    async def hold() -> None:
        async with limiter.slot():
            await held.wait()

    async def job_a_request() -> None:
        with log_context(job_id="a", entity_id="1001"):
            await limiter.acquire()  # waits: it starts the dispatcher

    async def job_b_request() -> None:
        with log_context(job_id="b", entity_id="2002"):
            read_ahead_of_need(_failing_test)
            await limiter.acquire()

    try:
        holders = [asyncio.create_task(hold()) for _ in range(2)]
        await asyncio.sleep(0)
        a = asyncio.create_task(job_a_request())
        await asyncio.sleep(0)
        b = asyncio.create_task(job_b_request())
        await asyncio.sleep(0)
        held.set()
        await asyncio.wait_for(asyncio.gather(*holders, a, b), timeout=5)
    finally:
        logger.removeHandler(records)

    [line] = [r for r in records.records if "read-ahead test failed" in r.getMessage()]
    assert getattr(line, "job_id", None) != "a"
    assert getattr(line, "entity_id", None) != "1001"
