"""Benchmark of the initial sync: 10,000 customers, 2,000 articles with prices and 20,000
invoices from the Fortnox sandbox into an Upsales sandbox that already holds some of them.

Each sandbox runs in a child process of its own (served by uvicorn over real HTTP, seeded
through its Python API), so the measured process is the one doing the sync, as in production:
the service's job worker running the ``initial_sync`` job on a SQLite database. Rate limits are
the real ones scaled up by ``--scale`` (the same factor for both: Fortnox 25*scale per 5 s,
Upsales 200*scale per 10 s), in the sandboxes and in the service's own pacing.

Figures (the last line printed is one JSON object; the lines before it show the inputs):

* ``fortnox_calls_ratio``: Fortnox requests made / the minimum. Minimum = the list pages of
  customers, inactive customers (list items carry no ``Active``, so the import lists those
  apart; none here, one page), active articles and invoices (``ceil(n / 500)`` each, at least
  one) + one price sublist per
  article (the spec lists a price list's prices one article at a time) + one read per invoice
  imported (list items carry no rows).
* ``upsales_calls_ratio``: Upsales requests made / the minimum. Minimum = the list pages that
  load what Upsales holds (companies, products, orders: ``ceil(n / 2000)``, at least one each),
  the account and order custom fields and the users (one page each) + one create per company,
  product and order (Upsales has no bulk create). Linking a pre-existing company costs a read
  and possibly an update beyond this minimum (it is counted as overhead).
* ``time_ratio``: wall time of the sync / the rate-limit lower bound, the larger over the two
  APIs of the least time their budgets allow for the *minimum* calls (both APIs run at once).
  A budget of ``L`` requests per ``W`` seconds that starts unspent lets request ``k``
  (0-based) through no earlier than ``floor(k / L) * W`` seconds after the first, so ``N``
  requests take at least ``floor((N - 1) / L) * W`` seconds (Fortnox: sliding window; Upsales:
  a fixed window opened by the first request, the same least time). ``steady_time_ratio``
  divides by calls / budget rate (``N * W / L``) instead: the bound without the first
  window's burst, which a long real import approaches (at the real budgets the burst is 25
  Fortnox requests out of 20,000).
* ``peak_rss_mb``: the largest resident memory of this (the syncing) process during the sync
  (psutil, sampled every 50 ms).
* ``duplicates``: Upsales companies sharing an organisation number, products sharing an
  article number, orders sharing a Fortnox document reference.
* ``throttled``: 429 answers per API (each costs a pause; the pacing should make none).
* ``cpu_seconds``: CPU time of the syncing process and of each sandbox during the sync;
  ``phase_seconds``: wall time per phase, from the job's progress.

``--quick`` runs a tenth of the data (well under a minute).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import socket
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil
from pydantic import SecretStr
from sqlalchemy import select

from upsales_fortnox.core import event_loop
from upsales_fortnox.core.config import Settings
from upsales_fortnox.core.db.engine import create_engine
from upsales_fortnox.core.heap import prepare_heap_for_serving
from upsales_fortnox.installations.api_clients import upsales_client_for
from upsales_fortnox.integrations.fortnox.oauth import TokenSet
from upsales_fortnox.jobs import Worker, enqueue
from upsales_fortnox.models.installation import Installation, InstallationSettings
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.services import build_services, http_client
from upsales_fortnox.sync.initial.control import INITIAL_SYNC_ENTITY
from upsales_fortnox.sync.registry import build_handler_registry
from upsales_fortnox.vocabulary import InstallationStatus, JobKind

FORTNOX_PAGE = 500
UPSALES_PAGE = 2000
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Size:
    customers: int
    articles: int
    invoices: int
    overlap_every: int = 50
    """Every n-th customer and article already exists in Upsales (matched, not created)."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _serve_fortnox(size: Size, scale: int, port: int, pipe: Any) -> None:
    """Child process: seed the Fortnox sandbox, report a tenant's tokens, serve until killed."""
    from ufs_sandboxes.fortnox import (
        FortnoxSandboxConfig,
        RateLimit,
        create_fortnox_sandbox,
    )
    from ufs_sandboxes.fortnox.server import build_fortnox_sandbox_server

    fortnox = create_fortnox_sandbox(FortnoxSandboxConfig(rate_limit=RateLimit(25 * scale, 5.0)))
    tenant = fortnox.default_tenant_id
    assert tenant is not None
    fortnox.seed(
        tenant,
        customers=(
            {
                "CustomerNumber": str(n),
                "Name": f"Kund {n} AB",
                "OrganisationNumber": f"55{n:08d}",
                "City": "Stockholm",
            }
            for n in range(1, size.customers + 1)
        ),
        articles=(
            {"ArticleNumber": f"ART-{n}", "Description": f"Artikel {n}"}
            for n in range(1, size.articles + 1)
        ),
        prices=(
            {"PriceList": "A", "ArticleNumber": f"ART-{n}", "FromQuantity": 0, "Price": 100 + n}
            for n in range(1, size.articles + 1)
        ),
        invoices=(
            {
                "CustomerNumber": str(1 + n % size.customers),
                "InvoiceDate": "2026-10-01",
                "InvoiceRows": [
                    {
                        "ArticleNumber": f"ART-{1 + n % size.articles}",
                        "DeliveredQuantity": 1 + n % 3,
                        "Price": 100 + (1 + n % size.articles),
                    }
                ],
            }
            for n in range(size.invoices)
        ),
    )
    tokens = fortnox.issue_tokens(tenant)
    pipe.send(
        {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_in": tokens.expires_in,
            "tenant": tenant,
        }
    )
    server = build_fortnox_sandbox_server(fortnox, HOST, port, log_level="warning")
    event_loop.run(server.serve())


