"""Watching what the service's SQLite connections call (``core/db/sqlite_driver``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from upsales_fortnox.core.db.sqlite_driver import OneTripConnection


def watch_driver_calls(
    monkeypatch: pytest.MonkeyPatch, note: Callable[[str, tuple[Any, ...]], None]
) -> None:
    """From now on, every call a connection makes into SQLite is first given to ``note``: the
    called function's name and its arguments (a statement's are the SQLite connection, the SQL
    and its parameters)."""
    original = OneTripConnection._execute

    async def noted(self: OneTripConnection, function: Any, *arguments: Any, **options: Any) -> Any:
        note(getattr(function, "__name__", repr(function)), arguments)
        return await original(self, function, *arguments, **options)

    monkeypatch.setattr(OneTripConnection, "_execute", noted)
