"""A name that contains a text, whatever the case, on both databases and for å, ä, ö too.

SQLite's own ``lower`` folds ASCII alone, so its connections carry ``ufs_lower`` (Python's
``str.lower``, :data:`~upsales_fortnox.core.db.sqlite_driver.SQLITE_LOWER`). PostgreSQL's
``lower`` folds by the database's character type: a UTF-8 one folds every letter, but ``C``
(``initdb --no-locale``, a common choice) folds ASCII alone, so the capitals of Latin-1 (Å, Ä,
Ö, É, Ü, …) are folded by ``translate`` after it too (where ``lower`` folded them, a no-op).
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import ColumnElement, func
from sqlalchemy.orm import QueryableAttribute

from upsales_fortnox.core.db.sqlite_driver import SQLITE_LOWER

_LIKE_ESCAPE = "\\"
_LATIN1_CAPITALS: Final = "".join(chr(c) for c in range(0xC0, 0xDF) if c != 0xD7)
"""À to Þ, the multiplication sign (U+00D7) left out."""


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
    folded: ColumnElement[str]
    if dialect == "sqlite":
        folded = getattr(func, SQLITE_LOWER)(column)
    else:
        folded = func.translate(func.lower(column), _LATIN1_CAPITALS, _LATIN1_CAPITALS.lower())
    return folded.like(f"%{escaped}%", escape=_LIKE_ESCAPE)
