"""The demo: the service, its worker and both API sandboxes on one machine, with a real sync.

``run_demo`` starts the Fortnox and Upsales sandboxes and the service (SQLite, in-process
worker, Fortnox change stream) on local ports, connects an installation the way a customer
would (operator API, then the Fortnox login through the sandbox's OAuth2 server), runs the
initial sync, and then shows both directions: a deal won in Upsales becomes a Fortnox invoice,
and a customer created in Fortnox appears in Upsales. Everything goes over HTTP and the
WebSocket, as in production; only the two APIs are stand-ins.
"""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import httpx
import uvicorn

from ufs_sandboxes.demo.console import (
    DemoAccess,
    DemoOutcome,
    DemoPorts,
    Say,
    print_try_it,
)
from ufs_sandboxes.demo.waits import (
    STEP_TIMEOUT_SECONDS,
    linked_fortnox_id,
    linked_upsales_id,
    phase_summary,
    until,
    wait_for,
)
from ufs_sandboxes.fortnox import (
    FortnoxSandbox,
    FortnoxSandboxConfig,
    build_fortnox_sandbox_server,
    create_fortnox_sandbox,
)
from ufs_sandboxes.upsales import (
    DemoUpsalesSeed,
    UpsalesSandbox,
    create_upsales_sandbox,
    seed_demo_upsales,
)
from upsales_fortnox.background import background_tasks
from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.db.migrate import upgrade
from upsales_fortnox.core.occupancy import DatabaseLock, check_ports_free
from upsales_fortnox.intake.fortnox_stream.consumer import StreamConsumer
from upsales_fortnox.main import build_service_app
from upsales_fortnox.services import Services, build_services, build_stream_consumer
from upsales_fortnox.sync.catchup.schedule import run_catch_up_scheduler

DEMO_DATABASE = Path("data/demo.sqlite3")
DEMO_WEBHOOK_SECRET = "whsec_demo-webhook-secret-change-me"


def demo_settings(base: Settings, ports: DemoPorts, database: Path = DEMO_DATABASE) -> Settings:
    """The base settings pointed at the demo's own database, sandboxes and ports."""
    return base.model_copy(
        update={
            "database_url": f"sqlite:///{database.resolve()}",
            "fortnox_api_base_url": f"{ports.origin(ports.fortnox)}/3",
            "fortnox_auth_base_url": f"{ports.origin(ports.fortnox)}/oauth-v1",
            "fortnox_ws_url": f"ws://{ports.host}:{ports.fortnox}/topics-v1",
            "upsales_api_base_url": f"{ports.origin(ports.upsales)}/api/v2",
            "public_base_url": ports.origin(ports.service),
            "upsales_return_url": f"{ports.origin(ports.upsales)}/_sandbox/docs",
            "worker_poll_seconds": 0.2,
        }
    )


def seed_demo_fortnox(sandbox: FortnoxSandbox, tenant_id: int) -> None:
    """A small Fortnox company: the Upsales demo's articles priced on the default list A (every
    tenant has it), one customer that
    Upsales knows already (same organisation number), one it does not, and an invoice."""
    sandbox.seed(
        tenant_id,
        articles=[
            {"ArticleNumber": "KONS-1", "Description": "Konsulttimme", "Unit": "h"},
            {"ArticleNumber": "LIC-BAS", "Description": "Licens Bas", "Unit": "st"},
            {"ArticleNumber": "UTB-DAG", "Description": "Utbildningsdag", "Unit": "st"},
            {"ArticleNumber": "SUPPORT", "Description": "Supportavtal, månad", "Unit": "st"},
        ],
        prices=[
            {"PriceList": "A", "ArticleNumber": number, "FromQuantity": 0, "Price": price}
            for number, price in (
                ("KONS-1", Decimal("1250")),
                ("LIC-BAS", Decimal("4900")),
                ("UTB-DAG", Decimal("9500")),
                ("SUPPORT", Decimal("990")),
            )
        ],
        customers=[
            {"Name": "Nordisk Verkstad AB", "OrganisationNumber": "5566778899"},
            {
                "Name": "Skärgårdens Bygg AB",
                "OrganisationNumber": "556012-3456",
                "City": "Norrtälje",
            },
        ],
    )


async def run_demo(
    base: Settings,
    ports: DemoPorts | None = None,
    *,
    database: Path = DEMO_DATABASE,
    stay: bool = True,
    say: Say = print,
) -> DemoOutcome:
    """Run the demo. With ``stay`` it keeps serving after the showcase until cancelled.

    Raises :class:`~upsales_fortnox.core.occupancy.InUse` before it touches anything when one of
    its ports or its database is taken (by another demo, say)."""
    ports = ports or DemoPorts()
    check_ports_free(
        ports.host,
        [
            ("service", ports.service),
            ("Fortnox sandbox", ports.fortnox),
            ("Upsales sandbox", ports.upsales),
        ],
    )
    with DatabaseLock(database):
        return await _run_demo(base, ports, database, stay, say)


