"""A duplicated, reordered stream of Upsales app hooks ends in the same Fortnox state as a clean
one: the order and company handlers read the current Upsales entity, so the hook bodies' (stale)
copies and their order do not count, and no second invoice or customer is made."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.harness import SyncHarness, build_harness, harness_settings
from tests.e2e.outbound_support import fortnox_list, jobs_of, link_demo_products
from ufs_sandboxes.upsales import HookCall
from upsales_fortnox.models.installation import Installation
from upsales_fortnox.models.link import Link
from upsales_fortnox.vocabulary import JobStatus

SEEDS = (7, 20240601, 31337)
D = Decimal


class RecordingSink:
    """Keeps the app-hook calls the Upsales sandbox makes, to deliver them later at will."""

    def __init__(self) -> None:
        self.calls: list[HookCall] = []

    async def __call__(self, call: HookCall) -> None:
        self.calls.append(call)

    def take(self) -> list[HookCall]:
        taken, self.calls = self.calls, []
        return taken


async def connect(harness: SyncHarness) -> RecordingSink:
    await link_demo_products(harness)
    sink = RecordingSink()
    harness.upsales.register_hook_sink(sink)
    return sink


def make_changes(harness: SyncHarness) -> None:
    """A sales rep edits the deal's rows, wins it, then edits the company (hooks fire)."""
    demo, products = harness.demo, harness.demo.product_ids_by_article_no
    rep = demo.sales_rep_user_ids[0]
    harness.upsales.update_entity(
        demo.customer_id,
        "orders",
        demo.opportunity_id,
        {
            "orderRow": [
                {
                    "product": {"id": products["LIC-BAS"]},
                    "quantity": "2.5",
                    "listPrice": 4900,
                    "price": "4410.50",
                },
                {
                    "product": {"id": products["UTB-DAG"]},
                    "quantity": 1,
                    "listPrice": 9500,
                    "price": 9500,
                },
            ]
        },
        user_id=rep,
    )
    harness.upsales.update_entity(
        demo.customer_id,
        "orders",
        demo.opportunity_id,
        {"stage": {"id": demo.stage_won_id}, "probability": 100},
        user_id=rep,
    )
    harness.upsales.update_entity(
        demo.customer_id,
        "accounts",
        demo.account_ids[0],
        {"name": "Nordisk Verkstad Holding AB", "phone": "031-12 34 56"},
        user_id=rep,
    )


async def deliver(harness: SyncHarness, calls: Iterable[HookCall]) -> None:
    for call in calls:
        response = await harness.service.post(
            f"/webhooks/upsales/{harness.installation_id}",
            content=call.content,
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 202, response.text


async def settle(harness: SyncHarness, sink: RecordingSink) -> None:
    """Run jobs, delivering the hooks our own writes cause (echoes) in order, until quiet."""
    for _ in range(10):
        await harness.run_jobs()
        await harness.upsales.flush_hooks()
        echoes = sink.take()
        if not echoes:
            return
        await deliver(harness, echoes)
    raise AssertionError("the sync did not settle")


def _rows(document: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            r["RowId"],
            r["ArticleNumber"],
            r["DeliveredQuantity"],
            r["Price"],
            r["Discount"],
            r["DiscountType"],
            r["VAT"],
            r["Total"],
        )
        for r in document["InvoiceRows"]
    ]


async def fortnox_state(harness: SyncHarness) -> dict[str, Any]:
    """Fortnox documents and customers (both sandboxes are fresh, so numbers compare), and
    the stored links."""
    async with harness.services.session_factory() as session:
        links = await session.scalars(
            select(Link).where(Link.installation_id == harness.installation_id)
        )
        link_keys = sorted(
            (link.entity, link.upsales_id, link.fortnox_type, link.fortnox_id) for link in links
        )
    return {
        "customers": sorted(
            (
                c["CustomerNumber"],
                c["Name"],
                c["OrganisationNumber"],
                c["Phone1"],
                c["Address1"],
                c["ZipCode"],
                c["City"],
            )
            for c in fortnox_list(harness, "customers")
        ),
        "invoices": sorted(
            (
                i["DocumentNumber"],
                i["CustomerNumber"],
                i["CustomerName"],
                i["Currency"],
                i["OurReference"],
                i["ExternalInvoiceReference1"],
                str(_rows(i)),
                i["Net"],
                i["TotalVAT"],
                i["Total"],
            )
            for i in fortnox_list(harness, "invoices")
        ),
        "orders": fortnox_list(harness, "orders"),
        "links": link_keys,
    }


async def _retire(harness: SyncHarness) -> None:
    """Close the harness and drop its installation (one installation per Upsales account)."""
    await harness.service.aclose()
    await harness.services.http.aclose()
    async with harness.services.session_factory() as session:
        await session.execute(
            delete(Installation).where(Installation.id == harness.installation_id)
        )
        await session.commit()


async def test_duplicated_and_shuffled_hooks_end_in_the_clean_state(
    database_url: str, engine: AsyncEngine
) -> None:
    settings = harness_settings(database_url)
    clean = await build_harness(settings, engine)
    sink = await connect(clean)
    make_changes(clean)
    await clean.upsales.flush_hooks()
    hooks = sink.take()
    assert [call.event_type for call in hooks] == [
        "after_order_update",
        "after_order_update",
        "after_client_update",
    ]
    await deliver(clean, hooks)
    await settle(clean, sink)
    expected = await fortnox_state(clean)
    demo = clean.demo
    await _retire(clean)

    # the clean run did send the changes: the edited rows, the renamed company
    ((_number, customer, customer_name, *_rest, net, _vat, _total),) = expected["invoices"]
    assert net == D("2.5") * D("4410.50") + D(9500) == D("20526.25")
    assert [c[:2] for c in expected["customers"]] == [(customer, "Nordisk Verkstad Holding AB")]
    assert customer_name == "Nordisk Verkstad Holding AB"
    assert expected["customers"][0][3] == "031-12 34 56"
    assert expected["orders"] == []

    for seed in SEEDS:
        messy = await build_harness(settings, engine)
        # the same ids (the API key aside), so the states compare field by field
        assert replace(messy.demo, api_key="") == replace(demo, api_key="")
        sink = await connect(messy)
        make_changes(messy)
        await messy.upsales.flush_hooks()
        hooks = sink.take()
        rng = random.Random(seed)
        stream = hooks + hooks + rng.sample(hooks, k=len(hooks))
        rng.shuffle(stream)
        half = len(stream) // 2
        await deliver(messy, stream[:half])
        await settle(messy, sink)
        await deliver(messy, stream[half:])
        await settle(messy, sink)

        assert await fortnox_state(messy) == expected, f"seed {seed}"
        assert len(fortnox_list(messy, "invoices")) == len(fortnox_list(messy, "customers")) == 1
        order_jobs = await jobs_of(messy, "upsales.order")
        assert order_jobs and all(job.status == JobStatus.DONE for job in order_jobs)
        assert [(job.result or {}).get("outcome") for job in order_jobs].count("created") == 1
        company_jobs = await jobs_of(messy, "upsales.company")
        assert all(job.status == JobStatus.DONE for job in company_jobs)
        await _retire(messy)
