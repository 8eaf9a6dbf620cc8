"""ETags and If-Match preconditions."""

from __future__ import annotations

import pytest

from upsales_fortnox.installations.versioning import etag_for, parse_if_match


def test_etag_round_trips() -> None:
    assert etag_for(7) == '"7"'
    assert parse_if_match(etag_for(7)).matches(7)
    assert not parse_if_match(etag_for(7)).matches(8)


@pytest.mark.parametrize(
    ("header", "matching", "not_matching"),
    [
        ('"3"', [3], [0, 4]),
        ('W/"3"', [3], [4]),
        ('"1", "4"', [1, 4], [2, 3]),
        (' "5" ', [5], [6]),
        ("*", [0, 1, 99], []),
        ("3", [], [3]),
        ('"abc"', [], [0, 1]),
        ('"-1"', [], [-1, 1]),
        ('""', [], [0]),
        ('"99999999999999999999999"', [], [0]),
    ],
)
def test_if_match_parsing(header: str, matching: list[int], not_matching: list[int]) -> None:
    precondition = parse_if_match(header)
    assert all(precondition.matches(version) for version in matching)
    assert not any(precondition.matches(version) for version in not_matching)
