"""A Fortnox company and an Upsales account that overlap, for initial sync tests.

Upsales (the demo seed plus what is added here) already holds:
* "Nordisk Verkstad AB" 556677-8899 → Fortnox customer 1 matches it by organisation number;
* "Beta Bygg AB" without org number → customer 2 ("BETA  BYGG ab") matches it by name;
* two companies with org number 556000-1111 → customer 3 is ambiguous;
* product KONS-1 → article KONS-1 matches it by article number.
Customer 4 and 5 and article NY-1 are new. Invoices: 1 for customer 1, 2 for customer 4,
3 for the ambiguous customer 3 (skipped: its customer is not linked), 4 for customer 5,
cancelled (imported as a lost order).
"""

from __future__ import annotations

import uuid
from collections import Counter
from decimal import Decimal
from typing import Any

from sqlalchemy import update

from tests.e2e.harness import SyncHarness
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.jobs import Worker
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.vocabulary import JobStatus

AMBIGUOUS_ORG = "556000-1111"


def seed_overlap(harness: SyncHarness) -> dict[str, int]:
    upsales, customer_id = harness.upsales, harness.demo.customer_id
    beta, *twins = upsales.seed(
        customer_id,
        "accounts",
        [
            {"name": "Beta Bygg AB"},
            {"name": "Gamma Handel AB", "orgNo": AMBIGUOUS_ORG},
            {"name": "Gamma Handel Syd AB", "orgNo": "5560001111"},
        ],
    )
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[
            {"CustomerNumber": "1", "Name": "Nordisk Verkstad", "OrganisationNumber": "5566778899"},
            {"CustomerNumber": "2", "Name": "BETA  BYGG ab", "City": "Umeå"},
            {"CustomerNumber": "3", "Name": "Gamma", "OrganisationNumber": AMBIGUOUS_ORG},
            {"CustomerNumber": "4", "Name": "Delta Data AB", "OrganisationNumber": "556111-2222"},
            {"CustomerNumber": "5", "Name": "Epsilon AB", "Phone1": "08-123 45"},
        ],
        articles=[
            {"ArticleNumber": "KONS-1", "Description": "Konsulttimme"},
            {"ArticleNumber": "NY-1", "Description": "Ny tjänst"},
        ],
        prices=[
            {"PriceList": "A", "ArticleNumber": "KONS-1", "FromQuantity": 0, "Price": 1300},
            {"PriceList": "A", "ArticleNumber": "NY-1", "FromQuantity": 0, "Price": 250},
        ],
        invoices=[
            _invoice("1", "KONS-1", 2, 1300),
            _invoice("4", "NY-1", 4, 250),
            _invoice("3", "NY-1", 1, 250),
            {**_invoice("5", "NY-1", 1, 250), "Cancelled": True},
        ],
    )
    return {"beta": beta, "twin_a": twins[0], "twin_b": twins[1]}


def _invoice(customer: str, article: str, quantity: int, price: int) -> dict[str, Any]:
    return {
        "CustomerNumber": customer,
        "InvoiceDate": "2026-10-01",
        "InvoiceRows": [{"ArticleNumber": article, "DeliveredQuantity": quantity, "Price": price}],
    }


def duplicates(harness: SyncHarness) -> int:
    """Upsales records that share what identifies them: org number, article number, document."""
    orgs = Counter(
        "".join(ch for ch in (a.get("orgNo") or "") if ch.isdigit())
        for a in harness.upsales_entities("accounts")
    )
    names = Counter((a.get("name") or "").casefold() for a in harness.upsales_entities("accounts"))
    articles = Counter(p.get("articleNo") for p in harness.upsales_entities("products"))
    documents = Counter(
        str(item.get("value"))
        for order in harness.upsales_entities("orders")
        for item in order.get("custom") or []
        if item.get("fieldId") == harness.demo.order_fortnox_document_field_id and item.get("value")
    )
    org_dupes = sum(n - 1 for key, n in orgs.items() if key and key != "5560001111")
    name_dupes = sum(n - 1 for n in names.values())
    return (
        org_dupes
        + name_dupes
        + sum(n - 1 for key, n in articles.items() if key)
        + sum(n - 1 for n in documents.values())
    )


def creates(harness: SyncHarness) -> dict[str, int]:
    routes = harness.upsales.request_counters()["byRoute"]
    return {
        kind: routes.get(f"POST /api/v2/{kind}", 0) for kind in ("accounts", "products", "orders")
    }


def writes(harness: SyncHarness) -> int:
    routes = harness.upsales.request_counters()["byRoute"]
    return sum(n for route, n in routes.items() if not route.startswith("GET "))


def money(value: Any) -> Decimal:
    return Decimal(str(value))


async def run_job_to_its_end(
    harness: SyncHarness, job_id: uuid.UUID, worker: Worker, *, runs: int
) -> SyncJob:
    """Runs ``job_id`` again and again, due at once after each run that requeued it, until it
    is no longer queued (at most ``runs`` runs); the job as it ended."""
    for _ in range(runs):
        await worker.run_once()
        async with harness.services.session_factory() as session:
            job = await session.get(SyncJob, job_id)
            assert job is not None
            if job.status != JobStatus.QUEUED:
                return job
            await session.execute(
                update(SyncJob).where(SyncJob.id == job_id).values(run_after=utcnow())
            )
            await session.commit()
    raise AssertionError("the initial sync did not end")
