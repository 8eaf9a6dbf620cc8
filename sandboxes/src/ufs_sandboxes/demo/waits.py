"""The demo's helpers: waiting for an asynchronous step, and reading what the sync linked."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import select

from upsales_fortnox.models.link import Link
from upsales_fortnox.services import Services
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

#: How long the demo waits for one sync step before it gives up.
STEP_TIMEOUT_SECONDS = 60.0
_POLL_SECONDS = 0.2

T = TypeVar("T")


async def until(check: Callable[[], bool], what: str) -> None:
    await wait_for(lambda: _as_awaitable(check()), what)


async def _as_awaitable(value: T) -> T:
    return value


async def wait_for(probe: Callable[[], Awaitable[T | None]], what: str) -> T:
    """Poll ``probe`` until it returns something truthy (the demo's steps are asynchronous)."""
    deadline = time.monotonic() + STEP_TIMEOUT_SECONDS
    while True:
        value = await probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        await asyncio.sleep(_POLL_SECONDS)


async def linked_fortnox_id(
    services: Services, installation_id: uuid.UUID, order_id: int
) -> str | None:
    async with services.session_factory() as session:
        found: str | None = await session.scalar(
            select(Link.fortnox_id).where(
                Link.installation_id == installation_id,
                Link.entity == LinkEntity.ORDER,
                Link.upsales_id == order_id,
                Link.fortnox_type == FortnoxType.INVOICE,
            )
        )
    return found


async def linked_upsales_id(
    services: Services, installation_id: uuid.UUID, customer_number: str
) -> int | None:
    async with services.session_factory() as session:
        found: int | None = await session.scalar(
            select(Link.upsales_id).where(
                Link.installation_id == installation_id,
                Link.fortnox_type == FortnoxType.CUSTOMER,
                Link.fortnox_id == customer_number,
            )
        )
    return found


def phase_summary(report: dict[str, Any]) -> str:
    """``customers 3/3 (created 2, linked 1); ...`` from the initial sync's report."""
    parts = []
    for phase in report.get("phases") or []:
        counts = ", ".join(
            f"{name} {count}" for name, count in sorted(phase["counts"].items()) if count
        )
        parts.append(f"{phase['phase']} {phase['done']}/{phase['total']} ({counts or 'nothing'})")
    return "; ".join(parts) or "nothing to import"
