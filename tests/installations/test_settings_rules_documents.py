"""The settings of documents, stock and currencies (issue 11, parts 3-5): their rules and their
fields in the generated Upsales app configuration."""

from __future__ import annotations

from dataclasses import replace

import pytest

from upsales_fortnox.domain.settings_rules import (
    ProblemCode,
    SettingsDraft,
    settings_problems,
    validate_settings,
)
from upsales_fortnox.installations.app_config import upsales_app_config

VALID = SettingsDraft(sync_type="invoice", won_stage=10, lost_stage=11)


def test_left_out_they_are_off() -> None:
    valid = validate_settings(VALID)
    assert (valid.document_links, valid.stock_levels, valid.currency_price_lists) == (
        False,
        False,
        None,
    )


def test_currency_codes_are_normalised() -> None:
    valid = validate_settings(replace(VALID, currency_price_lists={"eur": "EURO", "USD": "B2"}))
    assert valid.currency_price_lists == {"EUR": "EURO", "USD": "B2"}


@pytest.mark.parametrize(
    ("lists", "code"),
    [
        ({"SEK": "A"}, ProblemCode.INVALID_CURRENCY),  # SEK prices come from priceList
        ({"EURO": "A"}, ProblemCode.INVALID_CURRENCY),
        ({"E1R": "A"}, ProblemCode.INVALID_CURRENCY),
        ({"EUR": "not a code"}, ProblemCode.INVALID_PRICE_LIST_CODE),
        ({"EUR": ""}, ProblemCode.INVALID_PRICE_LIST_CODE),
        # one currency twice, in two spellings: which price list would it take?
        ({"eur": "A", "EUR": "B"}, ProblemCode.INVALID_CURRENCY),
    ],
)
def test_bad_currency_price_lists_are_refused(lists: dict[str, str], code: str) -> None:
    problems = settings_problems(replace(VALID, currency_price_lists=lists))
    assert [(p.field, p.code) for p in problems] == [("currencyPriceLists", code)]


def test_the_app_configuration_shows_them_as_optional_fields() -> None:
    config = upsales_app_config("https://sync.example.com", "client", "inst", "https://x/login")
    fields = {item["name"]: item for item in config["configJson"]["fields"]["account"]}
    assert fields["documentLinks"]["type"] == "checkbox"
    assert fields["stockLevels"]["type"] == "checkbox"
    assert fields["currencyPriceLists"]["type"] == "text"
    for name in ("documentLinks", "stockLevels", "currencyPriceLists"):
        assert fields[name]["required"] is False
        assert fields[name]["label"] and fields[name]["descriptionLong"]
