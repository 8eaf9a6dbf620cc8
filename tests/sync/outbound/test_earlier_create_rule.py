"""A retried won deal whose search found nothing is created only after a second search, made
once an earlier create can no longer land."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from upsales_fortnox.domain.outbound.settling import after_a_missed_search, search_not_before

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def test_a_deal_never_missed_is_searched_now() -> None:
    assert search_not_before(None, NOW) is None


def test_a_deal_still_settling_is_not_searched_before_its_time() -> None:
    later = NOW + timedelta(seconds=1)
    assert search_not_before(later, NOW) == later


def test_a_deal_whose_time_came_is_searched() -> None:
    assert search_not_before(NOW, NOW) is None
    assert search_not_before(NOW - timedelta(seconds=1), NOW) is None


def test_the_first_miss_searches_again_the_settle_time_after_the_search_began() -> None:
    assert after_a_missed_search(None, NOW, 60.0) == NOW + timedelta(seconds=60)


def test_a_miss_after_the_wait_creates() -> None:
    assert after_a_missed_search(NOW - timedelta(seconds=5), NOW, 60.0) is None


def test_without_a_settle_time_the_first_miss_creates() -> None:
    assert after_a_missed_search(None, NOW, 0.0) is None
