"""Exact JSON numbers, filter encoding and redaction: the small pieces under the client."""

from __future__ import annotations

import datetime as dt
import json
import logging
from decimal import Decimal

import pytest

from upsales_fortnox.integrations import jsonwire
from upsales_fortnox.integrations.jsonwire import UPSALES_JSON
from upsales_fortnox.integrations.upsales.filters import Op, custom, eq, gt, gte, lte, ne, to_params
from upsales_fortnox.integrations.upsales.redaction import TokenRedactingFilter, redact


def test_loads_keeps_fractional_numbers_exact() -> None:
    parsed = jsonwire.loads(b'{"price": 0.1, "big": 12345678901234567.89, "qty": 3}')
    assert parsed == {"price": Decimal("0.1"), "big": Decimal("12345678901234567.89"), "qty": 3}
    assert isinstance(parsed["qty"], int)


def test_dumps_writes_decimals_as_json_numbers_with_their_digits() -> None:
    body = {"price": Decimal("12345678901234567.89"), "rate": Decimal("1E-7"), "tags": ["å", 1]}
    raw = UPSALES_JSON.dumps(body)
    assert raw == '{"price":12345678901234567.89,"rate":0.0000001,"tags":["å",1]}'.encode()
    assert json.loads(raw, parse_float=Decimal)["price"] == Decimal("12345678901234567.89")


def test_dumps_writes_dates_as_iso_strings_and_refuses_nan() -> None:
    assert UPSALES_JSON.dumps({"date": dt.date(2024, 5, 1)}) == b'{"date":"2024-05-01"}'
    with pytest.raises(ValueError, match="non-finite"):
        UPSALES_JSON.dumps(Decimal("NaN"))


@pytest.mark.parametrize(
    ("filter_", "param"),
    [
        (eq("probability", 100), ("probability", "100")),
        (eq("id", 1, 2, 3), ("id", "eq:1,2,3")),
        (ne("user.id", 1), ("user.id", "ne:1")),
        (gt("id", 2000), ("id", "gt:2000")),
        (eq("isExternal", False), ("isExternal", "0")),
        (gte("date", dt.date(2024, 1, 31)), ("date", "gte:2024-01-31")),
        (lte("value", Decimal("10.50")), ("value", "lte:10.50")),
        (custom(12, "F-1001"), ("custom", "eq:12:F-1001")),
        (custom(4, 1, attr="client.custom"), ("client.custom", "eq:4:1")),
        (custom(4, 5, Op.GT), ("custom", "gt:4:5")),
    ],
)
def test_filter_encoding(filter_: object, param: tuple[str, str]) -> None:
    assert to_params([filter_]) == [param]  # type: ignore[list-item]


def test_one_attribute_may_repeat() -> None:
    params = to_params([gte("probability", 1), lte("probability", 99)])
    assert params == [("probability", "gte:1"), ("probability", "lte:99")]


def test_filters_refuse_ambiguous_values() -> None:
    with pytest.raises(ValueError, match="at least one value"):
        eq("id")
    with pytest.raises(ValueError, match="comma"):
        eq("name", "Acme, Inc", "Other")


def test_redact_masks_token_parameters_and_given_secrets() -> None:
    text = "GET https://x/api/v2/accounts?limit=1&token=abc123&sort=id failed; key abc123"
    assert redact(text, "abc123") == (
        "GET https://x/api/v2/accounts?limit=1&token=***&sort=id failed; key ***"
    )
    assert redact("cookie token=zzz") == "cookie token=***"


def test_log_filter_rewrites_formatted_message() -> None:
    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, "HTTP Request: %s %s", ("GET", "/a?token=zz9"), None
    )
    assert TokenRedactingFilter().filter(record) is True
    assert record.getMessage() == "HTTP Request: GET /a?token=***"
