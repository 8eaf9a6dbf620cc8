"""The ``lastmodified`` list filter's value: Swedish local time, ``YYYY-MM-DD HH:MM``.

Fortnox's docs give the filter as local time (``lastmodified=2022-11-25 06:00``; reference
fortnox.md §1) and Fortnox is a Swedish service, so the value is wall time in Europe/Stockholm.
An instant is converted with the zone's daylight-saving rules:

- Spring gap (the last Sunday of March, 02:00-03:00 does not exist): converting an instant
  never lands in the gap (01:59 CET is followed by 03:00 CEST).
- Autumn overlap (the last Sunday of October, 02:00-03:00 happens twice): a wall time in that
  hour names two instants an hour apart. How Fortnox reads it is not settled
  (:data:`.facts.LASTMODIFIED_TIMEZONE`); reading it as
  the later one would skip up to an hour of changes after the earlier one. An instant in the
  *first* pass of that hour is therefore sent as the minute before the hour (01:59, still
  summer time, unambiguous): at most an hour more is listed, nothing is missed. An instant in
  the second pass is sent as is: either reading is at or before it.

The value has minute precision (seconds are dropped), so it is never later than the instant.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from upsales_fortnox.integrations.fortnox.facts import LASTMODIFIED_TIMEZONE

LASTMODIFIED_FORMAT: Final = "%Y-%m-%d %H:%M"


def _is_ambiguous(local: datetime) -> bool:
    """Whether this wall time happens twice (it has a different offset in its other fold)."""
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def local_lastmodified(value: datetime) -> datetime:
    """The naive Swedish wall time to send for the instant ``value`` (see the module text).

    A naive ``value`` is taken to be Swedish wall time already and is returned unchanged.
    """
    if value.tzinfo is None:
        return value.replace(second=0, microsecond=0)
    local = value.astimezone(LASTMODIFIED_TIMEZONE)
    if local.fold == 0 and _is_ambiguous(local):
        hour_start = local.replace(minute=0, second=0, microsecond=0)
        while _is_ambiguous(hour_start - timedelta(minutes=1)):
            hour_start -= timedelta(hours=1)
        local = hour_start - timedelta(minutes=1)
    return local.replace(tzinfo=None, second=0, microsecond=0)


def format_lastmodified(value: datetime) -> str:
    """``YYYY-MM-DD HH:MM`` in Swedish local time (an aware ``value`` is converted)."""
    return local_lastmodified(value).strftime(LASTMODIFIED_FORMAT)
