"""The rule for entities that slipped back a page during the initial import (pure)."""

from __future__ import annotations

from upsales_fortnox.domain.initial_paging import slipped_back, slipped_entities


def test_only_a_list_that_shrank_since_the_page_before_is_looked_at_again() -> None:
    assert slipped_back(None, 5) == 0  # a phase's first page
    assert slipped_back(7, 7) == 0
    assert slipped_back(7, 9) == 0  # entities added: they land on later pages
    assert slipped_back(7, 6) == 1
    assert slipped_back(9, 6) == 3


def test_the_slipped_are_the_last_of_the_page_before_that_this_page_does_not_hold() -> None:
    page_before = ["2", "3", "4", "5"]
    assert slipped_entities(page_before, 1, {"6", "7"}, str) == ["5"]
    assert slipped_entities(page_before, 2, {"5", "6"}, str) == ["4"]  # read with this page
    assert slipped_entities(page_before, 6, set(), str) == page_before  # more than a page
    assert slipped_entities(page_before, 0, set(), str) == []
