"""The whole loop over HTTP: Upsales app hooks reach the service, the won deal goes to Fortnox,
and the echoes (our customer-number write in Upsales, our customer and invoice coming back as
Fortnox events) change nothing more. The synchronous hooks are answered through the intake."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import settle
from tests.e2e.outbound_support import (
    fortnox_list,
    jobs_of,
    link_demo_products,
    mark_initial_sync_done,
)
from upsales_fortnox.vocabulary import JobStatus


async def test_a_won_deal_round_trip_settles_without_echo_writes(harness: SyncHarness) -> None:
    await link_demo_products(harness)
    harness.connect_upsales_hooks()
    await settle(harness)  # the article events of the set-up
    harness.services.upsales_calls.clear()
    harness.services.fortnox_calls.clear()
    orders_before = len(harness.upsales_entities("orders"))
    companies_before = len(harness.upsales_entities("accounts"))

    harness.upsales.update_entity(
        harness.demo.customer_id,
        "orders",
        harness.demo.opportunity_id,
        {"stage": {"id": harness.demo.stage_won_id}, "probability": 100},
        user_id=harness.demo.sales_rep_user_ids[0],
    )
    await settle(harness)

    assert len(fortnox_list(harness, "invoices")) == 1
    assert len(fortnox_list(harness, "customers")) == 1
    assert len(harness.upsales_entities("orders")) == orders_before
    assert len(harness.upsales_entities("accounts")) == companies_before
    order_jobs = await jobs_of(harness, "upsales.order")
    assert [(j.status, (j.result or {}).get("outcome")) for j in order_jobs] == [
        (JobStatus.DONE, "created")
    ]
    company_jobs = await jobs_of(harness, "upsales.company")
    assert [(j.result or {}).get("outcome") for j in company_jobs] == ["no_change"]
    invoice_jobs = await jobs_of(harness, "fortnox.invoice")
    assert invoice_jobs and all(j.status == JobStatus.DONE for j in invoice_jobs)
    # the writes are the customer, the invoice and the customer number on the company; the
    # echoes of all three are read and left alone
    assert _writes(harness.services.upsales_calls) == {"PUT /accounts/{id}": 1}
    assert _writes(harness.services.fortnox_calls) == {"POST /customers": 1, "POST /invoices": 1}


def _writes(calls: Counter[str]) -> dict[str, int]:
    return {call: count for call, count in calls.items() if not call.startswith("GET ")}


def _app_hook(harness: SyncHarness, hook_type: str, order: dict[str, Any]) -> dict[str, Any]:
    return {"type": hook_type, "apiKey": harness.demo.api_key, "data": {"obj": order}}


async def test_synchronous_hooks_are_answered_through_the_webhook_endpoint(
    harness: SyncHarness,
) -> None:
    url = f"/webhooks/upsales/{harness.installation_id}"
    order = dict(harness.upsales_entity("orders", harness.demo.opportunity_id) or {})
    order["probability"] = 100
    body = _app_hook(harness, "before_order_save", order)
    await mark_initial_sync_done(harness.services.session_factory, harness.installation_id)

    refused = await harness.service.post(url, content=_json(body), headers=_HEADERS)
    assert refused.status_code == 400
    assert "finns inte som artikel i Fortnox" in refused.json()["message"]

    await link_demo_products(harness)
    accepted = await harness.service.post(url, content=_json(body), headers=_HEADERS)
    assert accepted.status_code == 200

    status = await harness.service.post(
        url,
        content=_json(_app_hook(harness, "app_status_order", {"id": order["id"]})),
        headers=_HEADERS,
    )
    assert status.status_code == 200
    assert status.json()["status"] == "not_sent"


_HEADERS = {"Content-Type": "application/json"}


def _json(body: dict[str, Any]) -> bytes:
    from ufs_sandboxes.upsales.jsonio import encode_json

    return encode_json(body)
