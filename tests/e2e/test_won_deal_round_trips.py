"""The database round trips of a steady-state won deal, pinned so they cannot grow unnoticed.

A won deal whose company and products are linked already is one ``upsales.order`` job: one
Upsales GET of the order, one Fortnox POST of its invoice. Its database work, from its start to
its completion, is counted (statements, and the transactions' ``BEGIN``, ``COMMIT`` and
``ROLLBACK``): on PostgreSQL also those of the shared Fortnox budget, which run on the driver's
connection directly. A job's own cost is the difference between a turn of three jobs and a
turn of one (each turn's claim and release, and its batch's read, are the same in both), run
one at a time; run side by side, each job starts in a transaction of its own.

The shared budget records its answers in batches (one statement for the answers that came
while the previous batch was on its way), so jobs run side by side may share one; its
statements are counted apart (``budget_finishes``): one per job when jobs run one at a time,
between one per turn and one per job side by side.

Should a change add a round trip, the figures below are to be lowered only by removing one,
or raised with a reason: each costs CPU on every won deal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.harness import SyncHarness, harness
from tests.e2e.outbound_support import job, link_demo_products, queue, sync_order, win
from upsales_fortnox.jobs import Worker
from upsales_fortnox.vocabulary import JobStatus

__all__ = ["harness"]

#: What one steady-state won deal's job costs, by dialect.
PER_JOB = {
    "sqlite": {"statements": 7, "BEGIN": 3, "COMMIT": 3, "ROLLBACK": 0},
    "postgresql": {"statements": 6, "BEGIN": 1, "COMMIT": 1, "ROLLBACK": 0},
}
#: A worker turn of one such job, with the turn's claim, reads and release. The installation's
#: context is kept by the process (read by the deal synced before: no read in the turn).
TURN_OF_ONE = {
    "sqlite": {"statements": 13, "BEGIN": 10, "COMMIT": 7, "ROLLBACK": 3},
    "postgresql": {"statements": 22, "BEGIN": 10, "COMMIT": 10, "ROLLBACK": 0},
}
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")
#: How the shared budget's statement recording a batch of answers begins.
_BUDGET_FINISH = "WITH quick AS"


@contextmanager
def round_trips(engine: AsyncEngine) -> Iterator[Counter[str]]:
    """Counts the statements and transaction ends sent while the block runs. On PostgreSQL,
    ``BEGIN``, ``COMMIT`` and ``ROLLBACK`` are counted as the driver sends them (none for a
    statement run in autocommit), with the statements sent on the driver's connection
    directly (the shared budget's)."""
    counts: Counter[str] = Counter()
    postgres = engine.dialect.name == "postgresql"

    def statement(*_args: Any) -> None:
        counts["statements"] += 1

    listeners: list[tuple[str, Any]] = [("before_cursor_execute", statement)]
    patches = pytest.MonkeyPatch()
    if postgres:
        for name in ("execute", "fetch", "fetchrow", "fetchval"):
            original = getattr(asyncpg.connection.Connection, name)

            async def counted(
                self: Any, query: str, *args: Any, _original: Any = original, **kwargs: Any
            ) -> Any:
                word = query.split(None, 1)[0].rstrip(";").upper()
                if query.startswith(_BUDGET_FINISH):
                    word = "budget_finishes"
                counts[word if word in (*_CONTROL, "budget_finishes") else "statements"] += 1
                return await _original(self, query, *args, **kwargs)

            patches.setattr(asyncpg.connection.Connection, name, counted)
    else:
        for word in _CONTROL:
            listeners.append((word.lower(), lambda *_a, _w=word: counts.update([_w])))
    for name, listener in listeners:
        event.listen(engine.sync_engine, name, listener)
    try:
        yield counts
    finally:
        for name, listener in listeners:
            event.remove(engine.sync_engine, name, listener)
        patches.undo()


async def _won_orders(harness: SyncHarness, count: int) -> list[int]:
    """``count`` more won orders of the first deal's company, of its products."""
    first = dict(harness.upsales_entity("orders", harness.demo.opportunity_id) or {})
    return [
        int(
            harness.upsales.create_entity(
                harness.demo.customer_id,
                "orders",
                {
                    "description": f"Affär {number}",
                    "date": "2024-06-01",
                    "user": {"id": harness.demo.sales_rep_user_ids[0]},
                    "client": {"id": first["client"]["id"]},
                    "stage": {"id": harness.demo.stage_won_id},
                    "probability": 100,
                    "orderRow": [
                        {
                            "product": row["product"],
                            "quantity": 1 + number,
                            "price": 100,
                            "listPrice": 100,
                        }
                        for row in first["orderRow"]
                    ],
                },
                fire_hooks=False,
            )["id"]
        )
        for number in range(count)
    ]


async def _turn(harness: SyncHarness, orders: list[int], *, side_by_side: int) -> Counter[str]:
    """The round trips of one worker turn running ``orders``' jobs, ``side_by_side`` at most
    at once."""
    jobs = [await queue(harness, "upsales.order", order) for order in orders]
    settings = harness.worker._settings.model_copy(
        update={"worker_jobs_per_installation": side_by_side}
    )
    worker = Worker(harness.services.session_factory, harness.worker._registry, settings)
    with round_trips(harness.services.engine) as counts:
        ran = [await worker.run_once()]
        while ran[-1]:
            ran.append(await worker.run_once())
    assert sum(ran) == len(orders)
    for job_id in jobs:
        assert (await job(harness, job_id)).status == JobStatus.DONE
    return counts


async def _unfinished_places(harness: SyncHarness) -> int:
    """The shared budget's places still waiting for their answer to be recorded."""
    async with harness.services.session_factory() as session:
        unfinished = await session.scalar(
            text("SELECT count(*) FROM fortnox_budget_grants WHERE finished_at IS NULL")
        )
    return int(unfinished or 0)


async def test_a_steady_state_won_deal_costs_few_round_trips(harness: SyncHarness) -> None:
    await link_demo_products(harness)
    win(harness, harness.demo.opportunity_id)
    await sync_order(harness, harness.demo.opportunity_id)  # links the company: steady state
    orders = await _won_orders(harness, 7)
    invoices = harness.fortnox.tenant(harness.tenant_id).collection("invoices").items
    made_before = len(invoices)

    one = await _turn(harness, orders[:1], side_by_side=1)
    three = await _turn(harness, orders[1:4], side_by_side=1)
    beside = await _turn(harness, orders[4:], side_by_side=3)

    assert len(invoices) == made_before + 7, "one invoice per won deal"
    per_job = {key: (three[key] - one[key]) / 2 for key in ("statements", *_CONTROL)}
    per_job_beside = {key: (beside[key] - one[key]) / 2 for key in ("statements", *_CONTROL)}
    print(f"one job's turn: {dict(one)}; per job: {per_job}; side by side: {per_job_beside}")
    dialect = harness.services.engine.dialect.name
    assert per_job == PER_JOB[dialect]
    assert {key: one[key] for key in ("statements", *_CONTROL)} == TURN_OF_ONE[dialect]
    # three at once: each starts in a transaction of its own, not in the previous one's end
    started_apart = {"BEGIN": 1, "COMMIT": 1}
    assert per_job_beside == {key: per_job[key] + started_apart.get(key, 0) for key in per_job}
    if dialect == "postgresql":
        assert (one["budget_finishes"], three["budget_finishes"]) == (1, 3)
        assert 1 <= beside["budget_finishes"] <= 3
        assert await _unfinished_places(harness) == 0
    else:
        assert "budget_finishes" not in one + three + beside
