"""Exponential backoff with full jitter, capped, honouring Retry-After."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from tests.jobs.support import HighestJitter
from upsales_fortnox.jobs.backoff import backoff_ceiling, retry_delay_seconds


def test_ceiling_doubles_per_attempt_until_the_cap() -> None:
    ceilings = [backoff_ceiling(n, base_seconds=2, max_seconds=60) for n in range(1, 8)]
    assert ceilings == [2, 4, 8, 16, 32, 60, 60]


def test_ceiling_stays_finite_for_huge_attempt_numbers() -> None:
    assert backoff_ceiling(10_000, base_seconds=2, max_seconds=900) == 900


@given(
    attempt=st.integers(min_value=1, max_value=200),
    base=st.floats(min_value=0.01, max_value=100),
    cap=st.floats(min_value=0.01, max_value=10_000),
    seed=st.integers(),
)
def test_delay_is_within_zero_and_the_ceiling(
    attempt: int, base: float, cap: float, seed: int
) -> None:
    delay = retry_delay_seconds(
        attempt, base_seconds=base, max_seconds=cap, rng=random.Random(seed)
    )
    assert 0 <= delay <= min(cap, base * 2 ** min(attempt - 1, 60))


def test_jitter_spreads_delays() -> None:
    rng = random.Random(7)
    delays = {retry_delay_seconds(5, base_seconds=2, max_seconds=60, rng=rng) for _ in range(50)}
    assert len(delays) == 50


def test_retry_after_is_a_floor_even_beyond_the_cap() -> None:
    rng = HighestJitter()
    assert retry_delay_seconds(1, base_seconds=2, max_seconds=60, rng=rng, retry_after=5) == 5
    assert retry_delay_seconds(1, base_seconds=2, max_seconds=60, rng=rng, retry_after=600) == 600
    assert retry_delay_seconds(3, base_seconds=2, max_seconds=60, rng=rng, retry_after=1) == 8
