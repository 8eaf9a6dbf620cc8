"""The sandboxes and the database of ``bench.scale_out``: each sandbox seeded and served in a
child process of its own; the installations, links and tokens written before the run."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import won_deal_order
from upsales_fortnox.core import event_loop

HOST = "127.0.0.1"
SECRET_KEY = "bench-secret-key-0123456789abcdef"
WEBHOOK_SECRET = "whsec_bench-secret"
ARTICLES = ("KONS-1", "LIC-BAS", "UTB-DAG")
LIMIT, WINDOW = 25, 5.0  # Fortnox's documented budget per tenant


def service_env(
    database_url: str,
    ports: tuple[int, int],
    *,
    worker_concurrency: int,
    backoff_seconds: tuple[float, float],
) -> dict[str, str]:
    """The service's settings against the sandboxes at ``ports`` (Fortnox, Upsales), as
    environment variables. The service paces at the server's own limit, as its defaults do: a
    request's place counts until a window after its answer, which comes after the server counted
    it (``integrations/pacing.py``). ``backoff_seconds``: the job retry's base and ceiling."""
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "ADMIN_TOKEN": "bench-admin-token-0123456789",
        "FORTNOX_API_BASE_URL": f"http://{HOST}:{ports[0]}/3",
        "FORTNOX_AUTH_BASE_URL": f"http://{HOST}:{ports[0]}/oauth-v1",
        "UPSALES_API_BASE_URL": f"http://{HOST}:{ports[1]}/api/v2",
        "FORTNOX_RATE_LIMIT": str(LIMIT),
        "FORTNOX_RATE_WINDOW_SECONDS": str(WINDOW),
        "WORKER_CONCURRENCY": str(worker_concurrency),
        "JOB_BACKOFF_BASE_SECONDS": str(backoff_seconds[0]),
        "JOB_BACKOFF_MAX_SECONDS": str(backoff_seconds[1]),
        "LOG_LEVEL": "WARNING",
    }


def serve_fortnox(
    deals_by_index: list[int],
    port: int,
    pipe: Any,
    *,
    rate_limit: tuple[int, float] = (25, 5.0),
    latency_ms: float = 0.0,
) -> None:
    """Child process: one tenant per installation (articles and customer "1" seeded), their
    tokens sent back; then serve until killed at ``rate_limit`` (requests, window seconds; by
    default Fortnox's own), answering ``"report"`` on the pipe with the documents made and the
    calls answered. ``latency_ms``: every answer that late (a round trip's latency), its
    request counted against the window at arrival."""
    from ufs_sandboxes.fortnox import (
        FortnoxSandboxConfig,
        RateLimit,
        create_fortnox_sandbox,
    )
    from ufs_sandboxes.fortnox.server import build_fortnox_sandbox_server

    fortnox = create_fortnox_sandbox(
        FortnoxSandboxConfig(rate_limit=RateLimit(*rate_limit), create_default_tenant=False)
    )
    seeded = []
    for index in range(len(deals_by_index)):
        tenant_id = fortnox.create_tenant(f"Bench Bolag {index} AB")
        fortnox.seed(
            tenant_id,
            articles=[{"ArticleNumber": number, "Description": number} for number in ARTICLES],
            customers=[{"CustomerNumber": "1", "Name": "Nordisk Verkstad AB"}],
        )
        tokens = fortnox.issue_tokens(tenant_id)
        seeded.append(
            {
                "tenant_id": tenant_id,
                "access_token": tokens.access_token,
                "refresh_token": tokens.refresh_token,
                "expires_in": tokens.expires_in,
                "scope": tokens.scope,
            }
        )
    fortnox.set_faults(answer_delay_ms=latency_ms)
    pipe.send(seeded)

    def report() -> None:
        if pipe.recv() != "report":
            return
        documents = 0
        references: set[tuple[int, str]] = set()
        for tenant in seeded:
            tenant_id = int(str(tenant["tenant_id"]))
            for kind in ("invoices", "orders"):
                for document in fortnox.tenant(tenant_id).collection(kind).items.values():
                    documents += 1
                    references.add((tenant_id, str(document["ExternalInvoiceReference1"])))
        counters = fortnox.request_counters()
        answered = {
            tenant: total - counters.throttled_by_tenant.get(tenant, 0)
            for tenant, total in counters.by_tenant.items()
        }
        pipe.send(
            {
                "documents": documents,
                "distinct_references": len(references),
                "answered_by_tenant": answered,
                "by_route": counters.by_route,
                "throttled": counters.throttled,
            }
        )

    threading.Thread(target=report, daemon=True).start()
    event_loop.run(build_fortnox_sandbox_server(fortnox, HOST, port, log_level="warning").serve())


