"""The stream's commands and replies, and reconciliation's synthetic events (pure parts)."""

from __future__ import annotations

import datetime as dt

from upsales_fortnox.intake.fortnox_stream.consumer import StreamPolicy
from upsales_fortnox.integrations.fortnox.models import Article, Customer, Invoice
from upsales_fortnox.integrations.fortnox.stream import (
    add_tenants_command,
    add_topics_command,
    is_event,
    latest_offsets,
    remove_tenants_command,
    tenant_ids_by_token,
)
from upsales_fortnox.sync.reconcile import entity_number, synthetic_event


def test_add_tenants_sends_bearer_tokens() -> None:
    assert add_tenants_command("s3cret", ["t1", "t2"]) == {
        "command": "add-tenants-v1",
        "clientSecret": "s3cret",
        "accessTokens": ["Bearer t1", "Bearer t2"],
    }


def test_add_topics_carries_stored_offsets_only_where_known() -> None:
    assert add_topics_command(["customers", "orders"], {"orders": "00000000a1"}) == {
        "command": "add-topics-v1",
        "topics": [{"topic": "customers"}, {"topic": "orders", "offset": "00000000a1"}],
    }


def test_remove_tenants_sends_numeric_ids_as_numbers() -> None:
    assert remove_tenants_command(["29302", "x1"]) == {
        "command": "remove-tenants-v1",
        "tenants": [29302, "x1"],
    }


def test_tenant_ids_by_token_accepts_bearer_or_bare_keys() -> None:
    reply = {"tenantIds": {"Bearer abc": 29302, "def": "7"}, "invalidTokens": []}
    assert tenant_ids_by_token(reply) == {"abc": "29302", "def": "7"}
    assert tenant_ids_by_token({"result": "error"}) == {}


def test_events_and_replies_are_told_apart() -> None:
    event = {"topic": "invoices", "offset": "x", "type": "invoice-created-v1", "tenantId": 1}
    assert is_event(event)
    assert not is_event({"response": "add-topics-v1", "result": "ok", "invalidTopics": []})


def test_latest_offsets_keep_the_last_event_of_each_topic() -> None:
    events = [
        {"topic": "orders", "offset": "1"},
        {"topic": "customers", "offset": "2"},
        {"topic": "orders", "offset": "3"},
    ]
    assert latest_offsets(events) == {"orders": "3", "customers": "2"}


def test_backoff_doubles_up_to_its_ceiling_with_jitter() -> None:
    policy = StreamPolicy(backoff_base_seconds=1, backoff_max_seconds=8, jitter=lambda: 1.0)
    assert [policy.backoff(n) for n in (1, 2, 3, 4, 5)] == [1, 2, 4, 8, 8]
    low = StreamPolicy(backoff_base_seconds=1, backoff_max_seconds=8, jitter=lambda: 0.0)
    assert low.backoff(3) == 2


def test_reconciliation_events_name_the_entity_and_window() -> None:
    now = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)
    event = synthetic_event(
        "invoices", "123", "2024-06-01 11:45", tenant_id="29302", now=now, kind="changed"
    )
    assert event == {
        "topic": "invoices",
        "offset": "reconcile:123:2024-06-01 11:45",
        "type": "invoice-changed",
        "tenantId": "29302",
        "entityId": "123",
        "timestamp": "2024-06-01T12:00:00+00:00",
    }


def test_entity_numbers_of_every_kind() -> None:
    assert entity_number("customers", Customer(CustomerNumber="1001")) == "1001"
    assert entity_number("articles", Article(ArticleNumber=" A-1 ")) == "A-1"
    assert entity_number("invoices", Invoice(DocumentNumber=12, CustomerNumber="1001")) == "12"
    assert entity_number("customers", Customer()) is None
