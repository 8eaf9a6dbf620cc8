"""A won deal costs one Fortnox call (its create, or its update after an edit), and a crash
at any point still leaves one document.

The intent to create is committed once the create holds its place in the rate budget, before
it is sent (``document_intents``); the search by order reference is made only when an intent
exists without a link. Each crash point
is imitated in the process: an exception where the process would have died, or a connection
dropped after the sandbox committed the create.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import delete

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import fortnox_list, link_of, queue, sync_order
from tests.e2e.won_deal_support import (
    CREATE,
    READ,
    SEARCH,
    TRIES_WHEN_UNREACHABLE,
    UPDATE,
    ProcessDied,
    created_with_its_create_alone,
    creates_never_connect,
    dies_before_the_link,
    earlier_creates_settle,
    first_deal_synced,
    fortnox_calls,
    intents,
    invoices_of,
    new_won_deal,
    run_due,
    settling,
)
from ufs_sandboxes.fortnox.resources.document_kinds import INVOICES
from ufs_sandboxes.fortnox.resources.documents import update_document
from upsales_fortnox.integrations.fortnox.errors import FortnoxUnavailable
from upsales_fortnox.models.link import Link
from upsales_fortnox.sync.outbound import fortnox_documents as documents
from upsales_fortnox.sync.outbound.won_deals import sync_won_order
from upsales_fortnox.vocabulary import FortnoxType, JobStatus, LinkEntity, SyncType


async def test_a_new_won_deal_costs_exactly_its_create(linked: SyncHarness) -> None:
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)

    await created_with_its_create_alone(harness, order_id)

    assert await intents(harness) == 2  # kept: a link lost later still leads to a search


async def test_crash_before_the_create_has_its_place(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process dies while the create waits for its place in the rate budget: nothing was
    sent, and no intent says otherwise, so the retry creates at once, with one call."""
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)

    async def die(*args: object) -> int:
        raise ProcessDied

    with monkeypatch.context() as patch:
        patch.setattr(documents, "create_document", die)
        with pytest.raises(ProcessDied):
            await sync_won_order(harness.services, harness.installation_id, order_id)
    assert await intents(harness) == 1 and invoices_of(harness, order_id) == []

    await created_with_its_create_alone(harness, order_id)


async def test_crash_after_the_intent_before_the_request(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The create has its place and its intent, and the process dies before sending it. The
    retry finds nothing, so it searches once more when no earlier create can still land, and
    only then creates."""
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)
    http = harness.services.http
    send: Callable[..., Awaitable[httpx.Response]] = http.request

    async def die_before_a_create(method: str, url: Any, **kwargs: Any) -> httpx.Response:
        if method == "POST" and str(url).endswith("/invoices"):
            raise ProcessDied
        return await send(method, url, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(http, "request", die_before_a_create)
        with pytest.raises(ProcessDied):
            await sync_won_order(harness.services, harness.installation_id, order_id)
    assert await intents(harness) == 2 and invoices_of(harness, order_id) == []
    harness.services.fortnox_calls.clear()
    job_id = await queue(harness, "upsales.order", order_id)

    waiting = await run_due(harness, job_id)
    assert waiting.status == JobStatus.QUEUED
    assert (waiting.last_error or "").startswith("fortnox_create_settling: ")
    assert waiting.attempts == 0  # a wait is not an attempt
    assert fortnox_calls(harness) == {SEARCH: 1}
    still = await run_due(harness, job_id)  # due again too soon: nothing is asked of Fortnox
    assert still.status == JobStatus.QUEUED and fortnox_calls(harness) == {SEARCH: 1}

    await earlier_creates_settle(harness)
    job = await run_due(harness, job_id)

    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "created"
    assert fortnox_calls(harness) == {SEARCH: 2, CREATE: 1}
    assert len(invoices_of(harness, order_id)) == 1
    assert await settling(harness) == []


async def test_connection_dropped_after_fortnox_committed(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)
    http = harness.services.http
    send: Callable[..., Awaitable[httpx.Response]] = http.request
    dropped: list[str] = []

    async def drop_the_first_create(method: str, url: Any, **kwargs: Any) -> httpx.Response:
        response = await send(method, url, **kwargs)
        if method == "POST" and str(url).endswith("/invoices") and not dropped:
            dropped.append(str(url))
            raise httpx.ReadError("connection dropped before the answer arrived")
        return response

    monkeypatch.setattr(http, "request", drop_the_first_create)
    harness.services.fortnox_calls.clear()

    job = await sync_order(harness, order_id)

    assert dropped, "the create was never sent"
    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "found_and_linked"
    assert fortnox_calls(harness) == {CREATE: 1, SEARCH: 1, READ: 1}
    (invoice,) = invoices_of(harness, order_id)
    link = await link_of(harness, LinkEntity.ORDER, order_id)
    assert link is not None and link.fortnox_id == str(invoice["DocumentNumber"])


async def test_a_create_that_never_reached_fortnox_leaves_no_intent(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every try of the create failed to connect (Fortnox unreachable): it was never sent, so
    its intent goes with the failure, and the retry creates at once, with one call."""
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)

    with monkeypatch.context() as patch:
        tried = creates_never_connect(harness, patch)
        with pytest.raises(FortnoxUnavailable):
            await sync_won_order(harness.services, harness.installation_id, order_id)

    assert len(tried) == TRIES_WHEN_UNREACHABLE
    assert await intents(harness) == 1 and invoices_of(harness, order_id) == []
    await created_with_its_create_alone(harness, order_id)


