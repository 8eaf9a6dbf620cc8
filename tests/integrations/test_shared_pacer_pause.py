"""A request waiting for its place in the shared budget (several processes call Fortnox for the
tenant) when another request's 429 pauses the tenant past its patience gives up unsent, as one
waiting in the process' own queue does (``slot(give_up)``): the job is queued again for the
pause's end instead of sending into the pause."""

from __future__ import annotations

import asyncio

import pytest

from upsales_fortnox.integrations.pacing import PausedPastPatience, SlidingWindowLimiter
from upsales_fortnox.integrations.shared_pacing import SharedPacer

SAFETY_TIMEOUT = 5


class HeldBudget:
    """A shared budget whose places are given once ``free`` is set; notes what it was told."""

    def __init__(self) -> None:
        self.free = asyncio.Event()
        self.asked = asyncio.Event()
        self.finished: list[int] = []

    async def take(self, tenant_key: str) -> int:
        self.asked.set()
        await self.free.wait()
        return 7

    async def finish(self, grant: int) -> None:
        self.finished.append(grant)

    async def aclose(self) -> None:
        return None


async def request_waiting_in_budget(
    pacer: SharedPacer, budget: HeldBudget, patience_seconds: float
) -> tuple[asyncio.Task[None], list[str]]:
    """A request of the tenant, started and waiting for its place in ``budget``; it gives up on a
    pause longer than ``patience_seconds``. Returns its task and the list it notes its send in."""
    sent: list[str] = []

    async def request() -> None:
        async with pacer.slot(lambda pause: pause > patience_seconds):
            sent.append("sent")

    waiting = asyncio.create_task(request())
    async with asyncio.timeout(SAFETY_TIMEOUT):
        await budget.asked.wait()
    return waiting, sent


async def test_a_request_waiting_in_the_shared_budget_gives_up_on_a_pause_past_its_patience() -> (
    None
):
    budget = HeldBudget()
    pacer = SharedPacer(SlidingWindowLimiter(5, 5.0), budget, "tenant:1")
    waiting, sent = await request_waiting_in_budget(pacer, budget, patience_seconds=60)
    pacer.rate_limited(300)  # another request of the tenant met a 429 with Retry-After: 300
    budget.free.set()
    with pytest.raises(PausedPastPatience) as raised:
        async with asyncio.timeout(SAFETY_TIMEOUT):
            await waiting
    assert raised.value.pause_left > 60
    assert sent == []  # never sent into the pause
    assert budget.finished == [7]  # the shared place is given back


async def test_a_patient_request_in_the_shared_budget_is_not_turned_away() -> None:
    budget = HeldBudget()
    pacer = SharedPacer(SlidingWindowLimiter(5, 5.0), budget, "tenant:1")
    waiting, sent = await request_waiting_in_budget(pacer, budget, patience_seconds=600)
    pacer.rate_limited(0.01)
    budget.free.set()
    async with asyncio.timeout(SAFETY_TIMEOUT):
        await waiting
    assert sent == ["sent"]
