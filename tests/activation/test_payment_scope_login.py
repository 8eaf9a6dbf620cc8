"""A login that newly grants the ``payment`` scope while ``paymentStatus`` is on queues the
refresh of the linked orders once: the refresh the old login ran left their payments unread, and
no invoice event need come to fill them in."""

from __future__ import annotations

from decimal import Decimal

from tests.activation.conftest import MovableClock
from tests.activation.login_flow import consent, start_login
from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import jobs_of, login_without_payment_scope
from tests.e2e.test_order_fields_turned_on import paid_and_partly_paid, turn_on
from tests.e2e.test_payment_status import DAY, expected, order_of, payment_fields
from upsales_fortnox.vocabulary import JobKind, JobStatus


async def log_in_again(harness: SyncHarness) -> None:
    harness.fortnox.set_consent_tenant(harness.tenant_id)
    response = await harness.service.get(
        await consent(harness, await start_login(harness, harness.installation_id))
    )
    assert response.status_code == 302, response.text


async def test_a_login_granting_the_payment_scope_fills_the_deals_the_refresh_left_out(
    harness: SyncHarness, clock: MovableClock
) -> None:
    first, second, total = await paid_and_partly_paid(harness)
    await login_without_payment_scope(harness)
    await turn_on(harness, paymentStatus=True)
    await harness.run_jobs()
    (skipped,) = await jobs_of(harness, JobKind.REFRESH_ORDER_FIELDS)
    assert (skipped.result or {})["payment_scope_missing"] is True

    await log_in_again(harness)
    await harness.run_jobs()

    refreshes = await jobs_of(harness, JobKind.REFRESH_ORDER_FIELDS)
    assert len(refreshes) == 2
    assert refreshes[-1].status == JobStatus.DONE, refreshes[-1].last_error
    assert payment_fields(harness, await order_of(harness, first)) == expected(
        "paid", str(total), "0.00", DAY
    )
    assert payment_fields(harness, await order_of(harness, second)) == expected(
        "partly_paid", "500.50", str(total - Decimal("500.50")), DAY
    )

    await log_in_again(harness)  # the scope was granted already: nothing more to fill
    assert len(await jobs_of(harness, JobKind.REFRESH_ORDER_FIELDS)) == 2


async def test_a_login_granting_the_payment_scope_queues_nothing_with_payment_status_off(
    harness: SyncHarness, clock: MovableClock
) -> None:
    await login_without_payment_scope(harness)
    await log_in_again(harness)
    assert await jobs_of(harness, JobKind.REFRESH_ORDER_FIELDS) == []
