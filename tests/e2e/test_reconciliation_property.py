"""Property: after a random sequence of deals won in Upsales, edits, Fortnox invoices, payments,
credits and cancellations, synced calmly (every event delivered, every job run), the
reconciliation report shows no difference. Each seed's history is checked three times as it
grows (seeded, so a failure is reproducible)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of, fortnox_call
from tests.e2e.outbound_support import ARTICLES, fortnox_today, link_demo_products, sync_order
from tests.e2e.test_reconciliation_report import report
from upsales_fortnox.integrations.fortnox.models import Invoice, InvoiceRow

ARTICLE = next(iter(ARTICLES))
OPERATIONS = ("won_deal", "edit_deal", "invoice", "pay", "pay_all", "credit", "cancel")


class History:
    """What the steps made so far."""

    def __init__(self) -> None:
        self.ready = False
        self.deals: list[int] = []
        self.booked: list[str] = []
        self.unbooked: list[str] = []


async def _won_deal(harness: SyncHarness, history: History, quantity: int) -> None:
    product = harness.demo.product_ids_by_article_no[ARTICLE]
    created = harness.upsales.create_entity(
        harness.demo.customer_id,
        "orders",
        {
            "description": "Konsulttimmar",
            "date": fortnox_today(harness).isoformat(),
            "user": {"id": harness.demo.sales_rep_user_ids[0]},
            "client": {"id": harness.demo.account_ids[0]},
            "stage": {"id": harness.demo.stage_won_id},
            "probability": 100,
            "orderRow": [
                {"quantity": quantity, "price": 1200, "listPrice": 1200, "product": {"id": product}}
            ],
        },
        fire_hooks=False,
    )
    await sync_order(harness, created["id"])
    history.deals.append(created["id"])


async def step(harness: SyncHarness, history: History, operation: str, amount: int) -> None:
    if operation == "won_deal" or (operation == "edit_deal" and not history.deals):
        await _won_deal(harness, history, amount % 5 + 1)
    elif operation == "edit_deal":
        order_id = history.deals[amount % len(history.deals)]
        order = harness.upsales_entity("orders", order_id)
        assert order is not None
        rows = [{**row, "quantity": amount % 7 + 1} for row in order["orderRow"]]
        harness.upsales.update_entity(
            harness.demo.customer_id, "orders", order_id, {"orderRow": rows}, fire_hooks=False
        )
        await sync_order(harness, order_id)
    elif operation == "invoice" or not history.unbooked:
        context = await context_of(harness)
        created = await context.fortnox.create_invoice(
            Invoice(
                CustomerNumber="2001",
                InvoiceRows=[
                    InvoiceRow(
                        ArticleNumber=ARTICLE,
                        DeliveredQuantity=Decimal(amount % 3 + 1),
                        Price=Decimal(1000 + amount),
                    )
                ],
            )
        )
        history.unbooked.append(str(created.DocumentNumber))
    elif operation in ("pay", "pay_all", "credit"):
        number = history.unbooked.pop()
        await fortnox_call(harness, "PUT", f"/invoices/{number}/bookkeep")
        if operation == "credit":
            await fortnox_call(harness, "PUT", f"/invoices/{number}/credit")
            return
        body: dict[str, object] = {"InvoiceNumber": int(number), "PaymentDate": "2026-12-01"}
        if operation == "pay":
            body["Amount"] = float(amount % 500 + 1)
        created = await fortnox_call(harness, "POST", "/invoicepayments", {"InvoicePayment": body})
        payment = created["InvoicePayment"]["Number"]
        await fortnox_call(harness, "PUT", f"/invoicepayments/{payment}/bookkeep")
    else:  # cancel
        await fortnox_call(harness, "PUT", f"/invoices/{history.unbooked.pop()}/cancel")


@pytest.mark.parametrize("seed", range(4))
async def test_a_calm_run_reports_no_difference_after_a_random_history(
    harness: SyncHarness, seed: int
) -> None:
    chosen = random.Random(seed)
    history = History()
    await link_demo_products(harness)
    harness.fortnox.seed(
        harness.tenant_id, customers=[{"CustomerNumber": "2001", "Name": "Göta Kanal AB"}]
    )
    await harness.update_settings(payment_status=True, credit_invoices=True)
    feed = EventFeed(harness)
    today = fortnox_today(harness)
    for _ in range(3):
        for _ in range(chosen.randint(1, 5)):
            await step(harness, history, chosen.choice(OPERATIONS), chosen.randint(0, 10_000))
            await feed.sync()
        found = await report(harness, today - dt.timedelta(days=1), today + dt.timedelta(days=1))
        assert found["clean"], found["differences"]
        assert found["upsales"] == found["fortnox"]
