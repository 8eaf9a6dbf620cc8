"""Reading one row under a lock held until the transaction ends, on both databases."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

M = TypeVar("M")


async def read_locked(
    session: AsyncSession,
    model: type[M],
    where: ColumnElement[bool],
    touched: InstrumentedAttribute[Any],
) -> M | None:
    """The row ``where`` selects, read fresh under a lock.

    ``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite, which has no row locks, a no-op
    ``UPDATE`` of the row first (``touched`` set to itself), which takes the database's write
    lock.
    """
    query = select(model).where(where)
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            update(model)
            .where(where)
            .values({touched: touched})
            .execution_options(synchronize_session=False)
        )
    else:
        query = query.with_for_update()
    result = await session.execute(query.execution_options(populate_existing=True))
    return result.scalar_one_or_none()
