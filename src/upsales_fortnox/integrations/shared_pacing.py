"""The seam between a client and where its request budget is kept, when processes share it.

The Fortnox client paces its requests through a :class:`TenantPacer` (one per tenant, from a
:class:`PacerRegistry`). In one process that is the in-process
:class:`~upsales_fortnox.integrations.pacing.SlidingWindowLimiter`. When several processes call
Fortnox for the same tenant (API replicas, workers), each request also takes a place in a
:class:`SharedBudget` that all of them draw from, such as one kept in the database
(:mod:`upsales_fortnox.fortnox_budget.repository`): :class:`SharedPacer` puts the two together.
The client knows only these protocols, so it needs nothing from the application.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from upsales_fortnox.integrations.pacing import GiveUp, LimiterRegistry, SlidingWindowLimiter
from upsales_fortnox.integrations.step_aside import waiting_outside


class TenantPacer(Protocol):
    """What the client needs from a tenant's pacing."""

    def slot(self, give_up: GiveUp | None = None) -> AbstractAsyncContextManager[None]:
        """Wait for a place in the tenant's budget and hold it until the block ends (``give_up``:
        see :meth:`~upsales_fortnox.integrations.pacing.SlidingWindowLimiter.slot`)."""
        ...

    def rate_limited(self, retry_after: float | None = None) -> float:
        """Record a 429; returns the pause in seconds before the next request."""
        ...

    def succeeded(self) -> None:
        """A request passed Fortnox's limit."""
        ...

    def pause_left(self) -> float:
        """Seconds until the pause of the last 429 ends (0: not paused)."""
        ...


class PacerRegistry(Protocol):
    def get(self, tenant_key: str) -> TenantPacer: ...

    async def aclose(self) -> None:
        """Let go of what the pacing holds outside the process (the shared budget's places)."""
        ...


class SharedBudget(Protocol):
    """A tenant budget shared by processes: ``limit`` places per ``window`` seconds, a place
    held from its grant until the request's answer and counted for a window after it."""

    async def take(self, tenant_key: str) -> int:
        """Wait for a place; returns the grant to :meth:`finish` once the answer is in."""
        ...

    async def finish(self, grant: int) -> None:
        """The request of ``grant`` has its answer: its place counts for a window more.
        Never raises, and ends its work though its caller is cancelled: the request's own
        outcome is what the caller reports."""
        ...

    async def aclose(self) -> None:
        """This process takes no more places."""
        ...


class SharedPacer:
    """A tenant's in-process limiter in front of the shared budget.

    The in-process limiter orders this process' requests (first come, first served) and
    handles 429 pauses; only the requests it lets through ask the shared budget, one at a time
    per tenant while they wait for a place there, so waiting costs the shared store one
    request per process and tenant, not one per waiting request.
    """

    def __init__(self, local: SlidingWindowLimiter, budget: SharedBudget, tenant_key: str) -> None:
        self._local = local
        self._budget = budget
        self._tenant_key = tenant_key
        self._asking = asyncio.Lock()

    @asynccontextmanager
    async def slot(self, give_up: GiveUp | None = None) -> AsyncIterator[None]:
        """As :meth:`SlidingWindowLimiter.slot`; ``give_up`` is asked once more when the shared
        place comes: a pause another request's 429 set while this one waited there, and that it
        would not wait out, sends it back unsent (its shared place given back)."""
        async with self._local.slot(give_up):
            async with waiting_outside(), self._asking:
                grant = await self._budget.take(self._tenant_key)
            try:
                self._local.refuse_a_pause_past(give_up)
                yield
            finally:
                await self._budget.finish(grant)

    def rate_limited(self, retry_after: float | None = None) -> float:
        return self._local.rate_limited(retry_after)

    def succeeded(self) -> None:
        self._local.succeeded()

    def pause_left(self) -> float:
        return self._local.pause_left()


class SharedPacerRegistry:
    """One :class:`SharedPacer` per tenant key, over an in-process :class:`LimiterRegistry`."""

    def __init__(self, local: LimiterRegistry, budget: SharedBudget) -> None:
        self._local = local
        self._budget = budget
        self._pacers: dict[str, SharedPacer] = {}

    def get(self, tenant_key: str) -> SharedPacer:
        pacer = self._pacers.get(tenant_key)
        if pacer is None:
            pacer = self._pacers[tenant_key] = SharedPacer(
                self._local.get(tenant_key), self._budget, tenant_key
            )
        return pacer

    async def aclose(self) -> None:
        await self._budget.aclose()
