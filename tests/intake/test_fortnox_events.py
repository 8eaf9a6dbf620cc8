"""Fortnox events are classified by topic and type: the job each becomes, or none."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Final

import pytest

from tests.intake.support import fortnox_event
from upsales_fortnox.intake.deliveries import fortnox_new_events
from upsales_fortnox.intake.errors import EventValidationError
from upsales_fortnox.intake.fortnox_events import EVENT_TYPES, EventUse, classify
from upsales_fortnox.intake.parse import parse_fortnox_events
from upsales_fortnox.integrations.fortnox.limits import MAX_CUSTOMER_NUMBER_LENGTH
from upsales_fortnox.sync.reconcile import TOPICS, synthetic_event
from upsales_fortnox.sync.repository.reconcile_checkpoints import window_marker


class _Installation:
    def __init__(self) -> None:
        self.id = uuid.uuid4()
        self.fortnox_tenant_id: str | None = "29302"


@pytest.mark.parametrize(
    ("topic", "event_type", "use"),
    [
        ("customers", "customer-created-v1", EventUse("customer", "fortnox.customer")),
        ("customers", "customer-updated-v2", EventUse("customer", "fortnox.customer")),
        ("customers", "customer-updated-v1", EventUse("customer", "fortnox.customer")),
        ("customers", "customer-deleted-v1", EventUse("customer", "fortnox.customer")),
        ("articles", "article-deleted-v1", EventUse("article", "fortnox.article")),
        ("orders", "order-cancelled-v1", EventUse("order", "fortnox.order")),
        ("offers", "offer-canceled-v1", EventUse("offer", "fortnox.offer")),
        ("invoices", "invoice-cancelled-v1", EventUse("invoice", "fortnox.invoice")),
        ("invoices", "invoice-bookkeep-v1", EventUse("invoice", "fortnox.invoice")),
        ("invoices", "reminder-sent-v1", EventUse("invoice", "fortnox.invoice")),
        (
            "invoices",
            "invoicepayment-bookkeep-v1",
            EventUse("invoicepayment", "fortnox.invoicepayment"),
        ),
        (
            "invoices",
            "invoicepayment-deleted-v1",
            EventUse("invoicepayment", "fortnox.invoicepayment_deleted"),
        ),
        # types we do not know: recorded only, never a job of the topic's entity
        ("invoices", "invoicepayment-created-v1", EventUse("invoicepayment", None)),
        ("offers", "offer-sent-v1", EventUse("offer", None)),
        ("customers", "customer-updated-v3", EventUse("customer", None)),
        ("customers", "invoice-created-v1", EventUse("customer", None)),
        # reconciliation's own types
        ("invoices", "invoice-changed", EventUse("invoice", "fortnox.invoice")),
        ("customers", "customer-deleted", EventUse("customer", "fortnox.customer")),
    ],
)
def test_event_types(topic: str, event_type: str, use: EventUse) -> None:
    assert classify(topic, event_type) == use


def test_topics_we_do_not_follow_are_not_stored() -> None:
    assert classify("vouchers", "voucher-created-v1") is None
    assert classify("currencies", "currency-updated-v1") is None


def test_every_known_type_is_on_its_topic() -> None:
    for (topic, event_type), use in EVENT_TYPES.items():
        singular = topic.removesuffix("s")
        assert event_type.startswith((singular, "invoicepayment", "reminder")), event_type
        assert use.job_kind is None or use.job_kind.startswith("fortnox.")


def test_reconciliation_events_each_queue_their_entitys_job() -> None:
    for topic in TOPICS:
        for kind in ("changed", "deleted"):
            event = synthetic_event(topic, "7", "m", tenant_id="1", now=_now(), kind=kind)
            use = classify(topic, str(event["type"]))
            assert use is not None and use.job_kind == f"fortnox.{topic.removesuffix('s')}"


def test_a_payment_event_names_the_payment_not_an_invoice() -> None:
    events, _ = parse_fortnox_events(
        [
            fortnox_event("a", entity_id="7", type_="invoicepayment-bookkeep-v1"),
            fortnox_event("b", entity_id="7", type_="invoice-updated-v1"),
            fortnox_event("c", entity_id="8", type_="invoicepayment-deleted-v1"),
            fortnox_event("d", topic="vouchers", entity_id="1", type_="voucher-created-v1"),
        ]
    )
    payment, invoice, deleted, voucher = fortnox_new_events(_Installation(), events)
    assert payment is not None and invoice is not None and deleted is not None
    assert (payment.entity_type, payment.entity_id, payment.job_kind) == (
        "invoicepayment",
        "7",
        "fortnox.invoicepayment",
    )
    assert (invoice.entity_type, invoice.job_kind) == ("invoice", "fortnox.invoice")
    assert (deleted.entity_id, deleted.job_kind) == ("8", "fortnox.invoicepayment_deleted")
    assert voucher is None


@pytest.mark.parametrize(
    ("topic", "event_type"),
    [
        ("articles", "article-updated-v1"),
        ("orders", "order-updated-v1"),
        ("invoices", "invoice-updated-v1"),
        ("offers", "offer-updated-v1"),
        ("invoices", "invoicepayment-bookkeep-v1"),
        ("invoices", "invoicepayment-deleted-v1"),
        ("articles", "article-changed"),
    ],
)
def test_only_a_customer_event_names_its_entity_by_more_than_fifty_characters(
    topic: str, event_type: str
) -> None:
    """An article number is at most 50 characters and documents and payments are known by
    numbers of digits: such an entityId is refused as before, as is a customer's longer than
    Fortnox allows; a customer's up to that is taken."""
    fifty = fortnox_event(topic=topic, entity_id="7" * 50, type_=event_type)
    assert parse_fortnox_events(fifty)[0][0].entity_id == "7" * 50
    with pytest.raises(EventValidationError) as refused:
        parse_fortnox_events(fortnox_event(topic=topic, entity_id="7" * 51, type_=event_type))
    assert [detail["loc"] for detail in refused.value.details] == [["entityId"]]

    longest = "7" * MAX_CUSTOMER_NUMBER_LENGTH
    customer = fortnox_event(topic="customers", entity_id=longest, type_="customer-updated-v2")
    assert parse_fortnox_events(customer)[0][0].entity_id == longest
    with pytest.raises(EventValidationError):
        parse_fortnox_events({**customer, "entityId": longest + "7"})