def _serve_upsales(size: Size, scale: int, port: int, pipe: Any) -> None:
    """Child process: seed the Upsales sandbox (the demo account plus overlapping companies and
    products), report the API key and stages, serve until killed."""
    from ufs_sandboxes.upsales import (
        UpsalesSandboxConfig,
        create_upsales_sandbox,
        seed_demo_upsales,
        serve_upsales_sandbox,
    )

    upsales = create_upsales_sandbox(UpsalesSandboxConfig(rate_limit_requests=200 * scale))
    demo = seed_demo_upsales(upsales)
    upsales.seed(
        demo.customer_id,
        "accounts",
        [
            {"name": f"Kund {n} Aktiebolag", "orgNo": f"55{n:08d}"}
            for n in range(1, size.customers + 1, size.overlap_every)
        ],
    )
    upsales.seed(
        demo.customer_id,
        "products",
        [
            {"name": f"Artikel {n}", "articleNo": f"ART-{n}", "listPrice": 100 + n}
            for n in range(1, size.articles + 1, size.overlap_every)
        ],
    )
    existing = {
        kind: len(upsales.list_entities(demo.customer_id, kind))
        for kind in ("accounts", "products", "orders")
    }
    pipe.send(
        {
            "api_key": demo.api_key,
            "won_stage": demo.stage_won_id,
            "lost_stage": demo.stage_lost_id,
            "admin_user": demo.admin_user_id,
            "existing": existing,
        }
    )
    event_loop.run(serve_upsales_sandbox(upsales, HOST, port))


class PeakMemory:
    def __init__(self) -> None:
        self._process = psutil.Process()
        self.peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


def _wait_for(ports: tuple[int, int], timeout: float = 60.0) -> None:
    """Until both sandboxes accept connections."""
    deadline = time.monotonic() + timeout
    for port in ports:
        while True:
            try:
                socket.create_connection((HOST, port), timeout=1.0).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


def _pages(count: int, size: int) -> int:
    return max(1, math.ceil(count / size))


@dataclass(frozen=True)
class Budget:
    """An API's request budget: ``limit`` requests per ``window`` seconds."""

    limit: int
    window: float

    def least_seconds(self, calls: int) -> float:
        """The least time ``calls`` requests take when the budget starts unspent: request
        ``k`` (0-based) goes no earlier than ``floor(k / limit) * window``."""
        return (calls - 1) // self.limit * self.window if calls > 0 else 0.0

    def steady_seconds(self, calls: int) -> float:
        """``calls`` / the budget's rate: the bound without the first window's burst."""
        return calls * self.window / self.limit


