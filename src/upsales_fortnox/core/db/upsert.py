"""The INSERT that can say ``ON CONFLICT`` for the database at hand: PostgreSQL's or SQLite's
(both take ``on_conflict_do_nothing`` and ``on_conflict_do_update`` alike)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite


def upsert_insert(dialect_name: str, table: Any) -> postgresql.Insert | sqlite.Insert:
    """``INSERT INTO table`` of the dialect named (``postgresql``; any other is SQLite)."""
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
