"""A name that contains a text, whatever the case, on both databases and for å, ä, ö too.

SQLite's own ``lower`` folds ASCII alone, so its connections carry ``ufs_lower`` (Python's
``str.lower``, :data:`~upsales_fortnox.core.db.sqlite_driver.SQLITE_LOWER`); PostgreSQL's
``lower`` folds by the database's character type (a UTF-8 one folds every letter).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func
from sqlalchemy.orm import QueryableAttribute

from upsales_fortnox.core.db.sqlite_driver import SQLITE_LOWER

_LIKE_ESCAPE = "\\"


def contains_folded(
    column: ColumnElement[Any] | QueryableAttribute[Any], text: str, dialect: str
) -> ColumnElement[bool]:
    """``column`` holds ``text`` anywhere in it, ignoring case; ``%`` and ``_`` in ``text`` are
    plain characters."""
    escaped = (
        text.lower()
        .replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
        .replace("%", f"{_LIKE_ESCAPE}%")
        .replace("_", f"{_LIKE_ESCAPE}_")
    )
    lower = getattr(func, SQLITE_LOWER) if dialect == "sqlite" else func.lower
    folded: ColumnElement[str] = lower(column)
    return folded.like(f"%{escaped}%", escape=_LIKE_ESCAPE)
