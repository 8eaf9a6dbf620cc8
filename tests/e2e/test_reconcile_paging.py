"""Reconciliation reads every entity of a list that spans pages, even when Fortnox deletes one
between two page reads (which moves every later entity one place toward the start)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import EventFeed, context_of, fortnox_call
from tests.e2e.test_inbound_payments import two_booked_invoices
from ufs_sandboxes.fortnox.resources.customers import delete_customer
from ufs_sandboxes.fortnox.resources.invoicepayments import delete_payment
from upsales_fortnox.integrations.fortnox import listing as fortnox_listing
from upsales_fortnox.models.job import InboundEvent
from upsales_fortnox.sync.money.reconcile_money import money_batches
from upsales_fortnox.sync.reconcile import reconcile_installation

PAGE_SIZE = 4


@contextmanager
def after_first_page(
    harness: SyncHarness,
    path: str,
    change: Callable[[], None],
    *,
    read: Callable[[httpx.URL], bool] = lambda _: True,
) -> Iterator[None]:
    """Make ``change`` in Fortnox right after the first answer to a ``GET {path}`` whose URL
    passes ``read``."""
    done = False

    async def hook(response: httpx.Response) -> None:
        nonlocal done
        url = response.request.url
        if done or response.request.method != "GET" or not url.path.endswith(path):
            return
        if read(url):
            done = True
            change()

    http = harness.services.http
    hooks = http.event_hooks
    http.event_hooks = {**hooks, "response": [*hooks.get("response", []), hook]}
    try:
        yield
    finally:
        http.event_hooks = hooks


async def reconciled_customers(harness: SyncHarness, change: str = "changed") -> set[str]:
    async with harness.services.session_factory() as session:
        events = await session.scalars(
            select(InboundEvent).where(InboundEvent.event_type == f"customer-{change}")
        )
        return {event.entity_id or "" for event in events}


def nine_customers(harness: SyncHarness) -> list[str]:
    numbers = [str(n) for n in range(1, 10)]  # three pages
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[{"CustomerNumber": n, "Name": f"Kund {n} AB"} for n in numbers],
    )
    return numbers


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fortnox_listing, "PAGE_SIZE", PAGE_SIZE)


async def test_a_customer_deleted_between_two_pages_hides_no_other_change(
    harness: SyncHarness,
) -> None:
    numbers = nine_customers(harness)  # all changed since the checkpoint
    tenant = harness.fortnox.tenant(harness.tenant_id)

    with after_first_page(harness, "/customers", lambda: delete_customer(tenant, "1")):
        await reconcile_installation(harness.services, harness.installation_id)

    assert await reconciled_customers(harness) >= set(numbers[1:])  # "1" may be seen or not


@pytest.mark.parametrize("refused", [False, True], ids=["empty-page", "refused-page"])
async def test_a_list_that_lost_its_last_page_between_two_reads_hides_no_change(
    harness: SyncHarness, refused: bool
) -> None:
    """Three customers of the first page deleted after it was read leave the list one page
    short, so the next read asks past its last page: answered empty or refused
    (``facts.PAGE_PAST_THE_LAST``), the customers left are all reconciled."""
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[{"CustomerNumber": str(n), "Name": f"Kund {n} AB"} for n in range(1, 6)],
    )
    tenant = harness.fortnox.tenant(harness.tenant_id)
    tenant.refuses_pages_past_the_last = refused

    def delete() -> None:
        for number in ("1", "2", "3"):
            delete_customer(tenant, number)

    with after_first_page(harness, "/customers", delete):
        await reconcile_installation(harness.services, harness.installation_id)

    assert await reconciled_customers(harness) >= {"4", "5"}


async def test_a_customer_deleted_between_two_pages_of_the_sweep_shows_no_other_deleted(
    harness: SyncHarness,
) -> None:
    nine_customers(harness)
    await EventFeed(harness).sync()  # all nine linked
    tenant = harness.fortnox.tenant(harness.tenant_id)

    with after_first_page(
        harness,
        "/customers",
        lambda: delete_customer(tenant, "1"),
        read=lambda url: "lastmodified" not in url.params,  # the sweep: every customer
    ):
        await reconcile_installation(harness.services, harness.installation_id)

    assert await reconciled_customers(harness, "deleted") <= {"1"}


async def test_a_payment_deleted_between_two_pages_hides_no_other_paid_invoice(
    harness: SyncHarness,
) -> None:
    first, second = await two_booked_invoices(harness)
    payments = []
    for invoice, day in (
        (first, "01"),
        (first, "02"),
        (first, "03"),
        (first, "04"),
        (second, "05"),
    ):
        body = {"InvoiceNumber": int(invoice), "Amount": 100.0, "PaymentDate": f"2026-11-{day}"}
        created = await fortnox_call(harness, "POST", "/invoicepayments", {"InvoicePayment": body})
        payments.append(created["InvoicePayment"]["Number"])  # left unbooked: deletable
    tenant = harness.fortnox.tenant(harness.tenant_id)
    context = await context_of(harness)
    now = datetime.now(UTC)

    with after_first_page(harness, "/invoicepayments", lambda: delete_payment(tenant, payments[0])):
        (paid, *_) = await money_batches(
            context.fortnox,
            {first, second},
            {},
            now=now,
            first_since=now - timedelta(days=1),
            overlap=timedelta(0),
        )

    # every payment left (the second invoice's among them); the deleted one may have been read
    assert set(paid.numbers) - {payments[0]} == set(payments[1:])
