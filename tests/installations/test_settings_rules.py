"""The settings rules, without a database."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from upsales_fortnox.domain.settings_rules import (
    MAX_ID,
    InvalidSettings,
    SettingsDraft,
    settings_problems,
    validate_settings,
)
from upsales_fortnox.vocabulary import ProductBundleMode, SyncType

VALID = SettingsDraft(
    sync_type="order",
    placeholder_user=3,
    won_stage=10,
    lost_stage=11,
    offer_stage=None,
    price_list="A",
    product_bundles="onlySubProducts",
)


def _codes(draft: SettingsDraft) -> set[tuple[str, str]]:
    return {(problem.field, problem.code) for problem in settings_problems(draft)}


def test_valid_settings_pass_through() -> None:
    valid = validate_settings(VALID)
    assert valid.sync_type is SyncType.ORDER
    assert valid.product_bundles is ProductBundleMode.ONLY_SUB_PRODUCTS
    assert (valid.won_stage, valid.lost_stage, valid.placeholder_user) == (10, 11, 3)
    assert valid.price_list == "A"


def test_optional_fields_may_be_left_out() -> None:
    minimal = SettingsDraft(sync_type="invoice", won_stage=1, lost_stage=2)
    valid = validate_settings(minimal)
    assert valid.product_bundles is ProductBundleMode.ONLY_BUNDLE
    assert valid.placeholder_user is None and valid.price_list is None
    assert valid.offer_stage is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"sync_type": None}, ("syncType", "required")),
        ({"sync_type": "offer"}, ("syncType", "invalid_choice")),
        ({"sync_type": "Invoice"}, ("syncType", "invalid_choice")),
        ({"product_bundles": "bundle"}, ("productBundles", "invalid_choice")),
        ({"won_stage": None}, ("wonStage", "required")),
        ({"lost_stage": None}, ("lostStage", "required")),
        ({"won_stage": 0}, ("wonStage", "not_positive_integer")),
        ({"lost_stage": -4}, ("lostStage", "not_positive_integer")),
        ({"placeholder_user": 0}, ("placeholderUser", "not_positive_integer")),
        ({"won_stage": MAX_ID + 1}, ("wonStage", "not_positive_integer")),
        ({"lost_stage": 10}, ("lostStage", "must_differ")),
        ({"price_list": ""}, ("priceList", "invalid_price_list_code")),
        ({"price_list": "A" * 51}, ("priceList", "invalid_price_list_code")),
        ({"price_list": "A B"}, ("priceList", "invalid_price_list_code")),
        ({"price_list": "Å"}, ("priceList", "invalid_price_list_code")),
        ({"price_list": "A\x00"}, ("priceList", "invalid_price_list_code")),
        ({"sync_type": "order_offer"}, ("offerStage", "required")),
        ({"sync_type": "order_offer", "offer_stage": 0}, ("offerStage", "not_positive_integer")),
        ({"sync_type": "order_offer", "offer_stage": 10}, ("offerStage", "must_differ")),
        ({"sync_type": "order_offer", "offer_stage": 11}, ("offerStage", "must_differ")),
    ],
)
def test_each_rule_reports_its_field_and_code(
    changes: dict[str, object], expected: tuple[str, str]
) -> None:
    draft = replace(VALID, **changes)  # type: ignore[arg-type]
    assert _codes(draft) == {expected}
    with pytest.raises(InvalidSettings) as raised:
        validate_settings(draft)
    assert [(p.field, p.code) for p in raised.value.problems] == [expected]


def test_booleans_are_not_ids() -> None:
    assert _codes(replace(VALID, won_stage=True)) == {("wonStage", "not_positive_integer")}


def test_every_problem_is_reported_at_once() -> None:
    draft = SettingsDraft(sync_type="x", won_stage=5, lost_stage=5, price_list="-")
    assert _codes(draft) == {
        ("syncType", "invalid_choice"),
        ("lostStage", "must_differ"),
        ("priceList", "invalid_price_list_code"),
    }


def test_offer_stage_is_refused_without_offers_naming_the_sync_type_that_uses_it() -> None:
    for sync_type in ("invoice", "order"):
        problems = settings_problems(replace(VALID, sync_type=sync_type, offer_stage=12))
        assert [(p.field, p.code) for p in problems] == [("offerStage", "not_used")]
        assert "order_offer" in problems[0].message and sync_type in problems[0].message
        draft = replace(VALID, sync_type=sync_type, offer_stage=None)
        assert validate_settings(draft).offer_stage is None


def test_offer_stage_is_kept_with_offers() -> None:
    draft = replace(VALID, sync_type="order_offer", offer_stage=12)
    assert validate_settings(draft).offer_stage == 12


@given(code=st.from_regex(r"[A-Za-z0-9]{1,50}", fullmatch=True))
def test_price_list_codes_of_letters_and_digits_are_stored_as_given(code: str) -> None:
    assert validate_settings(replace(VALID, price_list=code)).price_list == code


@given(won=st.integers(1, MAX_ID), lost=st.integers(1, MAX_ID))
def test_any_two_different_positive_stages_are_valid(won: int, lost: int) -> None:
    draft = replace(VALID, won_stage=won, lost_stage=lost)
    assert (settings_problems(draft) == []) == (won != lost)


def test_every_refusal_says_where_the_valid_choices_are() -> None:
    drafts = [
        SettingsDraft(),
        replace(VALID, won_stage=0, lost_stage=-1, placeholder_user=0, price_list="A-1"),
        replace(VALID, sync_type="invoices", product_bundles="all"),
    ]
    for draft in drafts:
        for problem in settings_problems(draft):
            if problem.code == "must_differ":
                continue
            assert "choices/" in problem.message or "one of" in problem.message, problem
