"""Pure parsing of webhook bodies: classification, dedupe keys, refusals."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from tests.intake.support import API_KEY, fortnox_event, order_hook
from upsales_fortnox.intake.errors import (
    EventValidationError,
    HookTypeConflictError,
    HookTypeMissingError,
    MalformedJsonError,
    UnsupportedEventError,
)
from upsales_fortnox.intake.parse import (
    IgnoredEvent,
    SynchronousQuestion,
    UpsalesChange,
    app_hook_api_key,
    fortnox_dedupe_key,
    parse_fortnox_events,
    parse_json,
    parse_upsales_app_hook,
    parse_upsales_trigger,
)


@pytest.mark.parametrize(
    "raw", [b"{", b"", b"\xff\xfe", b'{"a": NaN}', b"[Infinity]", b'{"a": 1} x', b'"\x01"']
)
def test_parse_json_refuses_what_is_not_json(raw: bytes) -> None:
    with pytest.raises(MalformedJsonError):
        parse_json(raw)


def test_parse_json_refuses_nul_characters_but_not_an_escaped_backslash() -> None:
    with pytest.raises(EventValidationError):
        parse_json(b'{"a": ["x\\u0000y"]}')
    with pytest.raises(EventValidationError):
        parse_json(b'{"k\\u0000": 1}')
    assert parse_json(b'{"a": "\\\\u0000"}') == {"a": "\\u0000"}


def test_parse_json_refuses_unpaired_surrogates_but_not_pairs() -> None:
    for raw in (b'{"a": "x\\ud800"}', b'{"\\uDC00": 1}', b'[["\\udbff y"]]'):
        with pytest.raises(EventValidationError):
            parse_json(raw)
    assert parse_json(b'{"a": "\\ud83d\\ude00"}') == {"a": "\U0001f600"}
    assert parse_json(b'{"a": "\\\\ud800"}') == {"a": "\\ud800"}


def test_supported_after_events_become_changes() -> None:
    order = parse_upsales_app_hook(order_hook(7, event="after_order_insert"))
    assert isinstance(order, UpsalesChange)
    assert (order.entity, order.entity_id, order.job_kind) == ("order", 7, "upsales.order")
    client = parse_upsales_app_hook(
        {"type": "after_client_update", "apiKey": API_KEY, "data": {"object": {"id": 12}}}
    )
    assert isinstance(client, UpsalesChange)
    assert (client.entity, client.entity_id, client.job_kind) == ("company", 12, "upsales.company")


def test_stored_payload_has_no_api_key() -> None:
    change = parse_upsales_app_hook(order_hook())
    assert isinstance(change, UpsalesChange)
    assert "apiKey" not in change.payload
    assert change.payload["data"]["object"]["id"] == 7
    assert API_KEY not in repr(change)


def test_app_hook_dedupe_key_is_a_hash_of_the_body_without_key_order_or_api_key() -> None:
    first = parse_upsales_app_hook(order_hook())
    reordered = json.loads(json.dumps(dict(reversed(list(order_hook().items())))))
    reordered["apiKey"] = "another-key-after-rotation"
    second = parse_upsales_app_hook(reordered)
    changed = parse_upsales_app_hook(order_hook(extra_field="x"))
    assert isinstance(first, UpsalesChange) and isinstance(second, UpsalesChange)
    assert isinstance(changed, UpsalesChange)
    assert first.dedupe_key.startswith("sha256:") and len(first.dedupe_key) == 7 + 64
    assert first.dedupe_key == second.dedupe_key != changed.dedupe_key


def test_app_hook_delivery_id_is_the_dedupe_key() -> None:
    change = parse_upsales_app_hook(order_hook(deliveryId=991))
    assert isinstance(change, UpsalesChange)
    assert change.dedupe_key == "delivery:991"
    with pytest.raises(EventValidationError):
        parse_upsales_app_hook(order_hook(deliveryId={"nested": 1}))


def test_other_after_events_are_ignored_and_others_are_questions() -> None:
    ignored = parse_upsales_app_hook(
        {"type": "after_contact_update", "apiKey": API_KEY, "whatever": [1]}
    )
    assert ignored == IgnoredEvent("after_contact_update")
    question = parse_upsales_app_hook(
        {"type": "before_order_save", "apiKey": API_KEY, "data": {"obj": {"id": 3}}}
    )
    assert isinstance(question, SynchronousQuestion)
    assert question.event_type == "before_order_save"
    assert question.body == {"type": "before_order_save", "data": {"obj": {"id": 3}}}


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"type": 5, "apiKey": API_KEY},
        {"type": "", "apiKey": API_KEY},
        {"type": "after_order_update", "apiKey": API_KEY},
        {"type": "after_order_update", "apiKey": API_KEY, "data": {"object": {}}},
        {"type": "after_order_update", "apiKey": API_KEY, "data": {"object": {"id": True}}},
        {"type": "after_order_update", "apiKey": API_KEY, "data": {"object": {"id": 1.5}}},
        {"type": "after_order_update", "apiKey": API_KEY, "data": {"object": {"id": -1}}},
        {"type": "after_order_update", "apiKey": API_KEY, "data": {"object": {"id": 2**63}}},
        {"type": "after_order_update", "apiKey": API_KEY, "data": [], "user": None},
        {**order_hook(), "user": {"email": 5}},
    ],
)
def test_malformed_app_hooks_are_validation_errors(body: Any) -> None:
    with pytest.raises(EventValidationError) as caught:
        parse_upsales_app_hook(body)
    assert API_KEY not in json.dumps(caught.value.details)


def test_api_key_is_read_only_from_text() -> None:
    assert app_hook_api_key({"apiKey": "k"}) == "k"
    assert app_hook_api_key({"apiKey": 5}) is None
    assert app_hook_api_key(["apiKey"]) is None


def test_trigger_accepts_numeric_string_ids_and_never_dedupes_without_delivery_id() -> None:
    body = {"event": "after_order_update", "entity": "order", "id": "42"}
    first, second = parse_upsales_trigger(body), parse_upsales_trigger(body)
    assert isinstance(first, UpsalesChange) and isinstance(second, UpsalesChange)
    assert first.entity_id == 42 and first.job_kind == "upsales.order"
    assert first.dedupe_key != second.dedupe_key
    with_delivery = parse_upsales_trigger({**body, "deliveryId": "abc"})
    assert isinstance(with_delivery, UpsalesChange)
    assert with_delivery.dedupe_key == "delivery:abc"


def test_trigger_refusals() -> None:
    with pytest.raises(EventValidationError):
        parse_upsales_trigger({"event": "after_order_update", "entity": "company", "id": 1})
    with pytest.raises(EventValidationError):
        parse_upsales_trigger({"event": "after_order_update", "entity": "order", "id": "4x"})
    with pytest.raises(EventValidationError):
        parse_upsales_trigger({"event": "after_order_update", "entity": "order"})
    with pytest.raises(UnsupportedEventError):
        parse_upsales_trigger({"event": "before_order_save", "entity": "order", "id": 1})
    ignored = parse_upsales_trigger({"event": "after_todo_insert", "entity": "todo", "id": 1})
    assert ignored == IgnoredEvent("after_todo_insert")


def test_fortnox_single_event_and_list() -> None:
    events, is_list = parse_fortnox_events(fortnox_event())
    assert not is_list and len(events) == 1
    event = events[0]
    assert (event.topic, event.offset, event.tenant_id, event.entity_id) == (
        "invoices",
        "xDy7J",
        "29302",
        "3817",
    )
    assert fortnox_dedupe_key(event) == "fortnox:invoices:xDy7J"
    many, is_list = parse_fortnox_events([fortnox_event("a"), fortnox_event("b")])
    assert is_list and [item.offset for item in many] == ["a", "b"]


@pytest.mark.parametrize(
    "body",
    [
        [],
        {**fortnox_event(), "topic": 3},
        {**fortnox_event(), "tenantId": True},
        {**fortnox_event(), "timestamp": "yesterday"},
        {key: value for key, value in fortnox_event().items() if key != "offset"},
        {key: value for key, value in fortnox_event().items() if key != "entityId"},
        [fortnox_event(), {"topic": "orders"}],
        "invoices",
    ],
)
def test_malformed_fortnox_events_are_validation_errors(body: Any) -> None:
    with pytest.raises(EventValidationError):
        parse_fortnox_events(body)


def test_fortnox_event_of_an_ignored_topic_may_lack_an_entity_id() -> None:
    voucher = {key: value for key, value in fortnox_event(topic="vouchers").items()}
    del voucher["entityId"]
    events, _ = parse_fortnox_events({**voucher, "year": 2024, "series": "A", "id": 9})
    assert events[0].entity_id is None


def test_hook_type_from_the_url_when_the_body_names_none() -> None:
    body = {key: value for key, value in order_hook(7).items() if key != "type"}
    change = parse_upsales_app_hook(body, path_type="after_order_insert")
    assert isinstance(change, UpsalesChange)
    assert change.event_type == "after_order_insert"
    assert change.payload["type"] == "after_order_insert"
    question = parse_upsales_app_hook({"apiKey": API_KEY}, path_type="before_order_save")
    assert question == SynchronousQuestion("before_order_save", {"type": "before_order_save"})


def test_hook_type_missing_or_conflicting_is_refused() -> None:
    with pytest.raises(HookTypeMissingError):
        parse_upsales_app_hook({"apiKey": API_KEY, "data": {"object": {"id": 1}}})
    with pytest.raises(HookTypeConflictError):
        parse_upsales_app_hook(order_hook(7), path_type="after_order_insert")
    with pytest.raises(EventValidationError):
        parse_upsales_app_hook(order_hook(7), path_type="")


#: Amounts as Upsales may write them: a float cannot hold the last two exactly, and 0.1 + 0.2
#: in floats is not 0.3.
EXACT_AMOUNTS = ["0.1", "0.2", "0.30000000000000004", "4410.33", "0.1000000000000000000001"]


def _hook_with_amounts(event: str) -> bytes:
    rows = ", ".join(
        f'{{"id": {i}, "quantity": 1, "price": {a}}}' for i, a in enumerate(EXACT_AMOUNTS)
    )
    return (
        f'{{"type": "{event}", "apiKey": "{API_KEY}", "data": {{"object": {{"id": 7, '
        f'"value": 12345678901234567.89, "orderRow": [{rows}]}}}}}}'
    ).encode()


def test_fractions_are_read_as_exact_decimals_for_the_answers() -> None:
    question = parse_upsales_app_hook(parse_json(_hook_with_amounts("before_order_save")))

    assert isinstance(question, SynchronousQuestion)
    rows = question.body["data"]["object"]["orderRow"]
    prices = [row["price"] for row in rows]
    assert prices == [Decimal(a) for a in EXACT_AMOUNTS]
    assert all(isinstance(price, Decimal) for price in prices)
    assert prices[0] + prices[1] == Decimal("0.3")
    assert question.body["data"]["object"]["value"] == Decimal("12345678901234567.89")


def test_the_stored_payload_is_json_and_keeps_every_amount_exactly() -> None:
    change = parse_upsales_app_hook(parse_json(_hook_with_amounts("after_order_update")))

    assert isinstance(change, UpsalesChange)
    for stored in (change.payload, json.loads(change.payload_json or "")):
        read_back = json.loads(json.dumps(stored), parse_float=Decimal)
        rows = read_back["data"]["object"]["orderRow"]
        assert [Decimal(str(row["price"])) for row in rows] == [Decimal(a) for a in EXACT_AMOUNTS]
        assert Decimal(str(read_back["data"]["object"]["value"])) == Decimal("12345678901234567.89")
        assert read_back["data"]["object"]["id"] == 7


def test_a_number_beyond_a_floats_range_is_refused() -> None:
    with pytest.raises(MalformedJsonError):
        parse_json(b'{"value": 1e400}')
    assert parse_json(b'{"value": 1.5e3}') == {"value": Decimal("1.5E+3")}
