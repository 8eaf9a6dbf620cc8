"""Upsales' date formats: ``YYYY-MM-DD`` for dates, ``2018-05-22T11:08:26.000Z`` for timestamps.

A day Upsales sets itself (an order's ``closeDate``) is the account's day in Sweden
(:data:`ACCOUNT_TIMEZONE`), as its users live it: a deal won at 00:30 in Stockholm closes that
day, though UTC still has the day before.

Timestamps keep whole seconds: every ``regDate``/``modDate`` in Upsales' Postman examples ends in
``.000Z``, so two changes within one second carry the same ``modDate``.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo

ACCOUNT_TIMEZONE: Final = ZoneInfo("Europe/Stockholm")


@lru_cache(maxsize=256)
def format_timestamp(epoch_seconds: float) -> str:
    moment = datetime.fromtimestamp(math.floor(epoch_seconds), tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


@lru_cache(maxsize=256)
def format_date(epoch_seconds: float) -> str:
    """The calendar date in Sweden (:data:`ACCOUNT_TIMEZONE`) of ``epoch_seconds``."""
    return datetime.fromtimestamp(epoch_seconds, tz=ACCOUNT_TIMEZONE).date().isoformat()


def parse_date(text: str) -> date | None:
    """A ``YYYY-MM-DD`` date, also accepting a full ISO timestamp; ``None`` when unparsable."""
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None
