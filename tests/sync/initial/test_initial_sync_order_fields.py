"""An initial import with ``paymentStatus`` or ``documentLinks`` on gives the orders it makes
or links the fields those settings write: it queues one ``refresh_order_fields`` job at its end,
as turning the settings on does for the deals linked before."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.e2e.harness import SyncHarness
from tests.e2e.inbound_support import custom_value, jobs_of
from tests.e2e.test_payment_status import expected, payment_fields
from upsales_fortnox.documents.service import LinkSigning, document_url
from upsales_fortnox.models.link import Link
from upsales_fortnox.vocabulary import FortnoxType, JobKind, JobStatus

URL_ALIAS = "FORTNOX_DOCUMENT_URL"


def _seed_invoice(harness: SyncHarness) -> None:
    harness.fortnox.seed(
        harness.tenant_id,
        customers=[{"CustomerNumber": "41", "Name": "Importkund AB"}],
        articles=[{"ArticleNumber": "IMP-1", "Description": "Importerad vara"}],
        invoices=[
            {
                "CustomerNumber": "41",
                "InvoiceDate": "2025-03-01",
                "InvoiceRows": [{"ArticleNumber": "IMP-1", "DeliveredQuantity": 2, "Price": 150}],
            }
        ],
    )


async def _import(harness: SyncHarness) -> None:
    response = await harness.service.post(
        f"/api/installations/{harness.installation_id}/initial-sync",
        headers=harness.admin_headers,
    )
    assert response.status_code == 202, response.text
    await harness.run_jobs()


async def _imported_invoice(harness: SyncHarness) -> tuple[str, int]:
    async with harness.services.session_factory() as session:
        rows = await session.execute(
            select(Link.fortnox_id, Link.upsales_id).where(
                Link.installation_id == harness.installation_id,
                Link.fortnox_type == FortnoxType.INVOICE,
            )
        )
        ((number, order_id),) = rows.all()
    return number, order_id


async def test_the_imported_deals_show_their_payment_status(harness: SyncHarness) -> None:
    await harness.update_settings(payment_status=True)
    _seed_invoice(harness)

    await _import(harness)

    number, order_id = await _imported_invoice(harness)
    invoice = harness.fortnox_entity("invoices", number) or {}
    assert payment_fields(harness, order_id) == expected(  # unpaid, due since March 2025
        "overdue", "0.00", f"{float(invoice['Total']):.2f}", ""
    )
    (refresh,) = await jobs_of(harness, JobKind.REFRESH_ORDER_FIELDS)
    assert refresh.status == JobStatus.DONE, refresh.last_error
    assert refresh.entity_id == "paymentStatus"


async def test_the_imported_deals_link_their_documents(harness: SyncHarness) -> None:
    (field_id,) = harness.upsales.seed_many(
        harness.demo.customer_id,
        {"customfields/order": [{"name": "Faktura (PDF)", "alias": URL_ALIAS, "datatype": "Link"}]},
    )["customfields/order"]
    await harness.update_settings(document_links=True)
    _seed_invoice(harness)

    await _import(harness)

    number, order_id = await _imported_invoice(harness)
    order: dict[str, Any] = harness.upsales_entity("orders", order_id) or {}
    assert custom_value(order, int(field_id)) == await document_url(
        harness.services.session_factory,
        LinkSigning.of(harness.services.settings),
        harness.installation_id,
        FortnoxType.INVOICE,
        number,
    )


async def test_an_import_with_both_settings_off_queues_no_refresh(harness: SyncHarness) -> None:
    _seed_invoice(harness)

    await _import(harness)

    await _imported_invoice(harness)
    assert await jobs_of(harness, JobKind.REFRESH_ORDER_FIELDS) == []


async def test_an_import_that_links_no_document_queues_no_refresh(harness: SyncHarness) -> None:
    await harness.update_settings(payment_status=True, document_links=True)

    await _import(harness)

    assert await jobs_of(harness, JobKind.REFRESH_ORDER_FIELDS) == []
