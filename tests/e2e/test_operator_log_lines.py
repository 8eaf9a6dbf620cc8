"""An operator told "deal N never became an invoice" finds the deal's failure in the logs by the
Upsales order id: the one line of a job that ended dead carries the job's kind and entity id
beside its installation, job id and stable code, in the JSON lines as on the record, without a
traceback for an expected failure, and so do the lines its handler logs during the run."""

from __future__ import annotations

import json
import logging

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import fortnox_call
from tests.e2e.outbound_support import (
    fortnox_list,
    fortnox_today,
    link_demo_products,
    sync_order,
    win,
)
from upsales_fortnox.core.logging_setup import JsonFormatter, RedactingContextFilter
from upsales_fortnox.vocabulary import JobStatus


def _dead_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.getMessage().startswith("job dead:")]


def _as_json(record: logging.LogRecord) -> dict[str, str]:
    RedactingContextFilter().filter(record)
    line: dict[str, str] = json.loads(JsonFormatter().format(record))
    return line


async def test_a_deal_dead_for_a_missing_article_is_one_line_naming_the_order(
    harness: SyncHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="upsales_fortnox")
    order_id = harness.demo.opportunity_id
    win(harness, order_id)

    dead = await sync_order(harness, order_id)

    assert dead.status == JobStatus.DEAD
    [line] = _dead_lines(caplog)
    assert line.levelno == logging.ERROR
    assert line.exc_info is None and line.exc_text is None
    shown = _as_json(line)
    assert shown["code"] == "product_not_in_fortnox"
    assert shown["kind"] == "upsales.order"
    assert shown["entity_id"] == str(order_id)
    assert shown["job_id"] == str(dead.id)
    assert shown["installation_id"] == str(harness.installation_id)
    assert "exception" not in shown
    started = [r for r in caplog.records if r.getMessage().startswith(f"job {dead.id} started")]
    assert [getattr(r, "entity_id", None) for r in started] == [str(order_id)]


async def test_a_document_fortnox_refuses_is_one_line_naming_the_order_and_fortnox_code(
    harness: SyncHarness, caplog: pytest.LogCaptureFixture
) -> None:
    await link_demo_products(harness)
    harness.fortnox.tenant(harness.tenant_id).refuses_documents_of_inactive_customers = True
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    sent = await sync_order(harness, order_id)
    assert sent.status == JobStatus.DONE, sent.last_error
    for customer in fortnox_list(harness, "customers"):
        number = customer["CustomerNumber"]
        await fortnox_call(harness, "PUT", f"/customers/{number}", {"Customer": {"Active": False}})
    client_id = (harness.upsales_entity("orders", order_id) or {})["client"]["id"]
    second = harness.upsales.create_entity(
        harness.demo.customer_id,
        "orders",
        {
            "description": "Deal två",
            "client": {"id": client_id},
            "user": {"id": harness.demo.sales_rep_user_ids[0]},
            "stage": {"id": harness.demo.stage_won_id},
            "probability": 100,
            "date": fortnox_today(harness).isoformat(),
            "orderRow": [
                {
                    "product": {"id": harness.demo.product_ids_by_article_no["KONS-1"]},
                    "quantity": 2,
                    "price": 1000,
                    "listPrice": 1000,
                }
            ],
        },
    )
    caplog.clear()
    caplog.set_level(logging.INFO, logger="upsales_fortnox")

    dead = await sync_order(harness, second["id"])

    assert dead.status == JobStatus.DEAD
    [line] = _dead_lines(caplog)
    assert line.exc_info is None and line.exc_text is None
    shown = _as_json(line)
    assert shown["code"] == "fortnox_customer_inactive"
    assert (shown["kind"], shown["entity_id"]) == ("upsales.order", str(second["id"]))
    assert "2000588" in shown["message"]  # Fortnox's own code, and its message
    assert "inaktiv" in shown["message"]
