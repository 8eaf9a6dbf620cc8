"""Fortnox's day: the date in Sweden (Europe/Stockholm, daylight saving included).

Fortnox dates documents and payments, and tells an invoice overdue (``filter=unpaidoverdue``),
by the Swedish calendar day. Between midnight in Stockholm and midnight UTC (an hour in winter,
two in summer) that day is not the UTC date of the same instant, nor the host's own date.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from upsales_fortnox.integrations.fortnox.facts import LASTMODIFIED_TIMEZONE

OVERDUE_LIST_SETTLES: Final = dt.timedelta(hours=1)
"""How soon after midnight in Stockholm ``filter=unpaidoverdue`` holds an invoice due the day
before: *unverified*. The sandbox turns at midnight by the Swedish date; Fortnox turns by its
own clock, which is some seconds off ours (the database server's), and may turn later (a
nightly job). Reconciliation reads the list at the first run of each Swedish day and again at
its first run this long into the day when the day's first read came earlier (under one marker,
so nothing is recorded twice): an invoice due yesterday shows overdue that morning under either
answer, not a day late because the day's one read came a minute before Fortnox's midnight."""


def fortnox_day(moment: dt.datetime) -> dt.date:
    """The Swedish date at the instant ``moment`` (a naive one is taken as UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(LASTMODIFIED_TIMEZONE).date()


def day_start(day: dt.date) -> dt.datetime:
    """The instant the Swedish ``day`` begins (midnight in Stockholm, which every day has)."""
    return dt.datetime.combine(day, dt.time(), LASTMODIFIED_TIMEZONE)


def fortnox_today() -> dt.date:
    """Today in Sweden: the date Fortnox gives a document made now (not the host's date)."""
    return fortnox_day(dt.datetime.now(dt.UTC))