def _now() -> datetime:
    return datetime(2026, 12, 1, tzinfo=UTC)


_WINDOW: Final = window_marker(datetime(2026, 12, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("topic", "entity_id", "marker"),
    [
        pytest.param("invoices", "9" * 50, f"invoicepayments:{_WINDOW}", id="payment-number"),
        pytest.param("customers", "K" * MAX_CUSTOMER_NUMBER_LENGTH, _WINDOW, id="customer-number"),
    ],
)
def test_a_reconciliation_event_keeps_an_offset_the_intake_reads(
    topic: str, entity_id: str, marker: str
) -> None:
    """However long the id beside its marker (a payment's number beside a payments window), the
    offset fits, stays the same at every run, and names no other entity."""

    def event(number: str) -> dict[str, object]:
        return synthetic_event(topic, number, marker, tenant_id="1", now=_now(), kind="changed")

    (parsed,), _ = parse_fortnox_events(event(entity_id))
    assert (parsed.entity_id, parsed.offset) == (entity_id, event(entity_id)["offset"])
    assert event(entity_id[:-1] + "8")["offset"] != parsed.offset
    assert parsed.offset.startswith("reconcile:#") and parsed.offset.endswith(f":{marker}")


def test_a_reconciliation_offset_that_fits_names_its_entity_as_it_did() -> None:
    marker = window_marker(_now())
    event = synthetic_event("customers", "K-1", marker, tenant_id="1", now=_now(), kind="changed")
    assert event["offset"] == f"reconcile:K-1:{marker}"
