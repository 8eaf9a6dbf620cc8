"""A deal already sent to Fortnox, then moved to a company that has no Fortnox customer yet:
its edit creates that customer. When the create's answer is lost, the deal's retry waits for
it as for another deal's (it has no document search to wait with), so the company gets one
customer, and the document is made out to it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, select

from tests.e2e.harness import SyncHarness
from tests.e2e.outbound_support import edit, link_of, queue, sync_order, win
from tests.e2e.test_outbound_customer_settling import CUSTOMERS, customers_named
from tests.e2e.won_deal_support import (
    CREATE,
    SEARCH,
    answered_with,
    delete_order_link_by_api,
    dies_before_the_link,
    earlier_creates_settle,
    fortnox_calls,
    hold_creates,
    invoices_of,
    landed_then_run,
    new_won_deal,
    run_due,
)
from upsales_fortnox.core.texts import say
from upsales_fortnox.integrations.fortnox.client import FortnoxClient
from upsales_fortnox.integrations.fortnox.errors import FortnoxValidationError
from upsales_fortnox.models.job import SyncJob
from upsales_fortnox.models.link import DocumentIntent, Link
from upsales_fortnox.sync.order_answers import answer_app_status_order
from upsales_fortnox.vocabulary import JobStatus, LinkEntity, SyncType


async def _sent_then_moved(harness: SyncHarness, *, intent_kept: bool) -> dict[str, Any]:
    """The demo deal sent (its company's customer made), then moved to the demo's second
    company; without ``intent_kept``, as a deal linked with no intent (by the initial sync)."""
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    sent = await sync_order(harness, order_id)
    assert sent.status == JobStatus.DONE and (sent.result or {})["outcome"] == "created"
    if not intent_kept:
        async with harness.services.session_factory() as session:
            await session.execute(delete(DocumentIntent))
            await session.commit()
    new_company = harness.upsales_entity("accounts", harness.demo.account_ids[1]) or {}
    assert customers_named(harness, new_company["name"]) == []
    edit(harness, "orders", order_id, {"client": {"id": new_company["id"]}})
    return new_company


async def _noted_creates(harness: SyncHarness) -> list[tuple[int, int | None]]:
    async with harness.services.session_factory() as session:
        rows = await session.execute(
            select(DocumentIntent.upsales_order_id, DocumentIntent.customer_company_id)
        )
        return [(order, company) for order, company in rows]


@pytest.mark.parametrize("intent_kept", [True, False], ids=["with_intent", "linked_by_import"])
async def test_a_moved_deals_customer_create_that_lands_late_is_found_not_made_twice(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch, intent_kept: bool
) -> None:
    harness = linked
    order_id = harness.demo.opportunity_id
    company = await _sent_then_moved(harness, intent_kept=intent_kept)
    held = hold_creates(harness, monkeypatch, count=1, of=CUSTOMERS)
    job_id = await queue(harness, "upsales.order", order_id)

    await run_due(harness, job_id)  # the customer's create is held: not committed yet
    assert await _noted_creates(harness) == [(order_id, company["id"])]
    waiting = await run_due(harness, job_id)  # the retry's search misses it: it waits

    assert waiting.status == JobStatus.QUEUED and waiting.attempts == 1  # a wait is no attempt
    assert (waiting.last_error or "").startswith(
        "fortnox_customer_create_settling: an earlier attempt of this deal"
    )
    shown = await answer_app_status_order(
        harness.services, harness.installation_id, {"data": {"obj": {"id": order_id}}}
    )
    assert shown.body["message"] == say("status.confirming_earlier_customer", "sv")
    assert len(held) == 1 and customers_named(harness, company["name"]) == []
    await held.pop().land()
    await earlier_creates_settle(harness)
    harness.services.fortnox_calls.clear()

    done = await run_due(harness, job_id)

    assert done.status == JobStatus.DONE, done.last_error
    assert (done.result or {})["outcome"] == "updated"
    assert (done.result or {})["customer"] == "matched"
    assert customers_named(harness, company["name"]) == ["2"]
    customer_link = await link_of(harness, LinkEntity.COMPANY, company["id"])
    assert customer_link is not None and customer_link.fortnox_id == "2"
    [invoice] = invoices_of(harness, order_id)
    assert invoice["CustomerNumber"] == "2"
    assert "POST /customers" not in fortnox_calls(harness)  # the late one was found
    assert CREATE not in fortnox_calls(harness) and SEARCH not in fortnox_calls(harness)


@pytest.mark.parametrize("intent_kept", [True, False], ids=["with_intent", "linked_by_import"])
async def test_a_moved_deals_refused_customer_create_leaves_no_wait(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch, intent_kept: bool
) -> None:
    """Fortnox refused the customer (it made nothing): the deal's next run creates it without
    waiting, and the note is gone for the company's other deals too."""
    harness = linked
    order_id = harness.demo.opportunity_id
    company = await _sent_then_moved(harness, intent_kept=intent_kept)

    refusal = FortnoxValidationError("Ogiltigt organisationsnummer", status=400)
    with monkeypatch.context() as patch:
        patch.setattr(FortnoxClient, "create_customer", answered_with(refusal))
        refused = await sync_order(harness, order_id)
    assert refused.status == JobStatus.DEAD
    assert await _noted_creates(harness) == [(order_id, None)]

    done = await sync_order(harness, order_id)

    assert done.status == JobStatus.DONE, done.last_error
    assert (done.result or {})["customer"] == "created"
    assert customers_named(harness, company["name"]) == ["2"]
    [invoice] = invoices_of(harness, order_id)
    assert invoice["CustomerNumber"] == "2"


async def test_a_deal_moved_on_before_its_customer_create_landed_keeps_the_note_until_it_can(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deal's create of its new company's customer is lost, and the deal is moved on to a
    third company before it runs again. Its retry waits before its note names the third
    company, so another deal of the second company still waits for the lost create: the second
    company gets one customer."""
    harness = linked
    moved = harness.demo.opportunity_id
    second = await _sent_then_moved(harness, intent_kept=True)
    held = hold_creates(harness, monkeypatch, count=1, of=CUSTOMERS)
    moved_job = await queue(harness, "upsales.order", moved)
    await run_due(harness, moved_job)  # the second company's customer create is held
    third = harness.upsales.create_entity(
        harness.demo.customer_id, "accounts", {"name": "Tredje Bolaget AB", "orgNo": "556012-3456"}
    )
    edit(harness, "orders", moved, {"client": {"id": third["id"]}})

    waiting = await run_due(harness, moved_job)

    assert (waiting.last_error or "").startswith("fortnox_customer_create_settling: ")
    assert await _noted_creates(harness) == [(moved, second["id"])]
    other = new_won_deal(harness)
    edit(harness, "orders", other, {"client": {"id": second["id"]}})
    other_job = await queue(harness, "upsales.order", other)
    other_waiting = await run_due(harness, other_job)
    assert (other_waiting.last_error or "").startswith("fortnox_customer_settling: ")
    assert customers_named(harness, second["name"]) == []
    await held.pop().land()
    await earlier_creates_settle(harness)

    done = await run_due(harness, moved_job)
    other_done = await run_due(harness, other_job)

    assert done.status == JobStatus.DONE and other_done.status == JobStatus.DONE
    assert (done.result or {})["customer"] == "created"
    assert (other_done.result or {})["customer"] == "matched"
    assert customers_named(harness, second["name"]) == ["2"]
    assert customers_named(harness, third["name"]) == ["3"]


async def test_a_deal_linked_without_an_intent_whose_link_is_removed_is_searched_for(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The intent made to hold a deal's customer note names the linked document's type, so a
    run after the order link is removed searches that type and links the document it finds."""
    harness = linked
    order_id = harness.demo.opportunity_id
    await _sent_then_moved(harness, intent_kept=False)
    moved = await sync_order(harness, order_id)
    assert (moved.result or {})["customer"] == "created"
    async with harness.services.session_factory() as session:
        noted = await session.get(DocumentIntent, (harness.installation_id, order_id))
        assert noted is not None and noted.fortnox_type == "invoice" and noted.settles_at is None
        await session.execute(delete(Link).where(Link.entity == LinkEntity.ORDER.value))
        await session.commit()
    harness.services.fortnox_calls.clear()

    found = await sync_order(harness, order_id)

    _found_not_made_again(harness, found, order_id)


def _found_not_made_again(harness: SyncHarness, done: SyncJob, order_id: int) -> None:
    """The deal's run found its invoice by one search and linked it, creating none."""
    assert done.status == JobStatus.DONE, done.last_error
    assert (done.result or {})["outcome"] in ("found_and_linked", "found_and_updated")
    assert fortnox_calls(harness)[SEARCH] == 1 and CREATE not in fortnox_calls(harness)
    assert len(invoices_of(harness, order_id)) == 1


@pytest.mark.parametrize("how", ["invoice_landed_late", "died_before_the_link"])
async def test_a_deal_whose_found_document_is_unlinked_waits_for_its_own_customer_create(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """The deal's invoice is in Fortnox but not linked (its answer was lost, or the process
    died before the link), and the deal is moved to a new company. A run that finds the invoice
    has not waited for the deal's earlier creates, so after the new customer's create is lost,
    the retry waits for it rather than making another."""
    harness = linked
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    if how == "invoice_landed_late":
        held_invoice = hold_creates(harness, monkeypatch, count=1)
        job_id = await queue(harness, "upsales.order", order_id)
        assert (await run_due(harness, job_id)).status == JobStatus.QUEUED
        await held_invoice.pop().land()
        await earlier_creates_settle(harness)
    else:
        await dies_before_the_link(harness, monkeypatch, order_id)
        job_id = await queue(harness, "upsales.order", order_id)
    company = harness.upsales_entity("accounts", harness.demo.account_ids[1]) or {}
    edit(harness, "orders", order_id, {"client": {"id": company["id"]}})
    held = hold_creates(harness, monkeypatch, count=1, of=CUSTOMERS)
    await run_due(harness, job_id)  # the invoice found; the customer's create held
    assert len(held) == 1

    waiting = await run_due(harness, job_id)

    assert (waiting.last_error or "").startswith("fortnox_customer_create_settling: ")
    done = await landed_then_run(harness, held, job_id)
    assert done.status == JobStatus.DONE, done.last_error
    assert (done.result or {})["customer"] == "matched"
    assert customers_named(harness, company["name"]) == ["2"]
    assert len(invoices_of(harness, order_id)) == 1


async def test_a_moved_deal_whose_order_link_is_removed_still_waits_for_its_customer_create(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An operator removes the order link while the moved deal waits for its lost customer
    create: the next run finds the invoice, and still waits."""
    harness = linked
    order_id = harness.demo.opportunity_id
    company = await _sent_then_moved(harness, intent_kept=True)
    held = hold_creates(harness, monkeypatch, count=1, of=CUSTOMERS)
    job_id = await queue(harness, "upsales.order", order_id)
    await run_due(harness, job_id)
    async with harness.services.session_factory() as session:
        await session.execute(delete(Link).where(Link.entity == LinkEntity.ORDER.value))
        await session.commit()

    again = await run_due(harness, job_id)

    assert (again.last_error or "").startswith("fortnox_customer_create_settling: ")
    done = await landed_then_run(harness, held, job_id)
    assert done.status == JobStatus.DONE, done.last_error
    assert customers_named(harness, company["name"]) == ["2"]
    assert len(invoices_of(harness, order_id)) == 1


async def test_a_lost_customer_create_found_and_linked_leaves_no_wait(
    linked: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deal's customer create was lost, landed, and was matched and linked by its retry:
    the note goes with the link, so when the deal is later moved to a new company it makes that
    company's customer at once."""
    harness = linked
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    held = hold_creates(harness, monkeypatch, count=1, of=CUSTOMERS)
    job_id = await queue(harness, "upsales.order", order_id)
    await run_due(harness, job_id)  # the customer's create is held
    await run_due(harness, job_id)  # the retry waits for it
    matched = await landed_then_run(harness, held, job_id)
    assert (matched.result or {})["customer"] == "matched"
    assert await _noted_creates(harness) == [(order_id, None)]
    company = harness.upsales_entity("accounts", harness.demo.account_ids[1]) or {}
    edit(harness, "orders", order_id, {"client": {"id": company["id"]}})

    moved = await sync_order(harness, order_id)

    assert moved.status == JobStatus.DONE, moved.last_error
    assert (moved.result or {})["customer"] == "created"
    assert customers_named(harness, company["name"]) == ["2"]


@pytest.mark.parametrize("how_linked", ["by_import", "by_the_operator"])
async def test_an_order_link_an_operator_deletes_leaves_the_order_searched_for(
    linked: SyncHarness, how_linked: str
) -> None:
    """A deal linked with no intent (by the initial sync, or an operator's link) whose order
    link an operator deletes: its document stays in Fortnox, so the deal's next run searches
    for it and links it, rather than creating a second one."""
    harness = linked
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    assert (await sync_order(harness, order_id)).status == JobStatus.DONE
    [invoice] = invoices_of(harness, order_id)
    async with harness.services.session_factory() as session:
        await session.execute(delete(DocumentIntent))
        await session.commit()
    base = f"/api/installations/{harness.installation_id}/links"
    if how_linked == "by_the_operator":
        async with harness.services.session_factory() as session:
            await session.execute(delete(Link).where(Link.entity == LinkEntity.ORDER.value))
            await session.commit()
        made = await harness.service.post(
            base,
            json={
                "entity": "order",
                "upsales_id": order_id,
                "fortnox_type": "invoice",
                "fortnox_id": str(invoice["DocumentNumber"]),
            },
            headers=harness.admin_headers,
        )
        assert made.status_code == 201, made.text

    await delete_order_link_by_api(harness)

    harness.services.fortnox_calls.clear()
    again = await sync_order(harness, order_id)
    _found_not_made_again(harness, again, order_id)


_HEADER_FROM_CUSTOMER = ("CustomerName", "Address1", "Address2", "ZipCode", "City", "Phone1")


@pytest.mark.parametrize(
    ("sync_type", "customer_of_b"),
    [
        (SyncType.INVOICE, "created"),
        (SyncType.INVOICE, "linked"),
        (SyncType.ORDER, "created"),
        (SyncType.ORDER, "linked"),
    ],
)
async def test_a_document_moved_to_another_company_carries_that_customers_header(
    linked: SyncHarness, sync_type: SyncType, customer_of_b: str
) -> None:
    """The deal's editable document moved from company A to company B takes B's customer's
    name, address and phone (and, on an order, organisation number), whether or not Fortnox
    refreshes them from the new customer (the sandbox keeps A's): B's customer as its create
    answered, or read once when B was linked already."""
    harness = linked
    await harness.update_settings(sync_type=sync_type)
    order_id = harness.demo.opportunity_id
    win(harness, order_id)
    assert (await sync_order(harness, order_id)).status == JobStatus.DONE
    company_b = harness.demo.account_ids[1]
    if customer_of_b == "linked":
        other = await sync_order(harness, new_won_deal(harness, company_b))
        assert (other.result or {})["customer"] == "created"
    edit(harness, "orders", order_id, {"client": {"id": company_b}})
    harness.services.fortnox_calls.clear()

    moved = await sync_order(harness, order_id)

    assert moved.status == JobStatus.DONE, moved.last_error
    result = moved.result or {}
    assert result["outcome"] == "updated" and result["customer"] == customer_of_b
    b = harness.fortnox_entity(CUSTOMERS, result["fortnox_customer"]) or {}
    a = harness.fortnox_entity(CUSTOMERS, "1") or {}
    assert b["Address1"] != a["Address1"] and b["OrganisationNumber"] != a["OrganisationNumber"]
    collection = "invoices" if sync_type is SyncType.INVOICE else "orders"
    number = result[f"fortnox_{collection[:-1]}"]
    document = harness.fortnox_entity(collection, number) or {}
    assert document["CustomerNumber"] == b["CustomerNumber"]
    wanted = {
        field: b[f"{'Name' if field == 'CustomerName' else field}"]
        for field in _HEADER_FROM_CUSTOMER
    }
    assert {field: document[field] or None for field in wanted} == {
        field: value or None for field, value in wanted.items()
    }
    if sync_type is SyncType.ORDER:  # read-only on invoices: only Fortnox sets it there
        assert document["OrganisationNumber"] == b["OrganisationNumber"]
    read = fortnox_calls(harness).get("GET /customers/{CustomerNumber}", 0)
    assert read == (1 if customer_of_b == "linked" else 0)
    put = f"PUT /{collection}/{{DocumentNumber}}"
    assert fortnox_calls(harness)[put] == 1
