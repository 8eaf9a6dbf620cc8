"""``lastmodified`` is Swedish local time, across daylight-saving changes (2026: summer time
starts 29 March at 01:00 UTC, ends 25 October at 01:00 UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ufs_sandboxes.fortnox.listing import parse_lastmodified
from upsales_fortnox.integrations.fortnox.lastmodified import format_lastmodified


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("instant", "sent"),
    [
        (utc(2026, 1, 15, 11, 30, 59), "2026-01-15 12:30"),  # winter: UTC+1, seconds dropped
        (utc(2026, 7, 1, 10, 0), "2026-07-01 12:00"),  # summer: UTC+2
        # spring gap: 01:59 CET is followed by 03:00 CEST; no instant maps into 02:xx
        (utc(2026, 3, 29, 0, 59), "2026-03-29 01:59"),
        (utc(2026, 3, 29, 1, 0), "2026-03-29 03:00"),
        (utc(2026, 3, 29, 1, 30), "2026-03-29 03:30"),
        # autumn overlap: 02:00-02:59 happens twice. The first pass (summer time) is sent as
        # 01:59 so that neither reading of the ambiguous hour lies after the instant.
        (utc(2026, 10, 25, 0, 0), "2026-10-25 01:59"),
        (utc(2026, 10, 25, 0, 45), "2026-10-25 01:59"),
        (utc(2026, 10, 25, 1, 0), "2026-10-25 02:00"),  # second pass, winter time
        (utc(2026, 10, 25, 1, 45), "2026-10-25 02:45"),
        (utc(2026, 10, 25, 2, 0), "2026-10-25 03:00"),
    ],
)
def test_an_instant_is_sent_as_swedish_wall_time(instant: datetime, sent: str) -> None:
    assert format_lastmodified(instant) == sent


def test_a_naive_value_is_taken_as_swedish_wall_time() -> None:
    assert format_lastmodified(datetime(2026, 10, 25, 2, 30, 10)) == "2026-10-25 02:30"


def test_every_minute_around_both_changes_is_never_read_after_its_instant() -> None:
    """Whichever way the ambiguous hour is read, the filter starts at or before the instant,
    and at most an hour (plus the dropped seconds) before it."""
    for start in (utc(2026, 3, 28, 23, 0), utc(2026, 10, 24, 23, 0)):
        for minute in range(4 * 60):
            instant = start + timedelta(minutes=minute, seconds=30)
            text = format_lastmodified(instant)
            readings = {parse_lastmodified(text), _later_reading(text)}
            for reading in readings:
                assert reading <= instant.timestamp()
                assert instant.timestamp() - reading <= 3600 + 60


def _later_reading(text: str) -> float:
    """The other instant an ambiguous wall time may mean (the same one otherwise)."""
    local = datetime.strptime(text, "%Y-%m-%d %H:%M")
    return local.replace(tzinfo=ZoneInfo("Europe/Stockholm"), fold=1).timestamp()


@pytest.mark.parametrize(
    ("value", "instant"),
    [
        ("2026-01-15 12:30", utc(2026, 1, 15, 11, 30)),
        ("2026-07-01 12:00:00", utc(2026, 7, 1, 10, 0)),
        ("2026-03-29 01:59", utc(2026, 3, 29, 0, 59)),
        ("2026-03-29 03:00", utc(2026, 3, 29, 1, 0)),
        # a wall time inside the spring gap is moved forward by the gap (02:30 -> 03:30 CEST)
        ("2026-03-29 02:30", utc(2026, 3, 29, 1, 30)),
        # an ambiguous autumn wall time is read as its first (summer time) pass
        ("2026-10-25 02:30", utc(2026, 10, 25, 0, 30)),
        ("2026-10-25 03:00", utc(2026, 10, 25, 2, 0)),
    ],
)
def test_the_sandbox_reads_lastmodified_as_swedish_wall_time(value: str, instant: datetime) -> None:
    assert parse_lastmodified(value) == instant.timestamp()