async def test_crash_after_the_response_before_the_link(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)

    await dies_before_the_link(harness, monkeypatch, order_id)
    assert len(invoices_of(harness, order_id)) == 1
    assert await link_of(harness, LinkEntity.ORDER, order_id) is None

    job = await sync_order(harness, order_id)

    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "found_and_linked"
    (invoice,) = invoices_of(harness, order_id)
    link = await link_of(harness, LinkEntity.ORDER, order_id)
    assert link is not None and link.fortnox_id == str(invoice["DocumentNumber"])


async def test_a_link_deleted_by_hand_leads_to_a_search_not_a_second_document(
    linked: SyncHarness,
) -> None:
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)
    first = await sync_order(harness, order_id)
    assert (first.result or {})["outcome"] == "created"
    async with harness.services.session_factory() as session:
        await session.execute(
            delete(Link).where(Link.entity == LinkEntity.ORDER, Link.upsales_id == order_id)
        )
        await session.commit()

    again = await sync_order(harness, order_id)

    assert (again.result or {})["outcome"] == "found_and_linked"
    assert len(invoices_of(harness, order_id)) == 1


def _edit_rows(
    harness: SyncHarness, order_id: int, rows: tuple[tuple[str, int, int], ...] = ()
) -> None:
    """Change the order's rows to ``(article, quantity, price)``."""
    products = harness.demo.product_ids_by_article_no
    wanted = rows or (("KONS-1", 5, 1250), ("UTB-DAG", 1, 9500))
    harness.upsales.update_entity(
        harness.demo.customer_id,
        "orders",
        order_id,
        {
            "orderRow": [
                {
                    "product": {"id": products[article]},
                    "quantity": quantity,
                    "listPrice": price,
                    "price": price,
                }
                for article, quantity, price in wanted
            ]
        },
        user_id=harness.demo.sales_rep_user_ids[0],
        fire_hooks=False,
    )


def _rows_of(invoice: dict[str, Any]) -> list[tuple[str, int]]:
    return [(row["ArticleNumber"], int(row["DeliveredQuantity"])) for row in invoice["InvoiceRows"]]


async def test_an_edit_costs_exactly_its_update(linked: SyncHarness) -> None:
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)
    await sync_order(harness, order_id)
    (before,) = invoices_of(harness, order_id)
    _edit_rows(harness, order_id)
    harness.services.fortnox_calls.clear()

    job = await sync_order(harness, order_id)

    assert (job.result or {})["outcome"] == "updated"
    assert fortnox_calls(harness) == {UPDATE: 1}
    (after,) = invoices_of(harness, order_id)
    assert after["DocumentNumber"] == before["DocumentNumber"]
    assert _rows_of(after) == [("KONS-1", 5), ("UTB-DAG", 1)]
    # the next edit names the rows as this update left them (Fortnox renumbers every row)
    _edit_rows(harness, order_id, (("KONS-1", 7, 1250),))
    harness.services.fortnox_calls.clear()
    again = await sync_order(harness, order_id)
    assert (again.result or {})["outcome"] == "updated"
    assert fortnox_calls(harness) == {UPDATE: 1}
    (last,) = invoices_of(harness, order_id)
    assert _rows_of(last) == [("KONS-1", 7)]


async def test_an_edit_after_the_document_changed_in_fortnox_reads_it_and_updates(
    linked: SyncHarness,
) -> None:
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)
    await sync_order(harness, order_id)
    (sent,) = invoices_of(harness, order_id)
    # a bookkeeper's edit in Fortnox gives every row a new RowId
    update_document(
        harness.fortnox.tenant(harness.tenant_id),
        INVOICES,
        str(sent["DocumentNumber"]),
        {"Comments": "Kontrollerad", "InvoiceRows": [{"RowId": sent["InvoiceRows"][0]["RowId"]}]},
    )
    _edit_rows(harness, order_id)
    harness.services.fortnox_calls.clear()

    job = await sync_order(harness, order_id)

    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "updated"
    assert fortnox_calls(harness) == {UPDATE: 2, READ: 1}  # refused, read, sent again
    (after,) = invoices_of(harness, order_id)
    assert _rows_of(after) == [("KONS-1", 5), ("UTB-DAG", 1)]


async def test_an_edit_of_a_document_gone_from_fortnox_is_reported_missing(
    linked: SyncHarness,
) -> None:
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)
    await sync_order(harness, order_id)
    items = harness.fortnox.tenant(harness.tenant_id).collection("invoices").items
    (key,) = [
        k for k, v in items.items() if v["ExternalInvoiceReference1"].endswith(f":{order_id}")
    ]
    del items[key]
    _edit_rows(harness, order_id)
    harness.services.fortnox_calls.clear()

    job = await sync_order(harness, order_id)

    assert job.status == JobStatus.DEAD
    assert (job.last_error or "").startswith("fortnox_document_missing: ")
    assert fortnox_calls(harness) == {UPDATE: 1}


async def test_a_deal_retried_after_the_setting_changed_keeps_its_first_documents_type(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The create timed out as an invoice Fortnox committed; meanwhile the installation was
    switched to orders. The retry searches invoices and links the one made: no order."""
    harness = linked
    await first_deal_synced(harness)
    order_id = new_won_deal(harness)

    await dies_before_the_link(harness, monkeypatch, order_id)
    await harness.update_settings(sync_type=SyncType.ORDER)
    harness.services.fortnox_calls.clear()

    job = await sync_order(harness, order_id)

    assert job.status == JobStatus.DONE, job.last_error
    assert (job.result or {})["outcome"] == "found_and_linked"
    assert fortnox_calls(harness) == {SEARCH: 1, READ: 1}
    (invoice,) = invoices_of(harness, order_id)
    assert fortnox_list(harness, "orders") == []
    link = await link_of(harness, LinkEntity.ORDER, order_id)
    assert link is not None and link.fortnox_type is FortnoxType.INVOICE
    assert link.fortnox_id == str(invoice["DocumentNumber"])
