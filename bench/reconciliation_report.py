"""Reconciliation report run time for an installation with many won orders.

Seeds the sandboxes with N invoices in Fortnox and their N won orders in Upsales (linked as a
calm sync leaves them), then times one report over the period (both sandboxes in process, the
Fortnox rate limit lifted so the figure is the report's own cost; at Fortnox's real budget of
25 requests per 5 s the document reads dominate: see ``fortnox_calls``). ``--quick``: 2,000
orders; else 10,000. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from tests.database import create_schema
from tests.e2e.harness import build_harness, harness_settings
from tests.e2e.outbound_support import link_demo_products

from ufs_sandboxes.fortnox import FortnoxSandboxConfig, RateLimit
from upsales_fortnox.core.db.engine import create_engine
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.sync.context import installation_context
from upsales_fortnox.sync.report.gather import build_report
from upsales_fortnox.vocabulary import FortnoxType, LinkEntity

DAY = dt.date(2026, 11, 2)


@dataclass(frozen=True)
class SeedLink:
    entity: LinkEntity
    upsales_id: int
    fortnox_type: FortnoxType
    fortnox_id: str
    fingerprint: str | None = None
    synced_fields: dict[str, Any] | None = None


async def run(count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        await create_schema(url)
        engine = create_engine(url)
        settings = harness_settings(url)
        fortnox_config = FortnoxSandboxConfig(
            client_id=settings.fortnox_client_id,
            client_secret=settings.fortnox_client_secret.get_secret_value(),
            rate_limit=RateLimit(requests=10**9, window_seconds=1),
        )
        harness = await build_harness(settings, engine, fortnox_config=fortnox_config)
        try:
            await link_demo_products(harness)
            product = harness.demo.product_ids_by_article_no["KONS-1"]
            harness.fortnox.seed(
                harness.tenant_id, customers=[{"CustomerNumber": "2001", "Name": "Göta Kanal AB"}]
            )
            prices = [100 + index % 900 for index in range(count)]
            seeded = harness.fortnox.seed(
                harness.tenant_id,
                invoices=[
                    {
                        "CustomerNumber": "2001",
                        "InvoiceDate": DAY.isoformat(),
                        "InvoiceRows": [
                            {"ArticleNumber": "KONS-1", "DeliveredQuantity": 1, "Price": price}
                        ],
                    }
                    for price in prices
                ],
            )
            numbers = sorted(
                harness.fortnox.tenant(harness.tenant_id).collection("invoices").items,
                key=int,
            )
            order_ids = harness.upsales.seed(
                harness.demo.customer_id,
                "orders",
                [
                    {
                        "description": f"Fortnox invoice {number}",
                        "date": DAY.isoformat(),
                        "user": {"id": harness.demo.sales_rep_user_ids[0]},
                        "client": {"id": harness.demo.account_ids[0]},
                        "stage": {"id": harness.demo.stage_won_id},
                        "probability": 100,
                        "orderRow": [
                            {
                                "quantity": 1,
                                "price": price,
                                "listPrice": price,
                                "product": {"id": product},
                            }
                        ],
                    }
                    for number, price in zip(numbers, prices, strict=True)
                ],
            )
            async with harness.services.session_factory() as session:
                await LinkStore(session, harness.installation_id).save_many(
                    SeedLink(LinkEntity.ORDER, order_id, FortnoxType.INVOICE, number)
                    for order_id, number in zip(order_ids, numbers, strict=True)
                )
                await session.commit()
            context = await installation_context(harness.services, harness.installation_id)
            harness.fortnox.reset_counters()
            started = time.perf_counter()
            report = await build_report(
                context, harness.services.session_factory, DAY, DAY + dt.timedelta(days=1)
            )
            seconds = time.perf_counter() - started
            calls = harness.fortnox.request_counters().by_route
        finally:
            await harness.service.aclose()
            await harness.services.http.aclose()
            await engine.dispose()
    return {
        "orders": count,
        "seeded_invoices": seeded.get("invoices", count),
        "report_seconds": round(seconds, 2),
        "ms_per_order": round(seconds * 1000 / count, 3),
        "differences": len(report.differences),
        "fortnox_calls": sum(calls.values()),
        "fortnox_calls_at_real_budget_seconds": round(sum(calls.values()) / 5, 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="2,000 orders instead of 10,000")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(2000 if args.quick else 10_000))))


if __name__ == "__main__":
    main()