async def _run_demo(
    base: Settings, ports: DemoPorts, database: Path, stay: bool, say: Say
) -> DemoOutcome:
    settings = demo_settings(base, ports, database)
    await asyncio.to_thread(_fresh_database, settings.database_url, database)
    say(f"Demo database: DATABASE_URL={settings.database_url}")

    fortnox = create_fortnox_sandbox(
        FortnoxSandboxConfig(
            client_id=settings.fortnox_client_id,
            client_secret=settings.fortnox_client_secret.get_secret_value(),
        )
    )
    tenant_id = fortnox.default_tenant_id
    assert tenant_id is not None
    seed_demo_fortnox(fortnox, tenant_id)
    upsales = create_upsales_sandbox()
    upsales_seed = seed_demo_upsales(upsales)

    services = build_services(settings)
    stream = build_stream_consumer(services)

    async def run_stream(_: Services, stop: asyncio.Event) -> None:
        await stream.run(stop)

    app = build_service_app(
        services=services,
        background=[*background_tasks(stream=False), run_stream, run_catch_up_scheduler],
    )
    servers = [
        build_fortnox_sandbox_server(fortnox, ports.host, ports.fortnox, log_level="warning"),
        _server(upsales.app, ports.host, ports.upsales, lifespan="off"),
        _server(app, ports.host, ports.service, lifespan="on"),
    ]
    serving = [asyncio.create_task(server.serve()) for server in servers]
    try:
        await until(lambda: _all_started(servers), "the servers to start")
        async with httpx.AsyncClient(base_url=ports.origin(ports.service), timeout=30) as client:
            outcome = await _showcase(
                client,
                services,
                stream,
                settings,
                ports,
                (fortnox, tenant_id),
                (upsales, upsales_seed),
                say,
            )
        access = DemoAccess(
            upsales_api_key=upsales_seed.api_key,
            fortnox_access_token=fortnox.issue_tokens(tenant_id).access_token,
        )
        print_try_it(say, settings, ports, outcome, upsales_seed, access)
        if stay:
            await asyncio.gather(*serving)
        return outcome
    finally:
        # The service first, so its stream and worker stop before the sandboxes go away.
        for server, task in reversed(list(zip(servers, serving, strict=True))):
            server.should_exit = True
            await asyncio.gather(task, return_exceptions=True)
        await services.aclose()


def _fresh_database(database_url: str, database: Path) -> None:
    """The demo's sandboxes start empty each run, so its database does too."""
    database.unlink(missing_ok=True)
    upgrade(database_url)


def _server(
    app: Any, host: str, port: int, *, lifespan: Literal["auto", "on", "off"]
) -> uvicorn.Server:
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, log_level="warning", lifespan=lifespan
    )
    return uvicorn.Server(config)


def _all_started(servers: list[uvicorn.Server]) -> bool:
    return all(server.started for server in servers)


