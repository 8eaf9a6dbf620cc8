"""What the won-deal crash and settling tests share: the deal, its calls, its documents, its
intent's wait, and creates whose connection drops before Fortnox commits them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import queued_jobs_due_now
from tests.e2e.outbound_support import edit, fortnox_list, job, sync_order, win
from upsales_fortnox.core.db.types import utcnow
from upsales_fortnox.integrations.fortnox import request_rules
from upsales_fortnox.integrations.fortnox.errors import FortnoxUnavailable
from upsales_fortnox.integrations.retry import RetryPolicy
from upsales_fortnox.integrations.send_check import first_send
from upsales_fortnox.links.repository import won_deal_links
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.models.link import DocumentIntent, Link
from upsales_fortnox.sync.outbound.won_deals import sync_won_order
from upsales_fortnox.vocabulary import JobStatus, LinkEntity

SEARCH = "GET /invoices"
CREATE = "POST /invoices"
READ = "GET /invoices/{DocumentNumber}"
UPDATE = "PUT /invoices/{DocumentNumber}"


def sent_fields(harness: SyncHarness, company_id: int) -> dict[str, str | None]:
    """The fields of the Upsales company that a create of its customer sends and is looked
    for by (its name and organisation number)."""
    company = harness.upsales_entity("accounts", company_id)
    assert company is not None
    return {"name": company.get("name"), "organisation_number": company.get("orgNo")}


class ProcessDied(Exception):
    """Stands for the process ending at this point (nothing after it runs)."""


def answered_with(error: Exception) -> Callable[..., Awaitable[None]]:
    """A stand-in for ``create_document`` whose create got its place in the rate budget, was
    sent (what the client does then is done: :func:`first_send`) and was answered with
    ``error``."""

    async def answer(*args: object) -> None:
        await first_send()
        raise error

    return answer


def invoices_of(harness: SyncHarness, order_id: int) -> list[dict[str, Any]]:
    reference = f"upsales-order:{order_id}"
    return [
        i for i in fortnox_list(harness, "invoices") if i["ExternalInvoiceReference1"] == reference
    ]


async def intents(harness: SyncHarness) -> int:
    async with harness.services.session_factory() as session:
        count = await session.scalar(select(func.count()).select_from(DocumentIntent))
    return int(count or 0)


def fortnox_calls(harness: SyncHarness) -> dict[str, int]:
    return {label: n for label, n in harness.services.fortnox_calls.items() if n}


async def first_deal_synced(harness: SyncHarness) -> None:
    """The company's customer is created by the first deal; later deals are steady state."""
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    job = await sync_order(harness, order_id)
    assert job.status == JobStatus.DONE, job.last_error


async def dies_before_the_link(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch, order_id: int
) -> None:
    """Sync the order, the process dying once Fortnox answered and before the link is saved."""

    async def die(*args: object, **kwargs: object) -> None:
        raise ProcessDied

    with monkeypatch.context() as patch:
        patch.setattr(won_deal_links, "save_link", die)
        with pytest.raises(ProcessDied):
            await sync_won_order(harness.services, harness.installation_id, order_id)


async def created_with_its_create_alone(harness: SyncHarness, order_id: int) -> None:
    """Sync the order: its document is created, at the cost of one Fortnox call (its create)."""
    harness.services.fortnox_calls.clear()
    job = await sync_order(harness, order_id)
    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "created"
    assert fortnox_calls(harness) == {CREATE: 1}
    assert len(invoices_of(harness, order_id)) == 1


def new_won_deal(harness: SyncHarness, company_id: int | None = None) -> int:
    """A new won deal of three consulting hours, of ``company_id`` (the demo's first company
    when None), saved without its hooks; its id."""
    demo = harness.demo
    order = harness.upsales.create_entity(
        demo.customer_id,
        "orders",
        {
            "description": "Ny affär",
            "date": "2024-06-01",
            "user": {"id": demo.sales_rep_user_ids[0]},
            "client": {"id": demo.account_ids[0] if company_id is None else company_id},
            "stage": {"id": demo.stage_won_id},
            "probability": 100,
            "orderRow": [
                {
                    "product": {"id": demo.product_ids_by_article_no["KONS-1"]},
                    "quantity": 3,
                    "listPrice": "1250",
                    "price": "1250",
                }
            ],
        },
        fire_hooks=False,
    )
    return int(order["id"])


async def run_due(harness: SyncHarness, job_id: int) -> SyncJob:
    """Make the queued jobs due, run what is due once, and read the job back."""
    await queued_jobs_due_now(harness)
    await harness.run_jobs()
    return await job(harness, job_id)


async def settling(harness: SyncHarness) -> list[int]:
    """The orders whose search waits for an earlier create."""
    async with harness.services.session_factory() as session:
        found = await session.scalars(
            select(DocumentIntent.upsales_order_id).where(DocumentIntent.settles_at.is_not(None))
        )
        return list(found)