async def _duplicates(services: Any, installation: Installation, document_field: int | None) -> int:
    upsales = upsales_client_for(services, installation)
    orgs: Counter[str] = Counter()
    async for company in upsales.iterate_companies():
        if company.orgNo:
            orgs["".join(ch for ch in company.orgNo if ch.isdigit())] += 1
    articles: Counter[str] = Counter()
    async for product in upsales.iterate_products():
        if product.articleNo:
            articles[product.articleNo] += 1
    documents: Counter[str] = Counter()
    async for order in upsales.iterate_orders():
        for value in order.custom or ():
            if value.fieldId == document_field and value.value:
                documents[str(value.value)] += 1
    return sum(n - 1 for counter in (orgs, articles, documents) for n in counter.values() if n > 1)


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def _phase_seconds(services: Any, installation_id: uuid.UUID) -> dict[str, float]:
    async with services.session_factory() as session:
        job = await session.scalar(
            select(SyncJob).where(
                SyncJob.installation_id == installation_id, SyncJob.kind == JobKind.INITIAL_SYNC
            )
        )
    assert job is not None and job.result is not None, "the initial sync did not finish"
    return {name: round(float(item["seconds"]), 2) for name, item in job.result["progress"].items()}


async def _run(
    size: Size,
    scale: int,
    seeded: dict[str, Any],
    ports: tuple[int, int],
    sandboxes: dict[str, psutil.Process],
) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="initial-sync-bench-"))
    fortnox_budget = Budget(25 * scale, 5.0)
    upsales_budget = Budget(200 * scale, 10.0)
    settings = Settings(
        database_url=f"sqlite:///{workdir / 'bench.sqlite3'}",
        fortnox_api_base_url=f"http://{HOST}:{ports[0]}/3",
        fortnox_auth_base_url=f"http://{HOST}:{ports[0]}/oauth-v1",
        upsales_api_base_url=f"http://{HOST}:{ports[1]}/api/v2",
        fortnox_rate_limit=fortnox_budget.limit,
        fortnox_rate_window_seconds=fortnox_budget.window,
        upsales_rate_limit=upsales_budget.limit,
        upsales_rate_window_seconds=upsales_budget.window,
        secret_key=SecretStr("bench-secret-key-0123456789abcdef"),
        log_level="WARNING",
    )
    engine = create_engine(settings.database_url)
    from upsales_fortnox.core.db.base import Base

    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    throttled: Counter[str] = Counter()

    async def count_throttled(response: httpx.Response) -> None:
        if response.status_code == 429:
            api = "fortnox" if response.request.url.port == ports[0] else "upsales"
            throttled[api] += 1

    http = http_client(settings, event_hooks={"response": [count_throttled]})
    services = build_services(settings, engine, http=http)
    installation_id = uuid.uuid4()
    async with services.session_factory() as session:
        installation = Installation(
            id=installation_id,
            name="Bench AB",
            status=InstallationStatus.ACTIVE,
            upsales_api_token_enc=services.secret_box.encrypt(seeded["api_key"]),
            fortnox_tenant_id=str(seeded["tenant"]),
        )
        installation.settings = InstallationSettings(
            sync_type="invoice",
            placeholder_user=seeded["admin_user"],
            won_stage=seeded["won_stage"],
            lost_stage=seeded["lost_stage"],
            price_list="A",
        )
        session.add(installation)
        await enqueue(
            session,
            installation_id=installation_id,
            kind=JobKind.INITIAL_SYNC,
            entity_id=INITIAL_SYNC_ENTITY,
        )
        await session.commit()
    await services.token_store.save_initial(
        installation_id,
        TokenSet(
            access_token=seeded["access_token"],
            refresh_token=seeded["refresh_token"],
            expires_at=datetime.now(UTC) + timedelta(seconds=seeded["expires_in"]),
        ),
    )
    worker = Worker(services.session_factory, build_handler_registry(services), settings)
    prepare_heap_for_serving()  # as a worker process does at its start (run_background)
    this_process = psutil.Process()
    processes = {"sync": this_process, **sandboxes}
    cpu_before = {name: _cpu_seconds(process) for name, process in processes.items()}
    with PeakMemory() as memory:
        started = time.monotonic()
        while await worker.run_once():
            pass
        elapsed = time.monotonic() - started
    cpu = {
        name: round(_cpu_seconds(process) - cpu_before[name], 2)
        for name, process in processes.items()
    }
    fortnox_calls = sum(services.fortnox_calls.values())
    upsales_calls = sum(services.upsales_calls.values())

    existing = seeded["existing"]
    overlap_customers = len(range(1, size.customers + 1, size.overlap_every))
    overlap_articles = len(range(1, size.articles + 1, size.overlap_every))
    fortnox_min = (
        _pages(size.customers, FORTNOX_PAGE)
        + _pages(0, FORTNOX_PAGE)  # the inactive customers: none in this data, one page
        + _pages(size.articles, FORTNOX_PAGE)
        + size.articles  # one price sublist per article: the spec lists prices per article
        + _pages(size.invoices, FORTNOX_PAGE)
        + size.invoices
    )
    upsales_min = (
        _pages(existing["accounts"], UPSALES_PAGE)
        + 1
        + _pages(existing["products"] + size.articles - overlap_articles, UPSALES_PAGE)
        + 1
        + _pages(existing["orders"], UPSALES_PAGE)
        + 1
        + (size.customers - overlap_customers)
        + (size.articles - overlap_articles)
        + size.invoices
    )
    bound = max(
        fortnox_budget.least_seconds(fortnox_min), upsales_budget.least_seconds(upsales_min)
    )
    steady = max(
        fortnox_budget.steady_seconds(fortnox_min), upsales_budget.steady_seconds(upsales_min)
    )
    for name, budget, minimum, made in (
        ("fortnox", fortnox_budget, fortnox_min, fortnox_calls),
        ("upsales", upsales_budget, upsales_min, upsales_calls),
    ):
        print(
            f"{name}: budget {budget.limit} per {budget.window:g} s; minimum calls {minimum}"
            f" (made {made}); least {budget.least_seconds(minimum):.2f} s,"
            f" steady {budget.steady_seconds(minimum):.2f} s",
            file=sys.stderr,
        )
    phase_seconds = await _phase_seconds(services, installation_id)
    async with services.session_factory() as session:
        refreshed = await session.get(Installation, installation_id)
        assert refreshed is not None
        upsales = upsales_client_for(services, refreshed)
        document_field = await upsales.find_custom_field_id("order", "FORTNOX_DOCUMENT")
        duplicates = await _duplicates(services, refreshed, document_field)
    await services.aclose()
    return {
        "fortnox_calls": fortnox_calls,
        "fortnox_min_calls": fortnox_min,
        "upsales_calls": upsales_calls,
        "upsales_min_calls": upsales_min,
        "wall_seconds": round(elapsed, 2),
        "rate_limit_bound_seconds": round(bound, 2),
        "steady_bound_seconds": round(steady, 2),
        "fortnox_calls_ratio": round(fortnox_calls / fortnox_min, 3),
        "upsales_calls_ratio": round(upsales_calls / upsales_min, 3),
        "time_ratio": round(elapsed / bound, 3) if bound > 0 else None,
        "steady_time_ratio": round(elapsed / steady, 3) if steady > 0 else None,
        "peak_rss_mb": round(memory.peak / 2**20, 1),
        "duplicates": duplicates,
        "throttled": dict(throttled),
        "cpu_seconds": cpu,
        "phase_seconds": phase_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the data")
    parser.add_argument("--scale", type=int, default=25, help="rate-limit budgets x this")
    args = parser.parse_args()
    size = Size(1_000, 200, 2_000) if args.quick else Size(10_000, 2_000, 20_000)
    ports = (_free_port(), _free_port())
    context = multiprocessing.get_context("spawn")
    children = []
    seeded: dict[str, Any] = {}
    try:
        receivers = []
        for target, port in ((_serve_fortnox, ports[0]), (_serve_upsales, ports[1])):
            receiver, sender = context.Pipe(duplex=False)
            child = context.Process(target=target, args=(size, args.scale, port, sender))
            child.start()
            children.append(child)
            receivers.append(receiver)
        for receiver in receivers:
            seeded.update(receiver.recv())
        _wait_for(ports)
        print(f"seeded: {size}", file=sys.stderr)
        sandboxes = {
            "fortnox_sandbox": psutil.Process(children[0].pid),
            "upsales_sandbox": psutil.Process(children[1].pid),
        }
        figures = event_loop.run(_run(size, args.scale, seeded, ports, sandboxes))
    finally:
        for child in children:
            child.kill()
            child.join()
    print(json.dumps(figures, default=str))


if __name__ == "__main__":
    main()