async def _showcase(
    client: httpx.AsyncClient,
    services: Services,
    stream: StreamConsumer,
    settings: Settings,
    ports: DemoPorts,
    fortnox_side: tuple[FortnoxSandbox, int],
    upsales_side: tuple[UpsalesSandbox, DemoUpsalesSeed],
    say: Say,
) -> DemoOutcome:
    fortnox, tenant_id = fortnox_side
    upsales, seed = upsales_side
    admin = {"Authorization": f"Bearer {settings.admin_token.get_secret_value()}"}
    say("1. An operator registers the Upsales account (operator API).")
    created = await client.post(
        "/api/installations",
        headers=admin,
        json={
            "name": "Demo Konsult AB",
            "upsales_customer_id": seed.customer_id,
            "upsales_api_token": seed.api_key,
            "webhook_secret": DEMO_WEBHOOK_SECRET,
            "settings": {
                "syncType": "invoice",
                "placeholderUser": seed.admin_user_id,
                "wonStage": seed.stage_won_id,
                "lostStage": seed.stage_lost_id,
                "productBundles": "onlyBundle",
            },
        },
    )
    _raise_for_status(created)
    installation_id = uuid.UUID(created.json()["id"])
    login_url = str(created.json()["fortnox_login_url"])

    say("2. The customer clicks 'Logga in i Fortnox' and consents (OAuth2 in the sandbox).")
    await _log_in_to_fortnox(client, login_url, settings)
    await _choose_price_list(client, admin, installation_id, "A", say)
    upsales.register_hook_sink(f"{ports.origin(ports.service)}/webhooks/upsales/{installation_id}")

    say("3. The initial sync imports Fortnox customers and articles, matching what exists.")
    started = await client.post(f"/api/installations/{installation_id}/initial-sync", headers=admin)
    started.raise_for_status()

    async def initial_sync_done() -> dict[str, Any] | None:
        report = await client.get(
            f"/api/installations/{installation_id}/initial-sync", headers=admin
        )
        body: dict[str, Any] = report.json()
        if body.get("status") == "dead":
            raise RuntimeError(f"the initial sync failed: {body}")
        return body if body.get("status") == "done" else None

    report = await wait_for(initial_sync_done, "the initial sync")
    say(f"   done: {phase_summary(report)}")

    say(f"4. A sales rep wins the deal 'Införande av Licens Bas' (order {seed.opportunity_id}).")
    won = await client.put(
        f"{ports.origin(ports.upsales)}/api/v2/orders/{seed.opportunity_id}",
        params={"token": seed.api_key},
        json={"stage": {"id": seed.stage_won_id}, "probability": 100},
    )
    won.raise_for_status()
    order_value = Decimal(str(won.json()["data"]["value"]))

    async def invoice_link() -> str | None:
        return await linked_fortnox_id(services, installation_id, seed.opportunity_id)

    invoice_number = await wait_for(invoice_link, "the Fortnox invoice")
    invoice = fortnox.entity(tenant_id, "invoices", invoice_number)
    assert invoice is not None
    total = Decimal(str(invoice["Net"]))
    say(
        f"   Fortnox invoice {invoice_number} for {invoice['CustomerName']}: net {total} SEK "
        f"(Upsales order value {order_value} SEK)."
    )

    say("5. The bookkeeper adds a customer in Fortnox; the change stream brings it to Upsales.")
    # A new login is followed within the stream's tenant refresh; events before that are left
    # to reconciliation, so the demo waits until the stream follows the new tenant.
    await asyncio.wait_for(
        stream.wait_until(lambda consumer: bool(consumer.followed)), STEP_TIMEOUT_SECONDS
    )
    tokens = fortnox.issue_tokens(tenant_id)
    made = await client.post(
        f"{ports.origin(ports.fortnox)}/3/customers",
        headers={"Authorization": f"Bearer {tokens.access_token}"},
        json={"Customer": {"Name": "Kustens El & Data AB", "OrganisationNumber": "559900-1122"}},
    )
    made.raise_for_status()
    customer_number = str(made.json()["Customer"]["CustomerNumber"])

    async def imported_company() -> int | None:
        return await linked_upsales_id(services, installation_id, customer_number)

    company_id = await wait_for(imported_company, "the Upsales company")
    say(f"   Fortnox customer {customer_number} is now Upsales company {company_id}.")
    return DemoOutcome(
        installation_id=installation_id,
        won_order_id=seed.opportunity_id,
        fortnox_invoice_number=invoice_number,
        fortnox_invoice_total=total,
        upsales_order_value=order_value,
        fortnox_customer_number=customer_number,
        upsales_company_id=company_id,
    )


def _raise_for_status(response: httpx.Response) -> None:
    """Like ``raise_for_status``, with the service's error body in the message."""
    if response.is_error:
        raise RuntimeError(f"{response.request.url.path}: {response.status_code} {response.text}")


async def _choose_price_list(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    installation_id: uuid.UUID,
    code: str,
    say: Say,
) -> None:
    """Pick the Fortnox price list now that Fortnox can be asked which exist (the live
    settings check refuses one it cannot see)."""
    url = f"/api/installations/{installation_id}/settings"
    current = await client.get(url, headers=admin)
    _raise_for_status(current)
    chosen = await client.put(
        url,
        json={**current.json(), "priceList": code},
        headers={**admin, "If-Match": current.headers["etag"]},
    )
    _raise_for_status(chosen)
    say(f"   settings checked against both systems; Fortnox price list {code} chosen.")


async def _log_in_to_fortnox(client: httpx.AsyncClient, login_url: str, settings: Settings) -> None:
    """Follow the browser's redirects from the installation's ``fortnox_login_url``: service →
    Fortnox consent → service callback → Upsales. The client keeps cookies like a browser, so
    the callback carries the login cookie the service set when the login started."""
    url = login_url
    for _ in range(5):
        response = await client.get(url, follow_redirects=False)
        if response.status_code != 302:
            raise RuntimeError(f"the Fortnox login failed: {response.status_code} {response.text}")
        url = response.headers["location"]
        if url.startswith(settings.upsales_return_url):
            return
    raise RuntimeError("the Fortnox login did not return to Upsales")
