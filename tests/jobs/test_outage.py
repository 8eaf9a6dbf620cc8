"""A worker's view of a database outage: pause longer while it lasts, say so once each way."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import OperationalError

from upsales_fortnox.jobs.outage import MAX_PAUSE_SECONDS, DatabaseOutage


def _refused() -> OperationalError:
    return OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))


def test_an_outage_pauses_longer_up_to_a_cap_and_ends_on_success(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    outage = DatabaseOutage(poll_seconds=0.25)
    assert outage.pause_seconds() == 0.25 and not outage.down
    pauses = []
    for _ in range(6):
        assert outage.failed(_refused())
        pauses.append(outage.pause_seconds())
    assert pauses == sorted(pauses) and pauses[0] > 0.25
    assert pauses[-1] == MAX_PAUSE_SECONDS
    outage.succeeded()
    outage.succeeded()
    assert outage.pause_seconds() == 0.25 and not outage.down
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2
    assert "database unavailable" in messages[0] and "database back" in messages[1]


def test_other_errors_are_not_an_outage() -> None:
    outage = DatabaseOutage(poll_seconds=0.5)
    assert not outage.failed(ValueError("a bug"))
    assert not outage.down and outage.pause_seconds() == 0.5


def test_a_poll_slower_than_the_cap_is_kept() -> None:
    outage = DatabaseOutage(poll_seconds=5.0)
    outage.failed(_refused())
    assert outage.pause_seconds() == 5.0
