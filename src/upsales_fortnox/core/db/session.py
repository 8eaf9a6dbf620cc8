"""The unit of work code outside the repositories holds: a database session it opens, passes to
repositories and commits, without building a statement itself."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

DbSession = AsyncSession
"""A session: repositories read and write through it; its owner commits or rolls back."""

DbSessionFactory = async_sessionmaker[AsyncSession]
"""Opens sessions (``async with factory() as session``)."""

DbEngine = AsyncEngine
"""The database itself, as the wiring builds it
(:func:`~upsales_fortnox.core.db.engine.create_engine`) and hands it to the repositories that
open their own connections."""
