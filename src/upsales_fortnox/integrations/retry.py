"""How long a client repeats a failed request before handing the failure to the job worker."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from upsales_fortnox.integrations.pacing import Clock, Sleep
from upsales_fortnox.integrations.step_aside import waiting_outside


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter; each system's numbers are in its
    ``request_rules`` module.

    A failure that may pass (5xx, network error; for Upsales also a 429) is tried again after
    :meth:`delay`, at most ``max_attempts`` times in all (None: no count) and never waiting past
    ``max_elapsed_seconds`` since the first try; then the last error is raised and the worker
    retries the whole job later. Fortnox's 429s pause the tenant's limiter instead and are
    repeated within ``rate_limit_budget_seconds``.
    """

    max_attempts: int | None = None
    max_elapsed_seconds: float = 30.0
    rate_limit_budget_seconds: float = 60.0
    base_delay_seconds: float = 0.5
    max_delay_seconds: float = 8.0
    clock: Clock = time.monotonic
    sleep: Sleep = asyncio.sleep
    jitter: Callable[[], float] = field(default=random.random)
    """A random number in [0, 1), drawn once per delay."""

    def backoff(self, failures: int) -> float:
        """Delay after the ``failures``-th consecutive failure: doubling from the base delay,
        capped, jittered over its upper half."""
        ceiling = min(self.max_delay_seconds, self.base_delay_seconds * 2.0 ** (failures - 1))
        return ceiling / 2 + ceiling / 2 * self.jitter()

    def delay(self, failures: int, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt number ``failures`` (1-based). A server-given
        ``retry_after`` is honoured, plus up to one base delay of jitter so that waiting clients
        do not return all at once."""
        if retry_after is not None:
            return retry_after + self.jitter() * self.base_delay_seconds
        return self.backoff(failures)

    def gives_up(self, failures: int, started: float, delay: float) -> bool:
        """Whether to stop after ``failures`` failed attempts rather than wait ``delay`` more
        (``started``: the first try, on :attr:`clock`)."""
        if self.max_attempts is not None and failures >= self.max_attempts:
            return True
        return self.clock() - started + delay > self.max_elapsed_seconds

    def outlasts_rate_limit_budget(self, started: float, pause: float) -> bool:
        """Whether waiting out a rate limit's ``pause`` ends past ``rate_limit_budget_seconds``
        (``started``: the first try): the request is not made, its job is queued again for
        then and the worker serves others meanwhile, not holding a place for minutes."""
        return self.clock() - started + pause > self.rate_limit_budget_seconds

    async def wait(self, delay: float) -> None:
        """Sleep ``delay`` seconds before the next try (a job steps aside meanwhile)."""
        async with waiting_outside():
            await self.sleep(delay)

    async def back_off(self, error: Exception, failures: int, started: float) -> None:
        """Wait the backoff after ``failures`` consecutive failures, or raise ``error`` when
        that would pass the budget (``started``: the first try, on :attr:`clock`)."""
        delay = self.backoff(failures)
        if self.gives_up(failures, started, delay):
            raise error
        await self.wait(delay)
