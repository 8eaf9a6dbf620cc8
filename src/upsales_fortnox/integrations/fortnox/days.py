"""Fortnox's day: the date in Sweden (Europe/Stockholm, daylight saving included).

Fortnox dates documents and payments, and tells an invoice overdue (``filter=unpaidoverdue``),
by the Swedish calendar day. Between midnight in Stockholm and midnight UTC (an hour in winter,
two in summer) that day is not the UTC date of the same instant, nor the host's own date.
"""

from __future__ import annotations

import datetime as dt

from upsales_fortnox.integrations.fortnox.facts import LASTMODIFIED_TIMEZONE


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
