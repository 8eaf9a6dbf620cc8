"""The Fortnox tenants' pacers: in-process limiters, in front of the budget every process shares
when the database is PostgreSQL (:mod:`.repository`)."""

from __future__ import annotations

from collections.abc import Callable

from upsales_fortnox.core.db.session import DbEngine
from upsales_fortnox.fortnox_budget.repository import PostgresBudget, database_budget
from upsales_fortnox.integrations.pacing import LimiterRegistry
from upsales_fortnox.integrations.shared_pacing import PacerRegistry, SharedPacerRegistry


def fortnox_pacers(
    engine: DbEngine,
    *,
    limit: int,
    window_seconds: float,
    on_wait: Callable[[], None] | None = None,
) -> PacerRegistry:
    """In one process (SQLite) the in-process limiters; on PostgreSQL, where API and worker
    processes may call Fortnox for the same tenant, those in front of the shared budget."""
    budget = database_budget(engine, limit=limit, window_seconds=window_seconds)
    if budget is None:
        return LimiterRegistry(limit, window_seconds, on_wait=on_wait)
    return SharedPacerRegistry(LimiterRegistry(limit, window_seconds, on_wait=on_wait), budget)


def shared_pacer_registry(
    engine: DbEngine,
    *,
    limit: int,
    window_seconds: float,
    on_wait: Callable[[], None] | None = None,
) -> SharedPacerRegistry:
    """In-process limiters in front of the tenants' budgets in PostgreSQL."""
    return SharedPacerRegistry(
        LimiterRegistry(limit, window_seconds, on_wait=on_wait),
        PostgresBudget(engine, limit=limit, window_seconds=window_seconds),
    )
