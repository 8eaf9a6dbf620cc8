"""Benchmark: won deals → Fortnox invoices, many installations, steady state.

Sets up 20 installations against the in-process sandboxes (one Upsales customer and one Fortnox
tenant each), with the company and products already linked (steady state), queues one
``upsales.order`` job per won deal and runs the service's worker until the queue is idle.

The Fortnox sandbox enforces Fortnox's documented limit itself (25 requests per 5 s sliding
window, per tenant): with 20 tenants that already lets one process of this service run at its
own speed (a shorter window would measure the service's CPU and database, not its pacing; see
``--unthrottled``). The service paces 2 % under the limit. The *rate-limit lower bound* is the
least time any client could take to make the calls that were answered: an installation making
``C`` Fortnox calls under ``N`` per ``W`` seconds needs at least ``(ceil(C / N) - 1) * W``; the
bound is the largest of these.

Prints progress, then ONE JSON object as its last line::

    {"fortnox_calls_per_deal": 1.0, "upsales_calls_per_deal": 1.0, "time_ratio": 1.1, ...}

``cpu_seconds`` is the CPU time this process (all its threads) used meanwhile: on a shared
machine it varies less than ``seconds``. It includes both sandboxes, which serve in this process;
``cpu_ms_per_deal`` is the same per deal. ``load_average`` is the machine's 1-minute load average
before and after the run (other work on the machine slows both figures). ``--quick`` runs
1,000 deals (50 per installation), the default 2,000. ``--unthrottled`` lifts the limit, to see
how long the same work takes when only the service's own cost (job queue, database, the
in-process sandboxes) binds.

Usage: ``python bench/won_deals.py [--quick] [--unthrottled] [--database-url URL]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from pydantic import SecretStr

from bench.common import won_deal_order
from ufs_sandboxes.fortnox import (
    FortnoxSandbox,
    FortnoxSandboxConfig,
    RateLimit,
    create_fortnox_sandbox,
)
from ufs_sandboxes.upsales import (
    DemoUpsalesSeed,
    UpsalesSandbox,
    UpsalesSandboxConfig,
    create_upsales_sandbox,
    seed_demo_upsales,
)
from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.db.base import Base
from upsales_fortnox.core.db.engine import create_engine
from upsales_fortnox.domain.outbound.company import AccountFieldIds, company_fields_from_upsales
from upsales_fortnox.integrations.fortnox.oauth import TokenSet
from upsales_fortnox.integrations.upsales.models import Company
from upsales_fortnox.jobs import Worker, enqueue
from upsales_fortnox.links.repository.links import LinkStore
from upsales_fortnox.models.installation import Installation, InstallationSettings
from upsales_fortnox.services import Services, build_services
from upsales_fortnox.sync.registry import build_handler_registry
from upsales_fortnox.vocabulary import FortnoxType, InstallationStatus, LinkEntity, SyncType

# httpx's ASGITransport tries ``import sniffio`` on every request to detect trio; the package is
# not installed, and the failed import searches the whole module path each time, a cost of the
# in-process transport that a real connection does not pay (as in ``bench/pacing.py``).
sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

FORTNOX_ORIGIN = "http://fortnox.bench"
UPSALES_ORIGIN = "http://upsales.bench"
INSTALLATIONS = 20
CLIENT_MARGIN = 1.02
DOCUMENTED_LIMIT = RateLimit(requests=25, window_seconds=5.0)
UNTHROTTLED = RateLimit(requests=1_000_000, window_seconds=5.0)
ARTICLES = ("KONS-1", "LIC-BAS", "UTB-DAG")


@dataclass
class Tenant:
    installation_id: uuid.UUID
    tenant_id: int
    demo: DemoUpsalesSeed
    order_ids: list[int]


def _settings(database_url: str, fortnox_limit: RateLimit, upsales_limit: int) -> Settings:
    """The service paces itself :data:`CLIENT_MARGIN` under the server's limit: requests
    reach the server a little after the client counts them, so a client pacing at exactly the
    limit draws occasional 429s (reference fortnox.md §7)."""
    return Settings(
        database_url=database_url,
        fortnox_api_base_url=f"{FORTNOX_ORIGIN}/3",
        fortnox_auth_base_url=f"{FORTNOX_ORIGIN}/oauth-v1",
        upsales_api_base_url=f"{UPSALES_ORIGIN}/api/v2",
        admin_token=SecretStr("bench-admin-token-0123456789"),
        secret_key=SecretStr("bench-secret-key-0123456789abcdef"),
        fortnox_rate_limit=fortnox_limit.requests,
        fortnox_rate_window_seconds=fortnox_limit.window_seconds * CLIENT_MARGIN,
        upsales_rate_limit=upsales_limit,
        upsales_rate_window_seconds=fortnox_limit.window_seconds * 2,
        worker_concurrency=INSTALLATIONS,
        job_backoff_base_seconds=0.01,
        job_backoff_max_seconds=0.05,
    )


async def _installation(
    services: Services, fortnox: FortnoxSandbox, upsales: UpsalesSandbox, index: int, deals: int
) -> Tenant:
    tenant_id = fortnox.create_tenant(f"Bench Bolag {index} AB")
    demo = seed_demo_upsales(upsales, name=f"Bench Kund {index} AB")
    company_id = demo.account_ids[0]
    fortnox.seed(
        tenant_id,
        articles=[{"ArticleNumber": number, "Description": number} for number in ARTICLES],
        customers=[{"CustomerNumber": "1", "Name": "Nordisk Verkstad AB"}],
    )
    box = services.secret_box
    async with services.session_factory() as session:
        installation = Installation(
            name=f"Bench {index}",
            upsales_customer_id=demo.customer_id,
            status=InstallationStatus.ACTIVE,
            upsales_api_token_enc=box.encrypt(demo.api_key),
            fortnox_tenant_id=str(tenant_id),
        )
        installation.settings = InstallationSettings(sync_type=SyncType.INVOICE)
        session.add(installation)
        await session.flush()
        links = LinkStore(session, installation.id)
        for number, product_id in demo.product_ids_by_article_no.items():
            await links.save(LinkEntity.PRODUCT, product_id, FortnoxType.ARTICLE, number, None)
        company = Company.model_validate(
            upsales.get_entity(demo.customer_id, "accounts", company_id)
        )
        fields = company_fields_from_upsales(company, AccountFieldIds())
        await links.save(
            LinkEntity.COMPANY,
            company_id,
            FortnoxType.CUSTOMER,
            "1",
            None,
            synced_fields=fields,
        )
        await session.commit()
        installation_id = installation.id
    tokens = fortnox.issue_tokens(tenant_id)
    await services.token_store.save_initial(
        installation_id,
        TokenSet(
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=datetime.now(UTC) + timedelta(seconds=tokens.expires_in),
            scope=tokens.scope,
        ),
    )
    products = list(demo.product_ids_by_article_no.values())
    order_ids = []
    for deal in range(deals):
        order = upsales.create_entity(
            demo.customer_id,
            "orders",
            won_deal_order(
                deal,
                user_id=demo.sales_rep_user_ids[0],
                company_id=company_id,
                stage_id=demo.stage_won_id,
                products=products,
            ),
            fire_hooks=False,
        )
        order_ids.append(order["id"])
    return Tenant(installation_id, tenant_id, demo, order_ids)


async def run(quick: bool, database_url: str | None, unthrottled: bool = False) -> dict[str, Any]:
    deals_per_installation = 50 if quick else 100
    fortnox_limit = UNTHROTTLED if unthrottled else DOCUMENTED_LIMIT
    upsales_limit = 200
    with tempfile.TemporaryDirectory() as scratch:
        url = database_url or f"sqlite:///{Path(scratch) / 'bench.sqlite3'}"
        settings = _settings(url, fortnox_limit, upsales_limit)
        fortnox = create_fortnox_sandbox(
            FortnoxSandboxConfig(
                client_id=settings.fortnox_client_id,
                client_secret=settings.fortnox_client_secret.get_secret_value(),
                rate_limit=fortnox_limit,
                create_default_tenant=False,
            )
        )
        upsales = create_upsales_sandbox(
            UpsalesSandboxConfig(
                rate_limit_requests=upsales_limit,
                rate_limit_window_seconds=settings.upsales_rate_window_seconds,
            )
        )
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.drop_all)
            await connection.run_sync(Base.metadata.create_all)
        http = httpx.AsyncClient(
            mounts={
                FORTNOX_ORIGIN: httpx.ASGITransport(app=fortnox.app),
                UPSALES_ORIGIN: httpx.ASGITransport(app=upsales.app),
            },
            timeout=30.0,
        )
        services = build_services(
            settings, engine, http=http, oauth_transport=httpx.ASGITransport(app=fortnox.app)
        )
        try:
            return await _measure(services, fortnox, upsales, deals_per_installation, fortnox_limit)
        finally:
            await services.aclose()


async def _measure(
    services: Services,
    fortnox: FortnoxSandbox,
    upsales: UpsalesSandbox,
    deals_per_installation: int,
    limit: RateLimit,
) -> dict[str, Any]:
    tenants = [
        await _installation(services, fortnox, upsales, index, deals_per_installation)
        for index in range(INSTALLATIONS)
    ]
    async with services.session_factory() as session:
        for tenant in tenants:
            for order_id in tenant.order_ids:
                await enqueue(
                    session,
                    installation_id=tenant.installation_id,
                    kind="upsales.order",
                    entity_id=str(order_id),
                )
        await session.commit()
    deals = INSTALLATIONS * deals_per_installation
    print(f"{deals} won deals queued across {INSTALLATIONS} installations", file=sys.stderr)
    fortnox.reset_counters()
    services.fortnox_calls.clear()
    services.upsales_calls.clear()
    worker = Worker(services.session_factory, build_handler_registry(services), services.settings)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    cpu_started = time.process_time()
    while await worker.run_once():
        pass
    elapsed = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started

    per_tenant_calls: Counter[int] = Counter()
    invoices = 0
    duplicates = 0
    for tenant in tenants:
        documents = list(fortnox.tenant(tenant.tenant_id).collection("invoices").items.values())
        invoices += len(documents)
        references = Counter(document["ExternalInvoiceReference1"] for document in documents)
        duplicates += sum(count - 1 for count in references.values())
    snapshot = fortnox.request_counters()
    for tenant in tenants:
        answered = snapshot.by_tenant.get(tenant.tenant_id, 0)
        per_tenant_calls[tenant.tenant_id] = answered - snapshot.throttled_by_tenant.get(
            tenant.tenant_id, 0
        )
    fortnox_calls = sum(services.fortnox_calls.values())
    busiest = max(per_tenant_calls.values())
    lower_bound = (math.ceil(busiest / limit.requests) - 1) * limit.window_seconds
    result = {
        "fortnox_calls_per_deal": round(fortnox_calls / deals, 3),
        "upsales_calls_per_deal": round(sum(services.upsales_calls.values()) / deals, 3),
        "time_ratio": round(elapsed / lower_bound, 3) if lower_bound else None,
        "duplicates": duplicates,
        "deals": deals,
        "invoices_created": invoices,
        "seconds": round(elapsed, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "cpu_ms_per_deal": round(cpu_seconds / deals * 1000, 2),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "rate_limit_lower_bound_seconds": round(lower_bound, 2),
        "fortnox_limit": f"{limit.requests} per {limit.window_seconds:g} s per tenant",
        "fortnox_429": snapshot.throttled,
        "fortnox_calls": dict(services.fortnox_calls),
        "upsales_calls": dict(services.upsales_calls),
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="1,000 deals instead of 2,000")
    parser.add_argument("--unthrottled", action="store_true", help="no Fortnox rate limit")
    parser.add_argument("--database-url", help="default: a SQLite file in a scratch directory")
    args = parser.parse_args()
    result = asyncio.run(run(args.quick, args.database_url, args.unthrottled))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
