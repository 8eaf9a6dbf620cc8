"""The event loop of the service's commands: uvloop where it is installed (the loop uvicorn
picks for ``serve``, so a worker process runs on the same loop as the API process and its
in-process worker), else asyncio's own.

uvloop runs the worker's won deals with about 7 % less CPU on SQLite (``bench/won_deals.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)``, on uvloop when it is installed."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is not built for every platform
        return asyncio.run(main)
    return uvloop.run(main)