def serve_upsales(deals_by_index: list[int], port: int, pipe: Any, *, latency_ms: int = 0) -> None:
    """Child process: one demo customer per installation with its won orders; sends back the
    keys, links to make, the won orders' ids and their app hook bodies (as Upsales sends them),
    then serves, every answer ``latency_ms`` late (counted by the rate limit at arrival)."""
    from ufs_sandboxes.upsales import (
        UpsalesSandboxConfig,
        build_app_hook_body,
        create_upsales_sandbox,
        seed_demo_upsales,
        serve_upsales_sandbox,
    )

    upsales = create_upsales_sandbox(UpsalesSandboxConfig())
    seeded = []
    for index, deals in enumerate(deals_by_index):
        demo = seed_demo_upsales(upsales, name=f"Bench Kund {index} AB")
        company_id = demo.account_ids[0]
        products = list(demo.product_ids_by_article_no.values())
        seller = {"id": demo.sales_rep_user_ids[0], "name": "Säljare", "email": "s@example.se"}
        hooks = []
        order_ids = []
        for deal in range(deals):
            order = upsales.create_entity(
                demo.customer_id,
                "orders",
                won_deal_order(
                    deal,
                    user_id=seller["id"],
                    company_id=company_id,
                    stage_id=demo.stage_won_id,
                    products=products,
                ),
                fire_hooks=False,
            )
            order_ids.append(order["id"])
            body = build_app_hook_body(
                event_type="after_order_update",
                entity=order,
                acting_user=seller,
                customer_id=demo.customer_id,
                api_key=demo.api_key,
            )
            hooks.append(json.dumps(body, default=str))
        seeded.append(
            {
                "customer_id": demo.customer_id,
                "api_key": demo.api_key,
                "company": upsales.get_entity(demo.customer_id, "accounts", company_id),
                "products": dict(demo.product_ids_by_article_no),
                "hooks": hooks,
                "order_ids": order_ids,
            }
        )
    upsales.set_faults(latency_ms=latency_ms)
    pipe.send(json.loads(json.dumps(seeded, default=str)))
    event_loop.run(serve_upsales_sandbox(upsales, HOST, port))


async def prepare_database(
    env: dict[str, str], fortnox_seed: list[dict[str, Any]], upsales_seed: list[dict[str, Any]]
) -> tuple[list[tuple[str, bytes]], list[str]]:
    """The schema, one linked installation per tenant with its tokens; returns the hooks to
    post (``(path, body)``, installations interleaved) and the installations' ids in the seeds'
    order."""
    from upsales_fortnox.core.config import Settings
    from upsales_fortnox.core.db.base import Base
    from upsales_fortnox.core.db.engine import create_engine
    from upsales_fortnox.domain.outbound.company import (
        AccountFieldIds,
        company_fields_from_upsales,
    )
    from upsales_fortnox.integrations.fortnox.oauth import TokenSet
    from upsales_fortnox.integrations.upsales.models import Company
    from upsales_fortnox.links.repository.links import LinkStore
    from upsales_fortnox.models.installation import Installation, InstallationSettings
    from upsales_fortnox.services import build_services
    from upsales_fortnox.vocabulary import FortnoxType, InstallationStatus, LinkEntity, SyncType

    settings = Settings(**{key.lower(): value for key, value in env.items()})  # type: ignore[arg-type]
    engine = create_engine(settings.database_url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    services = build_services(settings, engine)
    box = services.secret_box
    paths: list[str] = []
    try:
        for fortnox, upsales in zip(fortnox_seed, upsales_seed, strict=True):
            async with services.session_factory() as session:
                installation = Installation(
                    name=f"Bench {upsales['customer_id']}",
                    upsales_customer_id=upsales["customer_id"],
                    status=InstallationStatus.ACTIVE,
                    upsales_api_token_enc=box.encrypt(upsales["api_key"]),
                    webhook_secret_enc=box.encrypt(WEBHOOK_SECRET),
                    fortnox_tenant_id=str(fortnox["tenant_id"]),
                )
                installation.settings = InstallationSettings(sync_type=SyncType.INVOICE)
                session.add(installation)
                await session.flush()
                links = LinkStore(session, installation.id)
                for number, product_id in upsales["products"].items():
                    await links.save(
                        LinkEntity.PRODUCT, product_id, FortnoxType.ARTICLE, number, None
                    )
                company = Company.model_validate(upsales["company"])
                await links.save(
                    LinkEntity.COMPANY,
                    company.id,
                    FortnoxType.CUSTOMER,
                    "1",
                    None,
                    synced_fields=company_fields_from_upsales(company, AccountFieldIds()),
                )
                await session.commit()
                installation_id: uuid.UUID = installation.id
            await services.token_store.save_initial(
                installation_id,
                TokenSet(
                    access_token=fortnox["access_token"],
                    refresh_token=fortnox["refresh_token"],
                    expires_at=datetime.now(UTC) + timedelta(seconds=fortnox["expires_in"]),
                    scope=fortnox["scope"],
                ),
            )
            paths.append(f"/webhooks/upsales/{installation_id}")
    finally:
        await services.aclose()
    hooks = []
    for deal in range(max(len(upsales["hooks"]) for upsales in upsales_seed)):
        for path, upsales in zip(paths, upsales_seed, strict=True):
            if deal < len(upsales["hooks"]):
                hooks.append((path, upsales["hooks"][deal].encode()))
    return hooks, [path.rsplit("/", 1)[1] for path in paths]