async def earlier_creates_settle(harness: SyncHarness) -> None:
    """The time an earlier create may still land passes for every waiting deal (its document's
    create, or a customer create another deal sent)."""
    settled = utcnow() - timedelta(seconds=1)
    async with harness.services.session_factory() as session:
        await session.execute(
            update(DocumentIntent)
            .where(DocumentIntent.settles_at.is_not(None))
            .values(settles_at=settled)
        )
        await session.execute(
            update(DocumentIntent)
            .where(DocumentIntent.customer_settles_at.is_not(None))
            .values(customer_settles_at=settled)
        )
        await session.commit()


@dataclass
class HeldCreate:
    """A create whose connection dropped before Fortnox committed it."""

    send: Callable[[], Awaitable[httpx.Response]]

    async def land(self) -> None:
        """Fortnox commits it late."""
        assert (await self.send()).is_success

    async def cancel(self) -> None:
        """Fortnox stops it with its client: it never lands."""


async def landed_then_run(harness: SyncHarness, held: list[HeldCreate], job_id: int) -> SyncJob:
    """The held create lands late, every wait for an earlier create passes, and the job runs."""
    await held.pop().land()
    await earlier_creates_settle(harness)
    return await run_due(harness, job_id)


def hold_creates(
    harness: SyncHarness,
    monkeypatch: pytest.MonkeyPatch,
    *,
    count: int,
    of: str = "invoices",
    method: str = "POST",
) -> list[HeldCreate]:
    """The next ``count`` creates of ``of`` (a Fortnox collection, or with ``method`` PUT an
    action such as ``createorder``) are held (their connection drops before any answer)."""
    http = harness.services.http
    send: Callable[..., Awaitable[httpx.Response]] = http.request
    held: list[HeldCreate] = []
    taken = 0
    sent_as = method

    async def hold(method: str, url: Any, **kwargs: Any) -> httpx.Response:
        nonlocal taken
        if method == sent_as and str(url).endswith(f"/{of}") and taken < count:
            taken += 1
            held.append(HeldCreate(partial(send, method, url, **kwargs)))
            raise httpx.ReadError("connection dropped before Fortnox committed the create")
        return await send(method, url, **kwargs)

    monkeypatch.setattr(http, "request", hold)
    return held


TRIES_WHEN_UNREACHABLE = 3


def creates_never_connect(
    harness: SyncHarness,
    monkeypatch: pytest.MonkeyPatch,
    *,
    of: str = "invoices",
    method: str = "POST",
) -> list[str]:
    """Every create of ``of`` (a Fortnox collection, or with ``method`` PUT an action such as
    ``createorder``) fails to connect: it never reaches Fortnox. The client gives up after
    ``TRIES_WHEN_UNREACHABLE`` tries, without waiting between them. Returns the URLs of the
    tries."""
    http = harness.services.http
    send: Callable[..., Awaitable[httpx.Response]] = http.request
    tried: list[str] = []
    sent_as = method

    async def unreachable(method: str, url: Any, **kwargs: Any) -> httpx.Response:
        if method == sent_as and str(url).endswith(f"/{of}"):
            tried.append(str(url))
            raise httpx.ConnectError("connection refused")
        return await send(method, url, **kwargs)

    async def no_wait(seconds: float) -> None:
        return None

    monkeypatch.setattr(http, "request", unreachable)
    retry = RetryPolicy(max_attempts=TRIES_WHEN_UNREACHABLE, sleep=no_wait)
    monkeypatch.setattr(request_rules, "RETRY", retry)
    return tried


async def delete_order_link_by_api(harness: SyncHarness) -> None:
    """An operator deletes the installation's order link through the API."""
    async with harness.services.session_factory() as session:
        link_id = await session.scalar(select(Link.id).where(Link.entity == LinkEntity.ORDER.value))
    assert link_id is not None
    deleted = await harness.service.delete(
        f"/api/installations/{harness.installation_id}/links/{link_id}",
        headers=harness.admin_headers,
    )
    assert deleted.status_code == 204, deleted.text


async def moved_and_its_customer_create_lost(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch, order_id: int
) -> tuple[dict[str, Any], list[HeldCreate]]:
    """The deal moved to the demo's second company (no Fortnox customer yet), and run once:
    that company's customer create is held (its answer lost). The company, and the held create."""
    company = harness.upsales_entity("accounts", harness.demo.account_ids[1]) or {}
    edit(harness, "orders", order_id, {"client": {"id": company["id"]}})
    held = hold_creates(harness, monkeypatch, count=1, of="customers")
    with pytest.raises(FortnoxUnavailable):
        await sync_won_order(harness.services, harness.installation_id, order_id)
    assert len(held) == 1
    return company, held
